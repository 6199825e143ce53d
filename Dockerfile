# flexbridge: multi-stage build; the runtime image holds production dependencies and compiled JS only,
# runs as the unprivileged `node` user, and keeps configuration and data in volumes.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is a native addon: build tools are needed only in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY simulators ./simulators
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    FLEXBRIDGE_CONFIG=/config/flexbridge.json \
    FLEXBRIDGE_STORE_PATH=/data/flexbridge.db \
    FLEXBRIDGE_HTTP_HOST=0.0.0.0 \
    FLEXBRIDGE_OCPP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# tsc copies no static files: the dashboard's page, script and style go next to the compiled router.
COPY --from=build /app/src/api/dashboard/public ./dist/src/api/dashboard/public
# The image's own configuration: no auto-registration, the API behind FLEXBRIDGE_API_TOKEN (config/docker.json).
COPY config/docker.json /config/flexbridge.json
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/config", "/data"]
# 8080: OSCP endpoint, CPO API, dashboard, /metrics, health. 9000: OCPP 2.0.1 and 1.6J WebSocket.
EXPOSE 8080 9000
# The probe reads the configuration as the agent does, so a port set only in the file, or TLS, is probed where it is.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["node", "dist/src/healthcheck.js"]
CMD ["node", "dist/src/main.js"]

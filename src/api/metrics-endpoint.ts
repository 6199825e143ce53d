// GET /metrics for Prometheus: open by default (as most exporters are), or behind one scraper token
// (config api.metricsToken), compared as SHA-256 digests in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

export function metricsEndpoint(registry: Registry, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    if (expected) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
      if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
        res
          .status(401)
          .set('WWW-Authenticate', 'Bearer realm="flexbridge-metrics"')
          .type('text/plain')
          .send('GET /metrics needs Authorization: Bearer <the token in config api.metricsToken>\n');
        return;
      }
    }
    registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
  };
}

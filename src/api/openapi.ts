// The OpenAPI 3.1 document of the operator API, generated from the route table and the same zod schemas the
// routes validate with (z.toJSONSchema, JSON Schema 2020-12) — there is no hand-kept copy to drift.
import { z } from 'zod';
import { API_EVENT_NAMES } from '../config/sections';
import { API_EVENT_DATA } from './operator-events';
import { requestSchemas } from './request-schemas';
import { none, type Route, type RouteResponse } from './route';
import { ApiEventEnvelope, responseSchemas } from './response-schemas';

export type JsonObject = Record<string, unknown>;

const ref = (id: string): JsonObject => ({ $ref: `#/components/schemas/${id}` });
const uri = (id: string): string => `#/components/schemas/${id}`;

/** Component schemas of a registry, without the per-schema `$schema`/`$id` that would confuse OpenAPI tools. */
function components(registry: typeof responseSchemas, io: 'input' | 'output'): Record<string, JsonObject> {
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema;
      return [id, rest];
    }),
  );
}

export function componentId(schema: z.ZodType): string {
  const id = responseSchemas.get(schema)?.id ?? requestSchemas.get(schema)?.id;
  if (!id) throw new Error('operator API: every request and response body schema must be a registered component');
  return id;
}

function fieldSchema(field: z.ZodType): JsonObject {
  const { $schema: _schema, ...rest } = z.toJSONSchema(field, { target: 'draft-2020-12', io: 'input' });
  return rest;
}

function parameters(schema: z.ZodType, where: 'path' | 'query'): JsonObject[] {
  if (Object.is(schema, none)) return [];
  if (!(schema instanceof z.ZodObject)) throw new Error(`operator API: ${where} parameters must be a zod object`);
  return Object.entries(schema.shape).flatMap(([name, field]) => {
    if (!(field instanceof z.ZodType)) return [];
    return [
      {
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        ...(field.description !== undefined && { description: field.description }),
        schema: fieldSchema(field),
      },
    ];
  });
}

const problem = (description: string): JsonObject => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

function response(r: RouteResponse): JsonObject {
  if (r.status >= 400) return problem(r.description);
  if (r.contentType) return { description: r.description, content: { [r.contentType]: { schema: { type: 'string' } } } };
  if (!r.schema) return { description: r.description };
  return { description: r.description, content: { 'application/json': { schema: ref(componentId(r.schema)) } } };
}

function operation(route: Route): JsonObject {
  const responses: JsonObject = {};
  for (const r of route.responses) responses[String(r.status)] = response(r);
  const takesInput = !Object.is(route.params, none) || !Object.is(route.query, none) || route.body !== undefined;
  if (takesInput) responses['400'] ??= problem('invalid input: `errors` names each field');
  if (route.role !== undefined) {
    responses['401'] = problem('no or unknown credentials (see WWW-Authenticate)');
    responses['403'] = problem(`the credentials lack the ${route.role} role`);
  }
  if (route.path.includes(':')) responses['404'] ??= problem('not found');
  const security =
    route.role === undefined ? [] : [{ bearerAuth: [] }, { basicAuth: [] }, ...(route.path === '/events' ? [{ tokenQuery: [] }] : [])];
  return {
    operationId: `${route.method}${route.path.replace(/\/:?([a-z])/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description !== undefined && { description: route.description }),
    ...(route.role !== undefined && { 'x-role': route.role }),
    security,
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body !== undefined && {
      requestBody: { required: true, content: { 'application/json': { schema: ref(componentId(route.body)) } } },
    }),
    responses,
  };
}

function webhooks(): JsonObject {
  return Object.fromEntries(
    API_EVENT_NAMES.map((name) => [
      name,
      {
        post: {
          summary: `${name}, POSTed to every webhook subscribed to it`,
          description:
            'Signed with `X-Flexbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the webhook secret>`; refuse a t more than 300 s from your clock.',
          parameters: [
            { name: 'X-Flexbridge-Event', in: 'header', required: true, schema: { type: 'string', const: name } },
            {
              name: 'X-Flexbridge-Signature',
              in: 'header',
              required: true,
              schema: { type: 'string', pattern: '^t=[0-9]+,v1=[0-9a-f]{64}$' },
            },
            { name: 'X-Flexbridge-Delivery', in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { allOf: [ref(componentId(ApiEventEnvelope)), { properties: { data: ref(componentId(API_EVENT_DATA[name])) } }] },
              },
            },
          },
          responses: { '200': { description: 'any 2xx: delivered; anything else is retried with back-off' } },
        },
      },
    ]),
  );
}

/** Every component schema, responses converted as output and request bodies as input. */
export function componentSchemas(): Record<string, JsonObject> {
  return { ...components(responseSchemas, 'output'), ...components(requestSchemas, 'input') };
}

export function openApiDocument(routes: readonly Route[], version: string): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'flexbridge operator API',
      version,
      description:
        'Read the state of groups, stations, sessions and OSCP peers, and steer them (admin role). Times are ISO 8601 UTC, ' +
        'currents amps per phase. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/api/v1' }],
    tags: ['groups', 'stations', 'sessions', 'peers', 'overrides', 'events', 'documentation'].map((name) => ({ name })),
    paths,
    webhooks: webhooks(),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'a token from config api.tokens' },
        basicAuth: { type: 'http', scheme: 'basic', description: 'a user from config api.users' },
        tokenQuery: { type: 'apiKey', in: 'query', name: 'token', description: 'for EventSource clients, on /events only' },
      },
    },
  };
}

// The operator API's own routes: the server-sent event stream, and its OpenAPI document and HTML reference
// (both public: they hold no state, and a reader needs them before having a token).
import type { ApiContext } from '../context';
import { docsPage } from '../docs-page';
import { openApiDocument } from '../openapi';
import { EventsQuery } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';

export const API_VERSION = '1.0.0';

export function eventRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/events',
      tag: 'events',
      summary:
        'Server-sent events: session.started|ended, station.online|offline|refused|uncontrollable, fallback.entered|left, ' +
        'compliance.sent, plan.applied, override.set|removed|expired; station.frame for traced stations',
      description:
        'Each event has an `id` (send Last-Event-ID to catch up after a reconnect), its name as `event` and JSON `data` ' +
        '(schemas: SessionEventData, StationEventData, ConnectionAttempt, FallbackEventData, ComplianceEventData, PlanEventData, ' +
        'OverrideEventData). A comment line is sent every 15 s as a heartbeat. `station.frame` (FrameEventData: one OCPP frame of a ' +
        'station traced with PUT /stations/{id}/trace, secrets redacted) has no id: frames are not replayed after a reconnect.',
      role: 'read',
      params: none,
      query: EventsQuery,
      body: none,
      responses: [{ status: 200, description: 'the event stream', contentType: 'text/event-stream' }],
      handler: ({ req, res }) => {
        context.streams.serve(req, res);
        return undefined;
      },
    }),
  ];
}

/** Routes documenting `routes` (and themselves); the document is built once, on first use. */
export function documentationRoutes(routes: readonly Route[]): Route[] {
  let document: Record<string, unknown> | undefined;
  let page: string | undefined;
  const own: Route[] = [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      tag: 'documentation',
      summary: 'This API as an OpenAPI 3.1 document',
      params: none,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'the OpenAPI document', contentType: 'application/json' }],
      handler: ({ res }) => {
        document ??= openApiDocument(all, API_VERSION);
        res.json(document);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      tag: 'documentation',
      summary: 'This API as an HTML page',
      params: none,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'the reference page', contentType: 'text/html' }],
      handler: ({ res }) => {
        page ??= docsPage(all, API_VERSION);
        res.type('html').setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'").send(page);
        return undefined;
      },
    }),
  ];
  const all = [...routes, ...own];
  return own;
}

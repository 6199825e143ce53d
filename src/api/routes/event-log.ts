// The event log an operator reads back: fallback, compliance errors, overrides and station events kept from the
// event stream (newest first), filtered by event, group or station, paged to older events with `before`.
import type { ApiContext } from '../context';
import { EventLogQuery } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import { EventLogPage } from '../response-schemas';

export function eventLogRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/event-log',
      tag: 'events',
      summary: 'Recent operator events, newest first: fallback, compliance, overrides, stations online/offline/refused/uncontrollable',
      description:
        'The last 2,000 such events of this agent run (plans and sessions are not kept here; follow /events for them). ' +
        'Pass `nextBefore` back as `before` for older ones.',
      role: 'read',
      params: none,
      query: EventLogQuery,
      body: none,
      responses: [{ status: 200, description: 'one page of the log', schema: EventLogPage }],
      handler: ({ query }) => {
        const items = context.eventLog.list({
          events: query.event,
          groupId: query.groupId,
          stationId: query.stationId,
          beforeId: query.before,
          limit: query.limit + 1,
        });
        const page = items.slice(0, query.limit);
        return { status: 200, body: { items: page, nextBefore: items.length > query.limit ? (page.at(-1)?.id ?? null) : null } };
      },
    }),
  ];
}

// Refused station connections: what a field engineer at a charger that does not connect needs first — when, from
// where, which identity and exactly why (unknown identity, wrong password, user name ≠ identity, subprotocol, …).
import type { ApiContext } from '../context';
import { ConnectionAttemptsQuery } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import { ConnectionAttemptList } from '../response-schemas';

export function connectionAttemptRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/connection-attempts',
      tag: 'stations',
      summary: 'Refused station connections (newest first): time, remote address, identity, status and the reason',
      role: 'read',
      params: none,
      query: ConnectionAttemptsQuery,
      body: none,
      responses: [{ status: 200, description: 'refused connections', schema: ConnectionAttemptList }],
      handler: ({ query }) => ({
        status: 200,
        body: context.backend
          .connectionAttempts(query.identity)
          .map(({ atMs, ...attempt }) => ({ at: new Date(atMs).toISOString(), ...attempt })),
      }),
    }),
  ];
}

// Session routes: active or recently ended sessions (filtered by group or station), and one session with its
// energy, EV needs and the limits the applied plans gave it. Older sessions are read from the store.
import type { ApiContext } from '../context';
import { NotFoundProblem } from '../problems';
import { IdParams, SessionsQuery } from '../requests';
import { defineRoute, none, type Route } from '../route';
import { SessionDetail, SessionList } from '../schemas';
import { sessionDetail, sessionSummary } from '../session-views';

export function sessionRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/sessions',
      tag: 'sessions',
      summary: 'Active sessions (oldest first), or recently ended ones (newest first)',
      role: 'read',
      params: none,
      query: SessionsQuery,
      body: none,
      responses: [{ status: 200, description: 'sessions', schema: SessionList }],
      handler: ({ query }) => {
        const entries = query.state === 'active' ? [...context.book.activeSessions()] : context.book.recentSessions();
        const body = entries
          .filter((e) => query.groupId === undefined || e.session.groupId === query.groupId)
          .filter((e) => query.stationId === undefined || e.session.stationId === query.stationId)
          .map((e) => sessionSummary(e.session, e));
        if (query.state === 'active') body.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
        return { status: 200, body: body.slice(0, query.limit) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sessions/:id',
      tag: 'sessions',
      summary: 'One session: energy, EV needs, measured current and the history of its limits',
      role: 'read',
      params: IdParams,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'the session', schema: SessionDetail }],
      handler: ({ params }) => {
        const entry = context.book.get(params.id);
        const session = entry?.session ?? context.backend.sessions.get(params.id);
        if (!session) throw new NotFoundProblem(`no session "${params.id}"`);
        return { status: 200, body: sessionDetail(session, entry) };
      },
    }),
  ];
}

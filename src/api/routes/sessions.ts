// Session routes: active or ended sessions (filtered by group or station) in cursor-paged lists with their total,
// and one session with its energy, EV needs and the limits the applied plans gave it. Ended ones come from the store.
import type { z } from 'zod';
import type { ApiContext } from '../context';
import { NotFoundProblem } from '../problems';
import { encodeSessionCursor, IdParams, SessionsQuery } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import { SessionDetail, SessionPage } from '../response-schemas';
import type { SessionEntry } from '../session-book';
import { sessionDetail, sessionSummary } from '../bodies/sessions';

type Query = z.output<typeof SessionsQuery>;

/** Code-unit order, as SQLite's BINARY collation sorts the ended ones, so both kinds of cursor compare alike. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byStart = (a: SessionEntry, b: SessionEntry): number =>
  compare(a.session.startedAt, b.session.startedAt) || compare(a.session.transactionId, b.session.transactionId);

/** Active sessions live in memory only: filtered and sorted per request, oldest start first. */
function activePage(context: ApiContext, query: Query): SessionPage {
  const matching = [...context.book.activeSessions()]
    .filter((e) => query.groupId === undefined || e.session.groupId === query.groupId)
    .filter((e) => query.stationId === undefined || e.session.stationId === query.stationId)
    .sort(byStart);
  const after = query.cursor;
  // The first session after the cursor's key, whether or not the session it names is still active.
  const found =
    after === undefined
      ? 0
      : matching.findIndex((e) => (compare(e.session.startedAt, after.at) || compare(e.session.transactionId, after.id)) > 0);
  const start = found < 0 ? matching.length : found;
  const page = matching.slice(start, start + query.limit);
  const last = page.at(-1);
  return {
    items: page.map((e) => sessionSummary(e.session, e)),
    total: matching.length,
    nextCursor:
      last !== undefined && start + page.length < matching.length
        ? encodeSessionCursor({ state: 'active', at: last.session.startedAt, id: last.session.transactionId })
        : null,
  };
}

/** Ended sessions: the whole stored history, newest end first, one indexed page and a COUNT per request. */
function endedPage(context: ApiContext, query: Query): SessionPage {
  // One more than asked for tells whether a next page exists without a last, empty one.
  const { sessions, total } = context.backend.sessions.ended({
    groupId: query.groupId,
    stationId: query.stationId,
    after: query.cursor && { endedAt: query.cursor.at, transactionId: query.cursor.id },
    limit: query.limit + 1,
  });
  const page = sessions.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((s) => sessionSummary(s)),
    total,
    nextCursor:
      sessions.length > query.limit && last?.endedAt !== undefined
        ? encodeSessionCursor({ state: 'ended', at: last.endedAt, id: last.transactionId })
        : null,
  };
}

export function sessionRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/sessions',
      tag: 'sessions',
      summary: 'Active sessions (oldest first) or ended ones (newest first), one page at a time with the total',
      description:
        'Pages of at most `limit` sessions; pass `nextCursor` back as `cursor` (same state and filters) until it is null. ' +
        '`total` counts every session matching the state and filters. Sessions added while paging do not repeat or shift the pages.',
      role: 'read',
      params: none,
      query: SessionsQuery,
      body: none,
      responses: [{ status: 200, description: 'one page of sessions', schema: SessionPage }],
      handler: ({ query }) => ({ status: 200, body: query.state === 'active' ? activePage(context, query) : endedPage(context, query) }),
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

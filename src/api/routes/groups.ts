// GET routes of groups: the list with capacity, allocation and headroom now, one group with its stations and
// sessions, its forecast book, its plan over the horizon, and its recent history of capacity and draw.
import type { ApiContext } from '../context';
import { activeSessionsByStation, groupOr404, stationsOfGroup } from '../context';
import { forecastView, groupSummary, groupViewOf, planView, stationCounted, type GroupContext } from '../bodies/groups';
import { NotFoundProblem, ValidationProblem } from '../problems';
import { IdParams, RangeQuery } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import { ForecastBook, GroupDetail, GroupList, History, Plan } from '../response-schemas';
import { sessionSummary } from '../bodies/sessions';
import { stationSummary } from '../bodies/stations';

const HOUR_MS = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function groupContext(context: ApiContext): GroupContext {
  const peers = new Map(context.backend.peers().map((p) => [p.peerId, p.state]));
  return {
    core: context.core,
    nowMs: context.nowMs(),
    peerState: (peerId) => peers.get(peerId),
    measuredA: (groupId) => context.history.measuredA(groupId),
    stationCount: (groupId) => stationsOfGroup(context, groupId).length,
    sessionCount: (groupId) => context.core.fleet.sessionsOf(groupId).length,
  };
}

/** `from`/`to` query values as epoch ms, with defaults; `from` after `to` names both fields. */
function range(query: { from?: string; to?: string }, defaults: { fromMs: number; toMs: number }): { fromMs: number; toMs: number } {
  const fromMs = query.from === undefined ? defaults.fromMs : Date.parse(query.from);
  const toMs = query.to === undefined ? defaults.toMs : Date.parse(query.to);
  if (fromMs > toMs) throw new ValidationProblem('the range is empty', [{ path: 'from', message: 'must not be after `to`' }]);
  return { fromMs, toMs };
}

export function groupRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/groups',
      tag: 'groups',
      summary: 'Groups with the capacity in force, allocation, measured draw and headroom now',
      role: 'read',
      params: none,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'every configured group', schema: GroupList }],
      handler: () => {
        const view = groupContext(context);
        return { status: 200, body: context.groups.map((g) => groupSummary(view, g)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/groups/:id',
      tag: 'groups',
      summary: 'One group with its stations and active sessions',
      role: 'read',
      params: IdParams,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'the group', schema: GroupDetail }],
      handler: ({ params }) => {
        const group = groupOr404(context, params.id);
        const groupContextNow = groupContext(context);
        const nowMs = groupContextNow.nowMs;
        const view = groupViewOf(groupContextNow, group);
        const counted = new Map(view.stations.map((s) => [s.stationId, stationCounted(s)]));
        const counts = activeSessionsByStation(context);
        const stationContext = { core: context.core, nowMs, connectionChangedAt: context.feed.connectionChangedAt };
        // Both lists come from core's fleet at this instant, so every station has its count.
        const stations = stationsOfGroup(context, group.id).flatMap((s) => {
          const count = counted.get(s.record.stationId);
          return count ? [{ ...stationSummary(stationContext, s, counts.get(s.record.stationId) ?? 0), counted: count }] : [];
        });
        const sessions = context.core.fleet
          .sessionsOf(group.id)
          .map((s) => sessionSummary(s, context.book.get(s.transactionId)))
          .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
        return { status: 200, body: { ...groupSummary(groupContextNow, group, view), stations, sessions } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/groups/:id/forecasts',
      tag: 'groups',
      summary: 'The forecast book of the group: blocks per forecast type, in amps per phase',
      description: 'Default range: from 24 h ago to 48 h ahead (the book keeps ended forecasts for 24 h).',
      role: 'read',
      params: IdParams,
      query: RangeQuery,
      body: none,
      responses: [{ status: 200, description: 'one series per type with blocks in the range', schema: ForecastBook }],
      handler: ({ params, query }) => {
        const group = groupOr404(context, params.id);
        const nowMs = context.nowMs();
        const { fromMs, toMs } = range(query, { fromMs: nowMs - 24 * HOUR_MS, toMs: nowMs + 48 * HOUR_MS });
        return { status: 200, body: forecastView(context.backend.forecasts, group.id, fromMs, toMs, nowMs) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/groups/:id/plan',
      tag: 'groups',
      summary: 'The plan in force: capacity, allocation and headroom per block, and each session’s limit per block',
      role: 'read',
      params: IdParams,
      query: none,
      body: none,
      responses: [
        { status: 200, description: 'the plan in force', schema: Plan },
        { status: 404, description: 'unknown group, or no plan computed yet' },
      ],
      handler: ({ params }) => {
        const group = groupOr404(context, params.id);
        const plan = context.core.plan(group.id);
        if (!plan) throw new NotFoundProblem(`group "${group.id}" has no plan yet`);
        return { status: 200, body: planView(context.core, group, plan, context.book) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/groups/:id/history',
      tag: 'groups',
      summary: 'Capacity, allocated and measured current of the group over the last 24 h (one sample per 10 s)',
      role: 'read',
      params: IdParams,
      query: RangeQuery,
      body: none,
      responses: [{ status: 200, description: 'samples, oldest first', schema: History }],
      handler: ({ params, query }) => {
        const group = groupOr404(context, params.id);
        const { fromMs, toMs } = range(query, { fromMs: -Infinity, toMs: Infinity });
        const samples = context.history.samples(group.id, fromMs, toMs) ?? [];
        return {
          status: 200,
          body: samples.map((s) => ({
            at: iso(s.atMs),
            ...(s.source && { source: s.source }),
            capacityA: [...s.capacityA],
            allocatedA: [...s.allocatedA],
            measuredA: [...s.measuredA],
          })),
        };
      },
    }),
  ];
}

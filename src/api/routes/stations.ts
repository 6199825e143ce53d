// Station routes: list (by group), one station with its limits in force and sessions, and for admins add/update
// (password hashed by the CSMS, never returned; a new groupId moves the station) and removal.
import type { ApiContext } from '../context';
import { activeSessionsByStation, groupOr404, stationOr404, stationsOfGroup } from '../context';
import { ValidationProblem } from '../problems';
import { StationIdParams, StationsQuery, StationUpsert } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import { StationDetail, StationList } from '../response-schemas';
import { sessionSummary } from '../bodies/sessions';
import { stationDetail, stationSummary, type StationContext } from '../bodies/stations';
import type { StationInput } from '../backend';

const DEFAULTS = { evseMaxCurrentA: 32, evseCount: 1, phases: 3 } as const;

function stationContext(context: ApiContext): StationContext {
  return { core: context.core, nowMs: context.nowMs(), connectionChangedAt: context.feed.connectionChangedAt };
}

function detail(context: ApiContext, stationId: string): StationDetail {
  const view = stationOr404(context, stationId);
  const sessions = [...context.book.activeSessions()]
    .filter((e) => e.session.stationId === stationId)
    .map((e) => sessionSummary(e.session, e));
  return stationDetail(stationContext(context), view, sessions);
}

export function stationRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/stations',
      tag: 'stations',
      summary: 'Stations with connection state, limits in force and active session count',
      role: 'read',
      params: none,
      query: StationsQuery,
      body: none,
      responses: [{ status: 200, description: 'stations, by id', schema: StationList }],
      handler: ({ query }) => {
        const views =
          query.groupId === undefined ? [...context.backend.stations()] : stationsOfGroup(context, groupOr404(context, query.groupId).id);
        const counts = activeSessionsByStation(context);
        const at = stationContext(context);
        const body = views.map((v) => stationSummary(at, v, counts.get(v.record.stationId) ?? 0)).sort((a, b) => a.id.localeCompare(b.id));
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/stations/:id',
      tag: 'stations',
      summary: 'One station: connection, controllability, SmartChargingCtrlr limits, limits in force, sessions',
      role: 'read',
      params: StationIdParams,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'the station', schema: StationDetail }],
      handler: ({ params }) => ({ status: 200, body: detail(context, params.id) }),
    }),
    defineRoute({
      method: 'put',
      path: '/stations/:id',
      tag: 'stations',
      summary: 'Add a station or update it (hardware, password, group)',
      description:
        'Fields left out keep their current values (configuration defaults for a new station); `groupId` is required for a ' +
        'new station and moves an existing one. The password is stored only as a hash and never returned.',
      role: 'admin',
      params: StationIdParams,
      query: none,
      body: StationUpsert,
      responses: [
        { status: 200, description: 'updated', schema: StationDetail },
        { status: 201, description: 'added', schema: StationDetail },
      ],
      handler: async ({ params, body, principal }) => {
        const existing = context.backend.station(params.id)?.record;
        const groupId = body.groupId ?? existing?.groupId;
        if (groupId === undefined)
          throw new ValidationProblem('a new station needs a group', [{ path: 'groupId', message: 'required for a new station' }]);
        if (!context.groups.some((g) => g.id === groupId))
          throw new ValidationProblem('unknown group', [{ path: 'groupId', message: `no group "${groupId}"` }]);
        // A changed EVSE maximum or count recomputes the station maximum unless one is given.
        const hardwareChanged = body.evseMaxCurrentA !== undefined || body.evseCount !== undefined;
        const stationMaxCurrentA = body.stationMaxCurrentA ?? (hardwareChanged ? undefined : existing?.stationMaxCurrentA);
        const input: StationInput = {
          id: params.id,
          groupId,
          evseMaxCurrentA: body.evseMaxCurrentA ?? existing?.evseMaxCurrentA ?? DEFAULTS.evseMaxCurrentA,
          evseCount: body.evseCount ?? existing?.evseCount ?? DEFAULTS.evseCount,
          phases: body.phases ?? existing?.phases ?? DEFAULTS.phases,
          ...(stationMaxCurrentA !== undefined && { stationMaxCurrentA }),
          ...(body.password !== undefined && { password: body.password }),
        };
        await context.backend.upsertStation(input);
        context.logger.info('station changed through the operator API', {
          stationId: params.id,
          groupId,
          movedFrom: existing && existing.groupId !== groupId ? existing.groupId : undefined,
          passwordChanged: body.password !== undefined,
          by: principal.name,
        });
        return {
          status: existing ? 200 : 201,
          body: detail(context, params.id),
          ...(!existing && { headers: { Location: `/api/v1/stations/${encodeURIComponent(params.id)}` } }),
        };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/stations/:id',
      tag: 'stations',
      summary: 'Remove a station: its connection is closed; it is refused from then on (unless ocpp.autoRegisterGroup admits it again)',
      description: 'Core keeps counting what the station may still draw (its lease, then its standing limit) until the agent restarts.',
      role: 'admin',
      params: StationIdParams,
      query: none,
      body: none,
      responses: [{ status: 204, description: 'removed' }],
      handler: ({ params, principal }) => {
        stationOr404(context, params.id);
        context.backend.removeStation(params.id);
        context.logger.info('station removed through the operator API', { stationId: params.id, by: principal.name });
        return { status: 204 };
      },
    }),
  ];
}

// A station's OCPP side for field engineers: its live trace (read, download as NDJSON, switch on/off) and remote
// actions (admin, audit-logged with the credential's name), each queued with core's own commands to that station.
import type { Response } from 'express';
import type { RemoteActionOutcome } from '../../domain/station-actions';
import type { ApiContext } from '../context';
import { stationOr404 } from '../context';
import { ConflictProblem, NotFoundProblem, ProblemError, ValidationProblem } from '../problems';
import { StationIdParams } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import {
  RawCallBody,
  RemoteActionBody,
  StationAnswer,
  StationTrace,
  TraceQuery,
  TraceSettingsBody,
  TraceSettingsView,
} from '../station-ocpp-schemas';

/** JSON exactly as the station sent it (the API's other answers round numbers for reading). */
function sendExact(res: Response, status: number, body: unknown): undefined {
  res.status(status).type('json').send(JSON.stringify(body));
  return undefined;
}

export function stationOcppRoutes(context: ApiContext): Route[] {
  const answer = (res: Response, stationId: string, outcome: RemoteActionOutcome, by: string): undefined => {
    const view = stationOr404(context, stationId);
    context.logger.info('remote action sent to a station through the operator API', {
      stationId,
      action: outcome.action,
      outcome: outcome.kind,
      ...(outcome.kind === 'error' && { code: outcome.code }),
      by,
    });
    const protocol = view.record.protocol ?? '2.0.1';
    switch (outcome.kind) {
      case 'result':
        return sendExact(res, 200, { stationId, protocol, action: outcome.action, response: outcome.response } satisfies StationAnswer);
      case 'error':
        throw new ProblemError(
          502,
          'Bad Gateway',
          `station ${stationId} answered ${outcome.action} with CALLERROR ${outcome.code}${outcome.message ? `: ${outcome.message}` : ''}`,
        );
      case 'timeout':
        throw new ProblemError(
          504,
          'Gateway Timeout',
          `station ${stationId} did not answer ${outcome.action} in time (ocpp.callTimeoutMs)`,
        );
      case 'offline':
        throw new ConflictProblem(`station ${stationId} is not connected (or not booted yet): ${outcome.action} not sent`);
      case 'backed-off': {
        const retryS = Math.max(1, Math.ceil((outcome.untilMs - context.nowMs()) / 1000));
        throw new ProblemError(
          503,
          'Service Unavailable',
          `station ${stationId} is unresponsive (calls timed out in a row): ${outcome.action} not sent; commands resume at ${new Date(outcome.untilMs).toISOString()}`,
          'about:blank',
          undefined,
          { 'Retry-After': String(retryS) },
        );
      }
      case 'refused':
        throw new ConflictProblem(outcome.reason);
      case 'invalid':
        throw new ValidationProblem(
          `${outcome.action} does not match the OCPP ${protocol} schema`,
          outcome.errors.map((e) => ({ path: e.path ? `payload.${e.path}` : 'payload', message: e.message })),
        );
    }
  };

  return [
    defineRoute({
      method: 'get',
      path: '/stations/:id/trace',
      tag: 'stations',
      summary: "The station's last OCPP frames, both directions (and the CSMS leg in Local Controller mode), secrets redacted",
      description:
        'Every station keeps its last `ocpp.trace.frames` frames (default 20); a traced one (PUT …/trace) keeps more and streams ' +
        'each as `station.frame` on /events. `?format=ndjson` answers one frame per line as a download.',
      role: 'read',
      params: StationIdParams,
      query: TraceQuery,
      body: none,
      responses: [
        { status: 200, description: 'the trace', schema: StationTrace },
        { status: 200, description: 'the trace as NDJSON (format=ndjson)', contentType: 'application/x-ndjson' },
      ],
      handler: ({ params, query, res }) => {
        stationOr404(context, params.id);
        const trace = context.backend.trace(params.id);
        if (!trace) throw new NotFoundProblem(`no station "${params.id}"`);
        if (query.format === 'ndjson') {
          const stamp = new Date(context.nowMs()).toISOString().replace(/[:.]/g, '-');
          res
            .status(200)
            .type('application/x-ndjson')
            .setHeader('Content-Disposition', `attachment; filename="trace-${params.id.replace(/[^\w.-]/g, '_')}-${stamp}.ndjson"`);
          res.send(trace.frames.map((frame) => `${JSON.stringify({ stationId: params.id, ...frame })}\n`).join(''));
          return undefined;
        }
        const { enabled, capacity } = trace.state;
        return sendExact(res, 200, { stationId: params.id, enabled, capacity, frames: [...trace.frames] } satisfies StationTrace);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/stations/:id/trace',
      tag: 'stations',
      summary: "Switch the station's trace on (a ring of `capacity` frames, live station.frame events) or off",
      description:
        'Off, the station keeps the fleet-wide small ring (`ocpp.trace.frames`). The setting lasts until the agent restarts. ' +
        'Frames already kept stay (the newest, as many as fit).',
      role: 'admin',
      params: StationIdParams,
      query: none,
      body: TraceSettingsBody,
      responses: [{ status: 200, description: 'the trace settings now', schema: TraceSettingsView }],
      handler: ({ params, body, principal }) => {
        stationOr404(context, params.id);
        const state = context.backend.setTrace(params.id, body.enabled, body.capacity);
        if (!state) throw new NotFoundProblem(`no station "${params.id}"`);
        context.logger.info('station trace switched through the operator API', {
          stationId: params.id,
          enabled: state.enabled,
          capacity: state.capacity,
          by: principal.name,
        });
        return { status: 200, body: { stationId: params.id, ...state } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/stations/:id/actions',
      tag: 'stations',
      summary:
        'Send the station a remote action (Reset, TriggerMessage, ChangeAvailability, UnlockConnector, Get/SetVariables, ' +
        'Get/ChangeConfiguration, GetBaseReport, GetChargingProfiles, GetCompositeSchedule, ClearChargingProfile)',
      description:
        "One shape for both versions, sent in the station's (Reset Hard/Soft ⇄ Immediate/OnIdle, evseId ⇄ connectorId). " +
        "Get/SetVariables are split by the station's DeviceDataCtrlr.ItemsPerMessage. ClearChargingProfile never reaches " +
        "flexbridge's own standing or leased limits: their ids are refused, and a clear by criteria must name purpose and stack " +
        "level. Queued with core's commands to the station; answers the station's response. 409: not connected or refused; " +
        '502: CALLERROR; 503: the station is backing off; 504: no answer in time.',
      role: 'admin',
      params: StationIdParams,
      query: none,
      body: RemoteActionBody,
      responses: [{ status: 200, description: "the station's answer", schema: StationAnswer }],
      handler: async ({ params, body, principal, res }) => {
        stationOr404(context, params.id);
        return answer(res, params.id, await context.backend.remoteAction(params.id, body), principal.name);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/stations/:id/ocpp',
      tag: 'stations',
      summary: 'Send the station any CSMS → station action, the payload checked against the OCPP JSON schema of its version',
      description:
        "SetChargingProfile and ClearChargingProfile that would replace or remove flexbridge's own limits are refused (409). " +
        'The payload is never logged (it may carry a password); the audit line names the action and the credential.',
      role: 'admin',
      params: StationIdParams,
      query: none,
      body: RawCallBody,
      responses: [{ status: 200, description: "the station's answer", schema: StationAnswer }],
      handler: async ({ params, body, principal, res }) => {
        stationOr404(context, params.id);
        return answer(res, params.id, await context.backend.rawCall(params.id, body.action, body.payload), principal.name);
      },
    }),
  ];
}

// CSMS → station in Local Controller mode: every CSMS CALL goes through the station's one command queue (never
// coalesced, never two outstanding), guarded so no CSMS profile lifts the grid limit or clears flexbridge's own.
import { RPCError, TimeoutError } from 'ocpp-rpc';
import { z } from 'zod';
import type { KeyValueRepository } from '../../core/ports';
import type { UpstreamConfig } from '../../config/schema';
import type { Logger } from '../../observability/log';
import type { Metrics } from '../../observability/metrics';
import type { StationConnection } from '../inbound-action';
import type { CsmsProfileGuard, Interception } from './csms-profiles';
import { clearAs201, clearById16, setAs201, setBack16 } from './csms-profiles-v16';
import type { UpstreamAnswer } from './upstream-link';

/** What every station's CSMS calls share (the relay's deps). */
export interface CsmsCallsDeps {
  readonly config: UpstreamConfig;
  readonly kv: KeyValueRepository;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly stationCallTimeoutMs: number;
  /** A new station password the station accepted (SetVariables SecurityCtrlr.BasicAuthPassword): hashed and kept. */
  readonly stationPasswordChanged: (station: StationConnection, password: string) => void;
}

/** The component/variable pair both SetVariables messages name each entry by. */
const Named = z.object({ name: z.string() }).loose();
const Entry = z.object({ component: Named, variable: Named }).loose();
const SetVariables = z.object({ setVariableData: z.array(Entry.extend({ attributeValue: z.string() })) }).loose();
const SetVariablesResult = z.object({ setVariableResult: z.array(Entry.extend({ attributeStatus: z.string() })) }).loose();

export class CsmsCalls {
  private callCounter = 0;

  /** @param key prefix of this station's keys in the key/value store. */
  constructor(
    private readonly deps: CsmsCallsDeps,
    private readonly station: StationConnection,
    private readonly guard: CsmsProfileGuard,
    private readonly key: string,
  ) {}

  /** A CALL from the CSMS: guarded, then through the station's one command queue (never coalesced, never two at once). */
  async handle(action: string, payload: unknown): Promise<UpstreamAnswer> {
    this.deps.metrics?.relayedMessages.inc({ direction: 'csms-to-station', result: 'relayed' });
    const v16 = this.station.runtime.protocol === '1.6';
    const interception = this.intercept(action, payload, v16);
    switch (interception.kind) {
      case 'answer':
        return { kind: 'result', payload: interception.payload };
      case 'refuse': {
        // The CSMS leg is relayed raw: the code is spelled for its version here.
        const code = v16 && interception.code === 'FormatViolation' ? 'FormationViolation' : interception.code;
        return { kind: 'error', code, description: interception.description, details: {} };
      }
      case 'clear-each': {
        const cleared: number[] = [];
        for (const id of interception.ids) {
          const answer = await this.callStation('ClearChargingProfile', v16 ? clearById16(id) : { chargingProfileId: id });
          if (answer.kind === 'result' && statusOf(answer.payload) === 'Accepted') cleared.push(id);
        }
        this.guard.forget(cleared);
        return { kind: 'result', payload: { status: cleared.length > 0 ? 'Accepted' : 'Unknown' } };
      }
      case 'forward': {
        const answer = await this.callStation(action, interception.payload);
        if (answer.kind === 'result' && statusOf(answer.payload) === 'Accepted') interception.accepted?.();
        if (action === 'SetVariables' && answer.kind === 'result') this.passwordChanged(interception.payload, answer.payload);
        if (action === 'ChangeConfiguration' && answer.kind === 'result')
          this.authorizationKeyChanged(interception.payload, answer.payload);
        return answer;
      }
    }
  }

  /** The guard's decision; a 1.6 call is read as the guard reads 2.0.1 and its decision put back in 1.6 terms. */
  private intercept(action: string, payload: unknown, v16: boolean): Interception {
    const { guard } = this;
    if (action === 'SetChargingProfile')
      return v16 ? setBack16(payload, guard.setChargingProfile(setAs201(payload))) : guard.setChargingProfile(payload);
    if (action === 'ClearChargingProfile') {
      const interception = guard.clearChargingProfile(v16 ? clearAs201(payload) : payload);
      return v16 && interception.kind === 'forward' ? { ...interception, payload } : interception;
    }
    if (action === 'RemoteStartTransaction' || action === 'RequestStartTransaction') return guard.remoteStart(payload);
    return { kind: 'forward', payload };
  }

  private async callStation(action: string, payload: unknown): Promise<UpstreamAnswer> {
    const { runtime, client } = this.station;
    const closed: UpstreamAnswer = { kind: 'closed' };
    return runtime.queue.enqueue(
      `csms:${this.callCounter++}`,
      async (): Promise<UpstreamAnswer> => {
        if (runtime.client !== client) return closed;
        try {
          const result: unknown = await client.call(action, payload, { callTimeoutMs: this.deps.stationCallTimeoutMs });
          return { kind: 'result', payload: result };
        } catch (error) {
          if (error instanceof TimeoutError) return { kind: 'timeout' };
          if (error instanceof RPCError)
            return {
              kind: 'error',
              code: error.rpcErrorCode,
              description: error.rpcErrorMessage || error.message,
              details: detailsOf(error),
            };
          return closed;
        }
      },
      { superseded: closed, closed, failed: closed },
    );
  }

  /** OCPP 1.6 rotation (SW16 A01): a ChangeConfiguration(AuthorizationKey) the station accepted, as SetVariables above. */
  private authorizationKeyChanged(request: unknown, response: unknown): void {
    const set = ChangeConfiguration.safeParse(request);
    if (!set.success || set.data.key !== 'AuthorizationKey' || statusOf(response) !== 'Accepted') return;
    this.keyAccepted(set.data.value);
  }

  /**
   * A BasicAuthPassword the station accepted: the station's own password toward flexbridge from now on, and with
   * stored credentials the one flexbridge presents upstream.
   */
  private passwordChanged(request: unknown, response: unknown): void {
    const set = SetVariables.safeParse(request);
    const result = SetVariablesResult.safeParse(response);
    if (!set.success || !result.success) return;
    const isPassword = (c: { name: string }, v: { name: string }): boolean => c.name === 'SecurityCtrlr' && v.name === 'BasicAuthPassword';
    const asked = set.data.setVariableData.find((d) => isPassword(d.component, d.variable));
    const accepted = result.data.setVariableResult.find((r) => isPassword(r.component, r.variable) && r.attributeStatus === 'Accepted');
    if (!asked || !accepted) return;
    this.keyAccepted(asked.attributeValue);
  }

  private keyAccepted(password: string): void {
    // The station uses the new password toward flexbridge from its next connection: flexbridge's hash follows.
    this.deps.stationPasswordChanged(this.station, password);
    if (this.deps.config.credentials === 'stored') this.deps.kv.set(`${this.key}:password`, password);
    this.deps.logger.info('station password changed by the CSMS; used from the next connection', {
      stationId: this.station.runtime.record.stationId,
      upstreamCredentials: this.deps.config.credentials,
    });
  }
}

const ChangeConfiguration = z.object({ key: z.string(), value: z.string() }).loose();

/** ocpp-rpc keeps a CALLERROR's details on the error object without typing them. */
function detailsOf(error: RPCError): unknown {
  const details: unknown = Reflect.get(error, 'details');
  return details ?? {};
}

function statusOf(payload: unknown): string | undefined {
  return isObject(payload) && typeof payload.status === 'string' ? payload.status : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

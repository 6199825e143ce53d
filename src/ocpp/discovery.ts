// Reading what a station can do, for either OCPP version: its smart-charging limits (2.0.1 GetVariables of the
// SmartChargingCtrlr, 1.6 GetConfiguration), and the TriggerMessages that rebuild its state after a connect or boot.
import type { z } from 'zod';
import { DEFAULT_SMART_CHARGING_LIMITS, type SmartChargingLimits } from '../domain/station';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { callStation, type CallResult } from './station-call';
import type { StationRuntime } from './station-registry';
import { CONFIGURATION_DISCOVERY } from './v16/discovery';
import { SMART_CHARGING_CTRLR_DISCOVERY } from './v201/discovery';

export interface DiscoveryDeps {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly timeoutMs: number;
}

/** What reading a station's limits found; the boot gate saves it and acts on it. */
export type DiscoveryOutcome =
  /** Offline, timed out or backed off: try again at the next connect or boot. */
  | { readonly kind: 'not-read'; readonly why: string }
  /** The limits (conservative defaults where the station did not answer usefully). */
  | {
      readonly kind: 'read';
      readonly limits: SmartChargingLimits;
      readonly smartChargingAvailable: boolean;
      /** OCPP 1.6 NumberOfConnectors, when the station said. */
      readonly connectorCount?: number;
    };

/** A station state message, in 2.0.1's words; the 1.6 discovery asks for its counterpart (MeterValues). */
export type StateMessage = 'BootNotification' | 'StatusNotification' | 'TransactionEvent';

/** What a read that never ran (station gone, queue closed) found: nothing. */
export const NOT_READ = {
  superseded: { kind: 'not-read', why: 'superseded' },
  closed: { kind: 'not-read', why: 'offline' },
  failed: { kind: 'not-read', why: 'failed' },
} as const satisfies Record<string, DiscoveryOutcome>;

/** One version's reading: the call, its answer's schema, what a readable answer says, and its trigger request. */
export interface VersionDiscovery<T = unknown> {
  readonly action: string;
  request(): object;
  readonly response: z.ZodType<T>;
  /** The limits in a readable answer, and what to log of it. */
  found(runtime: StationRuntime, response: T): { outcome: Extract<DiscoveryOutcome, { kind: 'read' }>; logged: Record<string, unknown> };
  /** The TriggerMessage payload asking for `message` (or its counterpart in this version). */
  trigger(message: StateMessage): { requestedMessage: string };
}

/** Reads and refreshes stations in the version of their connection; one read at a time per station. */
export class StationDiscovery {
  private readonly running = new WeakMap<StationRuntime, Promise<DiscoveryOutcome>>();
  private readonly versions: Readonly<Record<StationRuntime['protocol'], VersionDiscovery>> = {
    '2.0.1': SMART_CHARGING_CTRLR_DISCOVERY as VersionDiscovery,
    '1.6': CONFIGURATION_DISCOVERY as VersionDiscovery,
  };

  constructor(private readonly deps: DiscoveryDeps) {}

  /** Reads the station's limits; `apply` runs with what was found before the next command of the station is built. */
  discover(runtime: StationRuntime, apply: (outcome: DiscoveryOutcome) => void): Promise<DiscoveryOutcome> {
    const inFlight = this.running.get(runtime);
    if (inFlight) return inFlight;
    const version = this.versions[runtime.protocol];
    const work = runtime.queue
      .enqueue(
        'discovery',
        async () => {
          const result = await callStation(runtime, version.action, version.request(), this.callOptions());
          const outcome = this.interpret(runtime, version, result);
          apply(outcome);
          return outcome;
        },
        NOT_READ,
      )
      .finally(() => this.running.delete(runtime));
    this.running.set(runtime, work);
    return work;
  }

  /** Asks the station to send `requestedMessage` now (a Pending boot at its bound; state refresh after a connect). */
  async trigger(runtime: StationRuntime, requested: StateMessage): Promise<void> {
    const request = this.versions[runtime.protocol].trigger(requested);
    const result = await runtime.queue.enqueue(
      `trigger:${request.requestedMessage}`,
      () => callStation(runtime, 'TriggerMessage', request, this.callOptions()),
      { superseded: { kind: 'offline' }, closed: { kind: 'offline' }, failed: { kind: 'offline' } },
    );
    if (result.kind !== 'result') {
      this.deps.logger.debug('TriggerMessage not answered', {
        stationId: runtime.record.stationId,
        requestedMessage: request.requestedMessage,
        outcome: result.kind,
      });
    }
  }

  private callOptions(): { timeoutMs: number; metrics?: Metrics } {
    return { timeoutMs: this.deps.timeoutMs, ...(this.deps.metrics && { metrics: this.deps.metrics }) };
  }

  /** Unreachable: not read (try again later); unreadable: conservative limits; else what the version reads. */
  private interpret(runtime: StationRuntime, version: VersionDiscovery, result: CallResult): DiscoveryOutcome {
    const { stationId } = runtime.record;
    const log = this.deps.logger;
    if (result.kind === 'offline' || result.kind === 'timeout' || result.kind === 'backed-off') {
      log.warn('smart-charging limits not read; will retry on the next connect or boot', { stationId, outcome: result.kind });
      return { kind: 'not-read', why: result.kind };
    }
    const parsed = result.kind === 'result' ? version.response.safeParse(result.payload) : undefined;
    if (!parsed?.success) {
      log.warn(`${version.action} not answered usefully; assuming conservative smart-charging limits`, {
        stationId,
        outcome: result.kind === 'error' ? result.code : 'unreadable response',
      });
      return { kind: 'read', limits: runtime.record.smartCharging ?? DEFAULT_SMART_CHARGING_LIMITS, smartChargingAvailable: true };
    }
    const { outcome, logged } = version.found(runtime, parsed.data);
    log.info('smart-charging limits', { stationId, ...logged });
    return outcome;
  }
}

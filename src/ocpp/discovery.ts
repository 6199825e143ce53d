// Reading what a station can do, for either OCPP version: its smart-charging limits (2.0.1 GetVariables of the
// SmartChargingCtrlr, 1.6 GetConfiguration), and the TriggerMessages that rebuild its state after a connect or boot.
import type { SmartChargingLimits } from '../domain/station';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { StationRuntime } from './station-registry';
import { ConfigurationDiscovery } from './v16/discovery';
import { SmartChargingCtrlrDiscovery } from './v201/discovery';

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

/** One version's calls. */
export interface VersionDiscovery {
  read(runtime: StationRuntime, apply: (outcome: DiscoveryOutcome) => void): Promise<DiscoveryOutcome>;
  trigger(runtime: StationRuntime, requestedMessage: StateMessage): Promise<void>;
}

/** Reads and refreshes stations in the version of their connection; one read at a time per station. */
export class StationDiscovery {
  private readonly running = new WeakMap<StationRuntime, Promise<DiscoveryOutcome>>();
  private readonly versions: Readonly<Record<StationRuntime['protocol'], VersionDiscovery>>;

  constructor(deps: DiscoveryDeps) {
    this.versions = { '2.0.1': new SmartChargingCtrlrDiscovery(deps), '1.6': new ConfigurationDiscovery(deps) };
  }

  /** Reads the station's limits; `apply` runs with what was found before the next command of the station is built. */
  discover(runtime: StationRuntime, apply: (outcome: DiscoveryOutcome) => void): Promise<DiscoveryOutcome> {
    const inFlight = this.running.get(runtime);
    if (inFlight) return inFlight;
    const work = this.versions[runtime.protocol].read(runtime, apply).finally(() => this.running.delete(runtime));
    this.running.set(runtime, work);
    return work;
  }

  /** Asks the station to send `requestedMessage` now (a Pending boot at its bound; state refresh after a connect). */
  trigger(runtime: StationRuntime, requestedMessage: StateMessage): Promise<void> {
    return this.versions[runtime.protocol].trigger(runtime, requestedMessage);
  }
}

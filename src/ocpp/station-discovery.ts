// What the CSMS does after a station connects or boots (OCPP digest §1.4, §3.1, §4): read its SmartChargingCtrlr
// limits, accept a Pending boot once they are known, and ask for status and transactions to rebuild its state.
import { DEFAULT_SMART_CHARGING_LIMITS } from '../domain/station';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { StationRecord } from '../store/store';
import { readSmartCharging, smartChargingRequest } from './discovery';
import { GetVariablesResponse } from './payloads';
import { callStation } from './station-call';
import type { StationRuntime } from './station-registry';

export interface StationDiscoveryDeps {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly timeoutMs: number;
  readonly save: (record: StationRecord) => void;
  readonly markUncontrollable: (runtime: StationRuntime, reason: string) => void;
}

export class StationDiscovery {
  private readonly running = new WeakMap<StationRuntime, Promise<void>>();

  constructor(private readonly deps: StationDiscoveryDeps) {}

  /** GetVariables(SmartChargingCtrlr); one at a time per station. A station without the component gets defaults. */
  discover(runtime: StationRuntime): Promise<void> {
    const inFlight = this.running.get(runtime);
    if (inFlight) return inFlight;
    const work = this.read(runtime).finally(() => this.running.delete(runtime));
    this.running.set(runtime, work);
    return work;
  }

  private async read(runtime: StationRuntime): Promise<void> {
    const log = this.deps.logger.child({ stationId: runtime.record.stationId });
    const result = await runtime.queue.enqueue(
      'discovery',
      () => callStation(runtime, 'GetVariables', smartChargingRequest(), { timeoutMs: this.deps.timeoutMs, metrics: this.deps.metrics }),
      { superseded: { kind: 'offline' }, closed: { kind: 'offline' }, failed: { kind: 'offline' } },
    );
    if (result.kind === 'offline' || result.kind === 'timeout' || result.kind === 'backed-off') {
      log.warn('smart-charging limits not read; will retry on the next connect or boot', { outcome: result.kind });
      return;
    }
    const parsed = result.kind === 'result' ? GetVariablesResponse.safeParse(result.payload) : undefined;
    if (!parsed?.success) {
      log.warn('GetVariables not answered usefully; assuming conservative smart-charging limits', {
        outcome: result.kind === 'error' ? result.code : 'unreadable response',
      });
      this.deps.save({ ...runtime.record, smartCharging: runtime.record.smartCharging ?? DEFAULT_SMART_CHARGING_LIMITS });
      return;
    }
    const found = readSmartCharging(parsed.data);
    const smartCharging = {
      ...found.limits,
      ...(runtime.record.smartCharging?.maxProfiles !== undefined && { maxProfiles: runtime.record.smartCharging.maxProfiles }),
    };
    this.deps.save({ ...runtime.record, smartCharging });
    log.info('smart-charging limits', { ...smartCharging });
    if (!found.smartChargingAvailable) this.deps.markUncontrollable(runtime, 'SmartChargingCtrlr is not available or not enabled');
  }

  /** A Pending boot whose limits are now known: ask the station to boot again, and it is Accepted (TC_B_31). */
  async triggerBoot(runtime: StationRuntime): Promise<void> {
    if (runtime.bootStatus !== 'Pending') return;
    await this.trigger(runtime, 'BootNotification');
  }

  /**
   * Every connection once calls are allowed (after its boot, or its first message if it did not boot): refresh the
   * limits, then have the station repeat its connector states and transactions.
   */
  async afterConnect(runtime: StationRuntime): Promise<void> {
    await this.discover(runtime);
    if (runtime.bootStatus === 'Pending') return;
    await this.trigger(runtime, 'StatusNotification');
    if (runtime.transactionByEvse.size > 0) await this.trigger(runtime, 'TransactionEvent');
  }

  private async trigger(runtime: StationRuntime, requestedMessage: string): Promise<void> {
    const result = await runtime.queue.enqueue(
      `trigger:${requestedMessage}`,
      () => callStation(runtime, 'TriggerMessage', { requestedMessage }, { timeoutMs: this.deps.timeoutMs, metrics: this.deps.metrics }),
      { superseded: { kind: 'offline' }, closed: { kind: 'offline' }, failed: { kind: 'offline' } },
    );
    if (result.kind !== 'result') {
      this.deps.logger.debug('TriggerMessage not answered', {
        stationId: runtime.record.stationId,
        requestedMessage,
        outcome: result.kind,
      });
    }
  }
}

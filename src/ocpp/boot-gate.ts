// The boot gate (DESIGN invariant 2, B01/B02): a station is Accepted only once it carries its standing limits, is
// sent nothing before its boot (or first message), and is let in anyway — counted at its maximum — after a bound.
import type { Scheduler } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { StationInbound } from '../core/ports';
import type { StationProvisioning } from './provisioning';
import { toFleetStation, type StationRuntime } from './station-registry';
import type { StationConnection } from './inbound-action';
import type { DiscoveryOutcome, StationDiscovery } from './discovery';

export interface BootGateDeps {
  /** Longest a station stays Pending (`ocpp.bootPendingMaxS`), ms. */
  readonly pendingMaxMs: number;
  readonly scheduler: Scheduler;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly inbound: StationInbound;
  readonly discovery: StationDiscovery;
  readonly provisioning: StationProvisioning;
  /** The station's smart-charging limits were read (Local Controller mode re-sends flexbridge's profiles at its levels). */
  readonly limitsRead?: (runtime: StationRuntime) => void;
}

const READING_LIMITS = {
  '2.0.1': 'reading its smart-charging limits (GetVariables SmartChargingCtrlr)',
  '1.6': 'reading its smart-charging limits (GetConfiguration)',
} as const;
const INSTALLING_STANDING = {
  '2.0.1': 'installing its standing limits (SetChargingProfile ChargingStationMaxProfile and TxDefaultProfile)',
  '1.6': 'installing its standing limits (SetChargingProfile ChargePointMaxProfile and TxDefaultProfile)',
} as const;

export class BootGate {
  constructor(private readonly deps: BootGateDeps) {}

  /**
   * BootNotification: Pending until the SmartChargingCtrlr is read and the standing profiles are acknowledged; a
   * station that cannot take profiles is let in at once, and one still not ready `pendingMaxMs` after its first
   * Pending answer is let in anyway and counted at its maximum. The calls it allows go out after the response.
   */
  boot(station: StationConnection): 'Pending' | 'Accepted' {
    const status = this.decide(station.runtime);
    this.answered(station, status);
    return status;
  }

  /**
   * A boot answered (by the gate, or in Local Controller mode by the CSMS): once the response has gone out the
   * station may take calls (B01), core re-profiles it (its profiles may be gone; once per connection), and a
   * Pending station is read (B02 allows GetVariables). A Rejected station gets nothing (B03).
   */
  answered(station: StationConnection, status: 'Pending' | 'Accepted' | 'Rejected'): void {
    const { runtime } = station;
    if (status === 'Rejected') {
      runtime.bootStatus = 'none';
      return;
    }
    runtime.bootStatus = status;
    setImmediate(() => {
      this.allowCalls(station);
      if (!runtime.bootNotified) {
        runtime.bootNotified = true;
        this.deps.inbound.onStationBooted(runtime.record.stationId);
      }
      if (status === 'Pending' && !runtime.record.smartCharging) void this.discover(runtime).then(() => this.acceptWhenReady(runtime));
      else if (status === 'Accepted') void this.refresh(runtime);
    });
  }

  /** The first message of a station that did not boot on this connection: it is Accepted on its side. */
  spoke(station: StationConnection): void {
    if (this.allowCalls(station)) setImmediate(() => void this.refresh(station.runtime));
  }

  /** A Pending station whose standing limits are now in (or that cannot take any): ask it to boot again (TC_B_31). */
  acceptWhenReady(runtime: StationRuntime): void {
    if (runtime.bootStatus !== 'Pending' || runtime.record.smartCharging === undefined) return;
    if (runtime.standingInstalled || !runtime.record.controllable) void this.deps.discovery.trigger(runtime, 'BootNotification');
  }

  /** The station refused or ignored profiles: counted at its maximum, and no longer kept Pending for them. */
  uncontrollable(runtime: StationRuntime, reason: string): void {
    if (this.deps.provisioning.markUncontrollable(runtime, reason)) this.acceptWhenReady(runtime);
  }

  private decide(runtime: StationRuntime): 'Pending' | 'Accepted' {
    const { record } = runtime;
    const { logger, scheduler, pendingMaxMs } = this.deps;
    const ready = record.smartCharging !== undefined && (runtime.standingInstalled || !record.controllable);
    const now = this.deps.nowMs();
    const pendingForMs = runtime.pendingSinceMs === undefined ? 0 : now - runtime.pendingSinceMs;
    if (ready || pendingForMs >= pendingMaxMs) {
      if (!ready) {
        logger.warn('station let in without its standing limit; counted at its maximum', {
          stationId: record.stationId,
          pendingS: Math.round(pendingForMs / 1000),
          reason: runtime.pendingReason,
        });
      }
      runtime.pendingSinceMs = undefined;
      runtime.pendingReason = undefined;
      scheduler.cancel(`boot-pending:${record.stationId}`);
      return 'Accepted';
    }
    if (runtime.pendingSinceMs === undefined) {
      runtime.pendingSinceMs = now;
      // Firmware that backs off exponentially may not boot again for minutes: ask it to, once the bound is reached.
      scheduler.schedule(`boot-pending:${record.stationId}`, now + pendingMaxMs, () => {
        if (runtime.bootStatus === 'Pending') void this.deps.discovery.trigger(runtime, 'BootNotification');
      });
    }
    const reason = (record.smartCharging === undefined ? READING_LIMITS : INSTALLING_STANDING)[runtime.protocol];
    if (reason !== runtime.pendingReason) {
      logger.info('station Pending', { stationId: record.stationId, reason, boundS: Math.round(pendingMaxMs / 1000) });
      runtime.pendingReason = reason;
    }
    return 'Pending';
  }

  /** CSMS-initiated calls may go to this connection from now on; core hears of the connection only now. */
  private allowCalls({ runtime, client }: StationConnection): boolean {
    if (runtime.client !== client || runtime.callsAllowed) return false;
    runtime.callsAllowed = true;
    if (!runtime.announced) {
      runtime.announced = true;
      this.deps.inbound.onStationConnection(runtime.record.stationId, true);
    }
    this.deps.inbound.onStationUpdated(toFleetStation(runtime));
    return true;
  }

  /** Reads the limits and applies what was found: saved, and a station without smart charging is uncontrollable. */
  private async discover(runtime: StationRuntime): Promise<void> {
    await this.deps.discovery.discover(runtime, (outcome) => this.found(runtime, outcome));
  }

  /** Applied inside the read's command slot, so the standing limits queued behind it are built for these limits. */
  private found(runtime: StationRuntime, outcome: DiscoveryOutcome): void {
    if (outcome.kind === 'not-read') return;
    const before = runtime.record.smartCharging?.profileStackLevel;
    this.deps.provisioning.save({ ...runtime.record, smartCharging: outcome.limits });
    if (outcome.connectorCount !== undefined) this.deps.provisioning.evseSeen(runtime, outcome.connectorCount);
    if (runtime.bootStatus === 'Pending') runtime.pendingReason = INSTALLING_STANDING[runtime.protocol];
    if (before !== outcome.limits.profileStackLevel) this.deps.limitsRead?.(runtime);
    if (!outcome.smartChargingAvailable) {
      this.uncontrollable(
        runtime,
        runtime.protocol === '1.6'
          ? 'SupportedFeatureProfiles does not list SmartCharging'
          : 'SmartChargingCtrlr is not available or not enabled',
      );
    }
  }

  /** Every connection once calls are allowed: refresh the limits, then its connector states and transactions (§1.4). */
  private async refresh(runtime: StationRuntime): Promise<void> {
    await this.discover(runtime);
    if (runtime.bootStatus === 'Pending') return;
    await this.deps.discovery.trigger(runtime, 'StatusNotification');
    if (runtime.transactionByEvse.size > 0) await this.deps.discovery.trigger(runtime, 'TransactionEvent');
  }
}

// One simulated OCPP 2.0.1 charging station on an ocpp-rpc RPCClient: boot, heartbeat, status, transactions,
// meter values, applying its charging profiles to the power drawn; driven by the fleet's single scheduler.
import { randomUUID } from 'node:crypto';
import { RPCError, TimeoutError, type RPCClient } from 'ocpp-rpc';
import { stationClient } from './rpc-client';
import { compositeAt, nextBoundaryAfter, type ActiveTransaction, type CompositeInput, type StationElectrical } from './composite';
import { evDemandA, type EvModel } from './ev';
import { addEnergy, applyComposite } from './evse-draw';
import { LimitLog } from './limit-log';
import { chargingNeedsPayload, evseReading, transactionEventPayload, type ChargingState, type EvseState } from './evse-messages';
import { isoAt, type EvseReading, type ReadingContext } from './meter-values';
import { ProfileStore, type InstallContext, type InstallResult, type SmartChargingLimits } from './profile-store';
import { BootNotificationResponse, type ChargingProfile } from './schemas';
import { recordStanding, standingLimitA, type StandingLogEntry } from './standing-log';
import { registerCsmsHandlers } from './station-handlers';
import type { ConnectionOptions, FailureMode, StationHost, StationStats } from './station-types';

export interface StationOptions {
  readonly identity: string;
  readonly evseCount: number;
  readonly electrical: Omit<StationElectrical, 'evseIds'>;
  readonly smartCharging: SmartChargingLimits;
  /** SampledDataCtrlr.TxUpdatedInterval, s. */
  readonly meterIntervalS: number;
  /** How often a charging EV's own demand (taper) is re-evaluated, s. */
  readonly evaluateIntervalS: number;
  readonly failure: FailureMode;
  readonly connection: ConnectionOptions;
  readonly logCapacity: number;
}

const OFFLINE_QUEUE_MAX = 200;

/** A TransactionEvent not delivered yet, with its place in the order the station created them. */
interface KeptEvent {
  readonly order: number;
  readonly event: Record<string, unknown>;
}

export class Station {
  readonly protocol = '2.0.1';
  readonly identity: string;
  readonly evses = new Map<number, EvseState>();
  readonly profiles = new ProfileStore();
  readonly stats: StationStats = { sent: 0, callErrors: 0, connects: 0, drops: 0, profilesAccepted: 0, profilesRejected: 0 };
  readonly client: RPCClient;
  heartbeatIntervalS = 300;
  meterIntervalS: number;
  connection: 'idle' | 'connecting' | 'open' | 'closed' = 'idle';
  bootStatus: 'none' | 'Pending' | 'Rejected' | 'Accepted' = 'none';
  /**
   * Change-only log of the station-wide limit that holds with no lease: the lowest non-expiring
   * ChargingStationMaxProfile on EVSE 0 (undefined: none installed). Lets a test add up standing limits over time.
   */
  readonly standingLog: StandingLogEntry[] = [];
  private readonly electrical: StationElectrical;
  private readonly offlineQueue: KeptEvent[] = [];
  /** Creation order of this station's TransactionEvents, so a replay keeps it. */
  private eventOrder = 0;
  private lastSettleMs: number | undefined;
  private reconnectAttempt = 0;
  private stopping = false;
  private due = {
    heartbeatMs: Infinity,
    meterMs: Infinity,
    bootMs: Infinity,
    reconnectMs: Infinity,
    compositeMs: Infinity,
    evaluateMs: Infinity,
  };

  constructor(
    readonly options: StationOptions,
    private readonly host: StationHost,
  ) {
    this.identity = options.identity;
    this.meterIntervalS = options.meterIntervalS;
    const evseIds = Array.from({ length: options.evseCount }, (_, i) => i + 1);
    this.electrical = { ...options.electrical, evseIds };
    for (const evseId of evseIds) {
      this.evses.set(evseId, {
        evseId,
        ev: undefined,
        transaction: undefined,
        energyWh: 0,
        offeredA: 0,
        offeredPhases: 0,
        drawnA: [0, 0, 0],
        log: new LimitLog(options.logCapacity),
      });
    }
    this.client = stationClient(options.identity, options.connection, 'ocpp2.0.1');
    this.client.on('close', () => this.onClosed());
    registerCsmsHandlers(this);
  }

  get smartCharging(): SmartChargingLimits {
    return this.options.smartCharging;
  }

  get failure(): FailureMode {
    return this.options.failure;
  }

  nowMs(): number {
    return this.host.nowMs();
  }

  /** The instant this station next needs the scheduler, or Infinity. */
  nextDueMs(): number {
    const d = this.due;
    return Math.min(d.heartbeatMs, d.meterMs, d.bootMs, d.reconnectMs, d.compositeMs, d.evaluateMs);
  }

  private reschedule(): void {
    this.host.wake(this, this.nextDueMs());
  }

  installContext(): InstallContext {
    const transactionIds = new Map<number, string>();
    for (const evse of this.evses.values()) if (evse.transaction) transactionIds.set(evse.evseId, evse.transaction.transactionId);
    return { evseIds: this.electrical.evseIds, transactionIds, limits: this.options.smartCharging };
  }

  compositeInput(): CompositeInput {
    const transactions = new Map<number, ActiveTransaction>();
    for (const evse of this.evses.values()) if (evse.transaction) transactions.set(evse.evseId, evse.transaction);
    return { profiles: this.profiles.scheduled(), electrical: this.electrical, transactions };
  }

  // ---- connection -------------------------------------------------------------------------------

  start(atMs: number): void {
    this.stopping = false;
    this.due.reconnectMs = atMs;
    this.reschedule();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.host.cancel(this);
    await this.client.close({ code: 1000, reason: 'simulator stopping' }).catch(() => undefined);
  }

  /** Simulate a lost connection: the socket dies, the station reconnects with back-off. */
  drop(): void {
    if (this.connection !== 'open') return;
    this.stats.drops++;
    this.connection = 'closed'; // from now on transaction events queue for the offline replay
    void this.client.close({ force: true }).catch(() => undefined);
  }

  private onClosed(): void {
    this.connection = 'closed';
    if (this.stopping) return;
    // Back-off as OCPPCommCtrlr.RetryBackOff*: minimum × 2^attempt (capped) + random range.
    const { minS, randomS, repeatTimes } = this.options.connection.backoff;
    const waitS = minS * 2 ** Math.min(this.reconnectAttempt, repeatTimes) + this.host.random() * randomS;
    this.reconnectAttempt++;
    this.due.reconnectMs = this.nowMs() + waitS * 1000;
    this.reschedule();
  }

  private async connectNow(): Promise<void> {
    this.connection = 'connecting';
    try {
      await this.client.connect();
    } catch {
      return; // 'close' follows and schedules the retry
    }
    this.connection = 'open';
    this.stats.connects++;
    this.reconnectAttempt = 0;
    // Part 4 §5.3: no new BootNotification on reconnect once accepted.
    if (this.bootStatus === 'Accepted') this.afterAccepted(this.nowMs(), false);
    else this.bootNotification();
  }

  /** BootNotification (also on TriggerMessage); Pending/Rejected retry after `interval`. */
  bootNotification(reason: 'PowerUp' | 'Triggered' = 'PowerUp'): void {
    this.due.bootMs = Infinity;
    void this.call(
      'BootNotification',
      { reason, chargingStation: { model: 'FlexSim AC', vendorName: 'flexbridge', serialNumber: this.identity.slice(0, 25) } },
      true,
    ).then((response) => {
      const parsed = BootNotificationResponse.safeParse(response);
      if (!parsed.success) {
        this.due.bootMs = this.nowMs() + 30_000;
        this.reschedule();
        return;
      }
      this.bootStatus = parsed.data.status;
      if (parsed.data.status === 'Accepted') {
        if (parsed.data.interval > 0) this.heartbeatIntervalS = parsed.data.interval;
        this.afterAccepted(this.nowMs(), true);
      } else {
        this.due.bootMs = this.nowMs() + Math.max(parsed.data.interval, 1) * 1000;
      }
      this.reschedule();
    });
  }

  private afterAccepted(atMs: number, booted: boolean): void {
    this.due.heartbeatMs = atMs + this.heartbeatIntervalS * 1000;
    for (const evse of this.evses.values()) this.sendStatus(evse, atMs);
    const queued = this.offlineQueue.splice(0);
    for (const event of queued) this.sendOrKeep(event);
    if (booted) this.settle(atMs);
    this.reschedule();
  }

  /** Send a CALL now (ocpp-rpc queues it behind earlier ones: per-connection order is kept); failures are counted, never thrown. */
  call(action: string, payload: Record<string, unknown>, beforeAccepted = false): Promise<unknown> {
    if (this.connection !== 'open' || (!beforeAccepted && this.bootStatus !== 'Accepted')) return Promise.resolve(undefined);
    this.stats.sent++;
    return this.client.call(action, payload).catch((error: unknown) => {
      this.stats.callErrors++;
      this.host.onCallError(this, action, error);
      return undefined;
    });
  }

  // ---- scheduled work ---------------------------------------------------------------------------

  /** Called by the fleet scheduler at the instant this station asked for. */
  onDue(dueMs: number): void {
    // Never step back behind work already done at `now` (an inbound profile settles immediately).
    const atMs = Math.max(dueMs, this.lastSettleMs ?? dueMs);
    const d = this.due;
    if (d.reconnectMs <= atMs) {
      d.reconnectMs = Infinity;
      void this.connectNow();
    }
    if (d.bootMs <= atMs) {
      if (this.connection === 'open') this.bootNotification();
      else d.bootMs = Infinity; // the next connect boots anyway
    }
    if (d.compositeMs <= atMs || d.evaluateMs <= atMs) this.settle(atMs);
    if (d.meterMs <= atMs) {
      this.settle(atMs);
      for (const evse of this.evses.values())
        if (evse.transaction) this.sendTransactionEvent(evse, atMs, 'Updated', 'MeterValuePeriodic', 'Sample.Periodic');
      d.meterMs = this.anyTransaction() ? atMs + this.meterIntervalS * 1000 : Infinity;
    }
    if (d.heartbeatMs <= atMs) {
      void this.call('Heartbeat', {});
      d.heartbeatMs = atMs + this.heartbeatIntervalS * 1000;
    }
    this.reschedule();
  }

  private anyTransaction(): boolean {
    for (const evse of this.evses.values()) if (evse.transaction) return true;
    return false;
  }

  /**
   * Bring the electrical state to `atMs`: add the energy drawn since the last settle, then re-apply the
   * composite schedule, share the station cap, let each EV draw, log changes and tell the CSMS about them.
   */
  settle(atMs: number): void {
    const fromMs = this.lastSettleMs ?? atMs;
    const elapsedH = Math.max(0, atMs - fromMs) / 3_600_000;
    addEnergy(this.evses.values(), this.electrical.voltageV, elapsedH);
    this.lastSettleMs = atMs;
    const input = this.compositeInput();
    const composite = compositeAt(input, atMs);
    const draws = applyComposite([...this.evses.values()], composite, this.electrical.supplyPhases, atMs);
    let charging = false;
    for (const { evse, drawA, rateChanged } of draws) {
      if (drawA > 0) charging = true;
      if (evse.transaction && evse.ev) this.reportChargingState(evse, atMs, drawA, rateChanged);
    }
    this.due.compositeMs = nextBoundaryAfter(input, atMs) ?? Infinity;
    this.due.evaluateMs = charging ? atMs + this.options.evaluateIntervalS * 1000 : Infinity;
    this.reschedule();
  }

  private reportChargingState(evse: EvseState, atMs: number, drawA: number, rateChanged: boolean): void {
    const { transaction, ev } = evse;
    if (!transaction || !ev) return;
    const state: ChargingState = drawA > 0 ? 'Charging' : evDemandA(ev) === 0 ? 'SuspendedEV' : 'SuspendedEVSE';
    if (state !== transaction.chargingState) {
      transaction.chargingState = state;
      this.sendTransactionEvent(evse, atMs, 'Updated', 'ChargingStateChanged', 'Other');
    } else if (rateChanged) {
      this.sendTransactionEvent(evse, atMs, 'Updated', 'ChargingRateChanged', 'Other');
    }
  }

  // ---- EV plug-in / unplug ----------------------------------------------------------------------

  plugIn(evseId: number, ev: EvModel, atMs: number): void {
    const evse = this.evseOrThrow(evseId);
    if (evse.ev) throw new Error(`station ${this.identity}: EVSE ${evseId} already has an EV plugged in`);
    this.settle(atMs);
    evse.ev = ev;
    evse.transaction = { transactionId: randomUUID(), startedMs: atMs, seqNo: 0, chargingState: 'EVConnected' };
    this.sendStatus(evse, atMs);
    this.sendTransactionEvent(evse, atMs, 'Started', 'CablePluggedIn', 'Transaction.Begin');
    if (ev.iso15118) void this.call('NotifyEVChargingNeeds', chargingNeedsPayload(evse.evseId, ev, atMs));
    this.due.meterMs = Math.min(this.due.meterMs, atMs + this.meterIntervalS * 1000);
    this.settle(atMs);
  }

  unplug(evseId: number, atMs: number): void {
    const evse = this.evseOrThrow(evseId);
    if (!evse.transaction) return;
    this.settle(atMs);
    const drawnBefore = evse.drawnA;
    evse.drawnA = [0, 0, 0];
    this.sendTransactionEvent(evse, atMs, 'Ended', 'EVDeparted', 'Transaction.End', { stoppedReason: 'EVDisconnected' });
    evse.drawnA = drawnBefore;
    this.profiles.endTransaction(evse.transaction.transactionId);
    evse.transaction = undefined;
    evse.ev = undefined;
    this.sendStatus(evse, atMs);
    this.settle(atMs);
  }

  evseOrThrow(evseId: number): EvseState {
    const evse = this.evses.get(evseId);
    if (!evse) throw new Error(`station ${this.identity} has no EVSE ${evseId} (it has 1..${this.evses.size})`);
    return evse;
  }

  sendStatus(evse: EvseState, atMs: number): void {
    void this.call('StatusNotification', {
      timestamp: isoAt(atMs),
      connectorStatus: evse.ev ? 'Occupied' : 'Available',
      evseId: evse.evseId,
      connectorId: 1,
    });
  }

  /** TransactionEvent with seqNo and the EVSE's meter values; queued (offline=true) while not connected. */
  sendTransactionEvent(
    evse: EvseState,
    atMs: number,
    eventType: 'Started' | 'Updated' | 'Ended',
    triggerReason: string,
    context: ReadingContext,
    extra: { stoppedReason?: string } = {},
  ): void {
    const { transaction } = evse;
    if (!transaction) return;
    const event = transactionEventPayload(evse, transaction, atMs, { eventType, triggerReason, context, ...extra }, this.reading(evse));
    const kept = { order: this.eventOrder++, event };
    if (this.connection === 'open' && this.bootStatus === 'Accepted') this.sendOrKeep(kept);
    else this.keepOffline(kept);
  }

  /**
   * Sends a TransactionEvent; one the socket took down with it (closed before the answer, not a CALLERROR or a
   * timeout) is kept for the replay after reconnecting, as a station keeps transaction messages it could not deliver.
   */
  private sendOrKeep(kept: KeptEvent): void {
    this.stats.sent++;
    this.client.call('TransactionEvent', kept.event).catch((error: unknown) => {
      this.stats.callErrors++;
      this.host.onCallError(this, 'TransactionEvent', error);
      if (!(error instanceof RPCError || error instanceof TimeoutError)) this.keepOffline(kept);
    });
  }

  /** Into the offline queue in the order the events happened (a failed send comes back behind newer ones queued). */
  private keepOffline(kept: KeptEvent): void {
    if (this.offlineQueue.length >= OFFLINE_QUEUE_MAX) this.offlineQueue.shift();
    const queued = { order: kept.order, event: { ...kept.event, offline: true } };
    const later = this.offlineQueue.findIndex((other) => other.order > kept.order);
    if (later < 0) this.offlineQueue.push(queued);
    else this.offlineQueue.splice(later, 0, queued);
  }

  reading(evse: EvseState): EvseReading {
    return evseReading(evse, this.electrical.voltageV);
  }

  /** A local EMS constraint (ChargingStationExternalConstraints): apply it and report it (NotifyChargingLimit). */
  setExternalConstraint(evseId: number, profile: ChargingProfile): InstallResult {
    const result = this.profiles.installExternalConstraint(
      evseId,
      { ...profile, chargingProfilePurpose: 'ChargingStationExternalConstraints' },
      this.installContext(),
    );
    if (result.status === 'Accepted') {
      void this.call('NotifyChargingLimit', { chargingLimit: { chargingLimitSource: 'EMS' }, ...(evseId > 0 ? { evseId } : {}) });
      this.profilesChanged();
    }
    return result;
  }

  /** Something changed the profiles: re-apply them now. */
  profilesChanged(): void {
    const atMs = this.nowMs();
    this.recordStanding(atMs);
    this.settle(atMs);
  }

  private recordStanding(atMs: number): void {
    recordStanding(this.standingLog, atMs, standingLimitA(this.profiles.scheduled()));
  }
}

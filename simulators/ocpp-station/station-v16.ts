// One simulated OCPP 1.6J charging station on an ocpp-rpc RPCClient (subprotocol ocpp1.6): boot, heartbeat,
// connector status, Start/Stop transactions with meter values, applying its 1.6 charging profiles to the power drawn.
import { randomUUID } from 'node:crypto';
import { RPCError, TimeoutError, type RPCClient } from 'ocpp-rpc';
import { compositeAt, nextBoundaryAfter, type ActiveTransaction, type CompositeInput, type StationElectrical } from './composite';
import { newConnector, readingOf, statusOf, type ConnectorState, type ConnectorTransaction, type StopReasonV16 } from './connector-v16';
import type { EvModel } from './ev';
import { addEnergy, applyComposite } from './evse-draw';
import { isoAt, type EvseReading } from './meter-values';
import { DEFAULT_SAMPLED_DATA, meterValueV16, type MeasurandV16, type ReadingContextV16 } from './meter-values-v16';
import type { SmartChargingLimits } from './profile-store';
import { ProfileStoreV16, type InstallContextV16, type TransactionRefV16 } from './profile-store-v16';
import { BootNotificationResponseV16 } from './schemas-v16';
import { registerCsmsHandlersV16 } from './handlers-v16';
import { stationClient } from './rpc-client';
import { recordStanding, standingLimitA, type StandingLogEntry } from './standing-log';
import type { StationOptions } from './station';
import type { FailureMode, StationHost, StationStats } from './station-types';
import { TransactionQueueV16, type CallOutcome } from './transactions-v16';

export interface StationV16Options extends StationOptions {
  /** SupportedFeatureProfiles, e.g. Core, SmartCharging, RemoteTrigger. */
  readonly featureProfiles: readonly string[];
  /** Send Authorize {idTag} before each StartTransaction. */
  readonly authorizeBeforeStart: boolean;
  readonly idTag: string;
  readonly transactionMessageAttempts: number;
  readonly transactionMessageRetryIntervalS: number;
}

export class StationV16 {
  readonly protocol = '1.6';
  readonly identity: string;
  readonly evses = new Map<number, ConnectorState>();
  readonly profiles = new ProfileStoreV16();
  readonly stats: StationStats = { sent: 0, callErrors: 0, connects: 0, drops: 0, profilesAccepted: 0, profilesRejected: 0 };
  readonly client: RPCClient;
  readonly transactions: TransactionQueueV16;
  heartbeatIntervalS = 300;
  meterIntervalS: number;
  sampledData: readonly MeasurandV16[] = DEFAULT_SAMPLED_DATA;
  transactionMessageAttempts: number;
  transactionMessageRetryIntervalS: number;
  connection: 'idle' | 'connecting' | 'open' | 'closed' = 'idle';
  bootStatus: 'none' | 'Pending' | 'Rejected' | 'Accepted' = 'none';
  /** Station operative (connector 0 of ChangeAvailability). */
  operative = true;
  /**
   * Change-only log of the station-wide limit that holds with no lease: the lowest non-expiring
   * ChargePointMaxProfile on connector 0 (undefined: none installed), as the 2.0.1 station logs its own.
   */
  readonly standingLog: StandingLogEntry[] = [];
  private readonly electrical: StationElectrical;
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
  private txRetryMs = Infinity;

  constructor(
    readonly options: StationV16Options,
    private readonly host: StationHost,
  ) {
    this.identity = options.identity;
    this.meterIntervalS = options.meterIntervalS;
    this.transactionMessageAttempts = options.transactionMessageAttempts;
    this.transactionMessageRetryIntervalS = options.transactionMessageRetryIntervalS;
    const connectorIds = Array.from({ length: options.evseCount }, (_, i) => i + 1);
    this.electrical = { ...options.electrical, evseIds: connectorIds };
    for (const evseId of connectorIds) {
      this.evses.set(evseId, newConnector(evseId, options.logCapacity));
    }
    this.client = stationClient(options.identity, options.connection, 'ocpp1.6');
    this.client.on('close', () => this.onClosed());
    this.transactions = new TransactionQueueV16({
      canSend: () => this.connection === 'open' && this.bootStatus === 'Accepted',
      call: (action, payload) => this.callForOutcome(action, payload),
      nowMs: () => this.nowMs(),
      wakeAt: (atMs) => {
        this.txRetryMs = atMs;
        this.reschedule();
      },
      attempts: () => this.transactionMessageAttempts,
      retryIntervalS: () => this.transactionMessageRetryIntervalS,
    });
    registerCsmsHandlersV16(this);
  }

  get smartCharging(): SmartChargingLimits {
    return this.options.smartCharging;
  }

  get failure(): FailureMode {
    return this.options.failure;
  }

  get featureProfiles(): readonly string[] {
    return this.options.featureProfiles;
  }

  get connectorCount(): number {
    return this.evses.size;
  }

  nowMs(): number {
    return this.host.nowMs();
  }

  nextDueMs(): number {
    const d = this.due;
    return Math.min(d.heartbeatMs, d.meterMs, d.bootMs, d.reconnectMs, d.compositeMs, d.evaluateMs, this.txRetryMs);
  }

  private reschedule(): void {
    this.host.wake(this, this.nextDueMs());
  }

  installContext(): InstallContextV16 {
    const transactions = new Map<number, TransactionRefV16>();
    for (const c of this.evses.values())
      if (c.transaction) transactions.set(c.evseId, { key: c.transaction.transactionId, transactionId: c.transaction.csmsTransactionId });
    return { connectorIds: this.electrical.evseIds, transactions, limits: this.options.smartCharging };
  }

  compositeInput(): CompositeInput {
    const transactions = new Map<number, ActiveTransaction>();
    for (const c of this.evses.values()) if (c.transaction) transactions.set(c.evseId, c.transaction);
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
    this.connection = 'closed'; // from now on transaction messages wait in the queue
    void this.client.close({ force: true }).catch(() => undefined);
  }

  /** Reset: the socket closes, the station boots again on the next connect (profiles other than TxProfiles survive). */
  reboot(): void {
    this.bootStatus = 'none';
    this.drop();
  }

  private onClosed(): void {
    this.connection = 'closed';
    for (const c of this.evses.values()) c.status = undefined;
    if (this.stopping) return;
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
    // OCPP-J 1.6 §5.4: no new BootNotification on reconnect once accepted.
    if (this.bootStatus === 'Accepted') this.afterAccepted(this.nowMs(), false);
    else this.bootNotification();
  }

  /** BootNotification (also on TriggerMessage); Pending/Rejected boot again after `interval`. */
  bootNotification(): void {
    this.due.bootMs = Infinity;
    const payload = {
      chargePointVendor: 'flexbridge',
      chargePointModel: 'FlexSim AC 1.6',
      chargePointSerialNumber: this.identity.slice(0, 25),
      firmwareVersion: 'flexsim-1.6',
    };
    void this.call('BootNotification', payload, true).then((response) => {
      const parsed = BootNotificationResponseV16.safeParse(response);
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
    this.sendStationStatus(atMs);
    for (const c of this.evses.values()) this.updateStatus(c, atMs);
    this.transactions.pump();
    if (booted) this.settle(atMs);
    this.reschedule();
  }

  /** Send a CALL now; failures are counted, never thrown. `beforeAccepted`: also while Pending (boot, triggered messages). */
  call(action: string, payload: Record<string, unknown>, beforeAccepted = false): Promise<unknown> {
    if (this.connection !== 'open' || (!beforeAccepted && this.bootStatus !== 'Accepted')) return Promise.resolve(undefined);
    this.stats.sent++;
    return this.client.call(action, payload).catch((error: unknown) => {
      this.stats.callErrors++;
      this.host.onCallError(this, action, error);
      return undefined;
    });
  }

  private async callForOutcome(action: string, payload: Record<string, unknown>): Promise<CallOutcome> {
    this.stats.sent++;
    try {
      return { kind: 'answered', response: await this.client.call(action, payload) };
    } catch (error) {
      this.stats.callErrors++;
      this.host.onCallError(this, action, error);
      return error instanceof RPCError || error instanceof TimeoutError ? { kind: 'failed' } : { kind: 'disconnected' };
    }
  }

  // ---- scheduled work ---------------------------------------------------------------------------

  onDue(dueMs: number): void {
    const atMs = Math.max(dueMs, this.lastSettleMs ?? dueMs);
    const d = this.due;
    if (d.reconnectMs <= atMs) {
      d.reconnectMs = Infinity;
      void this.connectNow();
    }
    if (d.bootMs <= atMs) {
      if (this.connection === 'open') this.bootNotification();
      else d.bootMs = Infinity;
    }
    if (d.compositeMs <= atMs || d.evaluateMs <= atMs) this.settle(atMs);
    if (d.meterMs <= atMs) {
      this.settle(atMs);
      for (const c of this.evses.values()) if (c.transaction) this.queueMeterValues(c, atMs, 'Sample.Periodic');
      this.armMeter(atMs);
    }
    if (d.heartbeatMs <= atMs) {
      void this.call('Heartbeat', {});
      d.heartbeatMs = atMs + this.heartbeatIntervalS * 1000;
    }
    if (this.txRetryMs <= atMs) {
      this.txRetryMs = Infinity;
      this.transactions.pump();
    }
    this.reschedule();
  }

  /** Next periodic sample: MeterValueSampleInterval after `atMs` while a transaction runs (0 = none). */
  armMeter(atMs: number): void {
    const running = [...this.evses.values()].some((c) => c.transaction !== undefined);
    this.due.meterMs = running && this.meterIntervalS > 0 ? atMs + this.meterIntervalS * 1000 : Infinity;
    this.reschedule();
  }

  /** Bring the electrical state to `atMs` (shared with 2.0.1), then report connector status changes. */
  settle(atMs: number): void {
    const fromMs = this.lastSettleMs ?? atMs;
    addEnergy(this.evses.values(), this.electrical.voltageV, Math.max(0, atMs - fromMs) / 3_600_000);
    this.lastSettleMs = atMs;
    const input = this.compositeInput();
    let charging = false;
    for (const { evse, drawA, rateChanged } of applyComposite(
      [...this.evses.values()],
      compositeAt(input, atMs),
      this.electrical.supplyPhases,
      atMs,
    )) {
      if (drawA > 0) charging = true;
      this.updateStatus(evse, atMs);
      // 1.6 has no ChargingRateChanged event: a meter sample tells the CSMS the new Current.Offered.
      if (rateChanged && evse.transaction && evse.ev) this.queueMeterValues(evse, atMs, 'Other');
    }
    this.due.compositeMs = nextBoundaryAfter(input, atMs) ?? Infinity;
    this.due.evaluateMs = charging ? atMs + this.options.evaluateIntervalS * 1000 : Infinity;
    this.reschedule();
  }

  // ---- status -----------------------------------------------------------------------------------

  /** StatusNotification when the connector's status changed (or `force`: on TriggerMessage). */
  updateStatus(c: ConnectorState, atMs: number, force = false, status = statusOf(c, this.operative)): void {
    if (!force && status === c.status) return;
    // Offline or not booted: the status is sent once accepted (afterAccepted), unless a trigger asks for it now.
    if (!force && (this.connection !== 'open' || this.bootStatus !== 'Accepted')) return;
    c.status = status;
    void this.call('StatusNotification', { connectorId: c.evseId, errorCode: 'NoError', status, timestamp: isoAt(atMs) }, force);
  }

  /** Connector 0 = the station itself: Available or Unavailable only (1.6 §4.9). */
  sendStationStatus(atMs: number, triggered = false): void {
    const status = this.operative ? 'Available' : 'Unavailable';
    void this.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status, timestamp: isoAt(atMs) }, triggered);
  }

  // ---- transactions -----------------------------------------------------------------------------

  reading(c: ConnectorState): EvseReading {
    return readingOf(c, this.electrical.voltageV);
  }

  meterValue(c: ConnectorState, atMs: number, context: ReadingContextV16): ReturnType<typeof meterValueV16> {
    return meterValueV16(atMs, this.reading(c), context, this.sampledData);
  }

  private queueMeterValues(c: ConnectorState, atMs: number, context: ReadingContextV16): void {
    if (!c.transaction) return;
    this.transactions.push('MeterValues', { connectorId: c.evseId, meterValue: [this.meterValue(c, atMs, context)] }, c.transaction);
  }

  /** StartTransaction (queued in order with the other transaction messages); the CSMS's id arrives with the conf. */
  startTransaction(c: ConnectorState, idTag: string, atMs: number): ConnectorTransaction {
    if (this.options.authorizeBeforeStart) void this.call('Authorize', { idTag });
    const transaction: ConnectorTransaction = {
      transactionId: randomUUID(),
      startedMs: atMs,
      csmsTransactionId: undefined,
      idTag,
      begin: this.meterValue(c, atMs, 'Transaction.Begin'),
    };
    c.transaction = transaction;
    const payload = { connectorId: c.evseId, idTag, meterStart: Math.round(c.energyWh), timestamp: isoAt(atMs) };
    this.transactions.push('StartTransaction', payload, transaction);
    if (this.due.meterMs === Infinity) this.armMeter(atMs);
    return transaction;
  }

  /** StopTransaction with transactionData (begin and end samples); the connector's TxProfiles go with it. */
  stopTransaction(c: ConnectorState, atMs: number, reason: StopReasonV16): void {
    const { transaction } = c;
    if (!transaction) return;
    this.settle(atMs);
    const end = meterValueV16(atMs, { ...this.reading(c), drawnA: [0, 0, 0] }, 'Transaction.End', this.sampledData);
    const payload = {
      idTag: transaction.idTag,
      meterStop: Math.round(c.energyWh),
      timestamp: isoAt(atMs),
      reason,
      transactionData: [transaction.begin, end],
    };
    this.transactions.push('StopTransaction', payload, transaction);
    this.profiles.endTransaction(transaction.transactionId);
    c.transaction = undefined;
    if (c.inoperativeWhenIdle) {
      c.inoperativeWhenIdle = false;
      c.operative = false;
    }
    this.settle(atMs);
  }

  // ---- EV plug-in / unplug ----------------------------------------------------------------------

  plugIn(connectorId: number, ev: EvModel, atMs: number): void {
    const c = this.evseOrThrow(connectorId);
    if (c.ev) throw new Error(`station ${this.identity}: connector ${connectorId} already has an EV plugged in`);
    this.settle(atMs);
    c.ev = ev;
    // A remote start waiting for its EV keeps its transaction; an unavailable connector starts none.
    if (c.transaction === undefined && c.operative && this.operative) {
      this.updateStatus(c, atMs, false, 'Preparing');
      this.startTransaction(c, this.options.idTag, atMs);
    }
    this.settle(atMs);
  }

  unplug(connectorId: number, atMs: number): void {
    const c = this.evseOrThrow(connectorId);
    if (!c.ev) return;
    if (c.transaction) this.stopTransaction(c, atMs, 'EVDisconnected');
    else this.settle(atMs);
    c.ev = undefined;
    this.settle(atMs);
  }

  evseOrThrow(connectorId: number): ConnectorState {
    const c = this.evses.get(connectorId);
    if (!c) throw new Error(`station ${this.identity} has no connector ${connectorId} (it has 1..${this.evses.size})`);
    return c;
  }

  /** Something changed the profiles: re-apply them now. */
  profilesChanged(): void {
    const atMs = this.nowMs();
    recordStanding(this.standingLog, atMs, standingLimitA(this.profiles.scheduled(), this.electrical.voltageV));
    this.settle(atMs);
  }
}

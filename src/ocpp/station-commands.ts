// CSMS-initiated smart-charging commands (K01, K08, K09, K10) through each station's command queue.
// `applyLimits` is core's StationCommands port: profiles checked against the station's limits, then sent in order.
import { systemClock } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { LimitOutcome, StationCommands, StationLimitRequest } from '../core/ports';
import { isLift, limitProfiles, type ProfileLayout, type SetChargingProfileRequest } from './v201/limit-profiles';
import { StatusResponse } from './v201/payloads';
import { profileProblem16, toProfile16 } from './v16/limit-profiles';
import { callStation, type CallOptions, type CallResult } from './station-call';
import type { StationRegistry, StationRuntime } from './station-registry';
import { DEFAULT_SMART_CHARGING_LIMITS } from '../domain/station';

export interface StationCommandOptions {
  readonly timeoutMs: number;
  /** Extra attempts after a timeout (SetChargingProfile is idempotent per profile id). */
  readonly retriesOnTimeout: number;
  /** Rejections in a row after which a station counts as uncontrollable. */
  readonly rejectionsBeforeUncontrollable: number;
  /**
   * `ocpp.loneSession` `follow-cap`: a station's only session is lifted to the EVSE maximum once and held by the
   * leased station cap, so a change is one SetChargingProfile, not two (`limitProfiles`' `loneSessionLiftA`).
   */
  readonly loneSessionFollowsCap?: boolean;
}

export interface StationCommandDeps {
  readonly registry: StationRegistry;
  readonly options: StationCommandOptions;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** The station cannot be steered: core must count it at its maximum. */
  readonly markUncontrollable: (runtime: StationRuntime, reason: string) => void;
  readonly nowMs?: () => number;
  /** Where the station's profiles sit and what they are folded with (Local Controller mode); direct layout if absent. */
  readonly layoutFor?: (runtime: StationRuntime) => ProfileLayout;
  /** The station acknowledged its standing limits (a Pending boot may now be accepted). */
  readonly standingInstalled?: (runtime: StationRuntime) => void;
}

const LIMIT_OUTCOMES = { superseded: 'Superseded', closed: 'Offline', failed: 'Rejected' } as const satisfies Record<string, LimitOutcome>;

/** Why a profile may not be sent to this station, in words a field engineer can act on; undefined if it may. */
export function profileProblem(runtime: StationRuntime, request: SetChargingProfileRequest): string | undefined {
  const limits = runtime.record.smartCharging ?? DEFAULT_SMART_CHARGING_LIMITS;
  const { chargingProfile } = request;
  const schedule = chargingProfile.chargingSchedule[0];
  const prefix = `station ${runtime.record.stationId}: SetChargingProfile ${chargingProfile.id} not sent`;
  if (chargingProfile.stackLevel > limits.profileStackLevel)
    return `${prefix}: stackLevel ${chargingProfile.stackLevel} > ProfileStackLevel ${limits.profileStackLevel}`;
  if (schedule.chargingSchedulePeriod.length > limits.periodsPerSchedule)
    return `${prefix}: ${schedule.chargingSchedulePeriod.length} periods > PeriodsPerSchedule ${limits.periodsPerSchedule}`;
  // A 1.6 station that takes only W gets the profile in W (v16/limit-profiles.ts).
  const convertible = runtime.protocol === '1.6' && limits.rateUnits.includes('W');
  if (!limits.rateUnits.includes(schedule.chargingRateUnit) && !convertible)
    return `${prefix}: rate unit ${schedule.chargingRateUnit} not in RateUnit ${limits.rateUnits.join(',')}`;
  if (request.evseId > runtime.record.evseCount) return `${prefix}: EVSE ${request.evseId} > EVSE count ${runtime.record.evseCount}`;
  return undefined;
}

export class StationCommandService implements StationCommands {
  private nextRequestId = 1;
  private readonly reports = new Map<string, { profiles: unknown[]; resolve: (profiles: unknown[] | undefined) => void }>();

  private readonly callOptions: CallOptions;

  constructor(private readonly deps: StationCommandDeps) {
    this.callOptions = {
      timeoutMs: deps.options.timeoutMs,
      metrics: deps.metrics,
      ...(deps.nowMs && { nowMs: deps.nowMs }),
      unresponsive: (runtime, timeouts, untilMs) =>
        deps.logger.warn('station unresponsive: commands back off; it is counted at its maximum until it answers', {
          stationId: runtime.record.stationId,
          timeouts,
          retryAt: new Date(untilMs).toISOString(),
        }),
    };
  }

  applyLimits(stationId: string, request: StationLimitRequest): Promise<LimitOutcome> {
    const runtime = this.deps.registry.get(stationId);
    if (!runtime) return Promise.resolve('Offline');
    // Kept only where they are folded again (Local Controller mode): a live request holds its schedules.
    if (this.deps.layoutFor) {
      if (request.kind === 'standing') runtime.lastLimits.standing = request;
      else runtime.lastLimits.live = request;
    }
    // The profiles are built when the command runs, so a fold that changed while it waited is applied.
    const outcome = runtime.queue.enqueue(
      request.kind,
      () =>
        this.sendProfiles(
          runtime,
          limitProfiles(request, this.deps.layoutFor?.(runtime), {
            loneSessionLiftA: this.deps.options.loneSessionFollowsCap ? runtime.record.evseMaxCurrentA : undefined,
          }),
        ),
      LIMIT_OUTCOMES,
    );
    if (request.kind !== 'standing') return outcome;
    return outcome.then((result) => {
      if (result === 'Accepted') {
        runtime.standingInstalled = true;
        this.deps.standingInstalled?.(runtime);
      }
      return result;
    });
  }

  /** Core saw the station draw above what it acknowledged: recorded as uncontrollable, as a refusal would be. */
  distrust(stationId: string, reason: string): void {
    const runtime = this.deps.registry.get(stationId);
    if (runtime) this.deps.markUncontrollable(runtime, reason);
  }

  /**
   * Local Controller mode: the CSMS changed a limit flexbridge folds into its own, so the last standing and live
   * limits go out again, folded (the same slots as core's own changes, so a newer one from core supersedes them).
   */
  refold(stationId: string): void {
    const runtime = this.deps.registry.get(stationId);
    if (!runtime) return;
    const { standing, live } = runtime.lastLimits;
    if (standing) void this.applyLimits(stationId, standing);
    if (live && live.stationCap.leaseEndMs > (this.deps.nowMs ?? Date.now)()) void this.applyLimits(stationId, live);
  }

  private async sendProfiles(runtime: StationRuntime, requests: readonly SetChargingProfileRequest[]): Promise<LimitOutcome> {
    if (!runtime.record.controllable) return 'NotSupported';
    for (const request of requests) {
      const problem = profileProblem(runtime, request);
      if (problem) {
        this.deps.logger.error(problem, { stationId: runtime.record.stationId });
        return 'Rejected';
      }
    }
    for (const request of requests) {
      const { chargingProfile } = request;
      const lift = isLift(chargingProfile) ? liftKey(request) : undefined;
      // A lift the station acknowledged on this connection stays: only the cap changed.
      if (lift !== undefined && lift === runtime.liftInstalled) continue;
      // Any other TxProfile may replace it (same id per EVSE): resent when the session is alone again.
      if (chargingProfile.chargingProfilePurpose === 'TxProfile') runtime.liftInstalled = undefined;
      const outcome = await this.sendProfile(runtime, request);
      if (outcome !== 'Accepted') return outcome;
      if (lift !== undefined) runtime.liftInstalled = lift;
    }
    runtime.consecutiveRejections = 0;
    return 'Accepted';
  }

  private async sendProfile(runtime: StationRuntime, request: SetChargingProfileRequest): Promise<LimitOutcome> {
    const { retriesOnTimeout, rejectionsBeforeUncontrollable } = this.deps.options;
    // A child logger only when there is something to say: this is the hot path of a forecast going out.
    const log = {
      warn: (message: string, fields: Record<string, unknown>) =>
        this.deps.logger.warn(message, { stationId: runtime.record.stationId, ...fields }),
    };
    const payload = runtime.protocol === '1.6' ? this.profile16(runtime, request) : request;
    if (payload === undefined) return 'Rejected';
    let result: CallResult = { kind: 'timeout' };
    for (let attempt = 0; attempt <= retriesOnTimeout && result.kind === 'timeout'; attempt++) {
      result = await callStation(runtime, 'SetChargingProfile', payload, this.callOptions);
    }
    const profile = `${request.chargingProfile.chargingProfilePurpose} ${request.chargingProfile.id}`;
    switch (result.kind) {
      case 'offline':
        return 'Offline';
      case 'backed-off':
        // Not sent: the station is unresponsive and counted at its maximum until it answers again.
        return 'Timeout';
      case 'timeout':
        log.warn('SetChargingProfile timed out', { profile, attempts: retriesOnTimeout + 1 });
        return 'Timeout';
      case 'error':
        if (result.code === 'NotImplemented' || result.code === 'NotSupported') {
          this.deps.markUncontrollable(runtime, `SetChargingProfile answered ${result.code}`);
          return 'NotSupported';
        }
        log.warn('SetChargingProfile failed', { profile, code: result.code, error: result.message });
        return this.rejected(runtime, rejectionsBeforeUncontrollable);
    }
    const parsed = StatusResponse.safeParse(result.payload);
    if (parsed.success && parsed.data.status === 'Accepted') return 'Accepted';
    log.warn('SetChargingProfile rejected', {
      profile,
      evseId: request.evseId,
      status: parsed.success ? parsed.data.status : 'unreadable',
      ...(parsed.success &&
        parsed.data.statusInfo && { reasonCode: parsed.data.statusInfo.reasonCode, info: parsed.data.statusInfo.additionalInfo }),
    });
    // K01.FR.09: a TxProfile for a transaction that ended meanwhile is rejected TxNotFound. That is a session ending
    // while its limit was on the way, not a refusal to be steered: it must not count towards uncontrollable.
    const txEnded =
      request.chargingProfile.chargingProfilePurpose === 'TxProfile' &&
      parsed.success &&
      parsed.data.statusInfo?.reasonCode === 'TxNotFound';
    return txEnded ? 'Rejected' : this.rejected(runtime, rejectionsBeforeUncontrollable);
  }

  /** The request in OCPP 1.6 terms, or undefined (logged) when 1.6 cannot carry it. */
  private profile16(runtime: StationRuntime, request: SetChargingProfileRequest): object | undefined {
    const limits = runtime.record.smartCharging ?? DEFAULT_SMART_CHARGING_LIMITS;
    const profile = toProfile16(request, { rateUnits: limits.rateUnits });
    const problem = profileProblem16(profile);
    if (problem === undefined) return profile;
    this.deps.logger.error(`station ${runtime.record.stationId}: SetChargingProfile not sent: ${problem}`);
    return undefined;
  }

  private rejected(runtime: StationRuntime, limit: number): LimitOutcome {
    runtime.consecutiveRejections++;
    if (runtime.consecutiveRejections >= limit) {
      this.deps.markUncontrollable(runtime, `${runtime.consecutiveRejections} charging profiles rejected in a row`);
    }
    return 'Rejected';
  }

  /** ClearChargingProfile (K10) by id or criteria; resolves with the station's status or how the call failed. */
  async clearChargingProfile(
    stationId: string,
    request: { chargingProfileId?: number; chargingProfileCriteria?: object },
  ): Promise<string> {
    const result = await this.queued(stationId, 'ClearChargingProfile', request);
    return statusOf(result);
  }

  /** GetCompositeSchedule (K08): the station's own view of the limit in force, for checks and the API. */
  async getCompositeSchedule(stationId: string, evseId: number, durationS: number): Promise<CallResult> {
    const request =
      this.deps.registry.get(stationId)?.protocol === '1.6'
        ? { connectorId: evseId, duration: durationS, chargingRateUnit: 'A' }
        : { evseId, duration: durationS, chargingRateUnit: 'A' };
    return this.queued(stationId, 'GetCompositeSchedule', request);
  }

  /** GetChargingProfiles (K09): the profiles installed, collected from the ReportChargingProfiles that follow. */
  async getChargingProfiles(stationId: string, evseId?: number): Promise<{ status: string; profiles: unknown[] }> {
    // OCPP 1.6 has no way to read installed profiles back; GetCompositeSchedule is what it offers.
    if (this.deps.registry.get(stationId)?.protocol === '1.6') return { status: 'NotSupported', profiles: [] };
    const requestId = this.nextRequestId++;
    const key = `${stationId}:${requestId}`;
    const collected = new Promise<unknown[] | undefined>((resolve) => this.reports.set(key, { profiles: [], resolve }));
    const request = { requestId, chargingProfile: {}, ...(evseId !== undefined && { evseId }) };
    const status = statusOf(await this.queued(stationId, 'GetChargingProfiles', request));
    if (status !== 'Accepted') {
      this.reports.delete(key);
      return { status, profiles: [] };
    }
    const timer = systemClock.setTimer(() => this.finishReport(key), this.deps.options.timeoutMs);
    const profiles = (await collected) ?? [];
    timer.cancel();
    return { status, profiles };
  }

  /** A ReportChargingProfiles part arrived; the last part (tbc false) completes its GetChargingProfiles. */
  reportReceived(stationId: string, requestId: number, profiles: readonly unknown[], tbc: boolean): boolean {
    const report = this.reports.get(`${stationId}:${requestId}`);
    if (!report) return false;
    report.profiles.push(...profiles);
    if (!tbc) this.finishReport(`${stationId}:${requestId}`);
    return true;
  }

  private finishReport(key: string): void {
    const report = this.reports.get(key);
    this.reports.delete(key);
    report?.resolve(report.profiles);
  }

  /** Any call through the station's command queue, in turn with core's limits (remote actions, the raw call). */
  call(stationId: string, action: string, params: object): Promise<CallResult> {
    return this.queued(stationId, action, params);
  }

  private queued(stationId: string, action: string, params: object): Promise<CallResult> {
    const runtime = this.deps.registry.get(stationId);
    if (!runtime) return Promise.resolve({ kind: 'offline' });
    const offline: CallResult = { kind: 'offline' };
    return runtime.queue.enqueue(`${action}:${this.nextRequestId++}`, () => callStation(runtime, action, params, this.callOptions), {
      superseded: offline,
      closed: offline,
      failed: { kind: 'error', code: 'InternalError', message: 'command failed' },
    });
  }
}

/** What identifies an installed lift: its EVSE, transaction, level and limit (the schedule's start does not matter). */
function liftKey({ evseId, chargingProfile }: SetChargingProfileRequest): string {
  return `${evseId}/${chargingProfile.transactionId}/${chargingProfile.stackLevel}/${chargingProfile.chargingSchedule[0].chargingSchedulePeriod[0]?.limit}`;
}

function statusOf(result: CallResult): string {
  if (result.kind === 'error') return result.code;
  if (result.kind === 'timeout' || result.kind === 'backed-off') return 'Timeout';
  if (result.kind === 'offline') return 'Offline';
  const parsed = StatusResponse.safeParse(result.payload);
  return parsed.success ? parsed.data.status : 'Unreadable';
}

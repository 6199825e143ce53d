// One controller per group: turns capacity in force and sessions into a plan, then applies it to the stations
// decreases first, increases only after the decreases were acknowledged (DESIGN invariant 1).
import type { CapacitySource } from '../domain/capacity';
import { floorToTenth, IEC61851_MIN_CURRENT_A, type PhaseCurrentsA } from '../domain/electrical';
import type { GroupLayout } from '../domain/group';
import type { StationId } from '../domain/station';
import type { Logger } from '../observability/log';
import { capacityInForce, standingCapacityA, withOperatorCap } from './capacity-in-force';
import type { CoreEvents } from './events';
import type { Fleet, FleetStation } from './fleet';
import { GridReports } from './grid-reports';
import { allocatable as isAllocatable, mayDrawA } from './group-load';
import type { LeaseLedger } from './lease-ledger';
import type { FixedLoad } from '../allocator';
import type { AppliedPlan, PlanBlock, PlanFn, PlanSession } from './ports';
import type { ForecastSource, GridReporter, LeasedSchedule, LimitOutcome, StationCommands } from './ports';
import type { Overrides } from './overrides';
import type { Scheduler } from './scheduler';
import { atOrBelow, stationSchedules, transitionSteps, type StationSchedule } from './schedules';
import { standingLimits } from './standing-limits';

export interface GroupControllerOptions {
  readonly layout: GroupLayout;
  readonly leaseMs: number;
  /** How far ahead the plan looks (the forecast horizon). */
  readonly horizonMs: number;
  /** Churn (joins, boots, sessions) within this window is coalesced into one reallocation; capacity changes are not. */
  readonly coalesceMs: number;
}

export interface GroupControllerDeps {
  readonly fleet: Fleet;
  readonly ledger: LeaseLedger;
  readonly forecasts: ForecastSource;
  readonly commands: StationCommands;
  readonly grid: GridReporter;
  readonly plan: PlanFn;
  readonly overrides?: Overrides;
  /** Saves what the ledger knows about this group's stations (write-ahead of every change). */
  readonly persist?: (groupId: string) => void;
  readonly scheduler: Scheduler;
  readonly nowMs: () => number;
  /** Wall time in ms for what a reallocation computes (performance.now by default; the injected clock may be virtual). */
  readonly computeClockMs?: () => number;
  readonly events: CoreEvents;
  readonly logger: Logger;
}

const ACCEPTED: LimitOutcome = 'Accepted';
/** A session drawing this much below its limit is considered not to need it all. */
const LENDING_GAP_A = 4;
/** Longest plan block: the OSCP quarter hour. */
const BLOCK_MS = 15 * 60_000;
/**
 * Churn waits at least this many times what the last reallocation computed, once that is long enough to matter
 * (`SLOW_COMPUTE_MS`, some thousands of sessions): a storm of arrivals then costs a bounded share of the CPU the
 * arrivals themselves need, instead of a back-to-back replan of the whole group every `coalesceMs`. Capacity changes
 * never wait. New sessions are held by their standing limits meanwhile.
 */
const CHURN_COMPUTE_FACTOR = 3;
const SLOW_COMPUTE_MS = 100;
const MAX_CHURN_DELAY_MS = 5000;

export class GroupController {
  private running: Promise<void> | undefined;
  private rerun = false;
  /** A capacity change arrived since the current run started: the next run starts at once. */
  private urgent = false;
  private stopped = false;
  private source: CapacitySource | undefined;
  private applied: AppliedPlan | undefined;
  private readonly standingSent = new Map<StationId, number>();
  private readonly reports: GridReports;
  /** Since when each session has drawn well below its limit in force (cleared when it ramps up). */
  private readonly belowLimitSince = new Map<string, number>();
  /** Since when each session has been paused for lack of capacity: its credit for the next turn. */
  private readonly pausedSince = new Map<string, number>();
  private readonly log: Logger;
  /** How long churn is coalesced now: `coalesceMs`, or longer after a slow reallocation (see CHURN_COMPUTE_FACTOR). */
  private churnDelayMs: number;

  constructor(
    private readonly options: GroupControllerOptions,
    private readonly deps: GroupControllerDeps,
  ) {
    this.log = deps.logger.child({ groupId: options.layout.id });
    this.churnDelayMs = options.coalesceMs;
    this.reports = new GridReports(options.layout, deps);
  }

  get groupId(): string {
    return this.options.layout.id;
  }

  get layout(): GroupLayout {
    return this.options.layout;
  }

  get plan(): AppliedPlan | undefined {
    return this.applied;
  }

  get capacitySource(): CapacitySource | undefined {
    return this.source;
  }

  /**
   * Asks for a reallocation; a burst of calls within `coalesceMs` becomes one run. `urgent` (the capacity changed: a
   * forecast, a peer going on- or offline, an operator cap) plans at once — the window would only delay the cut.
   */
  markDirty(reason: string, urgent = false): void {
    if (this.stopped) return;
    this.log.debug('reallocation requested', { reason, urgent });
    if (urgent) this.urgent = true;
    const delayMs = urgent ? 0 : this.churnDelayMs;
    this.deps.scheduler.scheduleNoLaterThan(this.key('realloc'), this.deps.nowMs() + delayMs, () => void this.runOnce());
  }

  /** Runs one reallocation now (or right after the one in progress); resolves when it has been applied. */
  runOnce(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.urgent = false;
    this.running = this.reallocate()
      .catch((error: unknown) => this.log.error('reallocation failed', { error }))
      .finally(() => {
        this.running = undefined;
        if (this.rerun && !this.stopped) {
          this.rerun = false;
          this.markDirty('changes during the last reallocation', this.urgent);
        }
      });
    return this.running;
  }

  /** A station that rebooted gets its standing limits again (it may have lost them). */
  forgetStation(stationId: StationId): void {
    this.standingSent.delete(stationId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.scheduler.cancel(this.key('realloc'));
    await this.running;
  }

  private key(kind: string): string {
    return `${kind}:${this.options.layout.id}`;
  }

  private planBlocks(nowMs: number): PlanBlock[] {
    const { forecasts } = this.deps;
    const { id, safeLimitA } = this.options.layout;
    const toMs = nowMs + this.options.horizonMs;
    const segments = capacityInForce({
      fromMs: nowMs,
      toMs,
      peerOnline: forecasts.peerOnline(id),
      consumption: forecasts.blocks(id, 'CONSUMPTION', nowMs, toMs),
      fallback: forecasts.blocks(id, 'FALLBACK_CONSUMPTION', nowMs, toMs),
      optimum: forecasts.blocks(id, 'OPTIMUM', nowMs, toMs),
      safeLimitA,
    });
    const cap = this.deps.overrides?.groupCap(id);
    const capped = withOperatorCap(segments, cap && { limitA: cap.limitA, untilMs: cap.expiresAtMs });
    // Blocks never span a quarter-hour boundary: the allocator rotates paused EVs from block to block.
    const blocks: PlanBlock[] = [];
    for (const s of capped) {
      const capacityA: PhaseCurrentsA = [s.limitA[0], s.limitA[1], s.limitA[2]];
      const gridCapacityA: PhaseCurrentsA = [s.gridLimitA[0], s.gridLimitA[1], s.gridLimitA[2]];
      const operatorCap = s.operatorCapA === undefined ? {} : { operatorCapA: s.operatorCapA };
      for (let startMs = s.startMs; startMs < s.endMs;) {
        const endMs = Math.min(s.endMs, (Math.floor(startMs / BLOCK_MS) + 1) * BLOCK_MS);
        blocks.push({ startMs, endMs, capacityA, source: s.source, gridCapacityA, ...operatorCap });
        startMs = endMs;
      }
    }
    return blocks;
  }

  private noteSource(source: CapacitySource, nowMs: number): void {
    if (source === this.source) return;
    const from = this.source;
    this.source = source;
    // Entering fallback (or the safe default after a forecast) is news for an operator; starting up and recovering are not.
    const degraded =
      (source === 'fallback' || source === 'safe-default') && from !== undefined && from !== 'fallback' && from !== 'safe-default';
    if (degraded) this.log.warn('capacity source changed', { from, to: source });
    else this.log.info('capacity source changed', { from, to: source });
    this.deps.events.emit('capacitySourceChanged', { groupId: this.groupId, from, to: source, atMs: nowMs });
  }

  private async reallocate(): Promise<void> {
    const started = this.deps.nowMs();
    // Wall time of what this run computes (not what it waits for), to pace churn by (the injected clock may be virtual).
    const computeNow = this.deps.computeClockMs ?? (() => performance.now());
    let computeStarted = computeNow();
    const blocks = this.planBlocks(started);
    const first = blocks[0];
    if (!first) return;
    this.noteSource(first.source, started);
    const stations = this.deps.fleet.stationsOf(this.groupId);
    let computeMs = computeNow() - computeStarted;
    const standingHeldBack = await this.applyStanding(stations, started);
    computeStarted = computeNow();

    const allocatable = stations.filter(isAllocatable);
    const allocatableIds = new Set(allocatable.map((s) => s.stationId));
    const sessions: PlanSession[] = [];
    for (const session of this.deps.fleet.sessionsOf(this.groupId)) {
      const station = this.deps.fleet.station(session.stationId);
      if (!station || !allocatableIds.has(station.stationId)) continue;
      const needs = session.evNeeds;
      sessions.push({
        transactionId: session.transactionId,
        stationId: session.stationId,
        evseId: session.evseId,
        phasesUsed: session.phasesUsed === 1 ? 1 : 3,
        minA: Math.max(IEC61851_MIN_CURRENT_A, needs?.evMinCurrentA ?? 0),
        // A paused station keeps its sessions in the plan at 0 A (maxA 0 ⇒ never above the minimum).
        maxA: this.deps.overrides?.stationPaused(station.stationId)
          ? 0
          : Math.min(station.evseMaxCurrentA, needs?.evMaxCurrentA ?? Infinity),
        priority: this.deps.overrides?.sessionPriority(session.transactionId) ?? session.priority,
        energyWantedWh: needs?.energyAmountWh,
        departureMs: needs?.departureTime === undefined ? undefined : Date.parse(needs.departureTime),
        measuredA: session.measuredCurrentA === undefined ? undefined : Math.max(...session.measuredCurrentA),
        belowLimitSinceMs: this.trackBelowLimit(session.transactionId, session.measuredCurrentA, started),
        pausedSinceMs: this.pausedSince.get(session.transactionId),
      });
    }
    const current = new Set(sessions.map((s) => s.transactionId));
    for (const transactionId of this.belowLimitSince.keys()) if (!current.has(transactionId)) this.belowLimitSince.delete(transactionId);
    for (const transactionId of this.pausedSince.keys()) if (!current.has(transactionId)) this.pausedSince.delete(transactionId);
    const fixedLoads = stations.filter((s) => !allocatableIds.has(s.stationId)).map((s) => this.fixedLoad(s, blocks));
    // Wall time of the computation alone, for the allocation histogram (the injected clock may be virtual).
    const planStarted = performance.now();
    const result = this.deps.plan({
      nowMs: started,
      group: this.options.layout,
      blocks,
      sessions,
      fixedLoads,
      stationMaxA: new Map(allocatable.map((s) => [s.stationId, s.stationMaxCurrentA])),
      previous: this.applied && {
        blockStartsMs: this.applied.blocks.map((b) => b.startMs),
        endMs: this.applied.blocks[this.applied.blocks.length - 1]?.endMs ?? 0,
        limitsA: this.applied.result.limitsA,
      },
    });
    const planMs = performance.now() - planStarted;
    this.reports.afterPlan(started, blocks, sessions, result);
    for (const session of sessions) {
      const paused =
        (result.limitsA.get(session.transactionId)?.[0] ?? 0) === 0 && result.reasons.get(session.transactionId) === 'paused-for-capacity';
      if (!paused) this.pausedSince.delete(session.transactionId);
      else if (!this.pausedSince.has(session.transactionId)) this.pausedSince.set(session.transactionId, started);
    }

    const planned = sessions.map((s) => ({
      transactionId: s.transactionId,
      stationId: s.stationId,
      evseId: s.evseId,
      limitsA: result.limitsA.get(s.transactionId) ?? [],
    }));
    const desired = stationSchedules(blocks, planned, allocatable, started, this.options.leaseMs);
    computeMs += computeNow() - computeStarted;
    this.churnDelayMs =
      computeMs < SLOW_COMPUTE_MS
        ? this.options.coalesceMs
        : Math.min(MAX_CHURN_DELAY_MS, Math.max(this.options.coalesceMs, CHURN_COMPUTE_FACTOR * computeMs));
    const { changed, failed } = await this.transition(desired, started);
    this.applied = { computedAtMs: started, blocks, sessions, result, source: first.source };
    this.scheduleNext(blocks, started, failed > 0 || standingHeldBack);
    this.deps.events.emit('planApplied', {
      groupId: this.groupId,
      atMs: started,
      sessions: sessions.length,
      stationsChanged: changed,
      failed,
      durationMs: this.deps.nowMs() - started,
      planMs,
    });
  }

  /** Notes when a session's measured draw is well below its limit in force; forgets it once it ramps up. */
  private trackBelowLimit(transactionId: string, measuredA: readonly number[] | undefined, nowMs: number): number | undefined {
    const applied = this.applied;
    const index = applied?.blocks.findIndex((b) => b.startMs <= nowMs && nowMs < b.endMs) ?? -1;
    const limitA = index >= 0 ? applied?.result.limitsA.get(transactionId)?.[index] : undefined;
    if (measuredA === undefined || limitA === undefined || Math.max(...measuredA) > limitA - LENDING_GAP_A) {
      this.belowLimitSince.delete(transactionId);
      return undefined;
    }
    const since = this.belowLimitSince.get(transactionId) ?? nowMs;
    this.belowLimitSince.set(transactionId, since);
    return since;
  }

  /**
   * What a station we do not allocate may draw in each block. Past the ledger's last change for it (its lease end,
   * usually within the first block or two) the value holds for every later block: one lookup, not one per block.
   */
  private fixedLoad(station: FleetStation, blocks: readonly PlanBlock[]): FixedLoad {
    const { ledger } = this.deps;
    const limitsA = new Array<number>(blocks.length);
    let constantA: number | undefined;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i] as PlanBlock;
      if (constantA !== undefined) {
        limitsA[i] = constantA;
        continue;
      }
      limitsA[i] = mayDrawA(station, ledger, block.startMs, block.endMs);
      if (!station.controllable || ledger.nextChangeMs(station.stationId, block.startMs) === undefined) constantA = limitsA[i];
    }
    return { id: station.stationId, limitsA };
  }

  /**
   * Standing limits follow the fallback capacity; lowered ones go out before raised ones, and a raise — a joining
   * station's first standing limit too — gets only what the standing budget still has room for once the decreases
   * are acknowledged, so the group's standing limits add up to at most FC − margin at every instant (a station
   * without one counts at 0: it stays Pending until it has one). Returns whether any station got less than its share.
   */
  private async applyStanding(stations: readonly FleetStation[], nowMs: number): Promise<boolean> {
    const { id, safeLimitA, safetyMarginA } = this.options.layout;
    const fallback = this.deps.forecasts.blocks(id, 'FALLBACK_CONSUMPTION', nowMs, nowMs + this.options.horizonMs);
    const fallbackA = standingCapacityA(fallback, nowMs, nowMs + this.options.horizonMs, safeLimitA);
    // A station that cannot be steered draws up to its maximum whether flexbridge runs or not: the standing budget is
    // what is left after those, shared among the stations that take a standing limit (on every phase, conservatively).
    const uncontrolledA = stations.reduce((sum, s) => (s.controllable ? sum : sum + s.stationMaxCurrentA), 0);
    const standingA: PhaseCurrentsA = [fallbackA[0] - uncontrolledA, fallbackA[1] - uncontrolledA, fallbackA[2] - uncontrolledA];
    const budgetA = Math.max(0, Math.min(...standingA) - safetyMarginA);
    const steerable = stations.filter((s) => s.controllable);
    const shares = standingLimits(standingA, safetyMarginA, steerable);
    const { ledger } = this.deps;
    const committed = (s: FleetStation): number | undefined => ledger.standingCommittedA(s.stationId);
    const toSend = stations.filter((s) => s.connected && s.controllable && shares.get(s.stationId) !== this.standingSent.get(s.stationId));
    const lower = toSend.filter((s) => {
      const held = committed(s);
      return held !== undefined && (shares.get(s.stationId) ?? 0) <= held;
    });
    const lowerSet = new Set(lower);
    const higher = toSend.filter((s) => !lowerSet.has(s));
    const lowered = await this.sendBatch(lower.map((s) => this.prepareStanding(s, shares.get(s.stationId) ?? 0)));
    if (!lowered.every(Boolean)) return higher.length > 0;

    let roomA = budgetA;
    for (const station of steerable) roomA -= committed(station) ?? 0;
    let heldBack = false;
    const grants: (() => Promise<boolean>)[] = [];
    for (const station of higher) {
      const heldA = committed(station);
      const shareA = shares.get(station.stationId) ?? 0;
      let grantA = Math.min(shareA, floorToTenth((heldA ?? 0) + Math.max(0, roomA)));
      // Below the IEC 61851 minimum a standing limit lets no EV charge: 0 until there is room for 6 A.
      if (grantA < IEC61851_MIN_CURRENT_A) grantA = heldA ?? 0;
      if (grantA < shareA) heldBack = true;
      if (heldA !== undefined && grantA <= heldA) continue;
      roomA -= grantA - (heldA ?? 0);
      grants.push(this.prepareStanding(station, grantA));
    }
    if (heldBack) this.log.info('standing limits held below their share until the standing budget has room', { budgetA });
    await this.sendBatch(grants);
    return heldBack;
  }

  private prepareStanding(station: FleetStation, limitA: number): () => Promise<boolean> {
    this.deps.ledger.standingSent(station.stationId, limitA);
    return async () => {
      const outcome = await this.deps.commands.applyLimits(station.stationId, { kind: 'standing', limitA });
      if (outcome === ACCEPTED) {
        this.deps.ledger.standingAcknowledged(station.stationId, limitA);
        this.standingSent.set(station.stationId, limitA);
      } else {
        this.deps.ledger.standingFailed(station.stationId, outcome);
      }
      this.deps.events.emit('standingLimitSet', { groupId: this.groupId, stationId: station.stationId, limitA, outcome });
      return outcome === ACCEPTED;
    };
  }

  /**
   * Write-ahead: every change is recorded as pending in the ledger and persisted before it goes out, so a crash
   * mid-change restarts counting the higher of old and new; outcomes are persisted once the batch is answered.
   */
  private async sendBatch(senders: readonly (() => Promise<boolean>)[]): Promise<boolean[]> {
    if (senders.length === 0) return [];
    this.deps.persist?.(this.groupId);
    const results = await Promise.all(senders.map((send) => send()));
    this.deps.persist?.(this.groupId);
    return results;
  }

  /** Step 1 sends every decrease (pointwise min of old and new); step 2 the rest, only if step 1 all held. */
  private async transition(desired: readonly StationSchedule[], nowMs: number): Promise<{ changed: number; failed: number }> {
    const { ledger } = this.deps;
    const { firstStep, secondStep } = transitionSteps(
      desired.map((target) => {
        // From what may be in force: a schedule that timed out on its way counts until a later one is acknowledged.
        const inForce = ledger.liveMayBeInForce(target.stationId);
        const fallbackA = ledger.standingA(target.stationId) ?? Infinity;
        const known = !ledger.liveUncertain(target.stationId);
        return {
          target,
          inForce,
          fallbackA,
          unchanged: known && inForce !== undefined && this.unchanged(inForce, target.stationCap, fallbackA, nowMs),
        };
      }),
      nowMs,
    );
    const firstResults = await this.sendBatch(firstStep.map((s) => this.prepareLive(s)));
    const failedFirst = firstResults.filter((ok) => !ok).length;
    if (failedFirst > 0) {
      this.log.warn('decreases not acknowledged; increases held back until the next reallocation', { failed: failedFirst });
      return { changed: firstStep.length, failed: failedFirst };
    }
    const secondResults = await this.sendBatch(secondStep.map((s) => this.prepareLive(s)));
    return { changed: firstStep.length + secondStep.length, failed: secondResults.filter((ok) => !ok).length };
  }

  /** Same limits from now on, and enough lease left: nothing to send (keeps station traffic and flash wear low). */
  private unchanged(inForce: LeasedSchedule, next: LeasedSchedule, fallbackA: number, nowMs: number): boolean {
    if (inForce.leaseEndMs - nowMs < this.options.leaseMs / 2) return false;
    const horizon = { periods: next.periods, leaseEndMs: Math.min(next.leaseEndMs, inForce.leaseEndMs) };
    const trimmed = { periods: inForce.periods, leaseEndMs: horizon.leaseEndMs };
    return atOrBelow(trimmed, horizon, fallbackA, nowMs) && atOrBelow(horizon, trimmed, fallbackA, nowMs);
  }

  private prepareLive(target: StationSchedule): () => Promise<boolean> {
    const token = this.deps.ledger.liveSent(target.stationId, target.stationCap);
    return async () => {
      const request = { kind: 'live', stationCap: target.stationCap, sessions: target.sessions } as const;
      const outcome = await this.deps.commands.applyLimits(target.stationId, request);
      if (outcome === ACCEPTED) this.deps.ledger.liveAcknowledged(target.stationId, token);
      else {
        this.deps.ledger.liveFailed(target.stationId, token, outcome);
        // One line per station at debug: the batch is summarised once (a backed-off fleet would flood the log).
        this.log.debug('live limit not applied', { stationId: target.stationId, outcome });
      }
      return outcome === ACCEPTED;
    };
  }

  /** Next run: at the next block boundary, before the leases run out, and soon again after a failure. */
  private scheduleNext(blocks: readonly PlanBlock[], nowMs: number, retrySoon: boolean): void {
    const nextBoundary = blocks.find((b) => b.endMs > nowMs)?.endMs ?? nowMs + this.options.leaseMs;
    const renewal = nowMs + this.options.leaseMs / 2;
    const retry = retrySoon ? nowMs + 5000 : Infinity;
    const due = Math.min(nextBoundary, renewal, retry);
    this.deps.scheduler.scheduleNoLaterThan(this.key('realloc'), due, () => void this.runOnce());
  }
}

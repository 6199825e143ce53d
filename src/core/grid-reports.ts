// What a group tells its Capacity Provider after planning: a compliance error when load it cannot control
// exceeds the capacity (once per forecast), and an adjust request when EVs' stated needs do not fit (rate-limited).
import type { CapacityBlock } from '../domain/capacity';
import type { GroupLayout } from '../domain/group';
import type { Logger } from '../observability/log';
import type { CoreEvents } from './events';
import type { Fleet } from './fleet';
import type { LeaseLedger } from './lease-ledger';
import type { PlanBlock, PlanResult, PlanSession } from './ports';
import type { ForecastSource, GridReporter } from './ports';

/** Adjust requests go out at most this often per group. */
export const ADJUST_INTERVAL_MS = 15 * 60_000;

/**
 * Forecasts whose overload was reported, remembered per group: enough for every forecast that can still be in force
 * (a CP replaces them block by block), bounded so that a CP sending one forecast a minute for months does not grow it.
 */
export const REPORTED_OVERLOADS_KEPT = 256;

export interface GridReportsDeps {
  readonly forecasts: ForecastSource;
  readonly grid: GridReporter;
  readonly events: CoreEvents;
  readonly logger: Logger;
  readonly fleet: Pick<Fleet, 'stationsOf'>;
  readonly ledger: Pick<LeaseLedger, 'restoredLeaseRunning' | 'acknowledgedAt'>;
}

/**
 * Longest an overload is held back while connected stations have not yet acknowledged their first limit: a joining
 * station is counted at its maximum until it does (it stays Pending meanwhile, ocpp.bootPendingMaxS: 30 s by default),
 * so a fleet coming online looks overloaded for seconds. Past this the overload is reported: it is the group's.
 */
export const JOINING_HOLD_MS = 60_000;

export class GridReports {
  /** Insertion-ordered: the oldest is dropped first. */
  private readonly reportedOverloads = new Set<string>();
  private lastAdjustMs = -Infinity;
  private heldLogged = false;
  /** When the current hold for joining stations began (undefined: none). */
  private joiningHeldSinceMs: number | undefined;

  constructor(
    private readonly group: GroupLayout,
    private readonly deps: GridReportsDeps,
  ) {}

  /** How many forecasts are remembered as reported (bounded by REPORTED_OVERLOADS_KEPT). */
  get reportedCount(): number {
    return this.reportedOverloads.size;
  }

  afterPlan(nowMs: number, blocks: readonly PlanBlock[], sessions: readonly PlanSession[], result: PlanResult): void {
    this.reportOverloads(nowMs, blocks, result);
    this.requestAdjustment(nowMs, blocks, sessions, result);
  }

  /**
   * Stations not back since a restart, still counted at a lease the previous run granted. That lease was planned for
   * the capacity of its day (a cut may have come while the agent was down, or the kill came between a transition's
   * steps), and the station is re-profiled the moment it is back: an overload now is the restart's, not the group's.
   * Bounded by those leases: once they end, the stations count at their standing limits and an overload is real.
   */
  private awaitingRestored(nowMs: number): number {
    return this.deps.fleet
      .stationsOf(this.group.id)
      .filter((s) => !s.connected && this.deps.ledger.restoredLeaseRunning(s.stationId, nowMs)).length;
  }

  /** Connected, steerable stations that have not acknowledged any limit yet (just connected, or booting). */
  private joining(nowMs: number): number {
    return this.deps.fleet
      .stationsOf(this.group.id)
      .filter((s) => s.connected && s.controllable && !this.deps.ledger.acknowledgedAt(s.stationId, nowMs)).length;
  }

  private reportOverloads(nowMs: number, blocks: readonly PlanBlock[], result: PlanResult): void {
    const overloaded = mergeAdjacent(
      result.overloadedBlocks.map((i) => blocks[i]).filter((b): b is PlanBlock => b !== undefined && b.source === 'forecast'),
    );
    const first = overloaded[0];
    if (!first) return;
    const requestId = this.deps.forecasts.requestIdAt(this.group.id, 'CONSUMPTION', first.startMs);
    if (!requestId || this.reportedOverloads.has(requestId)) return;
    const awaiting = this.awaitingRestored(nowMs);
    if (awaiting > 0) {
      // Once per hold: every plan until they are back would say the same.
      if (!this.heldLogged)
        this.deps.logger.info('overload not reported yet: stations restored after a restart are not back', {
          groupId: this.group.id,
          forecastRequestId: requestId,
          stations: awaiting,
        });
      this.heldLogged = true;
      return;
    }
    const joining = this.joining(nowMs);
    if (joining > 0) {
      this.joiningHeldSinceMs ??= nowMs;
      if (nowMs - this.joiningHeldSinceMs < JOINING_HOLD_MS) {
        if (!this.heldLogged)
          this.deps.logger.info(
            'overload not reported yet: stations are joining (counted at their maximum until they acknowledge a limit)',
            {
              groupId: this.group.id,
              forecastRequestId: requestId,
              stations: joining,
              holdS: JOINING_HOLD_MS / 1000,
            },
          );
        this.heldLogged = true;
        return;
      }
    }
    this.joiningHeldSinceMs = undefined;
    this.heldLogged = false;
    this.reportedOverloads.add(requestId);
    if (this.reportedOverloads.size > REPORTED_OVERLOADS_KEPT) {
      const oldest = this.reportedOverloads.values().next().value;
      if (oldest !== undefined) this.reportedOverloads.delete(oldest);
    }
    const message = `group ${this.group.id}: load that cannot be controlled exceeds the capacity in ${overloaded.length} block(s)`;
    this.deps.grid.complianceError(this.group.id, requestId, message, overloaded.map(toCapacityBlock));
    this.deps.logger.warn('compliance error sent', { groupId: this.group.id, forecastRequestId: requestId, blocks: overloaded.length });
    this.deps.events.emit('complianceErrorSent', {
      groupId: this.group.id,
      forecastRequestId: requestId,
      blocks: overloaded.length,
      message,
    });
  }

  /**
   * Energy each EV with stated needs gets before its departure under the plan; where some fall short, ask for
   * the blocks before the latest such departure raised by the average current the shortfall needs.
   */
  private requestAdjustment(nowMs: number, blocks: readonly PlanBlock[], sessions: readonly PlanSession[], result: PlanResult): void {
    if (nowMs - this.lastAdjustMs < ADJUST_INTERVAL_MS) return;
    let shortfallWh = 0;
    let untilMs = nowMs;
    for (const session of sessions) {
      if (session.energyWantedWh === undefined || session.departureMs === undefined || session.departureMs <= nowMs) continue;
      const limits = result.limitsA.get(session.transactionId) ?? [];
      let deliveredWh = 0;
      blocks.forEach((block, i) => {
        const hours = Math.max(0, Math.min(block.endMs, session.departureMs ?? 0) - Math.max(block.startMs, nowMs)) / 3_600_000;
        deliveredWh += (limits[i] ?? 0) * this.group.phaseVoltageV * session.phasesUsed * hours;
      });
      if (deliveredWh + 1 < session.energyWantedWh) {
        shortfallWh += session.energyWantedWh - deliveredWh;
        untilMs = Math.max(untilMs, session.departureMs);
      }
    }
    const window = blocks.filter((b) => b.source === 'forecast' && b.startMs < untilMs);
    if (shortfallWh <= 0 || window.length === 0) return;
    const hours =
      (Math.min(untilMs, (window[window.length - 1] as PlanBlock).endMs) - Math.max(nowMs, (window[0] as PlanBlock).startMs)) / 3_600_000;
    const extraA = Math.ceil((shortfallWh / (Math.max(hours, 0.25) * this.group.phaseVoltageV * this.group.phases)) * 10) / 10;
    const asked = window.map((b) =>
      toCapacityBlock({ ...b, capacityA: [b.capacityA[0] + extraA, b.capacityA[1] + extraA, b.capacityA[2] + extraA] }),
    );
    this.lastAdjustMs = nowMs;
    this.deps.grid.adjustForecast(this.group.id, asked);
    this.deps.logger.info('asked the grid for more capacity', {
      groupId: this.group.id,
      blocks: asked.length,
      extraA,
      shortfallWh: Math.round(shortfallWh),
    });
    this.deps.events.emit('adjustRequested', { groupId: this.group.id, blocks: asked.length });
  }
}

function toCapacityBlock(block: PlanBlock): CapacityBlock {
  return { startMs: block.startMs, endMs: block.endMs, limitA: block.capacityA };
}

/** Quarter-hour plan blocks cut from one forecast block are reported as that one block again. */
function mergeAdjacent(blocks: readonly PlanBlock[]): PlanBlock[] {
  const merged: PlanBlock[] = [];
  for (const block of blocks) {
    const last = merged[merged.length - 1];
    if (last && last.endMs === block.startMs && last.capacityA.every((a, p) => a === block.capacityA[p])) {
      merged[merged.length - 1] = { ...last, endMs: block.endMs };
    } else merged.push(block);
  }
  return merged;
}

// Binds the controller's PlanFn to the pure allocator: maps the request in, and the typed-array plan out
// into per-session limits, the reason for each session now, and the blocks the group cannot comply with.
import { allocate, limitOf, reasonOf, type Reason } from '../allocator';
import type { PlanFn } from './planning';

export const allocatorPlan: PlanFn = (request) => {
  const plan = allocate({
    nowMs: request.nowMs,
    blocks: request.blocks.map((b) => ({ startMs: b.startMs, endMs: b.endMs, capacityA: b.capacityA })),
    safetyMarginA: request.group.safetyMarginA,
    groupPhases: request.group.phases,
    phaseVoltageV: request.group.phaseVoltageV,
    sessions: request.sessions.map((s) => ({
      id: s.transactionId,
      stationId: s.stationId,
      phasesUsed: s.phasesUsed,
      phase: s.phase,
      minA: s.minA,
      maxA: s.maxA,
      priority: s.priority,
      energyWantedWh: s.energyWantedWh,
      departureMs: s.departureMs,
      measuredA: s.measuredA,
      belowLimitSinceMs: s.belowLimitSinceMs,
      pausedSinceMs: s.pausedSinceMs,
    })),
    stationMaxA: request.stationMaxA,
    fixedLoads: request.fixedLoads.map((f) => ({ id: f.stationId, phasesUsed: f.phases, limitsA: f.limitsA })),
    previous: request.previous,
  });
  const limitsA = new Map<string, number[]>();
  const reasons = new Map<string, Reason>();
  request.sessions.forEach((s, i) => {
    limitsA.set(
      s.transactionId,
      request.blocks.map((_, b) => limitOf(plan, i, b)),
    );
    reasons.set(s.transactionId, reasonOf(plan, i, 0));
  });
  return { limitsA, reasons, overloadedBlocks: plan.overloadedBlocks };
};

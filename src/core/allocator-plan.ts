// Binds the controller's PlanFn to the pure allocator: the request goes in as it is (sessions keyed by transaction),
// the typed-array plan comes out as per-session limits, the reason for each session now, and the blocks it cannot comply with.
import { allocate, limitOf, reasonOf, type Reason } from '../allocator';
import type { PlanFn } from './ports';

export const allocatorPlan: PlanFn = (request) => {
  const { group } = request;
  const plan = allocate({
    ...request,
    safetyMarginA: group.safetyMarginA,
    groupPhases: group.phases,
    phaseVoltageV: group.phaseVoltageV,
    sessions: request.sessions.map((s) => ({ ...s, id: s.transactionId })),
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

// The allocation itself: per block, pinned and fixed load first, then who gets at least the minimum (priority,
// urgency, turns), then the rest by weighted water-filling under phase and station limits. Pure; O(n) per block, plus
// a partial sort of those that reach their own ceiling, and a copy for a block that repeats the one before.
import { floorToTenth, IEC61851_MIN_CURRENT_A } from '../domain/electrical';
import { AdmissionOrder } from './admission';
import { DEFAULT_ALLOCATION_OPTIONS, reasonCode, type AllocationInput, type Plan } from './model';
import { sessionTable } from './session-table';
import { BOUND_EV, BOUND_PHASE, BOUND_STATION, WaterFill } from './water-fill';

const R_FAIR = reasonCode('fair-share');
const R_PAUSED = reasonCode('paused-for-capacity');
const R_FIXED = reasonCode('fixed');
const R_KEPT = reasonCode('kept-by-hysteresis');
const BOUND_REASON = new Uint8Array(4);
BOUND_REASON[BOUND_EV] = reasonCode('capped-by-ev');
BOUND_REASON[BOUND_STATION] = reasonCode('capped-by-station');
BOUND_REASON[BOUND_PHASE] = reasonCode('capped-by-phase');
// Bound once here, so the per-session loop reads locals, not the other modules' exports.
const floorTenth = floorToTenth;
const R_PHASE = BOUND_REASON[BOUND_PHASE] as number;

/**
 * Every load counts on every phase of the group — L1 in a 1-phase group, else all three (a 1-phase EV's phase is
 * not known) — so only the tightest phase decides who fits and where the water stops: one number, `leftA`.
 */
export function allocate(input: AllocationInput): Plan {
  const options = { ...DEFAULT_ALLOCATION_OPTIONS, ...input.options };
  const { blocks, sessions, safetyMarginA: marginA, fixedLoads } = input;
  const B = blocks.length;
  const S = sessions.length;
  const threePhase = input.groupPhases !== 1;
  const limitsA = new Float64Array(S * B);
  const reasons = new Uint8Array(S * B);
  const headroomA = new Float64Array(B * 3);
  const overloadedBlocks: number[] = [];

  const t = sessionTable(input, options.lendAfterMs, options.lendBufferA);
  const credit = new Int32Array(S);
  sessions.forEach((s, i) => {
    if (s.pausedSinceMs !== undefined) credit[i] = Math.max(0, Math.floor((input.nowMs - s.pausedSinceMs) / options.rotationPeriodMs));
  });
  const order = new AdmissionOrder(sessions, t.urgency, credit, t.eligible, B);
  const fill = new WaterFill(S, t.weight, t.stationOf, t.memberStart, t.members);
  const previous = previousPlan(input);
  const { minA, weight, stationOf } = t;

  const stationLeft = new Float64Array(t.stationMax.length);
  const admitted = new Uint8Array(S);
  // What the last block decided: for the fast paths of blocks that differ only in capacity, or not at all.
  let sumMinA = 0;
  let lastAllAdmitted = false;
  let lastLendable: boolean | undefined;
  let lastLeftA = Number.NaN;
  let lastPreviousBlock: number | undefined;
  let lastLoadA = 0;

  for (let b = 0; b < B; b++) {
    const block = blocks[b] as (typeof blocks)[number];
    const capacityA = block.capacityA;
    // This block's rows of the plan (block-major layout: contiguous per block).
    const lim = limitsA.subarray(b * S, (b + 1) * S);
    const why = reasons.subarray(b * S, (b + 1) * S);
    let leftA = threePhase
      ? Math.min((capacityA[0] ?? 0) - marginA, (capacityA[1] ?? 0) - marginA, (capacityA[2] ?? 0) - marginA)
      : (capacityA[0] ?? 0) - marginA;
    for (const load of fixedLoads) leftA -= load.limitsA[b] ?? 0;
    stationLeft.set(t.stationMax);

    // Pinned sessions are load, like fixed loads; sessions too small to charge are paused outright.
    const lendable = block.startMs < input.nowMs + options.lendHorizonMs;
    const v = lendable ? t.lend : t.noLend;
    why.set(v.why);
    for (const i of t.pinned) {
      const pinned = t.pinnedA[i] as number;
      lim[i] = pinned;
      leftA -= pinned;
      const s = stationOf[i] as number;
      stationLeft[s] = (stationLeft[s] as number) - pinned;
    }
    if (leftA < 0) overloadedBlocks.push(b);

    // Admission: in priority order, those served least so far first, each gets its minimum if it fits.
    // Fast path: everyone eligible got in last block, and all their minimums fit again — same admission. (A 1-phase
    // group also asks L2 and L3 to hold nothing, i.e. not to be below the margin.)
    const sameAdmission =
      lastAllAdmitted &&
      lendable === lastLendable &&
      !(leftA + 1e-9 < sumMinA) &&
      (threePhase || !((capacityA[1] ?? 0) - marginA + 1e-9 < 0 || (capacityA[2] ?? 0) - marginA + 1e-9 < 0));
    let changed = false;
    if (sameAdmission) leftA -= sumMinA;
    else {
      sumMinA = 0;
      let allAdmitted = true;
      const visit = order.order;
      for (let k = 0; k < visit.length; k++) {
        const i = visit[k] as number;
        const amps = minA[i] as number;
        const s = stationOf[i] as number;
        const fits = !(leftA + 1e-9 < amps) && (stationLeft[s] as number) >= amps;
        if (fits !== (admitted[i] === 1)) changed = true;
        if (fits) {
          admitted[i] = 1;
          leftA -= amps;
          sumMinA += amps;
          stationLeft[s] = (stationLeft[s] as number) - amps;
        } else {
          admitted[i] = 0;
          allAdmitted = false;
          why[i] = R_PAUSED;
        }
      }
      order.advance(admitted);
      lastAllAdmitted = allAdmitted;
    }
    const unchanged = sameAdmission || (b > 0 && !changed && lendable === lastLendable);
    lastLendable = lendable;
    const previousBlock = previous?.blockAt(block.startMs);

    let loadA = 0;
    if (unchanged && leftA === lastLeftA && previousBlock === lastPreviousBlock) {
      // Same sessions, same room, same plan in force: the same row as the block before.
      limitsA.copyWithin(b * S, (b - 1) * S, b * S);
      reasons.copyWithin(b * S, (b - 1) * S, b * S);
      loadA = lastLoadA;
    } else {
      // Fair share of what is left above the minimums, weighted, bounded by EV, station and phase.
      if (!unchanged) fill.prepare(admitted, v, stationLeft);
      fill.run(leftA);
      const { capAmps, cappedIn, baseBound, runs, phaseLevel } = fill;
      const kept = previousBlock === undefined ? undefined : previous?.bySession;
      // Final values (rounded down, hysteresis) and, in the same pass, the load they put on the phases.
      for (let i = 0; i < S; i++) {
        if (!admitted[i]) {
          if (why[i] === R_FIXED) loadA += lim[i] as number;
          continue;
        }
        const capped = cappedIn[i] === runs;
        const extraA = capped ? (capAmps[i] as number) : Math.max(0, (weight[i] as number) * phaseLevel);
        let value = floorTenth((minA[i] as number) + extraA);
        if (why[i] === R_FAIR) why[i] = capped ? (BOUND_REASON[baseBound[i] as number] as number) : R_PHASE;
        const before = kept?.[i]?.[previousBlock as number];
        if (before !== undefined && before >= IEC61851_MIN_CURRENT_A && value > before && value - before < options.hysteresisA) {
          value = before;
          why[i] = R_KEPT;
        }
        lim[i] = value;
        loadA += value;
      }
    }
    lastLeftA = leftA;
    lastPreviousBlock = previousBlock;
    lastLoadA = loadA;

    // Headroom from the final, rounded values.
    for (let p = 0; p < 3; p++) {
      let room = (capacityA[p] ?? 0) - marginA - (p === 0 || threePhase ? loadA : 0);
      if (p === 0 || threePhase) for (const fixed of fixedLoads) room -= fixed.limitsA[b] ?? 0;
      headroomA[b * 3 + p] = room;
    }
  }
  return { blocks, sessionIds: sessions.map((s) => s.id), limitsA, headroomA, reasons, overloadedBlocks };
}

/** The previous plan's limits aligned to this plan's sessions; `blockAt` finds the block covering an instant. */
function previousPlan(input: AllocationInput) {
  const previous = input.previous;
  if (!previous || previous.blockStartsMs.length === 0) return undefined;
  const starts = previous.blockStartsMs;
  return {
    bySession: input.sessions.map((s) => previous.limitsA.get(s.id)),
    blockAt(atMs: number): number | undefined {
      if (atMs < (starts[0] as number) || atMs >= previous.endMs) return undefined;
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= atMs) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}

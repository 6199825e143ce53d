// Reference: the allocator as it was before issue #15's rewrite (src/allocator at 6ca3d73), kept only so that
// test/unit/allocator/equivalence.test.ts can prove the faster one gives the very same plans. Not used by src/.
import { floorToTenth, IEC61851_MIN_CURRENT_A } from '../../../../src/domain/electrical';
import { admissionOrder } from './admission';
import { DEFAULT_ALLOCATION_OPTIONS, REASONS, type AllocationInput, type Plan, type Reason } from '../../../../src/allocator/model';
import { WaterFill } from './water-fill';

const reason = (r: Reason): number => REASONS.indexOf(r);
const R_FAIR = reason('fair-share');
const R_EV_MAX = reason('capped-by-ev');
const R_STATION = reason('capped-by-station');
const R_PHASE = reason('capped-by-phase');
const R_PAUSED = reason('paused-for-capacity');
const R_TOO_SMALL = reason('paused-ev-below-minimum');
const R_LENDING = reason('lending');
const R_FIXED = reason('fixed');
const R_KEPT = reason('kept-by-hysteresis');
const BOUND_REASON = [R_FAIR, R_EV_MAX, R_STATION, R_PHASE];

/** Grid phases every load is counted on: L1 in a 1-phase group, else all three (a 1-phase EV's phase is not known). */
const phaseMask = (groupPhases: 1 | 3): number => (groupPhases === 1 ? 0b001 : 0b111);

/** Weight in the fair share: priority doubles every 3 steps; an urgent EV (needs a lot before departure) up to ×3. */
function weightOf(priority: number, urgency: number): number {
  return Math.pow(2, Math.max(-9, Math.min(9, priority)) / 3) * urgency;
}

/** Per-session constants of one plan, in typed arrays so the per-block loops touch no objects. */
function sessionTable(input: AllocationInput, lendAfterMs: number, lendBufferA: number) {
  const { sessions } = input;
  const S = sessions.length;
  const masks = new Uint8Array(S).fill(phaseMask(input.groupPhases));
  const urgency = new Float64Array(S);
  const weight = new Float64Array(S);
  const minA = new Float64Array(S);
  const maxA = new Float64Array(S);
  const lendCeilingA = new Float64Array(S);
  const pinnedA = new Float64Array(S).fill(Number.NaN);
  const stationOf = new Int32Array(S);
  const stationIds: string[] = [];
  const stationIndex = new Map<string, number>();
  sessions.forEach((s, i) => {
    let station = stationIndex.get(s.stationId);
    if (station === undefined) {
      station = stationIds.length;
      stationIds.push(s.stationId);
      stationIndex.set(s.stationId, station);
    }
    stationOf[i] = station;
    urgency[i] = 1;
    if (s.energyWantedWh !== undefined && s.departureMs !== undefined && s.departureMs > input.nowMs && s.maxA > 0) {
      const hours = (s.departureMs - input.nowMs) / 3_600_000;
      const requiredA = s.energyWantedWh / (hours * input.phaseVoltageV * s.phasesUsed);
      urgency[i] = 1 + 2 * Math.min(1, Math.max(0, requiredA / s.maxA));
    }
    // One weight for the whole horizon keeps the water-filling order the same block after block (fast), and
    // after its departure time an EV is normally gone anyway.
    weight[i] = weightOf(s.priority, urgency[i] as number);
    minA[i] = Math.max(IEC61851_MIN_CURRENT_A, s.minA);
    maxA[i] = s.maxA;
    if (s.fixedA !== undefined) pinnedA[i] = s.fixedA;
    // Lending only ever lowers a ceiling, and never below the minimum: the EV keeps room to show it wants more.
    const lends = s.measuredA !== undefined && s.belowLimitSinceMs !== undefined && input.nowMs - s.belowLimitSinceMs >= lendAfterMs;
    lendCeilingA[i] =
      lends && s.maxA >= (minA[i] as number) ? Math.min(s.maxA, Math.max(minA[i] as number, (s.measuredA ?? 0) + lendBufferA)) : s.maxA;
  });
  // Sessions of each station, contiguous (CSR), for the station limit.
  const memberStart = new Int32Array(stationIds.length + 1);
  for (let i = 0; i < S; i++) memberStart[(stationOf[i] as number) + 1] = (memberStart[(stationOf[i] as number) + 1] as number) + 1;
  for (let s = 0; s < stationIds.length; s++) memberStart[s + 1] = (memberStart[s + 1] as number) + (memberStart[s] as number);
  const cursor = memberStart.slice(0, stationIds.length);
  const members = new Int32Array(S);
  for (let i = 0; i < S; i++) {
    const s = stationOf[i] as number;
    members[cursor[s] as number] = i;
    cursor[s] = (cursor[s] as number) + 1;
  }
  const stationMax = Float64Array.from(stationIds, (id) => input.stationMaxA.get(id) ?? Infinity);
  // Per-block constants in the two variants a block can need (inside or beyond the lending horizon), so a block
  // copies them instead of recomputing them session by session.
  const variant = (lending: boolean) => {
    const ceiling = lending ? lendCeilingA : maxA;
    const why = new Uint8Array(S);
    const room = new Float64Array(S);
    for (let i = 0; i < S; i++) {
      const c = ceiling[i] as number;
      why[i] = c < (minA[i] as number) ? R_TOO_SMALL : c < (maxA[i] as number) ? R_LENDING : R_FAIR;
      room[i] = c - (minA[i] as number);
    }
    return { ceiling, why, room };
  };
  const pinned: number[] = [];
  for (let i = 0; i < S; i++) if (pinnedA[i] === pinnedA[i]) pinned.push(i);
  return {
    masks,
    urgency,
    weight,
    minA,
    maxA,
    lendCeilingA,
    pinnedA,
    pinned,
    stationOf,
    stationMax,
    memberStart,
    members,
    lend: variant(true),
    noLend: variant(false),
  };
}

export function referenceAllocate(input: AllocationInput): Plan {
  const options = { ...DEFAULT_ALLOCATION_OPTIONS, ...input.options };
  const { blocks, sessions } = input;
  const B = blocks.length;
  const S = sessions.length;
  const limitsA = new Float64Array(S * B);
  const reasons = new Uint8Array(S * B);
  const headroomA = new Float64Array(B * 3);
  const overloadedBlocks: number[] = [];

  const t = sessionTable(input, options.lendAfterMs, options.lendBufferA);
  const credit = Int32Array.from(sessions, (s) =>
    s.pausedSinceMs === undefined ? 0 : Math.max(0, Math.floor((input.nowMs - s.pausedSinceMs) / options.rotationPeriodMs)),
  );
  const order = admissionOrder(sessions, t.urgency, credit);
  const fill = new WaterFill(S, t.memberStart, t.members);
  const previous = previousPlan(input);
  const fixedMask = phaseMask(input.groupPhases);

  const avail = new Float64Array(3);
  const stationLeft = new Float64Array(t.stationMax.length);
  const admitted = new Uint8Array(S);
  const weights = t.weight;
  // What the last block decided, for the fast paths of blocks that differ only in capacity.
  const lastAdmitted = new Uint8Array(S);
  const lastStationLeft = new Float64Array(t.stationMax.length);
  const sumMinA = new Float64Array(3);
  let lastAllAdmitted = false;
  let lastLendable: boolean | undefined;

  for (let b = 0; b < B; b++) {
    const block = blocks[b] as (typeof blocks)[number];
    // This block's rows of the plan (block-major layout: contiguous per block).
    const lim = limitsA.subarray(b * S, (b + 1) * S);
    const why = reasons.subarray(b * S, (b + 1) * S);
    for (let p = 0; p < 3; p++) avail[p] = (block.capacityA[p] ?? 0) - input.safetyMarginA;
    for (const load of input.fixedLoads) subtract(avail, fixedMask, load.limitsA[b] ?? 0);
    stationLeft.set(t.stationMax);

    // Pinned sessions are load, like fixed loads; sessions too small to charge are paused outright.
    const lendable = block.startMs < input.nowMs + options.lendHorizonMs;
    const v = lendable ? t.lend : t.noLend;
    why.set(v.why);
    for (const i of t.pinned) {
      const pinned = t.pinnedA[i] as number;
      lim[i] = pinned;
      why[i] = R_FIXED;
      subtract(avail, t.masks[i] as number, pinned);
      const s = t.stationOf[i] as number;
      stationLeft[s] = (stationLeft[s] as number) - pinned;
    }
    if (input.groupPhases === 1 ? (avail[0] as number) < 0 : Math.min(avail[0] as number, avail[1] as number, avail[2] as number) < 0) {
      overloadedBlocks.push(b);
    }

    // Admission: in priority order, those served least so far first, each gets its minimum if it fits.
    // Fast path: everyone eligible got in last block, and all their minimums fit again — same admission.
    const sameAdmission = lastAllAdmitted && lendable === lastLendable && fitsAll(avail, sumMinA);
    if (sameAdmission) {
      for (let i = 0; i < S; i++) {
        if (!admitted[i]) continue;
        lim[i] = t.minA[i] as number;
      }
      subtractAll(avail, sumMinA);
      stationLeft.set(lastStationLeft);
    } else {
      admitted.fill(0);
      sumMinA.fill(0);
      let allAdmitted = true;
      order.forEach((i) => {
        if (why[i] === R_FIXED || why[i] === R_TOO_SMALL) return;
        const minA = t.minA[i] as number;
        const mask = t.masks[i] as number;
        const s = t.stationOf[i] as number;
        if (fits(avail, mask, minA) && (stationLeft[s] as number) >= minA) {
          admitted[i] = 1;
          subtract(avail, mask, minA);
          subtract(sumMinA, mask, -minA);
          stationLeft[s] = (stationLeft[s] as number) - minA;
          lim[i] = minA;
          order.served(i);
        } else {
          allAdmitted = false;
          lim[i] = 0;
          why[i] = R_PAUSED;
        }
      });
      lastAllAdmitted = allAdmitted;
      lastStationLeft.set(stationLeft);
    }
    const unchanged = sameAdmission || (b > 0 && sameAs(admitted, lastAdmitted) && lendable === lastLendable);
    lastAdmitted.set(admitted);
    lastLendable = lendable;

    // Fair share of what is left above the minimums, weighted, bounded by EV, station and phase.
    fill.run(
      { admitted, masks: t.masks, stationOf: t.stationOf, headroomA: v.room, weights, phaseLeftA: avail, stationLeftA: stationLeft },
      unchanged,
    );
    const previousBlock = previous?.blockAt(block.startMs);
    // Final values (rounded down, hysteresis) and, in the same pass, the load they put on each phase.
    const load = [0, 0, 0];
    for (let i = 0; i < S; i++) {
      if (!admitted[i]) {
        if (why[i] === R_FIXED) addLoad(load, t.masks[i] as number, lim[i] as number);
        continue;
      }
      let value = floorToTenth((lim[i] as number) + (fill.extraA[i] as number));
      if (why[i] === R_FAIR) why[i] = BOUND_REASON[fill.boundBy[i] as number] as number;
      if (previousBlock !== undefined) {
        const kept = previous?.limit(i, previousBlock);
        if (kept !== undefined && kept >= IEC61851_MIN_CURRENT_A && value > kept && value - kept < options.hysteresisA) {
          value = kept;
          why[i] = R_KEPT;
        }
      }
      lim[i] = value;
      addLoad(load, t.masks[i] as number, value);
    }

    // Headroom from the final, rounded values.
    for (let p = 0; p < 3; p++) headroomA[b * 3 + p] = (block.capacityA[p] ?? 0) - input.safetyMarginA - (load[p] as number);
    for (const fixed of input.fixedLoads) subtractAt(headroomA, b, fixedMask, fixed.limitsA[b] ?? 0);
  }
  return { blocks, sessionIds: sessions.map((s) => s.id), limitsA, headroomA, reasons, overloadedBlocks };
}

function addLoad(load: number[], mask: number, amps: number): void {
  if (mask === 0b111) {
    load[0] = (load[0] as number) + amps;
    load[1] = (load[1] as number) + amps;
    load[2] = (load[2] as number) + amps;
  } else for (let p = 0; p < 3; p++) if (mask & (1 << p)) load[p] = (load[p] as number) + amps;
}

function fits(avail: Float64Array, mask: number, amps: number): boolean {
  for (let p = 0; p < 3; p++) if (mask & (1 << p) && (avail[p] as number) + 1e-9 < amps) return false;
  return true;
}

function fitsAll(avail: Float64Array, amps: Float64Array): boolean {
  for (let p = 0; p < 3; p++) if ((avail[p] as number) + 1e-9 < (amps[p] as number)) return false;
  return true;
}

function subtractAll(avail: Float64Array, amps: Float64Array): void {
  for (let p = 0; p < 3; p++) avail[p] = (avail[p] as number) - (amps[p] as number);
}

function sameAs(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function subtract(avail: Float64Array, mask: number, amps: number): void {
  for (let p = 0; p < 3; p++) if (mask & (1 << p)) avail[p] = (avail[p] as number) - amps;
}

function subtractAt(headroom: Float64Array, block: number, mask: number, amps: number): void {
  for (let p = 0; p < 3; p++) if (mask & (1 << p)) headroom[block * 3 + p] = (headroom[block * 3 + p] as number) - amps;
}

/** The previous plan's limits aligned to this plan's sessions; `blockAt` finds the block covering an instant. */
function previousPlan(input: AllocationInput) {
  const previous = input.previous;
  if (!previous || previous.blockStartsMs.length === 0) return undefined;
  const starts = previous.blockStartsMs;
  const bySession = input.sessions.map((s) => previous.limitsA.get(s.id));
  return {
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
    limit: (session: number, block: number): number | undefined => bySession[session]?.[block],
  };
}

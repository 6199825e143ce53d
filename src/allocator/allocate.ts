// The allocation itself: per block, pinned and fixed load first, then who gets at least the minimum (priority,
// urgency, rotation), then the rest by weighted water-filling under phase and station limits. Pure and O(n) per block.
import { floorToTenth, IEC61851_MIN_CURRENT_A } from '../domain/electrical';
import { admissionOrder } from './admission';
import { DEFAULT_ALLOCATION_OPTIONS, REASONS, type AllocationInput, type Plan, type Reason } from './model';
import { WaterFill } from './water-fill';

const reason = (r: Reason): number => REASONS.indexOf(r);
const R_FAIR = reason('fair share');
const R_EV_MAX = reason('capped by EVSE or EV maximum');
const R_STATION = reason('capped by station maximum');
const R_PHASE = reason('capped by phase capacity');
const R_PAUSED = reason('paused: capacity below the minimum');
const R_TOO_SMALL = reason('paused: EV maximum below the minimum');
const R_LENDING = reason('lending unused capacity');
const R_FIXED = reason('fixed');
const R_KEPT = reason('kept: increase below hysteresis');

/** Bit mask of the grid phases a load sits on (unknown phase of a 1-phase load ⇒ all, to be safe). */
export function phaseMask(groupPhases: 1 | 3, phasesUsed: 1 | 3, phase: number | undefined): number {
  if (groupPhases === 1) return 1;
  if (phasesUsed === 1 && phase !== undefined) return 1 << phase;
  return 0b111;
}

/** Weight in the fair share: priority doubles every 3 steps; an urgent EV (needs a lot before departure) up to ×3. */
function weightOf(priority: number, urgency: number): number {
  return Math.pow(2, Math.max(-9, Math.min(9, priority)) / 3) * urgency;
}

export function allocate(input: AllocationInput): Plan {
  const options = { ...DEFAULT_ALLOCATION_OPTIONS, ...input.options };
  const blocks = input.blocks;
  const B = blocks.length;
  const sessions = input.sessions;
  const S = sessions.length;
  const limitsA = new Float64Array(S * B);
  const reasons = new Uint8Array(S * B);
  const headroomA = new Float64Array(B * 3);
  const overloadedBlocks: number[] = [];

  // Per-session constants, computed once for the whole horizon.
  const masks = new Uint8Array(S);
  const urgency = new Float64Array(S);
  const stationOf = new Int32Array(S);
  const stationIds: string[] = [];
  const stationIndex = new Map<string, number>();
  sessions.forEach((s, i) => {
    masks[i] = phaseMask(input.groupPhases, s.phasesUsed, s.phase);
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
  });
  const stationMax = Float64Array.from(stationIds, (id) => input.stationMaxA.get(id) ?? Infinity);
  const credit = Int32Array.from(sessions, (s) =>
    s.pausedSinceMs === undefined ? 0 : Math.max(0, Math.floor((input.nowMs - s.pausedSinceMs) / options.rotationPeriodMs)),
  );
  const order = admissionOrder(sessions, urgency, credit);
  const fill = new WaterFill(S, stationIds.length);
  const previous = previousLookup(input);

  const avail = new Float64Array(3);
  const stationLeft = new Float64Array(stationIds.length);
  const admitted = new Uint8Array(S);
  const ceilingA = new Float64Array(S);

  for (let b = 0; b < B; b++) {
    const block = blocks[b] as (typeof blocks)[number];
    for (let p = 0; p < 3; p++) avail[p] = (block.capacityA[p] ?? 0) - input.safetyMarginA;
    for (const load of input.fixedLoads) subtract(avail, phaseMask(input.groupPhases, load.phasesUsed, load.phase), load.limitsA[b] ?? 0);
    stationLeft.set(stationMax);
    admitted.fill(0);

    // Pinned sessions are load, like fixed loads; sessions too small to charge are paused outright.
    const lendable = block.startMs < input.nowMs + options.lendHorizonMs;
    for (let i = 0; i < S; i++) {
      const s = sessions[i] as (typeof sessions)[number];
      const at = i * B + b;
      if (s.fixedA !== undefined) {
        limitsA[at] = s.fixedA;
        reasons[at] = R_FIXED;
        subtract(avail, masks[i] as number, s.fixedA);
        stationLeft[stationOf[i] as number] = (stationLeft[stationOf[i] as number] as number) - s.fixedA;
        continue;
      }
      const minA = Math.max(IEC61851_MIN_CURRENT_A, s.minA);
      let ceiling = s.maxA;
      reasons[at] = R_FAIR;
      const lending =
        lendable &&
        s.measuredA !== undefined &&
        s.belowLimitSinceMs !== undefined &&
        input.nowMs - s.belowLimitSinceMs >= options.lendAfterMs;
      if (lending && s.measuredA !== undefined && s.measuredA + options.lendBufferA < ceiling && ceiling >= minA) {
        // Lending only ever lowers a ceiling, and never below the minimum: the EV keeps room to show it wants more.
        ceiling = Math.min(ceiling, Math.max(minA, s.measuredA + options.lendBufferA));
        reasons[at] = R_LENDING;
      }
      ceilingA[i] = ceiling;
      if (ceiling < minA) reasons[at] = R_TOO_SMALL;
    }
    if (input.groupPhases === 1 ? (avail[0] as number) < 0 : Math.min(avail[0] as number, avail[1] as number, avail[2] as number) < 0) {
      overloadedBlocks.push(b);
    }

    // Admission: in priority order, those served least so far first, each gets its minimum if it fits.
    order.forEach((i) => {
      const s = sessions[i] as (typeof sessions)[number];
      const at = i * B + b;
      if (s.fixedA !== undefined || reasons[at] === R_TOO_SMALL) return;
      const minA = Math.max(IEC61851_MIN_CURRENT_A, s.minA);
      const mask = masks[i] as number;
      const station = stationOf[i] as number;
      if (fits(avail, mask, minA) && (stationLeft[station] as number) >= minA) {
        admitted[i] = 1;
        subtract(avail, mask, minA);
        stationLeft[station] = (stationLeft[station] as number) - minA;
        limitsA[at] = minA;
        order.served(i);
      } else {
        limitsA[at] = 0;
        reasons[at] = R_PAUSED;
      }
    });

    // Fair share of what is left above the minimums, weighted, bounded by EV, station and phase.
    fill.run({
      count: S,
      admitted,
      masks,
      stationOf,
      headroomA: (i) => (ceilingA[i] as number) - (limitsA[i * B + b] as number),
      weight: (i) =>
        weightOf(sessions[i]?.priority ?? 0, block.startMs < (sessions[i]?.departureMs ?? Infinity) ? (urgency[i] as number) : 1),
      phaseLeftA: avail,
      stationLeftA: stationLeft,
    });
    for (let i = 0; i < S; i++) {
      if (!admitted[i]) continue;
      const at = i * B + b;
      const value = floorToTenth((limitsA[at] as number) + (fill.extraA[i] as number));
      limitsA[at] = value;
      const bound = fill.boundBy[i];
      if (reasons[at] === R_FAIR) reasons[at] = bound === 1 ? R_EV_MAX : bound === 2 ? R_STATION : bound === 3 ? R_PHASE : R_FAIR;
      const kept = previous?.(sessions[i]?.id ?? '', block.startMs);
      if (kept !== undefined && kept >= IEC61851_MIN_CURRENT_A && value > kept && value - kept < options.hysteresisA) {
        limitsA[at] = kept;
        reasons[at] = R_KEPT;
      }
    }

    // Headroom from the final, rounded values.
    for (let p = 0; p < 3; p++) headroomA[b * 3 + p] = (block.capacityA[p] ?? 0) - input.safetyMarginA;
    for (const load of input.fixedLoads)
      subtractAt(headroomA, b, phaseMask(input.groupPhases, load.phasesUsed, load.phase), load.limitsA[b] ?? 0);
    for (let i = 0; i < S; i++) subtractAt(headroomA, b, masks[i] as number, limitsA[i * B + b] as number);
  }
  return { blocks, sessionIds: sessions.map((s) => s.id), limitsA, headroomA, reasons, overloadedBlocks };
}

function fits(avail: Float64Array, mask: number, amps: number): boolean {
  for (let p = 0; p < 3; p++) if (mask & (1 << p) && (avail[p] as number) + 1e-9 < amps) return false;
  return true;
}

function subtract(avail: Float64Array, mask: number, amps: number): void {
  for (let p = 0; p < 3; p++) if (mask & (1 << p)) avail[p] = (avail[p] as number) - amps;
}

function subtractAt(headroom: Float64Array, block: number, mask: number, amps: number): void {
  for (let p = 0; p < 3; p++) if (mask & (1 << p)) headroom[block * 3 + p] = (headroom[block * 3 + p] as number) - amps;
}

/** The previous plan's limit for a session at an instant, if that plan covered it. */
function previousLookup(input: AllocationInput): ((id: string, atMs: number) => number | undefined) | undefined {
  const previous = input.previous;
  if (!previous || previous.blockStartsMs.length === 0) return undefined;
  const starts = previous.blockStartsMs;
  return (id, atMs) => {
    const limits = previous.limitsA.get(id);
    if (!limits) return undefined;
    let lo = 0;
    let hi = starts.length - 1;
    if (atMs < (starts[0] as number) || atMs >= previous.endMs) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= atMs) lo = mid;
      else hi = mid - 1;
    }
    return limits[lo];
  };
}

// Per-session constants of one plan, in typed arrays so the per-block loops touch no objects, and everything a block
// needs in the two variants it can come in (inside or beyond the lending horizon), computed once per plan.
import { IEC61851_MIN_CURRENT_A } from '../domain/electrical';
import { reasonCode, type AllocationInput } from './model';

const R_FAIR = reasonCode('fair-share');
const R_TOO_SMALL = reasonCode('paused-ev-below-minimum');
const R_LENDING = reasonCode('lending');
const R_FIXED = reasonCode('fixed');

/** Weight in the fair share: priority doubles every 3 steps; an urgent EV (needs a lot before departure) up to ×3. */
function weightOf(priority: number, urgency: number): number {
  return Math.pow(2, Math.max(-9, Math.min(9, priority)) / 3) * urgency;
}

/** A block's per-session starting point: its reasons before admission, and its room above the minimum. */
export interface BlockVariant {
  /** Reason before admission: fixed, too small, lending or fair share. */
  readonly why: Uint8Array;
  /** Room above the minimum (ceiling − minimum). */
  readonly room: Float64Array;
  /** Water level where the session reaches its own ceiling: max(0, room) / weight. */
  readonly ownLevel: Float64Array;
  /** room / weight, the order in which a station's sessions reach their ceilings. */
  readonly ratio: Float64Array;
}

export function sessionTable(input: AllocationInput, lendAfterMs: number, lendBufferA: number) {
  const { sessions } = input;
  const S = sessions.length;
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
  const stationMax = new Float64Array(stationIds.length);
  stationIds.forEach((id, s) => (stationMax[s] = input.stationMaxA.get(id) ?? Infinity));
  const pinned: number[] = [];
  for (let i = 0; i < S; i++) if (pinnedA[i] === pinnedA[i]) pinned.push(i);
  const variant = (lending: boolean): BlockVariant => {
    const ceiling = lending ? lendCeilingA : maxA;
    const why = new Uint8Array(S);
    const room = new Float64Array(S);
    const ownLevel = new Float64Array(S);
    const ratio = new Float64Array(S);
    for (let i = 0; i < S; i++) {
      const c = ceiling[i] as number;
      why[i] = c < (minA[i] as number) ? R_TOO_SMALL : c < (maxA[i] as number) ? R_LENDING : R_FAIR;
      room[i] = c - (minA[i] as number);
      ownLevel[i] = Math.max(0, room[i] as number) / (weight[i] as number);
      ratio[i] = (room[i] as number) / (weight[i] as number);
    }
    for (const i of pinned) why[i] = R_FIXED;
    return { why, room, ownLevel, ratio };
  };
  const lend = variant(true);
  const noLend = variant(false);
  // Who admission considers: neither pinned nor below the minimum. The same in both variants, since a lending
  // ceiling never goes below the minimum of an EV whose maximum reaches it.
  const eligible = new Uint8Array(S);
  for (let i = 0; i < S; i++) eligible[i] = noLend.why[i] === R_FAIR || noLend.why[i] === R_LENDING ? 1 : 0;
  return { urgency, weight, minA, pinnedA, pinned, eligible, stationOf, stationMax, memberStart, members, lend, noLend };
}

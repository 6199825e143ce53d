// Standing limits: what each station may draw on its own, with no live allocation (DESIGN invariant 2).
// Their sum over the group stays within FC − margin on every phase, so a cut-off group stays safe.
import { floorToTenth, IEC61851_MIN_CURRENT_A, type PhaseCurrentsA } from '../domain/electrical';
import type { StationId } from '../domain/station';

export interface StandingStation {
  readonly stationId: StationId;
  /** The station's own supply limit per phase. */
  readonly stationMaxCurrentA: number;
}

/**
 * Splits the group's standing capacity evenly across its stations (every station counted on every phase,
 * since the phase a single-phase station sits on is not known for sure). A share below the 6 A minimum is
 * useless to an EV: then only as many stations as fit get 6 A, chosen by `rotation` (an offset the caller
 * advances over time so no station is always the one left at 0), and the others get 0.
 */
export function standingLimits(
  standingA: PhaseCurrentsA,
  safetyMarginA: number,
  stations: readonly StandingStation[],
  rotation = 0,
): Map<StationId, number> {
  const shares = new Map<StationId, number>();
  if (stations.length === 0) return shares;
  const budgetA = Math.max(0, Math.min(standingA[0], standingA[1], standingA[2]) - safetyMarginA);
  const byId = [...stations].sort((a, b) => (a.stationId < b.stationId ? -1 : a.stationId > b.stationId ? 1 : 0));
  // A station that cannot even carry the minimum never gets a share (and never blocks capacity).
  for (const station of byId) if (station.stationMaxCurrentA < IEC61851_MIN_CURRENT_A) shares.set(station.stationId, 0);
  const ordered = byId.filter((s) => s.stationMaxCurrentA >= IEC61851_MIN_CURRENT_A);
  if (ordered.length === 0) return shares;
  const evenA = floorToTenth(budgetA / ordered.length);
  if (evenA >= IEC61851_MIN_CURRENT_A) {
    // Whatever a small station cannot use is handed on to the others, in a second even split.
    let remaining = budgetA;
    let open = ordered.filter((s) => s.stationMaxCurrentA > evenA);
    for (const station of ordered.filter((s) => s.stationMaxCurrentA <= evenA)) {
      const limit = floorToTenth(station.stationMaxCurrentA);
      shares.set(station.stationId, limit);
      remaining -= limit;
    }
    while (open.length > 0) {
      const share = floorToTenth(remaining / open.length);
      const capped = open.filter((s) => s.stationMaxCurrentA <= share);
      if (capped.length === 0) {
        for (const station of open) shares.set(station.stationId, share);
        break;
      }
      for (const station of capped) {
        const limit = floorToTenth(station.stationMaxCurrentA);
        shares.set(station.stationId, limit);
        remaining -= limit;
      }
      open = open.filter((s) => s.stationMaxCurrentA > share);
    }
    return shares;
  }
  const fitting = Math.floor(budgetA / IEC61851_MIN_CURRENT_A);
  const offset = ((rotation % ordered.length) + ordered.length) % ordered.length;
  ordered.forEach((station, i) => {
    const position = (i - offset + ordered.length) % ordered.length;
    shares.set(station.stationId, position < fitting ? IEC61851_MIN_CURRENT_A : 0);
  });
  return shares;
}

// How a simulated station shares its grid connection between EVSEs when the station cap binds:
// water-filling on L1 (every AC EV draws on L1, so L1 carries the largest sum), rounded down to 0.1 A.

export interface EvseDemand {
  readonly evseId: number;
  /** The EVSE's own limit in force, A per phase. */
  readonly limitA: number;
  /** What the connected EV would draw under that limit, A per phase (0 = not drawing). */
  readonly wantA: number;
}

function floorTenth(valueA: number): number {
  return Math.floor(valueA * 10 + 1e-6) / 10;
}

/**
 * The current each EVSE offers: its own limit when the demands fit under `stationLimitA`, otherwise
 * min(own limit, water level) where the level makes the drawing EVSEs' sum equal the station limit.
 */
export function shareStationLimit(demands: readonly EvseDemand[], stationLimitA: number): Map<number, number> {
  const offered = new Map<number, number>();
  const drawing = demands.filter((demand) => demand.wantA > 0);
  const total = drawing.reduce((sum, demand) => sum + Math.min(demand.wantA, demand.limitA), 0);
  if (total <= stationLimitA + 1e-9) {
    for (const demand of demands) offered.set(demand.evseId, demand.limitA);
    return offered;
  }
  const sorted = drawing.map((demand) => Math.min(demand.wantA, demand.limitA)).sort((a, b) => a - b);
  let remaining = stationLimitA;
  let level = 0;
  for (let i = 0; i < sorted.length; i++) {
    const share = remaining / (sorted.length - i);
    const want = sorted[i] ?? 0;
    if (want >= share) {
      level = share;
      break;
    }
    remaining -= want;
    level = want;
  }
  for (const demand of demands) offered.set(demand.evseId, floorTenth(Math.min(demand.limitA, level)));
  return offered;
}

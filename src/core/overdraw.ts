// Stations that accept limits but do not follow them (field quirk: "Accepted but not applied", OCPP 1.6 digest §6),
// caught on their measured draw: a station drawing clearly above what it acknowledged, again and again for a minute,
// ignores its profiles and must be counted at its maximum (DESIGN invariant 1 does not trust an Accepted alone).
import type { ChargingSession } from '../domain/session';
import type { StationId } from '../domain/station';

/** Above the limit by more than this (meters and EVs overshoot a little on a change): 2 A or 10 %. */
export function overdrawToleranceA(limitA: number): number {
  return Math.max(2, limitA * 0.1);
}

export interface OverdrawOptions {
  /** Readings in a row above limit + tolerance before the station is judged. */
  readonly readings: number;
  /** …spanning at least this long (a decrease takes the EV seconds, not a minute). */
  readonly spanMs: number;
}

export const OVERDRAW: OverdrawOptions = { readings: 3, spanMs: 60_000 };

interface Watched {
  /** Latest measured current per phase of each active session. */
  readonly draws: Map<string, readonly [number, number, number]>;
  overSinceMs: number | undefined;
  overReadings: number;
}

export class OverdrawWatch {
  private readonly stations = new Map<StationId, Watched>();

  constructor(private readonly options: OverdrawOptions = OVERDRAW) {}

  /** A session's latest reading; returns its station's draw now (the highest phase of the sum of its sessions). */
  measured(session: ChargingSession): number {
    let watched = this.stations.get(session.stationId);
    if (!watched) {
      watched = { draws: new Map(), overSinceMs: undefined, overReadings: 0 };
      this.stations.set(session.stationId, watched);
    }
    if (session.endedAt !== undefined || session.measuredCurrentA === undefined) watched.draws.delete(session.transactionId);
    else watched.draws.set(session.transactionId, session.measuredCurrentA);
    const sum = [0, 0, 0];
    for (const draw of watched.draws.values()) for (let phase = 0; phase < 3; phase++) sum[phase] = (sum[phase] ?? 0) + (draw[phase] ?? 0);
    return Math.max(sum[0] ?? 0, sum[1] ?? 0, sum[2] ?? 0);
  }

  /**
   * One reading of the station's draw against the most it may draw (`limitA`, what the ledger allows: a change in
   * flight counts at the higher). True once, when it has been above limit + tolerance for long enough.
   */
  judge(stationId: StationId, drawnA: number, limitA: number, atMs: number): boolean {
    const watched = this.stations.get(stationId);
    if (!watched) return false;
    if (!Number.isFinite(limitA) || drawnA <= limitA + overdrawToleranceA(limitA)) {
      watched.overSinceMs = undefined;
      watched.overReadings = 0;
      return false;
    }
    watched.overSinceMs ??= atMs;
    watched.overReadings++;
    if (watched.overReadings < this.options.readings || atMs - watched.overSinceMs < this.options.spanMs) return false;
    watched.overSinceMs = undefined;
    watched.overReadings = 0;
    return true;
  }

  forget(stationId: StationId): void {
    this.stations.delete(stationId);
  }
}

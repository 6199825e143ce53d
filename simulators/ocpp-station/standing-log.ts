// The station-wide limit that holds with no lease (the lowest non-expiring station-max profile on EVSE/connector 0),
// logged on change with a sequence shared by every station of the process, so a test can add standing limits up.
import { toAmpsPerPhase, type ScheduledProfile } from './composite';

export interface StandingLogEntry {
  /** Orders changes across every station of the process (several can share a millisecond). */
  readonly seq: number;
  readonly atMs: number;
  /** undefined: no standing station-max profile installed. */
  readonly limitA: number | undefined;
}

const CAPACITY = 1000;
let nextSeq = 0;

/**
 * The lowest first-period limit of the station-max profiles on 0 without duration or validTo, A per phase.
 * Only A profiles count unless `voltageV` is given, which converts W ones at their numberPhases (default 3).
 */
export function standingLimitA(profiles: readonly ScheduledProfile[], voltageV?: number): number | undefined {
  let limitA: number | undefined;
  for (const profile of profiles) {
    const standing =
      profile.purpose === 'ChargingStationMaxProfile' &&
      profile.evseId === 0 &&
      profile.durationS === undefined &&
      profile.validToMs === undefined &&
      (profile.rateUnit === 'A' || voltageV !== undefined);
    const first = profile.periods[0];
    if (!standing || first === undefined) continue;
    const firstA = voltageV === undefined ? first.limit : toAmpsPerPhase(first.limit, profile.rateUnit, first.numberPhases ?? 3, voltageV);
    limitA = Math.min(limitA ?? Infinity, firstA);
  }
  return limitA;
}

/** Append `limitA` at `atMs` unless it equals the last entry; the log keeps its newest CAPACITY entries. */
export function recordStanding(log: StandingLogEntry[], atMs: number, limitA: number | undefined): void {
  const last = log[log.length - 1];
  if (last?.limitA === limitA) return;
  if (log.length >= CAPACITY) log.shift();
  log.push({ seq: nextSeq++, atMs, limitA });
}

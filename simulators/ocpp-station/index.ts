// Library entry of the OCPP 2.0.1 / 1.6J station simulator: build a fleet, run it, plug EVs in, read what each
// EVSE was allowed and drew. Talks to a CSMS only over the wire; never imports src/.
import type { DateTime } from 'luxon';
import { Fleet, type FleetOptionsInput } from './fleet';

export { Fleet, FleetConfigError, FleetOptions, StationOverride, type FleetOptionsInput, type FleetSummary } from './fleet';
export type { ChargingProfile } from './schemas';
export { EvModel, EV_PRESETS, type EvModelInput } from './ev';
export type { LimitLogEntry } from './limit-log';
export type { StandingLogEntry } from './standing-log';
export type { OcppProtocol, SimulatedStation } from './station-types';
export type { Station } from './station';
export type { StationV16 } from './station-v16';
export { Scenario, loadScenario } from './scenario';
export { compositeAt, compositeSchedule, nextChangeAfter } from './composite';

/** A fleet of simulated stations; `now` lets tests run it on virtual time (then set autoTick: false and call tick()). */
export function createFleet(options: FleetOptionsInput, now?: () => DateTime): Fleet {
  return new Fleet(options, now);
}

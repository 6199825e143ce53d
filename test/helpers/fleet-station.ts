// A station as core's fleet holds it, for core's unit tests: a connected, controllable 32 A single-EVSE station of
// group g1 with room for a live limit, changed where a test needs it.
import type { FleetStation } from '../../src/core/fleet';

export function fleetStation(stationId: string, extra: Partial<FleetStation> = {}): FleetStation {
  return {
    stationId,
    groupId: 'g1',
    evseMaxCurrentA: 32,
    stationMaxCurrentA: 32,
    evseCount: 1,
    phases: 3,
    connected: true,
    controllable: true,
    periodsPerSchedule: 24,
    profileStackLevel: 2,
    ...extra,
  };
}

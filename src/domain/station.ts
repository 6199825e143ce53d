// Charging stations and EVSEs as the control loop sees them: identity, hardware limits, controllability.
// OCPP wire details (profiles, device model names) stay in src/ocpp/.
import type { GroupId } from './group';

export type StationId = string;

/** The OCPP versions a station may speak to flexbridge (one per connection). */
export const OCPP_VERSIONS = ['2.0.1', '1.6'] as const;
export type OcppVersion = (typeof OCPP_VERSIONS)[number];

/** What a station said about itself in its last BootNotification (either version). */
export interface BootInfo {
  readonly vendor: string;
  readonly model: string;
  readonly serialNumber?: string;
  readonly firmwareVersion?: string;
}

/** What a station told us about its smart-charging abilities (OCPP SmartChargingCtrlr). */
export interface SmartChargingLimits {
  /** Highest stackLevel the station accepts (ProfileStackLevel). */
  readonly profileStackLevel: number;
  /** Most chargingSchedulePeriod entries per schedule (PeriodsPerSchedule). */
  readonly periodsPerSchedule: number;
  /** Most charging profiles installed at once (Entries[ChargingProfiles] maxLimit), if known. */
  readonly maxProfiles?: number;
  /** Rate units the station accepts (RateUnit). */
  readonly rateUnits: readonly ('A' | 'W')[];
}

/** Conservative limits assumed until a station reports its own. */
export const DEFAULT_SMART_CHARGING_LIMITS: SmartChargingLimits = {
  profileStackLevel: 0,
  periodsPerSchedule: 1,
  rateUnits: ['A'],
};

/** A station's identity and hardware: what every layer's station record starts from. */
export interface StationSpec {
  readonly stationId: StationId;
  readonly groupId: GroupId;
  /** Hardware maximum per phase of one EVSE, what it draws when nothing limits it. */
  readonly evseMaxCurrentA: number;
  /** Maximum per phase of the whole station (its supply), ≥ evseMaxCurrentA. */
  readonly stationMaxCurrentA: number;
  readonly evseCount: number;
  /** Phases wired to the station: 1 or 3. */
  readonly phases: 1 | 3;
}

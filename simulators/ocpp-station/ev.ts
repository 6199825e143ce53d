// A simple AC electric-vehicle model: battery, state of charge, 1 or 3 phases, onboard-charger maximum,
// taper near full, and the IEC 61851 rule that an EV cannot charge on less than 6 A.
import { z } from 'zod';

export const EvModel = z.object({
  batteryWh: z.number().positive(),
  socPercent: z.number().min(0).max(100),
  /** The EV stops drawing (SuspendedEV) at this state of charge. */
  targetSocPercent: z.number().min(0).max(100).default(100),
  phases: z.union([z.literal(1), z.literal(3)]),
  maxCurrentA: z.number().positive(),
  /** Lowest current the EV charges on (IEC 61851: 6 A). */
  minCurrentA: z.number().min(0).default(6),
  /** Above this state of charge the EV's own demand falls linearly to minCurrentA at 100 %. */
  taperStartPercent: z.number().min(0).max(100).default(80),
  /** Whether the EV speaks ISO 15118 and so makes the station send NotifyEVChargingNeeds. */
  iso15118: z.boolean().default(false),
  /** ISO 15118 departure, seconds after plug-in. */
  departureAfterS: z.number().int().positive().optional(),
});
export type EvModel = z.infer<typeof EvModel>;
export type EvModelInput = z.input<typeof EvModel>;

/** Ready-made models for random plug-ins, roughly the European AC fleet. */
export const EV_PRESETS: readonly EvModelInput[] = [
  { batteryWh: 77_000, socPercent: 20, phases: 3, maxCurrentA: 16 },
  { batteryWh: 58_000, socPercent: 35, phases: 3, maxCurrentA: 32 },
  { batteryWh: 40_000, socPercent: 50, phases: 1, maxCurrentA: 32 },
  { batteryWh: 60_000, socPercent: 10, phases: 3, maxCurrentA: 16, iso15118: true, departureAfterS: 8 * 3600 },
  { batteryWh: 28_000, socPercent: 60, phases: 1, maxCurrentA: 16 },
];

/** The current the EV itself asks for at its state of charge, A per phase. */
export function evDemandA(ev: EvModel): number {
  if (ev.socPercent >= ev.targetSocPercent || ev.socPercent >= 100) return 0;
  if (ev.socPercent <= ev.taperStartPercent) return ev.maxCurrentA;
  const remaining = (100 - ev.socPercent) / (100 - ev.taperStartPercent);
  return Math.max(ev.minCurrentA, ev.minCurrentA + (ev.maxCurrentA - ev.minCurrentA) * remaining);
}

/** What the EV draws per phase when the station offers `offeredA`: min(offered, EV demand), 0 below the EV's minimum. */
export function evDrawA(ev: EvModel, offeredA: number): number {
  const demandA = evDemandA(ev);
  if (demandA === 0 || offeredA < ev.minCurrentA) return 0;
  return Math.min(offeredA, demandA);
}

/** Add delivered energy to the battery; returns the new state of charge. */
export function chargedSocPercent(ev: EvModel, energyWh: number): number {
  return Math.min(100, ev.socPercent + (energyWh / ev.batteryWh) * 100);
}

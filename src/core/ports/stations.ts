// Core's port toward the stations (the OCPP adapter implements it): protocol-neutral limit changes and how a
// station answered them. The leased schedule is a schema too: the lease ledger reads saved ones back.
import { z } from 'zod';
import type { StationId } from '../../domain/station';

/** How a station answered a limit change, as core needs to know it. */
export type LimitOutcome = 'Accepted' | 'Rejected' | 'NotSupported' | 'Timeout' | 'Offline' | 'Superseded';

/**
 * A live limit: piecewise-constant amps per phase from `periods`, valid until `leaseEndMs` (epoch ms), when the station
 * falls back to its standing limit. A schema too, because the lease ledger reads saved ones back after a restart.
 */
export const LeasedSchedule = z
  .object({
    periods: z.array(z.object({ startMs: z.number(), limitA: z.number() }).readonly()).readonly(),
    leaseEndMs: z.number(),
  })
  .readonly();
export type LeasedSchedule = z.infer<typeof LeasedSchedule>;

/** A live limit for one session (TxProfile), periods in amps per phase. */
export interface SessionLimit {
  readonly transactionId: string;
  readonly evseId: number;
  readonly schedule: LeasedSchedule;
}

/**
 * Protocol-neutral limit changes for one station; the OCPP side turns them into charging profiles:
 * `standing` → ChargingStationMaxProfile + TxDefaultProfile at stack 0, no expiry;
 * `live` → a station cap with a lease (ChargingStationMaxProfile at stack 1) and one TxProfile per session.
 */
export type StationLimitRequest =
  | { readonly kind: 'standing'; readonly limitA: number }
  | { readonly kind: 'live'; readonly stationCap: LeasedSchedule; readonly sessions: readonly SessionLimit[] };

export interface StationCommands {
  applyLimits(stationId: StationId, request: StationLimitRequest): Promise<LimitOutcome>;
  /**
   * The station accepts limits but does not follow them (its measured draw says so): from now on it is treated as
   * uncontrollable, as if it had refused them. Optional: an adapter that cannot record it leaves it out.
   */
  distrust?(stationId: StationId, reason: string): void;
}

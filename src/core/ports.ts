// The ports core talks through: forecasts in, station commands out, reports to the grid, plan computation.
// main.ts binds them to the OSCP adapter, the OCPP adapter and the allocator; tests bind them to fakes.
import { z } from 'zod';
import type { CapacityBlock, CapacityForecastType } from '../domain/capacity';
import type { GroupId } from '../domain/group';
import type { StationId } from '../domain/station';
import type { PeerRecord } from '../store/store';

/** Read side of the OSCP forecast book and peer state. */
export interface ForecastSource {
  /** Blocks of `type` for the group overlapping [fromMs, toMs), normalised to amps per phase. */
  blocks(groupId: GroupId, type: CapacityForecastType, fromMs: number, toMs: number): readonly CapacityBlock[];
  /** X-Request-ID of the forecast that set the capacity in force at `atMs` (for compliance errors). */
  requestIdAt(groupId: GroupId, type: CapacityForecastType, atMs: number): string | undefined;
  /** Is the Capacity Provider of this group online? A group without a peer is never online. */
  peerOnline(groupId: GroupId): boolean;
}

/** A peer as operators may see it: its record without either token, and whether it is online now. */
export interface PeerStatus extends Omit<PeerRecord, 'outboundToken' | 'inboundTokenHash'> {
  readonly online: boolean;
}

/** Outbound OSCP messages core decides to send (queued persistently by the adapter). */
export interface GridReporter {
  complianceError(groupId: GroupId, forecastRequestId: string, message: string, blocks: readonly CapacityBlock[]): void;
  adjustForecast(groupId: GroupId, blocks: readonly CapacityBlock[]): void;
}

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
}

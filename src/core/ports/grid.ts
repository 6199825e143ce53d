// Core's ports toward the grid (the OSCP adapter implements them): the forecast book it reads, the peer state
// it shows, and the reports it sends (compliance errors, adjust requests).
import type { CapacityBlock, CapacityForecastType } from '../../domain/capacity';
import type { GroupId } from '../../domain/group';
import type { PeerRecord } from './repositories';

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

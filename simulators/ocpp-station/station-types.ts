// Small shared types of a simulated station: how it connects, how it misbehaves on purpose, what it counts,
// and what it needs from the fleet that hosts it (clock, scheduler, randomness, error sink).
import type { Station } from './station';

/** How a station answers SetChargingProfile: normally, Rejected, CALLERROR NotImplemented, or not at all. */
export type ProfileFailure = 'none' | 'reject' | 'notImplemented' | 'silent';

export interface FailureMode {
  readonly profiles: ProfileFailure;
}

export interface ConnectionOptions {
  /** CSMS endpoint without the identity, e.g. ws://127.0.0.1:9000/ocpp. */
  readonly url: string;
  /** Security profile 1/2 Basic-auth password (16–40 chars). */
  readonly password?: string;
  /** Security profile 2: TLS options for ws (e.g. { ca, rejectUnauthorized }). */
  readonly tls?: Record<string, unknown>;
  readonly callTimeoutMs: number;
  /** OCPPCommCtrlr.RetryBackOffWaitMinimum / RandomRange / RepeatTimes. */
  readonly backoff: { readonly minS: number; readonly randomS: number; readonly repeatTimes: number };
}

export interface StationStats {
  sent: number;
  callErrors: number;
  connects: number;
  drops: number;
  profilesAccepted: number;
  profilesRejected: number;
}

export interface StationHost {
  nowMs(): number;
  /** Ask the single scheduler to call station.onDue at `atMs` (Infinity = nothing due). */
  wake(station: Station, atMs: number): void;
  cancel(station: Station): void;
  /** Uniform in [0, 1), seeded. */
  random(): number;
  onCallError(station: Station, action: string, error: unknown): void;
}

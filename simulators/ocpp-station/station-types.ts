// Small shared types of a simulated station: how it connects, how it misbehaves on purpose, what it counts,
// and what it needs from the fleet that hosts it (clock, scheduler, randomness, error sink).
import type { Station } from './station';
import type { StationV16 } from './station-v16';

/** OCPP version a simulated station speaks (subprotocol ocpp2.0.1 / ocpp1.6). */
export type OcppProtocol = '2.0.1' | '1.6';

/** Either kind of station; `protocol` tells them apart. */
export type SimulatedStation = Station | StationV16;

/**
 * How a station answers SetChargingProfile: normally, Rejected, CALLERROR NotImplemented, not at all, or Accepted
 * without applying it (the field's "Accepted but not applied": it goes on drawing what it likes).
 */
export type ProfileFailure = 'none' | 'reject' | 'notImplemented' | 'silent' | 'ignore';

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
  wake(station: SimulatedStation, atMs: number): void;
  cancel(station: SimulatedStation): void;
  /** Uniform in [0, 1), seeded. */
  random(): number;
  onCallError(station: SimulatedStation, action: string, error: unknown): void;
}

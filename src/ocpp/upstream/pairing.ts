// Connection pairing (Local Controller mode): a station's upgrade opens its upstream twin inside the upgrade, so the
// CSMS's refusal reaches the station as it is and the subprotocol is the one the CSMS picked. Credentials per mode.
import { readFileSync } from 'node:fs';
import type { KeyValueRepository } from '../../core/ports';
import type { Scheduler } from '../../core/scheduler';
import { systemClock } from '../../core/scheduler';
import type { UpstreamConfig } from '../../config/schema';
import type { Logger } from '../../observability/log';
import { DialLimiter } from './dial-limiter';
import { dialUpstream, type DialOutcome, type UpstreamLink } from './upstream-link';

/** What the upgrade does in Local Controller mode. */
export type PairOutcome =
  | { readonly kind: 'open'; readonly link: UpstreamLink; readonly protocol: string }
  /** The CSMS cannot be reached now (hold mode): the station is let in and kept under control; the twin is redialled. */
  | { readonly kind: 'outage'; readonly reason: string }
  | { readonly kind: 'refuse'; readonly code: number; readonly reason: string };

export interface StationIdentity {
  readonly id: string;
  /** The identity segment exactly as the station sent it (still percent-encoded). */
  readonly encoded: string;
}

export interface Pairing {
  /**
   * Opens the twin for a station's upgrade. `verified`: flexbridge checked the station's credentials itself (it has
   * the station's password hash); a station only the CSMS can vouch for is never let in while the CSMS is away.
   */
  pair(
    station: StationIdentity,
    protocols: readonly string[],
    stationAuthorization: string | undefined,
    verified: boolean,
  ): Promise<PairOutcome>;
  /** Opens a new twin for a station that is already connected (after an outage). */
  redial(station: StationIdentity, protocols: readonly string[], stationAuthorization: string | undefined): Promise<DialOutcome>;
}

export interface PairingDeps {
  readonly config: UpstreamConfig;
  readonly scheduler: Scheduler;
  readonly kv: KeyValueRepository;
  /** stations[].upstreamPassword from the config, for `credentials: "stored"`; kept in memory only. */
  readonly storedPasswords: ReadonlyMap<string, string>;
  readonly logger: Logger;
  /** Subprotocols flexbridge serves to stations; the CSMS is offered only these of the station's. */
  readonly served: readonly string[];
  /** The frame limit of the station leg (ocpp.admission.maxFrameBytes), kept on the CSMS leg too. */
  readonly maxFrameBytes?: number;
}

export function createPairing(deps: PairingDeps): Pairing {
  const { config } = deps;
  const limiter = new DialLimiter(config.dialRate, deps.scheduler);
  const ca = config.caFile ? readFileSync(config.caFile) : undefined;

  const authorization = (station: StationIdentity, stationAuthorization: string | undefined): string | undefined => {
    if (config.credentials === 'forward') return stationAuthorization;
    const rotated: unknown = deps.kv.get(`relay:${station.id}:password`);
    const password = typeof rotated === 'string' ? rotated : deps.storedPasswords.get(station.id);
    return password === undefined ? undefined : `Basic ${Buffer.from(`${station.id}:${password}`).toString('base64')}`;
  };

  const dial = async (
    station: StationIdentity,
    protocols: readonly string[],
    stationAuthorization: string | undefined,
  ): Promise<DialOutcome> => {
    await limiter.acquire();
    return dialUpstream({
      url: config.url,
      encodedIdentity: station.encoded,
      protocols: protocols.filter((p) => deps.served.includes(p)),
      authorization: authorization(station, stationAuthorization),
      ...(ca && { ca }),
      timeoutMs: config.dialTimeoutMs,
      ...(deps.maxFrameBytes !== undefined && { maxFrameBytes: deps.maxFrameBytes }),
      clock: systemClock,
    });
  };

  return {
    redial: dial,
    pair: async (station, protocols, stationAuthorization, verified) => {
      const outcome = await dial(station, protocols, stationAuthorization);
      if (outcome.kind === 'refused') {
        deps.logger.warn('CSMS refused the station; refusal mirrored', {
          stationId: station.id,
          status: outcome.status,
          reason: outcome.reason,
        });
        return { kind: 'refuse', code: outcome.status, reason: `CSMS refused the connection: ${outcome.reason}` };
      }
      if (outcome.kind === 'unreachable') {
        // A TLS failure is never downgraded; an unverifiable station is not let in without the CSMS.
        if (outcome.tls) return { kind: 'refuse', code: 502, reason: `CSMS TLS failure: ${outcome.reason}` };
        if (config.outage.mode === 'mirror' || !verified)
          return { kind: 'refuse', code: 503, reason: `CSMS unreachable: ${outcome.reason}` };
        return { kind: 'outage', reason: `CSMS unreachable: ${outcome.reason}` };
      }
      if (!deps.served.includes(outcome.link.protocol)) {
        outcome.link.close(1002, 'subprotocol not served');
        return {
          kind: 'refuse',
          code: 400,
          reason: `the CSMS chose subprotocol ${outcome.link.protocol || 'none'}, which flexbridge does not serve`,
        };
      }
      return { kind: 'open', link: outcome.link, protocol: outcome.link.protocol };
    },
  };
}

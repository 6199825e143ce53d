// The slices of the flexbridge configuration the OSCP adapter reads, as types inferred from the config schema.
// Also what we say about ourselves on the wire: the version we speak and the behaviour we ask of peers.
import type { z } from 'zod';
import type { GroupConfig, OscpConfig, OscpPeerConfig } from '../config/sections';
import type { RequiredBehaviour, VersionUrl } from './schemas';

/** With `publicBaseUrl` resolved (config/public-url.ts): the adapter always knows where peers reach it. */
export type OscpSettings = z.infer<typeof OscpConfig> & { readonly publicBaseUrl: string };
export type PeerSettings = z.infer<typeof OscpPeerConfig>;
export type GroupSettings = z.infer<typeof GroupConfig>;

/** The only OSCP version flexbridge speaks. */
export const OSCP_VERSION = '2.0';

/** Our `version_url` list: one entry, our public base URL without a trailing slash (ELMO requires that). */
export function ourVersionUrls(settings: OscpSettings): VersionUrl[] {
  return [{ version: OSCP_VERSION, base_url: settings.publicBaseUrl.replace(/\/+$/, '') }];
}

/** What we ask of a peer in Handshake and HandshakeAcknowledge: heartbeats (if configured), no measurement config. */
export function ourBehaviour(peer: PeerSettings): RequiredBehaviour {
  return peer.heartbeatIntervalS > 0
    ? { heartbeat_interval: peer.heartbeatIntervalS, measurement_configuration: [] }
    : { heartbeat_interval: undefined, measurement_configuration: [] };
}

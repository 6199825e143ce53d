// The two OCPP versions flexbridge speaks to stations, as WebSocket subprotocols (OCPP-J 1.6 §3.1.2, 2.0.1 §3.1.2):
// which one a connection gets when a station offers several, and the version a negotiated subprotocol names.

import type { OcppVersion } from '../domain/station';

export type { OcppVersion } from '../domain/station';

export const SUBPROTOCOL: Readonly<Record<OcppVersion, string>> = { '2.0.1': 'ocpp2.0.1', '1.6': 'ocpp1.6' };

/** Served subprotocols in preference order: a station offering both gets 2.0.1. */
export const SERVED_SUBPROTOCOLS: readonly string[] = [SUBPROTOCOL['2.0.1'], SUBPROTOCOL['1.6']];

/** The subprotocol flexbridge picks from what a station offers, or undefined when it offers neither. */
export function chooseSubprotocol(offered: ReadonlySet<string>): string | undefined {
  return SERVED_SUBPROTOCOLS.find((protocol) => offered.has(protocol));
}

/** The version a negotiated subprotocol names; anything else (there is nothing else once admitted) is 2.0.1. */
export function versionOf(subprotocol: string | undefined): OcppVersion {
  return subprotocol === SUBPROTOCOL['1.6'] ? '1.6' : '2.0.1';
}

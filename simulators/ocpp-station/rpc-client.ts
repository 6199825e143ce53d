// The ocpp-rpc client of a simulated station: strict mode (every frame checked against the version's schemas),
// no reconnects of its own (ours run on the fleet scheduler with OCPP back-off), the CSMS pings and ws answers pongs.
import { RPCClient } from 'ocpp-rpc';
import type { ConnectionOptions } from './station-types';

export function stationClient(identity: string, connection: ConnectionOptions, protocol: 'ocpp2.0.1' | 'ocpp1.6'): RPCClient {
  return new RPCClient({
    identity,
    endpoint: connection.url,
    protocols: [protocol],
    strictMode: true,
    strictModeValidators: [],
    reconnect: false,
    maxReconnects: 0,
    backoff: { initialDelay: 1000, maxDelay: 10_000, factor: 2, randomisationFactor: 0.25 },
    callTimeoutMs: connection.callTimeoutMs,
    callConcurrency: 1,
    pingIntervalMs: 0,
    deferPingsOnActivity: false,
    respondWithDetailedErrors: false,
    maxBadMessages: 10,
    password: connection.password ?? null,
    wsOpts: connection.tls ?? {},
    headers: {},
  });
}

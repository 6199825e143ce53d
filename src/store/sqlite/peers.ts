// SQLite repository of OSCP peers: registration state and the tokens of both directions.
// The inbound token is stored only as a hash; the outbound token must be kept to call the peer (sealed with a key).
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { PEER_ROLES, PEER_STATES, type PeerRecord, type PeerRepository } from '../../core/ports';
import { keyOf, readJson, readRow } from './rows';
import { peerTokenAt, readSecret, writeSecret, type SecretBox } from './secrets';

const Row = z.object({
  peer_id: z.string().min(1),
  role: z.enum(PEER_ROLES),
  state: z.enum(PEER_STATES),
  base_url: z.string().nullable(),
  outbound_token: z.string().nullable(),
  inbound_token_hash: z.string().nullable(),
  awaiting_register_reply: z.literal([0, 1]),
  heartbeat_interval_s: z.number().min(0).nullable(),
  measurement_configuration: z.string(),
  offline_mode_at: z.string().nullable(),
  updated_at: z.string(),
});

function peerFromRow(raw: unknown, box: SecretBox | undefined): PeerRecord {
  const row = readRow(Row, 'peers', keyOf(raw, 'peer_id'), raw);
  const measurementConfiguration = readJson(
    z.array(z.string()),
    'peers',
    `peer_id=${row.peer_id}`,
    'measurement_configuration',
    row.measurement_configuration,
  );
  return {
    peerId: row.peer_id,
    role: row.role,
    state: row.state,
    baseUrl: row.base_url ?? undefined,
    outboundToken: row.outbound_token === null ? undefined : readSecret(box, row.outbound_token, peerTokenAt(row.peer_id)),
    inboundTokenHash: row.inbound_token_hash ?? undefined,
    awaitingRegisterReply: row.awaiting_register_reply === 1,
    heartbeatIntervalS: row.heartbeat_interval_s ?? undefined,
    measurementConfiguration,
    offlineModeAt: row.offline_mode_at ?? undefined,
    updatedAt: row.updated_at,
  };
}

/** `box`: outbound tokens are sealed with it (FLEXBRIDGE_SECRETS_KEY); without one they are stored in clear. */
export function sqlitePeers(db: Database, box?: SecretBox): PeerRepository {
  const fromRow = (raw: unknown): PeerRecord => peerFromRow(raw, box);
  const get = db.prepare('SELECT * FROM peers WHERE peer_id = ?');
  const list = db.prepare('SELECT * FROM peers ORDER BY peer_id');
  const byToken = db.prepare('SELECT * FROM peers WHERE inbound_token_hash = ?');
  const upsert = db.prepare(`
    INSERT INTO peers (peer_id, role, state, base_url, outbound_token, inbound_token_hash, awaiting_register_reply,
                       heartbeat_interval_s, measurement_configuration, offline_mode_at, updated_at)
    VALUES (@peer_id, @role, @state, @base_url, @outbound_token, @inbound_token_hash, @awaiting_register_reply,
            @heartbeat_interval_s, @measurement_configuration, @offline_mode_at, @updated_at)
    ON CONFLICT (peer_id) DO UPDATE SET role = excluded.role, state = excluded.state, base_url = excluded.base_url,
      outbound_token = excluded.outbound_token, inbound_token_hash = excluded.inbound_token_hash,
      awaiting_register_reply = excluded.awaiting_register_reply, heartbeat_interval_s = excluded.heartbeat_interval_s,
      measurement_configuration = excluded.measurement_configuration, offline_mode_at = excluded.offline_mode_at,
      updated_at = excluded.updated_at`);
  const remove = db.prepare('DELETE FROM peers WHERE peer_id = ?');
  return {
    get: (peerId) => {
      const row: unknown = get.get(peerId);
      return row === undefined ? undefined : fromRow(row);
    },
    list: () => list.all().map(fromRow),
    findByInboundTokenHash: (tokenHash) => {
      const row: unknown = byToken.get(tokenHash);
      return row === undefined ? undefined : fromRow(row);
    },
    upsert: (peer) => {
      upsert.run({
        peer_id: peer.peerId,
        role: peer.role,
        state: peer.state,
        base_url: peer.baseUrl ?? null,
        outbound_token: peer.outboundToken === undefined ? null : writeSecret(box, peer.outboundToken, peerTokenAt(peer.peerId)),
        inbound_token_hash: peer.inboundTokenHash ?? null,
        awaiting_register_reply: peer.awaitingRegisterReply ? 1 : 0,
        heartbeat_interval_s: peer.heartbeatIntervalS ?? null,
        measurement_configuration: JSON.stringify(peer.measurementConfiguration),
        offline_mode_at: peer.offlineModeAt ?? null,
        updated_at: peer.updatedAt,
      });
    },
    delete: (peerId) => {
      remove.run(peerId);
    },
  };
}

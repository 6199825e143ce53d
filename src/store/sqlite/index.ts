// Opens the embedded SQLite store (better-sqlite3, WAL journal, synchronous=FULL) and applies migrations.
// One file, no server: the default store that makes flexbridge stand alone on a single node.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Clock, Store } from '../../core/ports';
import { migrate } from './migrations';
import { sqliteForecasts } from './forecasts';
import { sqliteOutbox } from './outbox';
import { sqlitePeers } from './peers';
import { sqliteKeyValue, sqlitePlans } from './plans';
import { sqliteSessions } from './sessions';
import { sqliteStations } from './stations';
import { sqliteRelayQueue } from './relay-queue';
import { sealedKeyValue, sealSecretsAtRest, SecretBox } from './secrets';

export { SECRETS_KEY_ENV, SecretsKeyError } from './secrets';

export interface StoreOptions {
  /**
   * FLEXBRIDGE_SECRETS_KEY (32 bytes, hex or base64): outbound OSCP tokens and stored upstream passwords are sealed
   * with AES-256-GCM; clear ones are sealed on open. Unset: they stay in clear, and a sealed one stops the open.
   */
  readonly secretsKey?: string;
  /** Times the station records' write-behind (100 ms batches); without one they are written at the end of the turn. */
  readonly clock?: Clock;
}

export class StoreOpenError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`cannot open the store at ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreOpenError';
  }
}

/**
 * Opens (creating if needed) the store at `file`; `:memory:` gives a throw-away store for unit tests.
 * synchronous=FULL: a committed transaction survives kill -9 and power loss; writes are batched, so it costs little.
 */
export function openSqliteStore(file: string, options: StoreOptions = {}): Store {
  let db: Database.Database | undefined;
  let box: SecretBox | undefined;
  try {
    box = SecretBox.fromEnvironment(options.secretsKey);
    if (file !== ':memory:') {
      // Sessions, tokens' hashes and station records: readable by flexbridge's user only. SQLite gives its -wal and
      // -shm files the database file's mode.
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
      fs.closeSync(fs.openSync(file, 'a', 0o600));
      fs.chmodSync(file, 0o600);
    }
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // With a key, deleted and overwritten content is zeroed: a token sealed on open leaves no clear copy in a free page.
    if (box) db.pragma('secure_delete = ON');
    migrate(db);
    sealSecretsAtRest(db, box);
  } catch (error) {
    // A wrong key or a failed migration: the file is not left open behind the error.
    if (db?.open) db.close();
    throw new StoreOpenError(file, error);
  }
  const transaction = <T>(work: () => T): T => db.transaction(work)();
  const stations = sqliteStations(db, options.clock);
  return {
    peers: sqlitePeers(db, box),
    forecasts: sqliteForecasts(db),
    outbox: sqliteOutbox(db),
    stations,
    sessions: sqliteSessions(db),
    plans: sqlitePlans(db),
    kv: sealedKeyValue(sqliteKeyValue(db), box),
    relayQueue: sqliteRelayQueue(db),
    transaction,
    isOpen: () => db.open,
    close: () => {
      if (!db.open) return;
      try {
        stations.flush();
      } finally {
        db.close();
      }
    },
  };
}

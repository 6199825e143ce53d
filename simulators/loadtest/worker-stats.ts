// Counters each generator worker keeps in shared memory (one writer per slot range), so the driver can read
// per-second rates without messages between threads. Float64 slots: exact integers up to 2^53.

export const STAT = {
  /** Sockets open now. */
  connected: 0,
  /** Booted (Accepted) and transaction started, now. */
  ready: 1,
  loadSent: 2,
  loadAnswered: 3,
  /** Load calls answered with a CALLERROR. */
  loadErrors: 4,
  /** Load calls whose connection closed before the answer. */
  loadLost: 5,
  connectFailures: 6,
  /** Connection attempts that failed with EMFILE (too many open files in the generator). */
  emfile: 7,
  /** Connections closed by the other side after they were open. */
  drops: 8,
  profilesAcked: 9,
  /** CALLs the agent made to the stations. */
  csmsCalls: 10,
  /** Messages due by the rate that found every station with a call in flight. */
  notSent: 11,
  setupSent: 12,
  setupErrors: 13,
  /** Stations that gave up connecting. */
  gaveUp: 14,
  bootPending: 15,
  /** Connections opened with permessage-deflate negotiated. */
  deflated: 16,
  /** Restart storm (counted once per station since the kill): socket open again, */
  stormReconnected: 17,
  /** booted (Accepted) with its transaction again, */
  stormBooted: 18,
  /** acknowledged a standing station cap, */
  stormStanding: 19,
  /** acknowledged a TxProfile at the forecast's limit, */
  stormTx: 20,
  /** both (or the standing cap alone when no forecast was in force). */
  stormReprofiled: 21,
} as const;
export type StatName = keyof typeof STAT;
export const STAT_SLOTS = 22;

export class WorkerStats {
  constructor(readonly values: Float64Array) {}

  add(name: StatName, delta = 1): void {
    const slot = STAT[name];
    this.values[slot] = (this.values[slot] ?? 0) + delta;
  }

  get(name: StatName): number {
    return this.values[STAT[name]] ?? 0;
  }
}

/** Sum of one counter over every worker's slot range of a shared buffer. */
export function sumStat(all: Float64Array, workers: number, name: StatName): number {
  let sum = 0;
  for (let w = 0; w < workers; w++) sum += all[w * STAT_SLOTS + STAT[name]] ?? 0;
  return sum;
}

export type StatSnapshot = Record<StatName, number>;

export function snapshot(all: Float64Array, workers: number): StatSnapshot {
  const entries = Object.keys(STAT).map((name) => [name, sumStat(all, workers, name as StatName)] as const);
  return Object.fromEntries(entries) as StatSnapshot;
}

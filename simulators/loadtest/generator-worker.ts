// Worker thread of the load generator: owns a slice of the stations, connects them with bounded concurrency,
// and paces hot frames at its share of the rate from a queue of idle stations (O(1) per message).
import { parentPort, workerData } from 'node:worker_threads';
import { HISTOGRAM_BUCKETS, recordLatency } from './histogram';
import { LeanStation, type StationHost } from './lean-station';
import { dialectOf } from './dialects';
import type { LoadMessage, StationProtocol } from './options';
import { STAT_SLOTS, WorkerStats } from './worker-stats';
import type { ProfileSeen } from './frames';

export interface WorkerInit {
  readonly index: number;
  readonly identities: readonly string[];
  /** OCPP version of each identity, same order. */
  readonly protocols: readonly StationProtocol[];
  readonly url: string;
  readonly password: string;
  readonly deflate: boolean;
  readonly message: LoadMessage;
  readonly connectConcurrency: number;
  readonly stats: SharedArrayBuffer;
  readonly histogram: SharedArrayBuffer;
}

export type ToWorker =
  | { type: 'connect' }
  | { type: 'rate'; perS: number }
  | { type: 'expect'; token: number; limitA: number }
  | { type: 'expectQuery'; token: number }
  | { type: 'close' };

export type FromWorker =
  | {
      type: 'expected';
      token: number;
      matched: number;
      target: number;
      firstAckMs: number | undefined;
      lastAckMs: number | undefined;
      done: boolean;
    }
  | { type: 'connectError'; message: string }
  | { type: 'closed' };

const CONNECT_ATTEMPTS = 3;
/** Most messages a late tick may catch up with, as a share of a second's worth. */
const MAX_BACKLOG_S = 0.05;

function start(init: WorkerInit): void {
  const port = parentPort;
  if (!port) throw new Error('generator-worker must run in a worker thread');
  const post = (message: FromWorker): void => port.postMessage(message);
  const stats = new WorkerStats(new Float64Array(init.stats, init.index * STAT_SLOTS * 8, STAT_SLOTS));
  const latencies = new Uint32Array(init.histogram, init.index * HISTOGRAM_BUCKETS * 4, HISTOGRAM_BUCKETS);
  let timestamp = new Date().toISOString();
  let closing = false;
  const idleQueue: LeanStation[] = [];
  let idleHead = 0;
  const errorsSeen = new Set<string>();
  let expect:
    | {
        token: number;
        limitA: number;
        target: number;
        matched: Set<LeanStation>;
        firstAckMs: number | undefined;
        lastAckMs: number | undefined;
      }
    | undefined;

  const reportExpect = (done: boolean): void => {
    if (!expect) return;
    const { token, matched, target, firstAckMs, lastAckMs } = expect;
    post({ type: 'expected', token, matched: matched.size, target, firstAckMs, lastAckMs, done });
  };

  const host: StationHost = {
    url: init.url,
    password: init.password,
    deflate: init.deflate,
    stats,
    timestamp: () => timestamp,
    idle: (station) => {
      if (station.queued) return;
      station.queued = true;
      idleQueue.push(station);
    },
    ready: (_station, ready) => stats.add('ready', ready ? 1 : -1),
    profileAcked: (station: LeanStation, profile: ProfileSeen, atMs: number) => {
      if (!expect || profile.purpose !== 'TxProfile' || profile.firstLimitA === undefined || expect.matched.has(station)) return;
      // Within half an amp: the agent rounds limits down to a tenth.
      if (Math.abs(profile.firstLimitA - expect.limitA) > 0.5) return;
      expect.matched.add(station);
      expect.firstAckMs = Math.min(expect.firstAckMs ?? atMs, atMs);
      expect.lastAckMs = Math.max(expect.lastAckMs ?? atMs, atMs);
      if (expect.matched.size === expect.target) reportExpect(true);
    },
    latency: (us) => recordLatency(latencies, us),
    lost: (station) => {
      if (!closing) setTimeout(() => connectLater(station), 1000 + Math.random() * 2000);
    },
  };
  const stations = init.identities.map((identity, i) => new LeanStation(identity, host, dialectOf(init.protocols[i] ?? '2.0.1')));

  // ---- connecting ------------------------------------------------------------------------------
  const waiting: LeanStation[] = [];
  const attempts = new Map<LeanStation, number>();
  let connecting = 0;
  const connectMore = (): void => {
    while (!closing && connecting < init.connectConcurrency && waiting.length > 0) {
      const station = waiting.shift();
      if (station) attempt(station);
    }
  };
  const attempt = (station: LeanStation): void => {
    connecting++;
    const n = (attempts.get(station) ?? 0) + 1;
    attempts.set(station, n);
    station.connect().then(
      () => {
        connecting--;
        attempts.delete(station);
        connectMore();
      },
      (error: Error & { code?: string }) => {
        connecting--;
        stats.add('connectFailures');
        if (error.code === 'EMFILE') stats.add('emfile');
        const text = error.code ?? error.message;
        if (!errorsSeen.has(text) && errorsSeen.size < 10) {
          errorsSeen.add(text);
          post({ type: 'connectError', message: `${station.identity}: ${error.message}` });
        }
        if (n < CONNECT_ATTEMPTS && !closing) setTimeout(() => connectLater(station), 1000 * n);
        else stats.add('gaveUp');
        connectMore();
      },
    );
  };
  const connectLater = (station: LeanStation): void => {
    waiting.push(station);
    connectMore();
  };

  // ---- pacing ----------------------------------------------------------------------------------
  let ratePerS = 0;
  let rateStartMs = 0;
  let issued = 0;
  const nextIdle = (): LeanStation | undefined => {
    while (idleHead < idleQueue.length) {
      const station = idleQueue[idleHead++];
      if (idleHead > 4096 && idleHead * 2 > idleQueue.length) {
        idleQueue.splice(0, idleHead);
        idleHead = 0;
      }
      if (!station) continue;
      station.queued = false;
      if (station.canSendLoad()) return station;
    }
    return undefined;
  };
  const tick = (): void => {
    const nowMs = Date.now();
    timestamp = new Date(nowMs).toISOString();
    if (ratePerS <= 0) return;
    let due = Math.floor((ratePerS * (nowMs - rateStartMs)) / 1000) - issued;
    while (due > 0) {
      const station = nextIdle();
      if (!station) break;
      station.sendLoad(init.message, nowMs);
      issued++;
      due--;
    }
    const backlog = Math.max(1, Math.round(ratePerS * MAX_BACKLOG_S));
    if (due > backlog) {
      stats.add('notSent', due - backlog);
      issued += due - backlog;
    }
  };
  const timer = setInterval(tick, 1);

  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'connect':
        waiting.push(...stations);
        connectMore();
        return;
      case 'rate':
        ratePerS = message.perS;
        rateStartMs = Date.now();
        issued = 0;
        return;
      case 'expect': {
        expect = {
          token: message.token,
          limitA: message.limitA,
          target: stats.get('ready'),
          matched: new Set(),
          firstAckMs: undefined,
          lastAckMs: undefined,
        };
        reportExpect(expect.target === 0);
        return;
      }
      case 'expectQuery':
        if (expect?.token === message.token) reportExpect(expect.matched.size >= expect.target);
        return;
      case 'close':
        closing = true;
        clearInterval(timer);
        void Promise.all(stations.map((s) => s.close())).then(() => post({ type: 'closed' }));
        return;
    }
  });
}

start(workerData as WorkerInit);

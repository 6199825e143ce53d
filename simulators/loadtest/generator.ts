// The load generator as the driver sees it: worker threads that each own a slice of the lean stations,
// counters and latency histograms in shared memory, and a few messages (connect, rate, expect, close).
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromWorker, StormRecord, ToWorker, WorkerInit } from './generator-worker';
import { HISTOGRAM_BUCKETS, merge } from './histogram';
import { stationProtocol, type LoadMessage, type LoadTestOptions } from './options';
import { snapshot, STAT_SLOTS, type StatSnapshot } from './worker-stats';

export interface GeneratorOptions {
  readonly identities: readonly string[];
  /** ws://host:port/ocpp — the identity is appended. */
  readonly url: string;
  readonly password: string;
  readonly deflate: boolean;
  readonly message: LoadMessage;
  /** OCPP version of the stations (mixed: by position, odd-numbered 2.0.1); default 2.0.1. */
  readonly ocpp?: LoadTestOptions['ocpp'];
  readonly workers: number;
  readonly connectConcurrency: number;
}

export interface ProfilesMatched {
  /** Stations that acknowledged a TxProfile with the expected limit. */
  readonly matched: number;
  /** Stations that were ready when the wait began. */
  readonly target: number;
  /** Wall-clock ms of the first and the last of those acknowledgements. */
  readonly firstAckMs: number | undefined;
  readonly lastAckMs: number | undefined;
}

export interface Generator {
  readonly workerCount: number;
  connect(): void;
  /** Messages per second for the whole fleet; 0 stops sending. */
  setRate(perS: number): void;
  stats(): StatSnapshot;
  /** A copy of the merged latency histogram (µs buckets). */
  latencies(): Uint32Array;
  /** Distinct connection errors the workers saw (a sample). */
  connectErrors(): readonly string[];
  /** Arms every station to note its next TxProfile with `limitA`; resolves once all ready ones did, or at the timeout. */
  expectProfiles(limitA: number, timeoutMs: number): { armed: Promise<void>; done: Promise<ProfilesMatched> };
  /** Restart storm: the stations start their record (reconnected, booted, re-profiled; draw against the cap in force). */
  startStorm(txLimitA: number | undefined): void;
  /** Ends the record; every worker's, merged. */
  endStorm(): Promise<StormRecord>;
  close(): Promise<void>;
}

function mergeStorm(records: readonly StormRecord[]): StormRecord {
  const defined = (values: (number | undefined)[]): number[] => values.flatMap((v) => (v === undefined ? [] : [v]));
  const maxOf = (values: (number | undefined)[]): number | undefined => {
    const d = defined(values);
    return d.length === 0 ? undefined : Math.max(...d);
  };
  const minOf = (values: (number | undefined)[]): number | undefined => {
    const d = defined(values);
    return d.length === 0 ? undefined : Math.min(...d);
  };
  const sum = (pick: (r: StormRecord) => number): number => records.reduce((total, r) => total + pick(r), 0);
  return {
    stations: sum((r) => r.stations),
    leaseAtKill: sum((r) => r.leaseAtKill),
    standingMinA: minOf(records.map((r) => r.standingMinA)),
    standingMaxA: maxOf(records.map((r) => r.standingMaxA)),
    maxDrawnA: maxOf(records.map((r) => r.maxDrawnA)) ?? 0,
    maxDrawnWithoutLeaseA: maxOf(records.map((r) => r.maxDrawnWithoutLeaseA)),
    maxExcessA: maxOf(records.map((r) => r.maxExcessA)),
    violations: sum((r) => r.violations),
    sessionAboveCap: sum((r) => r.sessionAboveCap),
    unprotected: sum((r) => r.unprotected),
    samples: minOf(records.map((r) => r.samples)) ?? 0,
  };
}

/** Worker entry: through tsx when running from TypeScript sources, plain require when compiled. */
function workerScript(): { code: string; eval: true } {
  const file = path.join(__dirname, `generator-worker${path.extname(__filename)}`);
  const loader = file.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))});` : '';
  return { code: `${loader}require(${JSON.stringify(file)});`, eval: true };
}

export function startGenerator(options: GeneratorOptions): Generator {
  const workerCount = Math.max(1, Math.min(options.workers, options.identities.length));
  const statsBuffer = new SharedArrayBuffer(workerCount * STAT_SLOTS * 8);
  const histogramBuffer = new SharedArrayBuffer(workerCount * HISTOGRAM_BUCKETS * 4);
  const stats = new Float64Array(statsBuffer);
  const errors: string[] = [];
  const listeners = new Set<(message: FromWorker, worker: number) => void>();
  const script = workerScript();
  const workers = Array.from({ length: workerCount }, (_, index) => {
    const init: WorkerInit = {
      index,
      identities: options.identities.filter((_, i) => i % workerCount === index),
      protocols: options.identities.flatMap((_, i) => (i % workerCount === index ? [stationProtocol(options.ocpp ?? '2.0.1', i)] : [])),
      url: options.url,
      password: options.password,
      deflate: options.deflate,
      message: options.message,
      connectConcurrency: Math.max(1, Math.ceil(options.connectConcurrency / workerCount)),
      stats: statsBuffer,
      histogram: histogramBuffer,
    };
    const worker = new Worker(script.code, { eval: script.eval, workerData: init });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'connectError') errors.push(message.message);
      for (const listener of listeners) listener(message, index);
    });
    worker.on('error', (error) => errors.push(`worker ${index} failed: ${error.message}`));
    return worker;
  });
  const broadcast = (message: ToWorker): void => workers.forEach((w) => w.postMessage(message));
  let token = 0;

  return {
    workerCount,
    connect: () => broadcast({ type: 'connect' }),
    setRate: (perS) => broadcast({ type: 'rate', perS: perS / workerCount }),
    stats: () => snapshot(stats, workerCount),
    latencies: () => merge([new Uint32Array(histogramBuffer)].flatMap((all) => split(all, workerCount))),
    connectErrors: () => errors,
    expectProfiles: (limitA, timeoutMs) => {
      const current = ++token;
      const latest = new Map<number, Extract<FromWorker, { type: 'expected' }>>();
      let resolveArmed: () => void = () => undefined;
      let resolveDone: (result: ProfilesMatched) => void = () => undefined;
      const armed = new Promise<void>((resolve) => (resolveArmed = resolve));
      const done = new Promise<ProfilesMatched>((resolve) => (resolveDone = resolve));
      const finish = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
        resolveArmed();
        const parts = [...latest.values()];
        const firsts = parts.flatMap((p) => (p.firstAckMs === undefined ? [] : [p.firstAckMs]));
        const lasts = parts.flatMap((p) => (p.lastAckMs === undefined ? [] : [p.lastAckMs]));
        resolveDone({
          matched: parts.reduce((sum, p) => sum + p.matched, 0),
          target: parts.reduce((sum, p) => sum + p.target, 0),
          firstAckMs: firsts.length === 0 ? undefined : Math.min(...firsts),
          lastAckMs: lasts.length === 0 ? undefined : Math.max(...lasts),
        });
      };
      // Every worker answers `expect` at once (armed), and again when all its ready stations matched (done).
      const listener = (message: FromWorker, worker: number): void => {
        if (message.type !== 'expected' || message.token !== current) return;
        latest.set(worker, message);
        if (latest.size === workerCount) resolveArmed();
        if (latest.size === workerCount && [...latest.values()].every((m) => m.done)) finish();
      };
      listeners.add(listener);
      broadcast({ type: 'expect', token: current, limitA });
      const timer = setTimeout(() => {
        broadcast({ type: 'expectQuery', token: current });
        setTimeout(finish, 200);
      }, timeoutMs);
      return { armed, done };
    },
    startStorm: (txLimitA) => broadcast({ type: 'stormStart', txLimitA }),
    endStorm: async () => {
      const records = new Map<number, StormRecord>();
      const all = new Promise<void>((resolve) => {
        const listener = (message: FromWorker, worker: number): void => {
          if (message.type !== 'stormRecord') return;
          records.set(worker, message.record);
          if (records.size === workerCount) {
            listeners.delete(listener);
            resolve();
          }
        };
        listeners.add(listener);
      });
      broadcast({ type: 'stormEnd' });
      await all;
      return mergeStorm([...records.values()]);
    },
    close: async () => {
      const closed = workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const onMessage = (message: FromWorker): void => {
              if (message.type === 'closed') resolve();
            };
            worker.on('message', onMessage);
            worker.once('exit', () => resolve());
          }),
      );
      broadcast({ type: 'close' });
      await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 15_000))]);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

function split(all: Uint32Array, workers: number): Uint32Array[] {
  return Array.from({ length: workers }, (_, w) => all.slice(w * HISTOGRAM_BUCKETS, (w + 1) * HISTOGRAM_BUCKETS));
}

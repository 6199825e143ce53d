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
  /** Restart storm: the agent was just killed; `txLimitA` is the TxProfile limit expected again (a forecast in force). */
  | { type: 'stormStart'; txLimitA: number | undefined }
  | { type: 'stormEnd' }
  | { type: 'close' };

/** What one worker's stations recorded between stormStart and stormEnd (sampled every STORM_SAMPLE_MS). */
export interface StormRecord {
  readonly stations: number;
  /** Stations with a live lease in force at the kill. */
  readonly leaseAtKill: number;
  /** Lowest and highest standing cap held at the kill, A (undefined: none held by any). */
  readonly standingMinA: number | undefined;
  readonly standingMaxA: number | undefined;
  /**
   * Highest draw of any station from the kill until the end of the phase, A; and while no lease was in force. A
   * station draws its composite schedule: the session's limit (TxProfile while in force, else the standing
   * TxDefaultProfile, else the EVSE's 32 A) clipped by the station cap in force (the lease while it runs, else the
   * standing share).
   */
  readonly maxDrawnA: number;
  readonly maxDrawnWithoutLeaseA: number | undefined;
  /** Stations that drew above their standing share while no live lease was in force: the violations. */
  readonly violations: number;
  /**
   * Stations that held a session limit (TxProfile) above the cap in force at some sample, and the largest such gap,
   * A (≤ 0: none). The composite clips it, so this is no over-draw; it shows the order the agent sent the profiles in.
   */
  readonly sessionAboveCap: number;
  readonly maxExcessA: number | undefined;
  /** Stations that held no standing cap at some sample (nothing limits them without the agent). */
  readonly unprotected: number;
  readonly samples: number;
}

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
  | { type: 'stormRecord'; record: StormRecord }
  | { type: 'closed' };

/**
 * The station, with this live profile just acknowledged — the leased cap, a leased TxProfile, or a lone session's
 * lift (a TxProfile without a lease, sent after the cap when the session had none yet) — lets its session draw
 * `limitA` (within half an amp: the agent rounds limits down to a tenth): whatever the agent sent for the change is in.
 */
function limitInForceAfter(station: LeanStation, profile: ProfileSeen, limitA: number | undefined, atMs: number): boolean {
  if (limitA === undefined || profile.firstLimitA === undefined) return false;
  const live = profile.purpose === 'TxProfile' || (CAP_PURPOSES.has(profile.purpose) && profile.endMs !== undefined);
  return live && Math.abs(station.compositeA(atMs) - limitA) <= 0.5;
}

const CONNECT_ATTEMPTS = 3;
/**
 * Reconnecting after a lost connection, as OCPP 2.0.1 B04 RetryBackOff*: the first attempt after
 * WAIT_MIN + random(0…RANDOM_RANGE) s, each failed one doubling WAIT_MIN up to REPEAT_TIMES doublings, then
 * repeating the last; a station that was connected never gives up.
 */
const RETRY_BACKOFF_WAIT_MIN_S = 1;
const RETRY_BACKOFF_RANDOM_RANGE_S = 5;
const RETRY_BACKOFF_REPEAT_TIMES = 3;
const STORM_SAMPLE_MS = 250;
const CAP_PURPOSES: ReadonlySet<string> = new Set(['ChargingStationMaxProfile', 'ChargePointMaxProfile']);

function backOffMs(failed: number): number {
  const waitS = RETRY_BACKOFF_WAIT_MIN_S * 2 ** Math.min(failed, RETRY_BACKOFF_REPEAT_TIMES);
  return (waitS + Math.random() * RETRY_BACKOFF_RANDOM_RANGE_S) * 1000;
}
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

  let storm:
    | {
        startMs: number;
        txLimitA: number | undefined;
        reconnected: Set<LeanStation>;
        booted: Set<LeanStation>;
        standing: Set<LeanStation>;
        tx: Set<LeanStation>;
        reprofiled: Set<LeanStation>;
        violations: Set<LeanStation>;
        sessionAboveCap: Set<LeanStation>;
        unprotected: Set<LeanStation>;
        maxDrawnA: number;
        maxDrawnWithoutLeaseA: number | undefined;
        maxExcessA: number | undefined;
        samples: number;
        atKill: Pick<StormRecord, 'leaseAtKill' | 'standingMinA' | 'standingMaxA'>;
        timer: NodeJS.Timeout;
      }
    | undefined;
  const noteOnce = (set: Set<LeanStation>, station: LeanStation, stat: Parameters<WorkerStats['add']>[0]): void => {
    if (set.has(station)) return;
    set.add(station);
    stats.add(stat);
  };
  const noteReprofiled = (station: LeanStation): void => {
    if (storm && storm.standing.has(station) && (storm.txLimitA === undefined || storm.tx.has(station)))
      noteOnce(storm.reprofiled, station, 'stormReprofiled');
  };
  const sampleStorm = (): void => {
    if (!storm) return;
    const nowMs = Date.now();
    storm.samples++;
    for (const station of stations) {
      const session = station.drawA(nowMs);
      const allowed = station.allowedA(nowMs);
      const standing = station.held.standingCapA;
      // What the station draws: its composite schedule, the session's limit clipped by the cap in force.
      const drawn = station.compositeA(nowMs);
      const lease = station.leaseInForce(nowMs);
      storm.maxDrawnA = Math.max(storm.maxDrawnA, drawn);
      if (!lease) storm.maxDrawnWithoutLeaseA = Math.max(storm.maxDrawnWithoutLeaseA ?? 0, drawn);
      if (standing === undefined) storm.unprotected.add(station);
      else if (!lease && drawn > standing + 1e-9) storm.violations.add(station);
      // A lone session's lift (a TxProfile without a lease) is meant to sit above the cap: the cap is its limit.
      if (allowed === undefined || (station.held.txA !== undefined && station.held.txEndMs === undefined)) continue;
      storm.maxExcessA = Math.max(storm.maxExcessA ?? -Infinity, session - allowed);
      if (session > allowed + 1e-9) storm.sessionAboveCap.add(station);
    }
  };

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
    ready: (station, ready) => {
      stats.add('ready', ready ? 1 : -1);
      if (ready && storm) noteOnce(storm.booted, station, 'stormBooted');
    },
    profileAcked: (station: LeanStation, profile: ProfileSeen, atMs: number) => {
      if (storm && atMs >= storm.startMs && profile.firstLimitA !== undefined) {
        if (CAP_PURPOSES.has(profile.purpose) && profile.endMs === undefined) noteOnce(storm.standing, station, 'stormStanding');
        if (limitInForceAfter(station, profile, storm.txLimitA, atMs)) noteOnce(storm.tx, station, 'stormTx');
        noteReprofiled(station);
      }
      if (!expect || expect.matched.has(station) || !limitInForceAfter(station, profile, expect.limitA, atMs)) return;
      expect.matched.add(station);
      expect.firstAckMs = Math.min(expect.firstAckMs ?? atMs, atMs);
      expect.lastAckMs = Math.max(expect.lastAckMs ?? atMs, atMs);
      if (expect.matched.size === expect.target) reportExpect(true);
    },
    latency: (us) => recordLatency(latencies, us),
    lost: (station) => {
      if (closing) return;
      reconnecting.set(station, 0);
      setTimeout(() => connectLater(station), backOffMs(0));
    },
  };
  const stations = init.identities.map((identity, i) => new LeanStation(identity, host, dialectOf(init.protocols[i] ?? '2.0.1')));

  // ---- connecting ------------------------------------------------------------------------------
  const waiting: LeanStation[] = [];
  const attempts = new Map<LeanStation, number>();
  /** Stations reconnecting after a lost connection → failed attempts since. */
  const reconnecting = new Map<LeanStation, number>();
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
        reconnecting.delete(station);
        if (storm) noteOnce(storm.reconnected, station, 'stormReconnected');
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
        const failed = reconnecting.get(station);
        if (failed !== undefined) {
          attempts.delete(station);
          reconnecting.set(station, failed + 1);
          if (!closing) setTimeout(() => connectLater(station), backOffMs(failed + 1));
        } else if (n < CONNECT_ATTEMPTS && !closing) setTimeout(() => connectLater(station), 1000 * n);
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
      case 'stormStart': {
        const startMs = Date.now();
        const caps = stations.flatMap((st) => (st.held.standingCapA === undefined ? [] : [st.held.standingCapA]));
        if (storm) clearInterval(storm.timer);
        for (const name of ['stormReconnected', 'stormBooted', 'stormStanding', 'stormTx', 'stormReprofiled'] as const)
          stats.add(name, -stats.get(name));
        storm = {
          startMs,
          txLimitA: message.txLimitA,
          reconnected: new Set(),
          booted: new Set(),
          standing: new Set(),
          tx: new Set(),
          reprofiled: new Set(),
          violations: new Set(),
          sessionAboveCap: new Set(),
          unprotected: new Set(),
          maxDrawnA: 0,
          maxDrawnWithoutLeaseA: undefined,
          maxExcessA: undefined,
          samples: 0,
          atKill: {
            leaseAtKill: stations.filter((st) => st.leaseInForce(startMs)).length,
            standingMinA: caps.length === 0 ? undefined : Math.min(...caps),
            standingMaxA: caps.length === 0 ? undefined : Math.max(...caps),
          },
          timer: setInterval(sampleStorm, STORM_SAMPLE_MS),
        };
        sampleStorm();
        return;
      }
      case 'stormEnd': {
        if (!storm) return;
        sampleStorm();
        clearInterval(storm.timer);
        const s = storm;
        storm = undefined;
        post({
          type: 'stormRecord',
          record: {
            stations: stations.length,
            ...s.atKill,
            maxDrawnA: s.maxDrawnA,
            maxDrawnWithoutLeaseA: s.maxDrawnWithoutLeaseA,
            maxExcessA: s.maxExcessA,
            violations: s.violations.size,
            sessionAboveCap: s.sessionAboveCap.size,
            unprotected: s.unprotected.size,
            samples: s.samples,
          },
        });
        return;
      }
      case 'close':
        closing = true;
        if (storm) clearInterval(storm.timer);
        clearInterval(timer);
        void Promise.all(stations.map((s) => s.close())).then(() => post({ type: 'closed' }));
        return;
    }
  });
}

start(workerData as WorkerInit);

// The timed phases of a run against a started agent: connect the fleet, wait for profile traffic to settle,
// and the message-rate phase (per-second rates, latency histogram, agent and generator CPU).
import type { AgentChild } from './agent-child';
import type { Generator } from './generator';
import { difference, median, percentileMs } from './histogram';
import type { StatSnapshot } from './worker-stats';

/** What the driver shows while a phase runs. */
export interface Progress {
  phase(name: string, total: number): void;
  update(value: number, status: string): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A process whose CPU time a phase reads: the agent, or the CSMS simulator when stations connect to it directly. */
export interface CpuSource {
  cpuSeconds(): number | undefined;
}

/** What the stations talk to in a rate phase, and its own count of the calls it answered (a cross-check). */
export interface LoadTarget extends CpuSource {
  /** Calls of this action answered so far by the target's own count; undefined when it keeps none. */
  counted(action: string): Promise<number | undefined>;
}

/** The agent as a rate-phase target: direct mode counts answered calls, Local Controller mode relayed ones. */
export function agentTarget(agent: AgentChild, relayed: boolean): LoadTarget {
  return {
    cpuSeconds: () => agent.cpuSeconds(),
    counted: async (action) => {
      const metrics = await agent.metrics().catch(() => new Map<string, number>());
      return relayed
        ? metrics.get('flexbridge_relayed_messages_total{direction="station-to-csms",result="relayed"}')
        : metrics.get(`flexbridge_ocpp_calls_total{direction="in",action="${action}",result="ok"}`);
    },
  };
}

export interface ConnectOutcome {
  readonly ready: number;
  /** From the first connection attempt to the last station ready (booted, transaction started), s. */
  readonly seconds: number;
  readonly stalled: boolean;
  /** Agent CPU from the first attempt to the last station ready, % of one core. */
  readonly agentCpuPercent: number | undefined;
}

export async function connectFleet(
  generator: Generator,
  agent: CpuSource,
  stations: number,
  stallS: number,
  progress: Progress,
): Promise<ConnectOutcome> {
  progress.phase('connect', stations);
  const startMs = Date.now();
  const cpuBefore = agent.cpuSeconds();
  let cpuAtReady = cpuBefore;
  generator.connect();
  let lastReady = 0;
  let lastChangeMs = startMs;
  let readyAtMs = startMs;
  for (;;) {
    await sleep(250);
    const s = generator.stats();
    const nowMs = Date.now();
    if (s.ready !== lastReady) {
      if (s.ready > lastReady) {
        readyAtMs = nowMs;
        cpuAtReady = agent.cpuSeconds();
      }
      lastReady = s.ready;
      lastChangeMs = nowMs;
    }
    progress.update(
      s.ready,
      `open ${s.connected} ready ${s.ready}/${stations} pending boots ${s.bootPending} failed attempts ${s.connectFailures}` +
        (s.emfile > 0 ? ` EMFILE ${s.emfile}` : ''),
    );
    const outcome = (stalled: boolean): ConnectOutcome => {
      const seconds = (readyAtMs - startMs) / 1000;
      const cpu =
        cpuBefore === undefined || cpuAtReady === undefined || seconds <= 0 ? undefined : ((cpuAtReady - cpuBefore) / seconds) * 100;
      return { ready: s.ready, seconds, stalled, agentCpuPercent: cpu };
    };
    if (s.ready >= stations) return outcome(false);
    if (s.gaveUp + s.ready >= stations || nowMs - lastChangeMs > stallS * 1000) return outcome(true);
  }
}

/** Waits until no SetChargingProfile was acknowledged for `quietMs` (the agent finished profiling the fleet). */
export async function settleProfiles(generator: Generator, quietMs: number, maxMs: number, progress: Progress): Promise<number> {
  progress.phase('settle', 0);
  const startMs = Date.now();
  let last = generator.stats().profilesAcked;
  let quietSinceMs = startMs;
  while (Date.now() - startMs < maxMs) {
    await sleep(250);
    const acked = generator.stats().profilesAcked;
    if (acked !== last) {
      last = acked;
      quietSinceMs = Date.now();
    }
    progress.update(0, `profiles acknowledged ${acked}; waiting for ${quietMs / 1000}s without new ones`);
    if (Date.now() - quietSinceMs >= quietMs) break;
  }
  return (Date.now() - startMs) / 1000;
}

export interface LoadOutcome {
  readonly seconds: number;
  readonly sent: number;
  readonly answered: number;
  readonly errors: number;
  readonly lost: number;
  readonly notSent: number;
  readonly drops: number;
  /** Answers per wall-clock second, one entry per second of the phase. */
  readonly perSecond: readonly number[];
  readonly medianPerS: number | undefined;
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** CPU of the target (the agent; the CSMS simulator for stations connected to it directly) over the phase, % of one core. */
  readonly agentCpuPercent: number | undefined;
  /** CPU of the upstream CSMS simulator over the phase (Local Controller mode), % of one core. */
  readonly upstreamCpuPercent: number | undefined;
  /** This process (driver + generator threads), % of one core. */
  readonly generatorCpuPercent: number;
  /**
   * The target's own count over the phase, for a cross-check: answered calls of this action
   * (flexbridge_ocpp_calls_total), or in Local Controller mode station messages relayed live
   * (flexbridge_relayed_messages_total, every action).
   */
  readonly agentCounted: number | undefined;
}

export async function runLoad(
  generator: Generator,
  agent: LoadTarget,
  options: { rate: number; durationS: number; action: string; phase?: string },
  progress: Progress,
  upstream?: CpuSource,
): Promise<LoadOutcome> {
  progress.phase(options.phase ?? 'load', options.durationS);
  const before: StatSnapshot = generator.stats();
  const latenciesBefore = generator.latencies();
  const countedBefore = await agent.counted(options.action);
  const cpuBefore = agent.cpuSeconds();
  const upstreamCpuBefore = upstream?.cpuSeconds();
  const ownCpuBefore = process.cpuUsage();
  const startMs = Date.now();
  generator.setRate(options.rate);
  const perSecond: number[] = [];
  let previous = before.loadAnswered;
  for (let second = 1; second <= options.durationS; second++) {
    await sleep(startMs + second * 1000 - Date.now());
    const s = generator.stats();
    perSecond.push(s.loadAnswered - previous);
    previous = s.loadAnswered;
    const window = difference(generator.latencies(), latenciesBefore);
    progress.update(
      second,
      `${(perSecond[perSecond.length - 1] ?? 0).toLocaleString('en')} msg/s  p50 ${fmt(percentileMs(window, 0.5))} ms  ` +
        `ready ${s.ready}  errors ${s.loadErrors - before.loadErrors}`,
    );
  }
  generator.setRate(0);
  const wallS = (Date.now() - startMs) / 1000;
  const cpuAfter = agent.cpuSeconds();
  const upstreamCpuAfter = upstream?.cpuSeconds();
  const ownCpu = process.cpuUsage(ownCpuBefore);
  // Let the calls still in flight come back (or be counted lost) before the totals are taken.
  for (let i = 0; i < 50; i++) {
    const s = generator.stats();
    if (
      s.loadSent - before.loadSent <=
      s.loadAnswered + s.loadErrors + s.loadLost - before.loadAnswered - before.loadErrors - before.loadLost
    )
      break;
    await sleep(100);
  }
  const after = generator.stats();
  const countedAfter = await agent.counted(options.action);
  const window = difference(generator.latencies(), latenciesBefore);
  return {
    seconds: wallS,
    sent: after.loadSent - before.loadSent,
    answered: after.loadAnswered - before.loadAnswered,
    errors: after.loadErrors - before.loadErrors,
    lost: after.loadLost - before.loadLost,
    notSent: after.notSent - before.notSent,
    drops: after.drops - before.drops,
    perSecond,
    medianPerS: median(perSecond),
    p50Ms: percentileMs(window, 0.5),
    p95Ms: percentileMs(window, 0.95),
    p99Ms: percentileMs(window, 0.99),
    agentCpuPercent: cpuPercent(cpuBefore, cpuAfter, wallS),
    upstreamCpuPercent: cpuPercent(upstreamCpuBefore, upstreamCpuAfter, wallS),
    generatorCpuPercent: ((ownCpu.user + ownCpu.system) / 1e6 / wallS) * 100,
    agentCounted: countedAfter === undefined ? undefined : countedAfter - (countedBefore ?? 0),
  };
}

function cpuPercent(before: number | undefined, after: number | undefined, wallS: number): number | undefined {
  return before === undefined || after === undefined ? undefined : ((after - before) / wallS) * 100;
}

export function fmt(value: number | undefined, digits = 1): string {
  return value === undefined ? '–' : value.toFixed(digits);
}

/** Waits until three /healthz round trips in a row take under 20 ms (the agent finished what the last step started). */
export async function agentIdle(agent: AgentChild, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let quick = 0;
  while (quick < 3 && Date.now() < deadline) {
    quick = (await agent.probeMs()) < 20 ? quick + 1 : 0;
    await sleep(100);
  }
}

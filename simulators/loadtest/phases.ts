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
  agent: AgentChild,
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
  /** Agent CPU over the phase, % of one core. */
  readonly agentCpuPercent: number | undefined;
  /** This process (driver + generator threads), % of one core. */
  readonly generatorCpuPercent: number;
  /** The agent's own count of answered calls of this action (flexbridge_ocpp_calls_total), for a cross-check. */
  readonly agentCounted: number | undefined;
}

function agentCallsOk(metrics: Map<string, number>, action: string): number | undefined {
  return metrics.get(`flexbridge_ocpp_calls_total{direction="in",action="${action}",result="ok"}`);
}

export async function runLoad(
  generator: Generator,
  agent: AgentChild,
  options: { rate: number; durationS: number; action: string },
  progress: Progress,
): Promise<LoadOutcome> {
  progress.phase('load', options.durationS);
  const before: StatSnapshot = generator.stats();
  const latenciesBefore = generator.latencies();
  const metricsBefore = await agent.metrics().catch(() => new Map<string, number>());
  const cpuBefore = agent.cpuSeconds();
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
  const metricsAfter = await agent.metrics().catch(() => new Map<string, number>());
  const window = difference(generator.latencies(), latenciesBefore);
  const countedBefore = agentCallsOk(metricsBefore, options.action) ?? 0;
  const countedAfter = agentCallsOk(metricsAfter, options.action);
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
    agentCpuPercent: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) / wallS) * 100,
    generatorCpuPercent: ((ownCpu.user + ownCpu.system) / 1e6 / wallS) * 100,
    agentCounted: countedAfter === undefined ? undefined : countedAfter - countedBefore,
  };
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

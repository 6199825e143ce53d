// One load-test run: the agent as a child process, a Capacity Provider simulator registered with it, the lean
// station fleet in worker threads; connect, settle, message-rate phase, timed forecasts, then everything stopped.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCapacityProvider, type CapacityProvider } from '../oscp-cp';
import { agentVersion, killRunningAgents, startAgentChild, type AgentChild } from './agent-child';
import { killRunningCsms, startCsmsChild, type CsmsChild, type CsmsStats } from './csms-child';
import { timeForecast, type ForecastRun } from './forecasts';
import { startGenerator, type Generator } from './generator';
import { median } from './histogram';
import { restartStorm, type RestartStormOutcome } from './restart-storm';
import { parseLoadTestOptions, type LoadTestOptions, type LoadTestOptionsInput } from './options';
import {
  agentIdle,
  agentTarget,
  connectFleet,
  runLoad,
  settleProfiles,
  type ConnectOutcome,
  type LoadOutcome,
  type LoadTarget,
  type Progress,
} from './phases';

export interface MemoryFigures {
  /** Agent RSS after start, before any station, KiB. */
  readonly beforeKiB: number | undefined;
  /** After the fleet connected, booted, started its sessions and got its first forecast, KiB. */
  readonly connectedKiB: number | undefined;
  /** At the end of the run, KiB. */
  readonly endKiB: number | undefined;
  /** (connected − before) / ready stations, KiB. */
  readonly perStationKiB: number | undefined;
  /**
   * Held idle: once the V8 heap stopped shrinking after the connect (at most `memorySettleS`), RSS and heap used, KiB,
   * (idle − before) / ready stations, and how long that took, s. Undefined with `memorySettleS` 0.
   */
  readonly idleKiB: number | undefined;
  readonly heapIdleKiB: number | undefined;
  readonly perStationIdleKiB: number | undefined;
  readonly idleAfterS: number | undefined;
  /** The heap in use at each poll of the wait, KiB. */
  readonly idleHeapsKiB: readonly number[] | undefined;
  /** V8 heap committed at the end of the wait, KiB. */
  readonly heapTotalIdleKiB: number | undefined;
  readonly heapTrims: HeapTrims | undefined;
  /** V8 heap in use (/metrics flexbridge_process_nodejs_heap_size_used_bytes) before and once connected, KiB. */
  readonly heapBeforeKiB: number | undefined;
  readonly heapConnectedKiB: number | undefined;
  /** V8 heap committed (flexbridge_process_nodejs_heap_size_total_bytes) once connected, KiB: the part of RSS the GC keeps. */
  readonly heapTotalConnectedKiB: number | undefined;
}

/** The agent's idle heap trims by the end of the memory wait (flexbridge_heap_trim_seconds): passes, pauses together. */
export interface HeapTrims {
  readonly count: number;
  readonly pauseMs: number;
}

/** Local Controller mode (`--upstream`): the CSMS simulator behind the agent, and the same fleet connected to it directly. */
export interface UpstreamFigures {
  /** Frames the CSMS simulator recorded during the relayed rate phase (both directions: a CALL and its answer each). */
  readonly framesDuringLoad: number | undefined;
  /** CSMS simulator RSS once the relayed fleet was connected, KiB. */
  readonly csmsConnectedKiB: number | undefined;
  /** The comparison fleet (identities <prefix>-D-…, permessage-deflate not offered) connecting to the simulator directly. */
  readonly direct: {
    readonly ready: number;
    readonly connectS: number;
    readonly stalled: boolean;
    /** The rate phase repeated against the simulator: `agentCpuPercent` is the simulator's CPU here. */
    readonly load: LoadOutcome | undefined;
  };
  /** Round-trip p50 through flexbridge minus p50 directly to the simulator, ms. */
  readonly addedP50Ms: number | undefined;
}

export interface LoadTestResult {
  readonly options: LoadTestOptions;
  readonly stations: {
    readonly ready: number;
    readonly connectS: number;
    /** Agent CPU while the fleet connected, % of one core (password hashing runs on the libuv pool: may pass 100). */
    readonly connectAgentCpuPercent: number | undefined;
    readonly stalled: boolean;
    readonly connectFailures: number;
    readonly gaveUp: number;
    readonly emfile: number;
    /** Connections on which permessage-deflate was negotiated. */
    readonly deflated: number;
    /** BootNotifications answered Pending or Rejected (each station is told Pending until its standing limits are in). */
    readonly bootsPending: number;
    readonly agentConnected: number | undefined;
    readonly connectErrors: readonly string[];
  };
  readonly settleS: number;
  readonly load: LoadOutcome | undefined;
  readonly memory: MemoryFigures;
  readonly forecasts: readonly ForecastRun[];
  readonly forecastMedianMs: number | undefined;
  readonly upstream: UpstreamFigures | undefined;
  /** `--restart-storm`: kill -9, restart, every station back, booted and re-profiled; what they drew meanwhile. */
  readonly restartStorm: RestartStormOutcome | undefined;
  readonly agent: {
    /** Commit of the agent's sources at the start of the run. */
    readonly version: string;
    /** What the agent process ran: the built dist/ (as `npm start`) or src/ through tsx. */
    readonly from: 'built' | 'source';
    readonly openFilesLimit: number | undefined;
    readonly warnings: readonly (readonly [string, number])[];
    readonly exitCode: number | null;
    readonly dir: string | undefined;
  };
  readonly advice: readonly string[];
}

export const GROUP_ID = 'load';
const SAFETY_MARGIN_A = 1;
const WARM_UP_LIMIT_A = 12;
/** The agent's heartbeat interval, and the one the CSMS simulator answers in Local Controller mode. */
const AGENT_HEARTBEAT_S = 3600;
const silent: Progress = { phase: () => undefined, update: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Temporary folders of runs in progress that are to be removed at the end. */
const tempDirs = new Set<string>();

/** For a signal handler: stops the agents of runs in progress and removes their temporary folders. */
export function abortRunningLoadTests(): void {
  killRunningAgents();
  killRunningCsms();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function stationIdentities(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}`);
}

export async function runLoadTest(input: LoadTestOptionsInput, progress: Progress = silent): Promise<LoadTestResult> {
  const options = parseLoadTestOptions(input);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-loadtest-'));
  if (!options.keep) tempDirs.add(dir);
  const bootstrapToken = randomBytes(24).toString('base64url');
  const password = randomBytes(18).toString('base64url'); // 24 characters: within OCPP's 16–40
  let agent: AgentChild | undefined;
  let cp: CapacityProvider | undefined;
  let generator: Generator | undefined;
  let csms: CsmsChild | undefined;
  try {
    const version = agentVersion();
    if (options.upstream) {
      progress.phase('csms', 0);
      progress.update(0, 'starting the CSMS simulator');
      csms = await startCsmsChild({ heartbeatIntervalS: AGENT_HEARTBEAT_S, ocppVersion: options.ocpp === '1.6' ? '1.6' : '2.0.1' });
    }
    progress.phase('agent', 0);
    progress.update(0, 'starting the agent');
    agent = await startAgentChild({
      dir,
      bootstrapToken,
      groupId: GROUP_ID,
      nodeFlags: options.agentNodeFlags,
      from: options.agentFrom,
      loneSession: options.loneSession,
      heapTrim: options.heapTrim,
      traceFrames: options.traceFrames,
      dialRate: options.dialRate,
      ...(csms && { upstreamUrl: csms.url }),
    });
    await sleep(1000);
    const beforeKiB = agent.rssKiB();
    const heapBeforeKiB = heapKiB(await agent.metrics().catch(() => undefined));
    const provider = await startCapacityProvider({ port: 0, heartbeatIntervalS: 30, replyDelayMs: 10, handshakeDelayMs: 10 });
    cp = provider;
    await provider.registerWith(agent.oscpUrl, bootstrapToken);
    await provider.waitForState((s) => s.handshakeDone, 30_000);

    const fleet = startGenerator({
      identities: stationIdentities(options.idPrefix, options.stations),
      url: agent.ocppUrl,
      password,
      deflate: options.deflate,
      message: options.message,
      ocpp: options.ocpp,
      workers: options.workers,
      connectConcurrency: options.connectConcurrency,
    });
    generator = fleet;
    const connected = await connectFleet(fleet, agent, options.stations, options.connectStallS, progress);
    const agentConnected = (await agent.metrics().catch(() => new Map<string, number>())).get('flexbridge_stations_connected');
    let settleS = await settleProfiles(fleet, 2000, 120_000 + options.stations * 20, progress);
    const forecastRun = (limitA: number): Promise<ForecastRun> =>
      timeForecast(provider, fleet, {
        groupId: GROUP_ID,
        sessions: connected.ready,
        limitA,
        safetyMarginA: SAFETY_MARGIN_A,
        timeoutMs: options.forecastTimeoutS * 1000,
      });
    if (options.forecasts > 0 && connected.ready > 0) {
      progress.phase('warm-up forecast', 0);
      progress.update(0, `forecast: every session at ${WARM_UP_LIMIT_A} A`);
      await forecastRun(WARM_UP_LIMIT_A);
      settleS += await settleProfiles(fleet, 1000, 60_000, progress);
      await agentIdle(agent);
    }
    const connectedKiB = agent.rssKiB();
    const connectedMetrics = await agent.metrics().catch(() => undefined);
    const heapConnectedKiB = heapKiB(connectedMetrics);
    const heapTotalConnectedKiB = heapKiB(connectedMetrics, 'total');
    const csmsConnectedKiB = csms?.rssKiB();
    const idle =
      options.memorySettleS > 0 && connected.ready > 0 ? await heapSettled(agent, options.memorySettleS * 1000, progress) : undefined;

    const csmsBefore = await csms?.stats();
    const load =
      options.rate > 0 && connected.ready > 0
        ? await runLoad(
            fleet,
            agentTarget(agent, options.upstream),
            { rate: options.rate, durationS: options.durationS, action: options.message },
            progress,
            csms,
          )
        : undefined;
    const csmsAfter = await csms?.stats();

    const forecasts: ForecastRun[] = [];
    if (connected.ready > 0) {
      for (let k = 1; k <= options.forecasts; k++) {
        const limitA = k % 2 === 1 ? 16 : 10;
        progress.phase(`forecast ${k}/${options.forecasts}`, 0);
        progress.update(0, `every session to ${limitA} A`);
        // Each forecast starts on an agent that finished the previous one (its write-ahead persists, session flushes).
        await agentIdle(agent);
        forecasts.push(await forecastRun(limitA));
      }
    }
    let storm: RestartStormOutcome | undefined;
    if (options.restartStorm && connected.ready > 0) {
      await agentIdle(agent);
      // The TxProfile limit in force: the last forecast's (the warm-up's when no timed one ran).
      const txLimitA = forecasts.at(-1)?.limitA ?? (options.forecasts > 0 ? WARM_UP_LIMIT_A : undefined);
      const restarted = await restartStorm(agent, fleet, { txLimitA, stallS: options.connectStallS }, progress);
      agent = restarted.agent;
      storm = restarted.outcome;
      if (restarted.error !== undefined || !agent) throw restarted.error ?? new Error('the agent did not restart');
    }
    const endKiB = agent.rssKiB();
    const openFilesLimit = agent.openFilesLimit();
    const stats = fleet.stats();
    const connectErrors = [...fleet.connectErrors()];
    const warnings = [...agent.logCounts()].sort((a, b) => b[1] - a[1]).slice(0, 8);
    progress.phase('stopping', 0);
    progress.update(0, 'closing stations and stopping the agent');
    await fleet.close();
    generator = undefined;
    const exitCode = await agent.stop();
    agent = undefined;
    let upstream: UpstreamFigures | undefined;
    if (csms) {
      const direct = await directComparison(csms, options, progress);
      upstream = {
        framesDuringLoad: framesBetween(csmsBefore, csmsAfter),
        csmsConnectedKiB,
        direct,
        addedP50Ms: load?.p50Ms === undefined || direct.load?.p50Ms === undefined ? undefined : load.p50Ms - direct.load.p50Ms,
      };
    }

    const perStationKiB =
      beforeKiB !== undefined && connectedKiB !== undefined && connected.ready > 0
        ? (connectedKiB - beforeKiB) / connected.ready
        : undefined;
    const completed = forecasts.flatMap((f) => (f.lastAckMs === undefined ? [] : [f.lastAckMs]));
    return {
      options,
      stations: {
        ready: connected.ready,
        connectS: connected.seconds,
        connectAgentCpuPercent: connected.agentCpuPercent,
        stalled: connected.stalled,
        connectFailures: stats.connectFailures,
        gaveUp: stats.gaveUp,
        emfile: stats.emfile,
        deflated: stats.deflated,
        bootsPending: stats.bootPending,
        agentConnected,
        connectErrors,
      },
      settleS,
      load,
      memory: {
        beforeKiB,
        connectedKiB,
        endKiB,
        perStationKiB,
        heapBeforeKiB,
        heapConnectedKiB,
        heapTotalConnectedKiB,
        idleKiB: idle?.rssKiB,
        heapIdleKiB: idle?.heapKiB,
        perStationIdleKiB:
          idle?.rssKiB !== undefined && beforeKiB !== undefined && connected.ready > 0
            ? (idle.rssKiB - beforeKiB) / connected.ready
            : undefined,
        idleAfterS: idle?.afterS,
        idleHeapsKiB: idle?.heapsKiB,
        heapTotalIdleKiB: idle?.heapTotalKiB,
        heapTrims: idle?.trims,
      },
      forecasts,
      forecastMedianMs: completed.length === forecasts.length ? median(completed) : undefined,
      upstream,
      restartStorm: storm,
      agent: { version, from: options.agentFrom, openFilesLimit, warnings, exitCode, dir: options.keep ? dir : undefined },
      advice: advice(options, stats.emfile, connected.ready, openFilesLimit),
    };
  } finally {
    await generator?.close().catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    await cp?.close().catch(() => undefined);
    await csms?.stop().catch(() => undefined);
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

/**
 * The relayed fleet's rate phase repeated with the same number of lean stations connected to the CSMS simulator
 * directly (the agent already stopped): the round trip without flexbridge in between, on the same machine and run.
 * They never offer permessage-deflate: the simulator would compress every frame (context takeover), which no leg of
 * the relayed path does (flexbridge negotiates no_context_takeover with a 1 KiB threshold both ways).
 */
async function directComparison(csms: CsmsChild, options: LoadTestOptions, progress: Progress): Promise<UpstreamFigures['direct']> {
  const fleet = startGenerator({
    identities: stationIdentities(`${options.idPrefix}-D`, options.stations),
    url: csms.url,
    password: randomBytes(18).toString('base64url'),
    deflate: false,
    message: options.message,
    ocpp: options.ocpp,
    workers: options.workers,
    connectConcurrency: options.connectConcurrency,
  });
  try {
    const connected: ConnectOutcome = await connectFleet(fleet, csms, options.stations, options.connectStallS, progress);
    await sleep(1000);
    const target: LoadTarget = {
      cpuSeconds: () => csms.cpuSeconds(),
      counted: async () => {
        const stats = await csms.stats();
        return stats === undefined ? undefined : stats.framesTotal / 2;
      },
    };
    const load =
      options.rate > 0 && connected.ready > 0
        ? await runLoad(
            fleet,
            target,
            { rate: options.rate, durationS: options.durationS, action: options.message, phase: 'load, direct' },
            progress,
          )
        : undefined;
    return { ready: connected.ready, connectS: connected.seconds, stalled: connected.stalled, load };
  } finally {
    progress.phase('stopping', 0);
    progress.update(0, 'closing the direct stations');
    await fleet.close();
  }
}

function framesBetween(before: CsmsStats | undefined, after: CsmsStats | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after.framesTotal - before.framesTotal;
}

/**
 * Waits until the agent's V8 heap in use stopped shrinking — no fall of more than 1 % over the last three polls, 2 s
 * apart, and at least `SETTLE_MIN_MS` after the start — or `maxMs`.
 */
/**
 * V8's memory reducer collects some 8 s after allocation slows, once the last collection has grown the heap; at 5,000
 * stations the heap halved 15 s into the wait (344 → 172 MiB). Before that the heap is flat, so flatness alone is
 * not enough.
 */
const SETTLE_MIN_MS = 30_000;

async function heapSettled(
  agent: AgentChild,
  maxMs: number,
  progress: Progress,
): Promise<{
  rssKiB: number | undefined;
  heapKiB: number | undefined;
  heapTotalKiB: number | undefined;
  trims: HeapTrims | undefined;
  afterS: number;
  heapsKiB: number[];
}> {
  progress.phase('memory settle', 0);
  progress.update(0, 'waiting for the heap to stop shrinking');
  const startMs = Date.now();
  const heaps: number[] = [];
  let last: Map<string, number> | undefined;
  for (;;) {
    last = await agent.metrics().catch(() => undefined);
    const heap = heapKiB(last);
    if (heap !== undefined) heaps.push(heap);
    const recent = heaps.slice(-4);
    // The agent's idle heap trim may still be due (blocked while busy or too soon after its last run): wait for it.
    const trimDue = last?.get('flexbridge_heap_trim_due') === 1;
    const settled =
      !trimDue &&
      Date.now() - startMs >= SETTLE_MIN_MS &&
      recent.length === 4 &&
      (recent[0] as number) - (recent[3] as number) <= 0.01 * (recent[0] as number);
    if (settled || Date.now() - startMs >= maxMs) break;
    await sleep(2000);
  }
  const trimCount = last?.get('flexbridge_heap_trim_seconds_count');
  const trimSeconds = last?.get('flexbridge_heap_trim_seconds_sum');
  return {
    rssKiB: agent.rssKiB(),
    heapKiB: heaps.at(-1),
    heapTotalKiB: heapKiB(last, 'total'),
    trims: trimCount === undefined ? undefined : { count: trimCount, pauseMs: (trimSeconds ?? 0) * 1000 },
    afterS: (Date.now() - startMs) / 1000,
    heapsKiB: heaps.map(Math.round),
  };
}

function heapKiB(metrics: Map<string, number> | undefined, which: 'used' | 'total' = 'used'): number | undefined {
  const bytes = metrics?.get(`flexbridge_process_nodejs_heap_size_${which}_bytes`);
  return bytes === undefined ? undefined : bytes / 1024;
}

/** What to change when connections failed for lack of file descriptors. */
function advice(options: LoadTestOptions, emfile: number, ready: number, agentLimit: number | undefined): string[] {
  const lines: string[] = [];
  const needed = options.stations + 256;
  if (emfile > 0)
    lines.push(
      `${emfile} connection attempts failed with EMFILE (too many open files in the load generator): ` +
        `raise the limit in the shell you start from, e.g. \`ulimit -n ${Math.max(65536, needed)}\` (check the ceiling with \`ulimit -Hn\`).`,
    );
  if (agentLimit !== undefined && agentLimit < needed && ready < options.stations)
    lines.push(
      `the agent may open only ${agentLimit} files but ${options.stations} stations need about ${needed}: ` +
        `raise \`ulimit -n\` before starting the load test (the agent inherits it).`,
    );
  return lines;
}

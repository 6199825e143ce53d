// One soak run: the agent (child process, kill -9 and restart on the same config and store), the OSCP CP simulator
// and a mixed 1.6/2.0.1 fleet, driven by a seeded plan; the checker reads only the stations' own logs and the capacity
// the soak itself granted. Everything started here is stopped in `finally`, also when `signal` aborts (Ctrl-C).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { createFleet, type Fleet } from '../ocpp-station';
import { startCapacityProvider, type CapacityProvider } from '../oscp-cp';
import { freePort, SoakAgent } from './agent';
import { StationChurn } from './churn';
import { planSoak } from './plan';
import type { SoakResult, RestartResult } from './report';
import { auditStore, readOutbox } from './store-audit';
import { CapacityTimeline, overLimitInstants } from './timeline';

export interface SoakOptions {
  minutes: number;
  stations: number;
  kills: number;
  seed: number;
}

const GROUP = 'soak';
const MARGIN_A = 5;
const FALLBACK_A = 300;
/** A decrease may take this long to reach every station: the e2e tests wait up to 30 s for the fleet to be under a cut. */
export const SETTLE_MS = 30_000;
const REPROFILE_TIMEOUT_MS = 180_000;

/** The agent process of the moment, so a second Ctrl-C can still kill it synchronously. */
export let currentAgent: SoakAgent | undefined;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('soak aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('soak aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(250, signal);
  }
  return check();
}

/** One 24 h forecast of flat capacity per phase, from the start of the current quarter hour. */
function flatDay(limitA: number): { start_time: string; end_time: string; capacity: number; phase: 'ALL'; unit: 'A' }[] {
  const now = DateTime.utc();
  const start = now.startOf('hour').plus({ minutes: Math.floor(now.minute / 15) * 15 });
  return Array.from({ length: 96 }, (_, i) => ({
    start_time: start.plus({ minutes: 15 * i }).toISO({ suppressMilliseconds: true }) ?? '',
    end_time: start.plus({ minutes: 15 * (i + 1) }).toISO({ suppressMilliseconds: true }) ?? '',
    capacity: limitA,
    phase: 'ALL' as const,
    unit: 'A' as const,
  }));
}

function drawnNowA(fleet: Fleet): number {
  let max = 0;
  const sum = [0, 0, 0];
  for (const station of fleet.stations.values())
    station
      .evseOrThrow(1)
      .log.last()
      ?.drawnA.forEach((a, p) => (sum[p] = (sum[p] ?? 0) + a));
  for (const a of sum) max = Math.max(max, a);
  return max;
}

export async function runSoak(options: SoakOptions, signal: AbortSignal, say: (line: string) => void): Promise<SoakResult> {
  const durationMs = options.minutes * 60_000;
  const { plan, random } = planSoak({
    durationMs,
    kills: options.kills,
    seed: options.seed,
    regularA: [600, 1200],
    emergencyA: [150, 350],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-soak-'));
  const password = `soak-${randomBytes(8).toString('hex')}`;
  const bootstrapToken = `soak-bootstrap-${randomBytes(12).toString('hex')}`;
  const [httpPort, ocppPort] = [await freePort(), await freePort()];
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const ocppUrl = `ws://127.0.0.1:${ocppPort}/ocpp`;
  const dbFile = path.join(dir, 'agent.db');
  const configFile = path.join(dir, 'config.json');
  const logFile = path.join(dir, 'agent.log');
  fs.writeFileSync(
    configFile,
    JSON.stringify(
      {
        http: { host: '127.0.0.1', port: httpPort },
        store: { path: dbFile },
        log: { level: 'info' },
        ocpp: { host: '127.0.0.1', port: ocppPort, autoRegisterGroup: GROUP, callTimeoutMs: 5000, heartbeatIntervalS: 60 },
        oscp: {
          publicBaseUrl: `${httpUrl}/oscp/fp/2.0`,
          peers: [{ id: 'dso', bootstrapToken, heartbeatIntervalS: 2, offlineGraceS: 2, measurementIntervalS: 10 }],
        },
        groups: [{ id: GROUP, peerId: 'dso', safeLimitA: FALLBACK_A, safetyMarginA: MARGIN_A, leaseS: 120 }],
      },
      null,
      2,
    ),
  );
  say(
    `soak: ${options.minutes} min, ${options.stations} stations (mixed 1.6/2.0.1), ${plan.kills.length} kills, seed ${options.seed}; agent files in ${dir}`,
  );

  let cp: CapacityProvider | undefined;
  let fleet: Fleet | undefined;
  let churn: StationChurn | undefined;
  let churnTimer: NodeJS.Timeout | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let passed = false;
  try {
    currentAgent = await SoakAgent.start(configFile, logFile, httpUrl);
    cp = await startCapacityProvider({ port: 0, replyDelayMs: 20, handshakeDelayMs: 20, heartbeatIntervalS: 1 });
    const f = createFleet({
      url: ocppUrl,
      protocol: 'mixed',
      count: options.stations,
      evsesPerStation: 1,
      securityProfile: 1,
      password,
      meterIntervalS: 10,
      evaluateIntervalS: 2,
      tickMs: 200,
      connectRatePerS: 50,
      backoff: { minS: 0.5, randomS: 2, repeatTimes: 3 },
      seed: options.seed,
      logCapacity: 50_000,
    });
    fleet = f;
    const c = new StationChurn(f, random, password);
    churn = c;
    await cp.registerWith(`${httpUrl}/oscp/fp/2.0`, bootstrapToken);
    await cp.waitForState((s) => s.handshakeDone, 15_000);
    f.start();
    const booted = (): boolean => [...f.stations.values()].every((s) => s.connection === 'open' && s.bootStatus === 'Accepted');
    if (!(await until(booted, 120_000, signal))) throw new Error('not every station booted within 120 s');
    const provider = cp;

    // Capacity the soak granted: nothing is plugged in before the first forecast, so it starts unbounded.
    const timeline = new CapacityTimeline(Infinity, 0);
    const forecastsAccepted: string[] = [];
    let forecastsRefused = 0;
    let consumptionA = 0;
    let heartbeatsHeld = false;
    const send = async (type: 'CONSUMPTION' | 'FALLBACK_CONSUMPTION', capacityA: number): Promise<void> => {
      const sentAt = Date.now();
      const previous = timeline.at(sentAt);
      const result = await provider.sendForecast({ groupId: GROUP, type, blocks: flatDay(capacityA) });
      if (result.status === 204 && result.requestId !== undefined) forecastsAccepted.push(result.requestId);
      else forecastsRefused++;
      if (type !== 'CONSUMPTION') return;
      // A decrease counts from the moment it was sent, answered or not; an increase only once acknowledged.
      if (capacityA < previous || result.status === 204) {
        consumptionA = capacityA;
        if (!heartbeatsHeld) timeline.set(sentAt, capacityA);
      }
    };
    await send('FALLBACK_CONSUMPTION', FALLBACK_A);
    await send('CONSUMPTION', 900);

    const startMs = Date.now();
    const restarts: RestartResult[] = [];
    let overNow = 0;
    churnTimer = setInterval(() => c.step(Math.round(options.stations * 0.4), 0.05), 1000);
    progressTimer = setInterval(() => {
      const s = f.summary();
      const allowed = timeline.at(Date.now()) - MARGIN_A;
      const drawn = drawnNowA(f);
      if (drawn > timeline.allowedAt(Date.now(), SETTLE_MS) - MARGIN_A + 1e-6) overNow++;
      say(
        `  ${((Date.now() - startMs) / 1000).toFixed(0).padStart(5)} s  agent ${currentAgent?.running ? 'up  ' : 'DOWN'}  kills ${restarts.length}/${plan.kills.length}` +
          `  connected ${s.connected}/${s.stations}  charging ${s.evsesCharging}  drawn ${drawn.toFixed(0)} A / allowed ${allowed.toFixed(0)} A` +
          `  heartbeats ${heartbeatsHeld ? 'HELD' : 'on'}  forecasts ${forecastsAccepted.length}`,
      );
    }, 10_000);

    type Event = { atMs: number; run: () => Promise<void> };
    const queue: Event[] = [];
    const at = (atMs: number, run: () => Promise<void>): void => {
      queue.push({ atMs, run });
      queue.sort((a, b) => a.atMs - b.atMs);
    };
    const agentUp = (): boolean => currentAgent?.running === true;
    for (const fc of plan.forecasts)
      at(fc.atMs, async () => {
        if (agentUp() && !heartbeatsHeld) await send('CONSUMPTION', fc.capacityA);
      });
    for (const pause of plan.heartbeatPauses) {
      at(pause.atMs, async () => {
        provider.stopHeartbeats();
        heartbeatsHeld = true;
        timeline.set(Date.now(), FALLBACK_A);
      });
      at(pause.atMs + pause.forMs, async () => {
        provider.resumeHeartbeats();
        heartbeatsHeld = false;
        timeline.set(Date.now(), consumptionA);
      });
    }
    for (const dup of plan.duplicates) at(dup, async () => (agentUp() ? c.duplicateConnect(ocppUrl) : undefined));
    for (const kill of plan.kills)
      at(kill.atMs, async () => {
        const before = new Map([...f.stations].map(([id, s]) => [id, s.stats.profilesAccepted]));
        const killedAt = Date.now();
        await currentAgent?.kill9();
        const result: RestartResult = { killedAtS: (killedAt - startMs) / 1000, downS: kill.downMs / 1000 };
        restarts.push(result);
        at(killedAt - startMs + kill.downMs, async () => {
          const spawnedAt = Date.now();
          currentAgent = await SoakAgent.start(configFile, logFile, httpUrl);
          result.readyS = (Date.now() - spawnedAt) / 1000;
          // Measured in the background: every station connected again and holding a limit sent since the kill.
          void (async () => {
            const deadline = spawnedAt + REPROFILE_TIMEOUT_MS;
            while (Date.now() < deadline && !signal.aborted && currentAgent?.running) {
              if (result.connectedS === undefined && booted()) result.connectedS = (Date.now() - spawnedAt) / 1000;
              const pending = [...f.stations].filter(([id, s]) => s.stats.profilesAccepted <= (before.get(id) ?? 0)).length;
              result.notReprofiled = pending;
              if (pending === 0 && result.connectedS !== undefined) {
                result.reprofiledS = (Date.now() - spawnedAt) / 1000;
                return;
              }
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
          })();
        });
      });

    while (queue.length > 0 || Date.now() - startMs < durationMs) {
      const next = queue[0];
      if (next && next.atMs <= Date.now() - startMs) {
        queue.shift();
        await next.run();
      } else await sleep(200, signal);
    }

    // Wind down: no more churn, the CP heartbeats again, the agent drains its outbox and the stations their queues.
    clearInterval(churnTimer);
    churnTimer = undefined;
    if (heartbeatsHeld) {
      provider.resumeHeartbeats();
      heartbeatsHeld = false;
      timeline.set(Date.now(), consumptionA);
    }
    say('soak: events done; letting queues drain (30 s, then until the outbox is empty, at most 60 s more)');
    await sleep(30_000, signal);
    const drained = await until(() => readOutbox(dbFile).pending === 0, 60_000, signal);
    const drainedAtIso = new Date().toISOString();
    const endMs = Date.now();

    const logs = [...f.stations.values()].map((s) => s.evseOrThrow(1).log.toArray());
    const over = overLimitInstants(logs, (t) => timeline.allowedAt(t, SETTLE_MS) - MARGIN_A, startMs);
    const stationsSummary = f.summary();
    const cpSummary = provider.summary();
    await f.stop();
    fleet = undefined;
    await currentAgent?.stop();
    const store = auditStore(dbFile, drainedAtIso);

    let sessionsMissing = 0;
    let endedMissing = 0;
    for (const [id, started] of c.startedBy) sessionsMissing += Math.max(0, started - (store.sessions.get(id)?.total ?? 0));
    for (const [id, ended] of c.endedBy) endedMissing += Math.max(0, ended - (store.sessions.get(id)?.ended ?? 0));
    const forecastsMissing = forecastsAccepted.filter((id) => !store.forecastRequestIds.has(id)).length;
    const result: SoakResult = {
      options,
      minutesRun: (endMs - startMs) / 60_000,
      settleMs: SETTLE_MS,
      marginA: MARGIN_A,
      overLimit: over,
      capacityDecreases: timeline.decreases(),
      restarts,
      churn: c.counts,
      sessionsStarted: [...c.startedBy.values()].reduce((a, b) => a + b, 0),
      sessionsEnded: [...c.endedBy.values()].reduce((a, b) => a + b, 0),
      sessionsStored: [...store.sessions.values()].reduce((a, s) => a + s.total, 0),
      sessionsEndedStored: [...store.sessions.values()].reduce((a, s) => a + s.ended, 0),
      sessionsMissing,
      endedMissing,
      forecastsSent: forecastsAccepted.length,
      forecastsRefused,
      forecastsMissing,
      emergencyCuts: plan.forecasts.filter((fc) => fc.emergency).length,
      heartbeatPauses: plan.heartbeatPauses.length,
      outboxPending: store.outboxPending,
      outboxFailed: store.outboxFailed,
      outboxDrained: drained,
      drops: stationsSummary.drops,
      cpReceived: cpSummary.filter((m) => m.direction === 'in').reduce((a, m) => a + m.count, 0),
      overNowSamples: overNow,
      dir,
    };
    passed =
      over.length === 0 &&
      sessionsMissing === 0 &&
      endedMissing === 0 &&
      forecastsMissing === 0 &&
      store.outboxFailed === 0 &&
      store.outboxPending === 0;
    return result;
  } finally {
    if (churnTimer) clearInterval(churnTimer);
    if (progressTimer) clearInterval(progressTimer);
    churn?.closeAll();
    await fleet?.stop().catch(() => undefined);
    await currentAgent?.kill9().catch(() => undefined);
    currentAgent = undefined;
    await cp?.close().catch(() => undefined);
    // Keep the agent's log and store for the developer when the run failed.
    if (passed) fs.rmSync(dir, { recursive: true, force: true });
    else say(`soak: agent log and store kept in ${dir}`);
  }
}

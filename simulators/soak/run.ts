// One soak run: the agent (child process, kill -9 and restart on the same config and store), the OSCP CP simulator,
// a mixed 1.6/2.0.1 fleet and — with `upstream` — the CSMS simulator behind the agent as Local Controller, driven by a
// seeded plan; the checker reads only the stations' own logs, the CSMS's frames and what the soak itself granted.
// Everything started here is stopped in `finally`, also when `signal` aborts (Ctrl-C).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createFleet, type Fleet } from '../ocpp-station';
import { startCapacityProvider, type CapacityProvider } from '../oscp-cp';
import { freePort, SoakAgent } from './agent';
import { StationChurn } from './churn';
import { agentConfig, FALLBACK_A, flatForecast, GROUP, MARGIN_A, soakTimings } from './config';
import { planSoak } from './plan';
import type { SoakResult, RestartResult } from './report';
import { readOutbox } from './store-audit';
import { CapacityTimeline } from './timeline';
import { SoakCsms } from './upstream';
import { judge } from './verdict';
import { sleep, until } from './wait';

export interface SoakOptions {
  minutes: number;
  stations: number;
  kills: number;
  seed: number;
  /** Time acceleration of everything on the soak's side (1 = real time); the agent's clock stays real. */
  speed?: number;
  /** Local Controller mode: the agent relays every station to the CSMS simulator, which goes down and sends caps. */
  upstream?: boolean;
  /** Wait after the events before the outbox is checked (default 30 s); a test's tiny fleet needs less. */
  drainMs?: number;
}

/** A decrease may take this long to reach every station: the e2e tests wait up to 30 s for the fleet to be under a cut. */
export const SETTLE_MS = 30_000;
const REPROFILE_TIMEOUT_MS = 180_000;

/** The agent process of the moment, so a second Ctrl-C can still kill it synchronously. */
export let currentAgent: SoakAgent | undefined;

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
  const speed = options.speed ?? 1;
  const upstream = options.upstream === true;
  const timings = soakTimings(speed);
  const durationMs = options.minutes * 60_000;
  const { plan, random } = planSoak({
    durationMs,
    kills: options.kills,
    seed: options.seed,
    regularA: [600, 1200],
    emergencyA: [150, 350],
    speed,
    upstream,
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
  say(
    `soak: ${options.minutes} min, ${options.stations} stations (mixed 1.6/2.0.1), ${plan.kills.length} kills, seed ${options.seed}, ` +
      `speed ${speed}, ${upstream ? `through the Local Controller (${plan.csmsOutages.length} CSMS outages planned)` : 'direct'}; agent files in ${dir}`,
  );

  let cp: CapacityProvider | undefined;
  let fleet: Fleet | undefined;
  let csms: SoakCsms | undefined;
  let churn: StationChurn | undefined;
  let churnTimer: NodeJS.Timeout | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let passed = false;
  try {
    const f = createFleet({
      url: ocppUrl,
      protocol: 'mixed',
      count: options.stations,
      evsesPerStation: 1,
      securityProfile: 1,
      password,
      meterIntervalS: timings.meterIntervalS,
      evaluateIntervalS: timings.evaluateIntervalS,
      tickMs: 200,
      connectRatePerS: 50,
      backoff: timings.backoff,
      seed: options.seed,
      logCapacity: 50_000,
    });
    fleet = f;
    if (upstream)
      csms = await SoakCsms.start({
        identities: [...f.stations.keys()],
        password,
        recordFile: path.join(dir, 'csms-frames.ndjson'),
        heartbeatIntervalS: timings.stationHeartbeatS,
        callTimeoutMs: 10_000,
      });
    const upstreamUrl = csms?.url;
    fs.writeFileSync(
      configFile,
      JSON.stringify(
        agentConfig({ httpPort, ocppPort, dbFile, bootstrapToken, timings, ...(upstreamUrl !== undefined && { upstreamUrl }) }),
        null,
        2,
      ),
    );
    currentAgent = await SoakAgent.start(configFile, logFile, httpUrl);
    cp = await startCapacityProvider({ port: 0, replyDelayMs: 20, handshakeDelayMs: 20, heartbeatIntervalS: timings.fpHeartbeatS });
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
      const result = await provider.sendForecast({ groupId: GROUP, type, blocks: flatForecast(capacityA, timings.forecastBlockS) });
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
    churnTimer = setInterval(() => c.step(Math.round(options.stations * 0.4), 0.05), timings.churnStepMs);
    progressTimer = setInterval(() => {
      const s = f.summary();
      const allowed = timeline.at(Date.now()) - MARGIN_A;
      const drawn = drawnNowA(f);
      if (drawn > timeline.allowedAt(Date.now(), SETTLE_MS) - MARGIN_A + 1e-6) overNow++;
      say(
        `  ${((Date.now() - startMs) / 1000).toFixed(0).padStart(5)} s  agent ${currentAgent?.running ? 'up  ' : 'DOWN'}  kills ${restarts.length}/${plan.kills.length}` +
          `  connected ${s.connected}/${s.stations}  charging ${s.evsesCharging}  drawn ${drawn.toFixed(0)} A / allowed ${allowed.toFixed(0)} A` +
          `  heartbeats ${heartbeatsHeld ? 'HELD' : 'on'}  forecasts ${forecastsAccepted.length}` +
          (csms
            ? `  CSMS ${csms.simulator.isDown ? 'DOWN' : 'up'} ${csms.simulator.connectedStations().length} linked, caps ${csms.limits.accepted}`
            : ''),
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
    for (const dup of plan.duplicates) at(dup, async () => (agentUp() ? c.duplicateConnect(ocppUrl, timings.duplicateHoldMs) : undefined));
    // The CSMS's side: outages, and caps sent without waiting for the answer (the relay may hold them up to its timeout).
    const capsInFlight: Promise<void>[] = [];
    if (csms !== undefined) {
      const upstreamCsms = csms;
      for (const outage of plan.csmsOutages) {
        at(outage.atMs, () => upstreamCsms.goDown());
        at(outage.atMs + outage.forMs, () => upstreamCsms.comeBack());
      }
      const ids = [...f.stations.keys()];
      for (const limit of plan.csmsLimits)
        at(limit.atMs, async () => {
          const id = ids[Math.floor(random() * ids.length)];
          const stackLevel = Math.floor(random() * 3);
          if (id !== undefined) capsInFlight.push(upstreamCsms.sendLimit(id, f.protocolOf(id), limit.limitA, stackLevel));
        });
    }
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
      } else await sleep(Math.min(200, timings.churnStepMs), signal);
    }

    // Wind down: no more churn, the CP heartbeats again, the CSMS is up, the agent drains its outbox and relay queue
    // and the stations their own queues.
    clearInterval(churnTimer);
    churnTimer = undefined;
    if (heartbeatsHeld) {
      provider.resumeHeartbeats();
      heartbeatsHeld = false;
      timeline.set(Date.now(), consumptionA);
    }
    await csms?.comeBack();
    const drainMs = options.drainMs ?? 30_000;
    say(
      `soak: events done; letting queues drain (${drainMs / 1000} s, then until the outbox and relay queue are empty, at most 60 s more)`,
    );
    await sleep(drainMs, signal);
    const drained = await until(
      () => {
        const rows = readOutbox(dbFile);
        return rows.pending === 0 && rows.relayQueued === 0;
      },
      60_000,
      signal,
    );
    await Promise.all(capsInFlight);
    const drainedAtIso = new Date().toISOString();
    const endMs = Date.now();
    const logs = new Map([...f.stations].map(([id, s]) => [id, s.evseOrThrow(1).log.toArray()]));
    const stationsSummary = f.summary();
    const cpSummary = provider.summary();
    await f.stop();
    fleet = undefined;
    await currentAgent?.stop();
    await csms?.stop();
    const result = await judge({
      options: { minutes: options.minutes, stations: options.stations, kills: options.kills, seed: options.seed, speed, upstream },
      startMs,
      endMs,
      settleMs: SETTLE_MS,
      marginA: MARGIN_A,
      logs,
      timeline,
      restarts,
      churn: c,
      dbFile,
      drainedAtIso,
      drained,
      forecastsAccepted,
      forecastsRefused,
      plan,
      drops: stationsSummary.drops,
      cpReceived: cpSummary.filter((m) => m.direction === 'in').reduce((a, m) => a + m.count, 0),
      overNow,
      csms,
      dir,
    });
    passed = result.passed;
    return result.result;
  } finally {
    if (churnTimer) clearInterval(churnTimer);
    if (progressTimer) clearInterval(progressTimer);
    churn?.closeAll();
    await fleet?.stop().catch(() => undefined);
    await currentAgent?.kill9().catch(() => undefined);
    currentAgent = undefined;
    await cp?.close().catch(() => undefined);
    await csms?.stop().catch(() => undefined);
    // Keep the agent's log and store for the developer when the run failed.
    if (passed) fs.rmSync(dir, { recursive: true, force: true });
    else say(`soak: agent log and store kept in ${dir}`);
  }
}

// End-to-end rig: the agent as a real child process (ports 0, SQLite file in a temp folder), the OSCP Capacity
// Provider simulator and the OCPP station simulator, all over real sockets on 127.0.0.1. Neither simulator imports src/.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { createFleet, type Fleet, type FleetOptionsInput } from '../../simulators/ocpp-station';
import { startCapacityProvider, type CapacityProvider, type CapacityProviderOptionsInput } from '../../simulators/oscp-cp';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process';
import { tempDir } from '../helpers/processes';

export const BOOTSTRAP_TOKEN = 'e2e-bootstrap-token-0123456789';
export const STATION_PASSWORD = 'e2e-station-password-01';
export const GROUP = 'g1';
/** The scenarios run once per fleet: all 2.0.1, all 1.6J, and half of each in one group. */
export const FLEET_PROTOCOLS = ['2.0.1', '1.6', 'mixed'] as const;

export interface RigOptions {
  stations: number;
  evsesPerStation?: number;
  safeLimitA?: number;
  safetyMarginA?: number;
  leaseS?: number;
  /** Heartbeat interval we ask the CP for, s. */
  heartbeatIntervalS?: number;
  offlineGraceS?: number;
  fleet?: Partial<FleetOptionsInput>;
  cp?: CapacityProviderOptionsInput;
  /** Local Controller mode: the agent's ocpp.upstream section (the CSMS simulator's URL and the outage policy). */
  upstream?: Record<string, unknown>;
}

export interface Rig {
  agent: AgentProcess;
  cp: CapacityProvider;
  fleet: Fleet;
  dir: string;
  config: Record<string, unknown>;
  /** Starts the agent again on the same config and store (after stop or kill -9); the fleet reconnects by itself. */
  restartAgent(): Promise<void>;
  close(): Promise<void>;
}

export async function startRig(options: RigOptions): Promise<Rig> {
  const { dir, cleanup } = tempDir('flexbridge-e2e-');
  const cp = await startCapacityProvider({ port: 0, replyDelayMs: 20, handshakeDelayMs: 20, heartbeatIntervalS: 1, ...options.cp });
  const config = {
    http: { host: '127.0.0.1', port: 0 },
    ocpp: {
      host: '127.0.0.1',
      port: 0,
      autoRegisterGroup: GROUP,
      callTimeoutMs: 5000,
      heartbeatIntervalS: 60,
      ...(options.upstream && { upstream: options.upstream }),
    },
    oscp: {
      peers: [
        {
          id: 'dso',
          bootstrapToken: BOOTSTRAP_TOKEN,
          heartbeatIntervalS: options.heartbeatIntervalS ?? 1,
          offlineGraceS: options.offlineGraceS ?? 1,
          measurementIntervalS: 2,
        },
      ],
    },
    groups: [
      {
        id: GROUP,
        peerId: 'dso',
        safeLimitA: options.safeLimitA ?? 40,
        safetyMarginA: options.safetyMarginA ?? 1,
        leaseS: options.leaseS ?? 120,
      },
    ],
  };
  let agent = await startAgentProcess(dir, config);
  const fleet = createFleet({
    url: agent.ocppUrl,
    count: options.stations,
    evsesPerStation: options.evsesPerStation ?? 1,
    securityProfile: 1,
    password: STATION_PASSWORD,
    meterIntervalS: 2,
    evaluateIntervalS: 1,
    tickMs: 100,
    connectRatePerS: 500,
    backoff: { minS: 0.2, randomS: 0.3, repeatTimes: 3 },
    ...options.fleet,
  });
  await cp.registerWith(agent.oscpUrl, BOOTSTRAP_TOKEN);
  await cp.waitForState((s) => s.handshakeDone, 15_000);
  fleet.start();
  return {
    get agent() {
      return agent;
    },
    cp,
    fleet,
    dir,
    config,
    restartAgent: async () => {
      // Same OCPP port is not guaranteed with port 0, so the restarted agent listens where the fleet expects it.
      const ocppPort = Number(new URL(agent.ocppUrl.replace('ws://', 'http://')).port);
      const httpPort = Number(new URL(agent.httpUrl).port);
      agent = await startAgentProcess(dir, {
        ...config,
        http: { ...config.http, port: httpPort },
        ocpp: { ...config.ocpp, port: ocppPort },
        oscp: { ...config.oscp, publicBaseUrl: `http://127.0.0.1:${httpPort}/oscp/fp/2.0` },
      });
    },
    close: async () => {
      await fleet.stop();
      await agent.stop().catch(() => undefined);
      await cp.close();
      cleanup();
    },
  };
}

/** One 24 h forecast of flat capacity per phase, from the start of the current quarter hour. */
export function flatDay(
  limitA: number,
  from: DateTime = DateTime.utc(),
): { start_time: string; end_time: string; capacity: number; phase: 'ALL'; unit: 'A' }[] {
  const start = from.startOf('hour').plus({ minutes: Math.floor(from.minute / 15) * 15 });
  return Array.from({ length: 96 }, (_, i) => ({
    start_time: start.plus({ minutes: 15 * i }).toISO({ suppressMilliseconds: true }) ?? '',
    end_time: start.plus({ minutes: 15 * (i + 1) }).toISO({ suppressMilliseconds: true }) ?? '',
    capacity: limitA,
    phase: 'ALL' as const,
    unit: 'A' as const,
  }));
}

export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Excess {
  atMs: number;
  phase: number;
  drawnA: number;
  allowedA: number;
}

/**
 * What the grid saw: the current drawn per phase summed over every EVSE of the fleet at every instant the
 * simulator logged a change, against the capacity `allowedA(t)` (already minus the margin). `toleranceMs` lets a
 * capacity step be compared with the capacity just before it (the stations' own evaluation tick).
 */
export function excesses(
  fleet: Fleet,
  stationIds: readonly string[],
  evses: number,
  allowedA: (atMs: number) => number,
  toleranceMs = 1500,
): Excess[] {
  const logs = stationIds.flatMap((id) => Array.from({ length: evses }, (_, e) => fleet.limitLog(id, e + 1)));
  const instants = [...new Set(logs.flatMap((log) => log.map((entry) => entry.atMs)))].sort((a, b) => a - b);
  const found: Excess[] = [];
  const cursor = logs.map(() => -1);
  for (const atMs of instants) {
    const sum = [0, 0, 0];
    logs.forEach((log, i) => {
      let index = cursor[i] ?? -1;
      while (index + 1 < log.length && (log[index + 1]?.atMs ?? Infinity) <= atMs) index++;
      cursor[i] = index;
      const entry = log[index];
      if (entry) entry.drawnA.forEach((a, phase) => (sum[phase] = (sum[phase] ?? 0) + a));
    });
    const allowed = Math.max(allowedA(atMs), allowedA(atMs - toleranceMs));
    sum.forEach((drawnA, phase) => {
      if (drawnA > allowed + 1e-6) found.push({ atMs, phase, drawnA, allowedA: allowed });
    });
  }
  return found;
}

export function stationIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `SIM-${String(i + 1).padStart(5, '0')}`);
}

/** On failure, keep what the agent logged and what the fleet drew, for the developer reading the CI output. */
export async function withDiagnostics(name: string, rig: () => Rig | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const current = rig();
    if (current) {
      const file = path.join(os.tmpdir(), `flexbridge-e2e-${name}.json`);
      writeFileSync(file, JSON.stringify({ summary: current.fleet.summary(), logs: current.agent.logs() }, null, 1));
      process.stderr.write(`e2e ${name}: agent log and fleet summary written to ${file}\n`);
    }
    throw error;
  }
}

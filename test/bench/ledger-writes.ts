// Store writes per reallocation (issue #15): a group of N stations with one session each on a real SQLite file,
// planned once, then a capacity change (every station's limit changes) and a session start (one station changes).
// Counts the write-ahead calls, rows and JSON bytes the lease ledger costs, whichever PlanRepository the tree has.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreEvents } from '../../src/core/events';
import { FlexibilityProvider } from '../../src/core/flexibility-provider';
import { allocatorPlan } from '../../src/core/allocator-plan';
import { Scheduler, type Clock } from '../../src/core/scheduler';
import type { PlanRepository } from '../../src/core/ports';
import { silentLogger } from '../../src/observability/log';
import { openSqliteStore } from '../../src/store/sqlite';

const N = Number(process.argv[2] ?? 1000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-ledger-bench-'));
const store = openSqliteStore(path.join(dir, 'bench.db'));
const counted = { calls: 0, rows: 0, bytes: 0, ms: 0 };
// Wraps every write method of the repository: save (whole-group document) or saveLedger (rows), whichever exists.
const plans = new Proxy(store.plans, {
  get(target, key: string) {
    const value: unknown = Reflect.get(target, key);
    if (typeof value !== 'function' || (key !== 'save' && key !== 'saveLedger')) return value;
    return (...args: unknown[]) => {
      const started = performance.now();
      const result: unknown = Reflect.apply(value, target, args);
      counted.ms += performance.now() - started;
      counted.calls++;
      if (key === 'save') {
        const doc = (args[0] as { plan: { ledger: unknown[] } }).plan;
        counted.rows += 1;
        counted.bytes += JSON.stringify(doc).length;
      } else {
        counted.rows += (args[0] as unknown[]).length + (args[1] as unknown[]).length;
        counted.bytes += Number(result);
      }
      return result;
    };
  },
}) as PlanRepository;

let nowMs = Date.UTC(2026, 0, 1, 0, 1);
let capacityA = N * 16;
const clock: Clock = { nowMs: () => nowMs, setTimer: () => ({ cancel: () => undefined }) };
const fp = new FlexibilityProvider({
  groups: [{ id: 'g1', peerId: 'dso', phaseVoltageV: 230, phases: 3, safetyMarginA: 0, safeLimitA: N * 6, leaseS: 900 }],
  forecasts: {
    blocks: (_g, type, fromMs, toMs) =>
      type === 'CONSUMPTION' ? [{ startMs: fromMs, endMs: toMs, limitA: [capacityA, capacityA, capacityA] }] : [],
    requestIdAt: () => 'r1',
    peerOnline: () => true,
  },
  grid: { complianceError: () => undefined, adjustForecast: () => undefined },
  plan: allocatorPlan,
  kv: store.kv,
  plans,
  scheduler: new Scheduler(clock),
  nowMs: clock.nowMs,
  events: new CoreEvents(),
  logger: silentLogger,
});

const station = (i: number) => ({
  stationId: `CS-${i}`,
  groupId: 'g1',
  evseMaxCurrentA: 32,
  stationMaxCurrentA: 32,
  evseCount: 1,
  phases: 3 as const,
  connected: true,
  controllable: true,
  periodsPerSchedule: 24,
  profileStackLevel: 3,
});
const session = (i: number) => ({
  transactionId: `tx-${i}`,
  stationId: `CS-${i}`,
  groupId: 'g1',
  evseId: 1,
  chargingState: 'Charging' as const,
  startedAt: '2026-01-01T00:00:00.000Z',
  lastSeqNo: 0,
  priority: 0,
});

async function measure(label: string, change: () => void): Promise<void> {
  Object.assign(counted, { calls: 0, rows: 0, bytes: 0, ms: 0 });
  change();
  nowMs += 1000;
  await fp.controller('g1')?.runOnce();
  console.log(JSON.stringify({ label, stations: N, ...counted, ms: Math.round(counted.ms * 10) / 10 }));
}

async function main(): Promise<void> {
  for (let i = 0; i < N - 1; i++) fp.onStationUpdated(station(i));
  for (let i = 0; i < N - 1; i++) fp.onSession(session(i));
  fp.start({ applyLimits: () => Promise.resolve('Accepted') });
  await measure('first plan', () => undefined);
  await measure('capacity change (every station)', () => (capacityA = N * 10));
  await measure('one station joins with a session', () => {
    fp.onStationUpdated(station(N - 1));
    fp.onSession(session(N - 1));
  });
  await measure('nothing changed (renewal)', () => undefined);
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();

// Store benchmark: the per-tick batch (sessions upserted in one transaction) on a real file with
// synchronous=FULL, against one transaction per session — the reason writes are batched.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import Table from 'cli-table3';
import { openSqliteStore } from '../../src/store/sqlite';
import type { ChargingSession } from '../../src/domain/session';

const RUNS = 5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-bench-'));
const store = openSqliteStore(path.join(dir, 'bench.db'));

const sessions = (n: number, round: number): ChargingSession[] =>
  Array.from({ length: n }, (_, i) => ({
    transactionId: `tx-${i}`,
    stationId: `CS-${i}`,
    groupId: `g${i % 10}`,
    evseId: 1,
    chargingState: 'Charging',
    startedAt: '2026-01-01T00:00:00.000Z',
    meterWh: round * 100 + i,
    lastSeqNo: round,
    priority: 0,
  }));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(work: () => void): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const table = new Table({ head: ['case', 'sessions', `median ms (${RUNS} runs)`, 'sessions/s'], style: { head: [], border: [] } });
for (const n of [1000, 5000, 19000]) {
  const runs = Array.from({ length: RUNS }, (_, round) => time(() => store.sessions.upsertMany(sessions(n, round))));
  const ms = median(runs);
  table.push(['one batch per tick', n, ms.toFixed(1), Math.round((n / ms) * 1000).toLocaleString('en')]);
}
{
  const n = 200;
  const runs = Array.from({ length: RUNS }, (_, round) => time(() => sessions(n, round).forEach((s) => store.sessions.upsertMany([s]))));
  const ms = median(runs);
  table.push(['one transaction per session', n, ms.toFixed(1), Math.round((n / ms) * 1000).toLocaleString('en')]);
}
console.log(table.toString());
store.close();
fs.rmSync(dir, { recursive: true, force: true });

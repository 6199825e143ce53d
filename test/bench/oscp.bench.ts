// OSCP benchmark (issue #17 item 3): a ~1 MB UpdateGroupCapacityForecast from the request to the 204 over real HTTP
// (JSON parse, schema, bounds, normalising, SQLite append with synchronous=FULL, book), and normalising alone, sort and
// sweep against the quadratic normaliser it replaced. Medians of several runs; nothing here asserts a time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Table from 'cli-table3';
import express from 'express';
import { GroupConfig, OscpConfig } from '../../src/config/sections';
import { Scheduler, systemClock } from '../../src/core/scheduler';
import { minCurrents, type PhaseCurrentsA } from '../../src/domain/electrical';
import type { CapacityBlock } from '../../src/domain/capacity';
import { silentLogger } from '../../src/observability/log';
import { createMetrics } from '../../src/observability/metrics';
import { createOscpAdapter } from '../../src/oscp';
import type { ForecastedBlock } from '../../src/oscp/schemas';
import { hashToken } from '../../src/oscp/tokens';
import { blockLimitA, normaliseBlocks } from '../../src/oscp/units';
import { openSqliteStore } from '../../src/store/sqlite';

const RUNS = 9;
const TOKEN = 'bench-token-0123456789abcdef';
const group = { phaseVoltageV: 230, phases: 3 } as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(work: () => void): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Per-phase blocks of 3 minutes from the current quarter hour plus `shiftS`, as many as fit in `maxBytes` of JSON. Each
 * run gets its own shift, so no time string was seen before (the wire-time parser remembers recent ones).
 */
function forecast(maxBytes: number, shiftS: number): { body: string; blocks: ForecastedBlock[] } {
  const start = Math.floor(Date.now() / 900_000) * 900_000 + shiftS * 1000;
  const blocks: ForecastedBlock[] = [];
  let bytes = 80;
  for (let i = 0; ; i++) {
    const phase = (['ONE', 'TWO', 'THREE'] as const)[i % 3] ?? 'ONE';
    const slot = Math.floor(i / 3);
    const block: ForecastedBlock = {
      capacity: 100 + (i % 37),
      phase,
      unit: 'A',
      start_time: new Date(start + slot * 180_000).toISOString().replace('.000', ''),
      end_time: new Date(start + (slot + 1) * 180_000).toISOString().replace('.000', ''),
    };
    bytes += JSON.stringify(block).length + 1;
    if (bytes > maxBytes) break;
    blocks.push(block);
  }
  return { body: JSON.stringify({ group_id: 'g1', type: 'CONSUMPTION', forecasted_blocks: blocks }), blocks };
}

/** The normaliser before issue #17: every elementary interval checked against every block. */
function quadratic(blocks: readonly ForecastedBlock[]): CapacityBlock[] {
  const spans = blocks.map((b) => ({ startMs: Date.parse(b.start_time), endMs: Date.parse(b.end_time), limitA: blockLimitA(b, group) }));
  const cuts = [...new Set(spans.flatMap((s) => [s.startMs, s.endMs]))].sort((a, b) => a - b);
  const out: CapacityBlock[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [startMs, endMs] = [cuts[i] as number, cuts[i + 1] as number];
    let limitA: PhaseCurrentsA | undefined;
    for (const span of spans)
      if (span.startMs <= startMs && span.endMs >= endMs) limitA = minCurrents(limitA ?? [Infinity, Infinity, Infinity], span.limitA);
    if (limitA) out.push({ startMs, endMs, limitA });
  }
  return out;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-bench-'));
  const store = openSqliteStore(path.join(dir, 'bench.db'));
  store.peers.upsert({
    peerId: 'cp',
    role: 'CP',
    state: 'CONNECTED',
    inboundTokenHash: hashToken(TOKEN),
    awaitingRegisterReply: false,
    measurementConfiguration: [],
    updatedAt: new Date().toISOString(),
  });
  const scheduler = new Scheduler(systemClock);
  const adapter = createOscpAdapter({
    config: {
      oscp: {
        ...OscpConfig.parse({
          peers: [{ id: 'cp', registerUrl: 'http://127.0.0.1:1/register', registerToken: 'x', heartbeatIntervalS: 0 }],
        }),
        publicBaseUrl: 'http://127.0.0.1:8080/oscp/fp/2.0',
      },
      groups: [GroupConfig.parse({ id: 'g1', peerId: 'cp', safeLimitA: 32 })],
    },
    store,
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
    scheduler,
    groupEnergyWh: () => 0,
  });
  const app = express();
  app.use('/oscp/fp/2.0', adapter.router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oscp/fp/2.0/update_group_capacity_forecast`;

  const bodies = Array.from({ length: RUNS + 1 }, (_, i) => forecast(1_000_000, i + 1));
  const { blocks } = bodies[0] as { blocks: ForecastedBlock[] };
  const post = async (requestId: string, body: string): Promise<number> => {
    const started = process.hrtime.bigint();
    const answer = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Token ${TOKEN}`, 'x-request-id': requestId, 'content-type': 'application/json' },
      body,
    });
    if (answer.status !== 204) throw new Error(`answered ${answer.status}: ${await answer.text()}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  await post('warm-up', (bodies[0] as { body: string }).body);
  const http: number[] = [];
  for (let i = 1; i <= RUNS; i++) http.push(await post(`run-${i}`, (bodies[i] as { body: string }).body));

  const table = new Table({
    head: ['case', 'blocks', 'body bytes', `median ms (${RUNS} runs)`, 'max ms'],
    style: { head: [], border: [] },
  });
  table.push([
    'POST forecast → 204 (HTTP, SQLite file)',
    blocks.length,
    (bodies[0] as { body: string }).body.length,
    median(http).toFixed(1),
    Math.max(...http).toFixed(1),
  ]);
  // Alone, on blocks whose times were parsed before: the sweep itself.
  const sweep = Array.from({ length: RUNS }, () => time(() => normaliseBlocks(blocks, group)));
  table.push(['normaliseBlocks (sort + sweep)', blocks.length, '', median(sweep).toFixed(1), Math.max(...sweep).toFixed(1)]);
  const before = Array.from({ length: 3 }, () => time(() => quadratic(blocks)));
  table.push(['former quadratic normaliser (3 runs)', blocks.length, '', median(before).toFixed(1), Math.max(...before).toFixed(1)]);
  console.log(table.toString());

  // Item 4: what one kick of the outbox reads with a 100,000-message backlog for three peers.
  const backlog = openSqliteStore(path.join(dir, 'backlog.db'));
  backlog.transaction(() => {
    for (let i = 0; i < 100_000; i++)
      backlog.outbox.enqueue({
        peerId: `cp-${i % 3}`,
        path: 'update_group_measurements',
        method: 'POST',
        requestId: `m-${i}`,
        body: { measurements: [{ value: i, phase: 'ALL', unit: 'WH', direction: 'IMPORT', measure_time: '2030-01-01T00:00:00Z' }] },
        nextAttemptAtMs: 0,
        createdAt: new Date(0).toISOString(),
      });
  });
  const kick = new Table({
    head: ['outbox kick, 100,000 pending', 'rows read', `median ms (${RUNS} runs)`],
    style: { head: [], border: [] },
  });
  const whole = Array.from({ length: 3 }, () => time(() => backlog.outbox.pending()));
  kick.push(['before: every pending row, JSON-parsed (3 runs)', 100_000, median(whole).toFixed(1)]);
  const heads = Array.from({ length: RUNS }, () => time(() => backlog.outbox.heads()));
  kick.push(['heads (partial index, one row per peer)', backlog.outbox.heads().length, median(heads).toFixed(3)]);
  const head = Array.from({ length: RUNS }, () => time(() => backlog.outbox.head('cp-1')));
  kick.push(['one drain step: head of one peer', 1, median(head).toFixed(3)]);
  console.log(kick.toString());
  backlog.close();

  server.close();
  await adapter.stop();
  scheduler.stop();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();

// One ocpp-rpc call and its answer over loopback, both ends in this process, sequential: CPU and wall time per call
// of the installed library (patched by patches/ocpp-rpc+2.2.1.patch when `npm ci` ran patch-package). Medians of 5
// runs of 20,000 calls after 2,000 warm-up calls. Prints figures only.
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import Table from 'cli-table3';
import { RPCClient, RPCServer } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';

const RUNS = 5;
const CALLS = 20_000;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const server = new RPCServer({ protocols: ['ocpp2.0.1'] });
  const connected = new Promise<RpcServerClient>((resolve) => server.on('client', resolve));
  const http = await server.listen(0, '127.0.0.1');
  const client = new RPCClient({
    endpoint: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    identity: 'BENCH-1',
    protocols: ['ocpp2.0.1'],
    reconnect: false,
  } as ConstructorParameters<typeof RPCClient>[0]);
  client.handle('Heartbeat', () => Promise.resolve({ currentTime: '2026-01-01T00:00:00Z' }));
  await client.connect();
  const station = await connected;
  for (let i = 0; i < 2_000; i++) await station.call('Heartbeat', {}, { callTimeoutMs: 30_000 });
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await station.call('Heartbeat', {}, { callTimeoutMs: 30_000 });
    const used = process.cpuUsage(cpu0);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e3 / CALLS);
    cpu.push((used.user + used.system) / CALLS);
  }
  await client.close({ force: true });
  await server.close({ force: true });
  const patched = fs.readFileSync(require.resolve('ocpp-rpc/lib/client.js'), 'utf8').includes('flexbridge patch');
  const table = new Table({ head: ['ocpp-rpc', 'calls', 'CPU µs/call', 'wall µs/call'], style: { head: [], border: [] } });
  table.push([
    patched ? '2.2.1 + flexbridge patch' : '2.2.1 as published',
    `${RUNS} × ${CALLS.toLocaleString('en')}`,
    median(cpu).toFixed(1),
    median(wall).toFixed(1),
  ]);
  console.log(table.toString());
}

void main();

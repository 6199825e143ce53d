// One ocpp-rpc call and its answer over loopback, both ends in this process, sequential: CPU and wall time per call
// of the installed library (patched by patches/ocpp-rpc+2.2.1.patch when `npm ci` ran patch-package). Medians of 5
// runs of 20,000 calls after 2,000 warm-up calls. Three rows: a call flexbridge makes to a station, and a station's
// call answered by flexbridge's side through the published handler path and through a handler marked
// `answersByReturn` (the patch's path, which direct mode and the relay use). Prints figures only.
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
  const answer = { currentTime: '2026-01-01T00:00:00Z' };
  client.handle('Heartbeat', () => Promise.resolve(answer));
  await client.connect();
  const station = await connected;
  const patched = fs.readFileSync(require.resolve('ocpp-rpc/lib/client.js'), 'utf8').includes('flexbridge patch');
  const table = new Table({ head: ['ocpp-rpc', 'call', 'calls', 'CPU µs/call', 'wall µs/call'], style: { head: [], border: [] } });
  const measure = async (label: string, call: () => Promise<unknown>): Promise<void> => {
    for (let i = 0; i < 2_000; i++) await call();
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) await call();
      const used = process.cpuUsage(cpu0);
      wall.push(Number(process.hrtime.bigint() - t0) / 1e3 / CALLS);
      cpu.push((used.user + used.system) / CALLS);
    }
    table.push([
      patched ? '2.2.1 + flexbridge patch' : '2.2.1 as published',
      label,
      `${RUNS} × ${CALLS.toLocaleString('en')}`,
      median(cpu).toFixed(1),
      median(wall).toFixed(1),
    ]);
  };
  await measure('to the station', () => station.call('Heartbeat', {}, { callTimeoutMs: 30_000 }));
  station.handle('Heartbeat', () => Promise.resolve(answer));
  await measure("station's, published handler path", () => client.call('Heartbeat', {}));
  station.handle(
    'Heartbeat',
    Object.assign(() => answer, { answersByReturn: true }) as unknown as Parameters<RpcServerClient['handle']>[1],
  );
  await measure("station's, answered by return", () => client.call('Heartbeat', {}));
  await client.close({ force: true });
  await server.close({ force: true });
  console.log(table.toString());
}

void main();

// Issue #17, "limits": the agent's memory (VmRSS of the child process) at rest, while 500 half-open sockets are held
// on its OCPP port and 500 on its HTTP port, and after the agent closed them by its own header timeouts; a good
// station connects meanwhile; with short timeouts, 12 waves in one agent show whether memory comes back (V8 collects
// the old generation only every several waves) or grows per wave. Medians of 3 runs per timeout setting; nothing is asserted.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import {
  connectGoodStation,
  fmt,
  int,
  loadAverage,
  median,
  startBenchAgent,
  type BenchAgent,
  type BenchStation,
  type ConnectTiming,
} from './agent-process';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PER_PORT = 500;
/** A slowloris socket sends one header byte this often. */
const TRICKLE_MS = 2_000;
const SAMPLE_MS = 250;
/** After the last socket of a wave closed, memory is read this much later. */
const SETTLE_MS = 1_500;
const GOOD_CONNECTS = 10;
const STATION: BenchStation = { id: 'CS-1', password: 'half-open-bench-password-0001' };

interface TimeoutSetting {
  readonly name: string;
  /** http.headersTimeoutMs and ocpp.admission.headersTimeoutMs; undefined: the defaults (10 s). */
  readonly headersTimeoutMs?: number;
  /** Waves of 2 × PER_PORT sockets one after another in the same agent (does memory come back, or grow per wave?). */
  readonly waves: number;
}

const SETTINGS: readonly TimeoutSetting[] = [
  { name: 'defaults (10 s)', waves: 1 },
  { name: 'headersTimeoutMs 3 s, 12 waves', headersTimeoutMs: 3_000, waves: 12 },
];

type Kind = 'silent' | 'partial header' | 'slowloris';
const KINDS: readonly Kind[] = ['silent', 'partial header', 'slowloris'];

interface Held {
  /** Resolves when the socket closed: after how long since it connected, and whether the agent closed it. */
  readonly closed: Promise<{ afterMs: number; byAgent: boolean }>;
  destroy(): void;
}

function partialHead(port: 'ocpp' | 'http'): string {
  return port === 'ocpp'
    ? 'GET /ocpp/CS-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp2.0.1\r\n'
    : 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n';
}

/** A socket that connects and then sends nothing, a partial header, or a header byte every TRICKLE_MS; it never closes itself. */
function holdSocket(portNumber: number, port: 'ocpp' | 'http', kind: Kind): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: portNumber }, () => {
      const connectedMs = performance.now();
      if (kind !== 'silent') socket.write(partialHead(port));
      if (kind === 'slowloris') socket.write('X-Slow: ');
      const timer = kind === 'slowloris' ? setInterval(() => socket.writable && socket.write('a'), TRICKLE_MS) : undefined;
      let byAgent = false;
      socket.resume();
      socket.once('end', () => (byAgent = true));
      socket.once('error', () => (byAgent = true));
      resolve({
        closed: new Promise((closed) =>
          socket.once('close', () => {
            if (timer) clearInterval(timer);
            closed({ afterMs: performance.now() - connectedMs, byAgent });
          }),
        ),
        destroy: () => socket.destroy(),
      });
    });
    socket.once('error', reject);
  });
}

interface RunResult {
  readonly restMiB: number;
  readonly heldMiB: number;
  readonly peakMiB: number;
  readonly heapRestMiB: number;
  /** After each wave. */
  readonly afterMiB: readonly number[];
  readonly heapAfterMiB: readonly number[];
  readonly closedByAgent: number;
  /** The last socket the agent closed, s after it connected. */
  readonly lastClosedS: number;
  /** The good station's connects while the sockets were held (GOOD_CONNECTS tried). */
  readonly good: readonly ConnectTiming[];
  readonly readyzStatus: number;
}

const mib = (kib: number | undefined): number => (kib ?? NaN) / 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Wave {
  readonly heldMiB: number;
  readonly afterMiB: number;
  /** V8 heap in use after the wave (the agent's own flexbridge_process_nodejs_heap_size_used_bytes). */
  readonly heapAfterMiB: number;
  readonly closedByAgent: number;
  readonly lastClosedS: number;
  readonly good: readonly ConnectTiming[];
  readonly readyzStatus: number;
}

/** One wave: PER_PORT sockets on each port, held until the agent closes them; `held` keeps them for the clean-up. */
async function holdWave(agent: BenchAgent, held: Held[]): Promise<Wave> {
  const wave: Held[] = [];
  for (const [port, portNumber] of [
    ['ocpp', agent.ocppPort],
    ['http', agent.httpPort],
  ] as const) {
    for (let i = 0; i < PER_PORT; i++) wave.push(await holdSocket(portNumber, port, KINDS[i % KINDS.length] ?? 'silent'));
  }
  held.push(...wave);
  // While every socket is held (well inside the header timeout): memory, a good station, the health endpoint.
  await sleep(500);
  const heldKiB = agent.rssKiB();
  const good: ConnectTiming[] = [];
  for (let i = 0; i < GOOD_CONNECTS; i++) {
    const timing = await connectGoodStation(agent.ocppUrl, STATION, 20).catch(() => undefined);
    if (timing) good.push(timing);
  }
  const readyzStatus = await fetch(`http://127.0.0.1:${agent.httpPort}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
  const ends = await Promise.race([Promise.all(wave.map((h) => h.closed)), sleep(60_000).then(() => undefined)]);
  await sleep(SETTLE_MS);
  return {
    heldMiB: mib(heldKiB),
    afterMiB: mib(agent.rssKiB()),
    heapAfterMiB: await heapUsedMiB(agent),
    closedByAgent: ends?.filter((e) => e.byAgent).length ?? 0,
    lastClosedS: Math.max(0, ...(ends ?? []).map((e) => e.afterMs)) / 1000,
    good,
    readyzStatus,
  };
}

async function heapUsedMiB(agent: BenchAgent): Promise<number> {
  const bytes = (await agent.metrics()).get('flexbridge_process_nodejs_heap_size_used_bytes');
  return bytes === undefined ? NaN : bytes / 1024 / 1024;
}

async function runOnce(setting: TimeoutSetting): Promise<RunResult> {
  const timeouts = setting.headersTimeoutMs;
  const agent = await startBenchAgent({
    stations: [STATION],
    ...(timeouts !== undefined && {
      http: { headersTimeoutMs: timeouts, requestTimeoutMs: timeouts },
      ocpp: { admission: { headersTimeoutMs: timeouts } },
    }),
  });
  const held: Held[] = [];
  try {
    // At rest: the station has booted once (its limits read), the agent has served a request on each port.
    await connectGoodStation(agent.ocppUrl, STATION, 50);
    await fetch(`http://127.0.0.1:${agent.httpPort}/readyz`).then((r) => r.arrayBuffer());
    await sleep(1_000);
    const restKiB = agent.rssKiB();
    const heapRestMiB = await heapUsedMiB(agent);
    let peakKiB = restKiB ?? 0;
    const sampler = setInterval(() => (peakKiB = Math.max(peakKiB, agent.rssKiB() ?? 0)), SAMPLE_MS);
    const waves: Wave[] = [];
    for (let wave = 0; wave < setting.waves; wave++) waves.push(await holdWave(agent, held));
    clearInterval(sampler);
    const first = waves[0];
    if (!first) throw new Error('no wave');
    return {
      restMiB: mib(restKiB),
      heldMiB: first.heldMiB,
      peakMiB: mib(peakKiB),
      heapRestMiB,
      afterMiB: waves.map((w) => w.afterMiB),
      heapAfterMiB: waves.map((w) => w.heapAfterMiB),
      closedByAgent: waves.reduce((sum, w) => sum + w.closedByAgent, 0),
      lastClosedS: Math.max(...waves.map((w) => w.lastClosedS)),
      good: first.good,
      readyzStatus: first.readyzStatus,
    };
  } finally {
    held.forEach((h) => h.destroy());
    await agent.stop();
  }
}

async function main(): Promise<void> {
  const table = new Table({
    head: [
      'header timeouts',
      'RSS rest',
      'held',
      'peak',
      'after 1st wave',
      'after waves (min–max)',
      'heap rest',
      'heap after waves (min–max)',
      'KB/socket held',
      'KB/socket peak',
      'closed by agent',
      'last closed s',
      'good connects',
      'good open ms',
      'good Accepted ms',
      '/readyz while held',
    ],
    style: { head: [], border: [] },
  });
  const loadBefore = loadAverage();
  for (const setting of SETTINGS) {
    const runs: RunResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      process.stderr.write(`half-open bench: ${setting.name}, run ${run}/${RUNS}…\n`);
      runs.push(await runOnce(setting));
    }
    const perSocketKB = (pick: (r: RunResult) => number): number | undefined =>
      median(runs.map((r) => ((pick(r) - r.restMiB) * 1024 * 1.024) / (2 * PER_PORT)));
    table.push([
      setting.name,
      fmt(median(runs.map((r) => r.restMiB))),
      fmt(median(runs.map((r) => r.heldMiB))),
      fmt(median(runs.map((r) => r.peakMiB))),
      fmt(median(runs.map((r) => r.afterMiB[0]))),
      `${fmt(median(runs.map((r) => Math.min(...r.afterMiB))))}–${fmt(median(runs.map((r) => Math.max(...r.afterMiB))))}`,
      fmt(median(runs.map((r) => r.heapRestMiB))),
      `${fmt(median(runs.map((r) => Math.min(...r.heapAfterMiB))))}–${fmt(median(runs.map((r) => Math.max(...r.heapAfterMiB))))}`,
      fmt(perSocketKB((r) => r.heldMiB)),
      fmt(perSocketKB((r) => r.peakMiB)),
      `${int(median(runs.map((r) => r.closedByAgent)))}/${int(2 * PER_PORT * setting.waves)}`,
      fmt(median(runs.map((r) => r.lastClosedS))),
      `${int(median(runs.map((r) => r.good.length)))}/${GOOD_CONNECTS}`,
      fmt(median(runs.map((r) => median(r.good.map((t) => t.openMs)))), 2),
      fmt(median(runs.map((r) => median(r.good.map((t) => t.acceptedMs)))), 2),
      runs.map((r) => r.readyzStatus).join(', '),
    ]);
  }
  console.log(
    `${PER_PORT} half-open sockets on the OCPP port and ${PER_PORT} on the HTTP port, a third each silent, a partial header ` +
      `(no blank line), slowloris (a byte every ${TRICKLE_MS / 1000} s); RSS = VmRSS of the agent process; KB = 1,000 bytes; ` +
      `"after" ${SETTLE_MS / 1000} s after a wave's last close; heap = V8 heap used (the agent's metric); MiB; medians of ${RUNS} runs`,
  );
  console.log(`load average before: ${loadBefore}; after: ${loadAverage()}`);
  console.log(table.toString());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

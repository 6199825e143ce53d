// Issue #17, "limits": a good station's connect time while wrong Basic-auth passwords are guessed as fast as one
// attacker thread can send them, against the agent as a child process. Medians of 3 runs; nothing is asserted.
// The agent keys the back-off on the socket's remote address (no X-Forwarded-For): the attackers bind other loopback
// addresses (127.0.0.2, 127.1.0.x) with localAddress, so the per-address and per-identity counts are real.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Table from 'cli-table3';
import {
  connectGoodStation,
  fmt,
  int,
  loadAverage,
  median,
  percentile,
  startBenchAgent,
  type BenchAgent,
  type BenchStation,
  type ConnectTiming,
} from './agent-process';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const STATIONS = 20;
const GOOD_CONNECTS = 50;
/** The attack goes on until the good station's connects are done and at least this many guesses were answered. */
const MIN_GUESSES = 2_000;
const ATTACK_CONCURRENCY = 32;
/** The good station answers the agent's calls this long after its boot is accepted, then closes (not timed). */
const LINGER_MS = 50;

interface Target {
  readonly identity: string;
  readonly localAddress: string;
}

interface AttackInit {
  readonly port: number;
  readonly targets: readonly Target[];
  readonly concurrency: number;
  /** Guesses started per second at most; undefined: as fast as the answers come. */
  readonly ratePerS?: number;
}

/** How the agent answered the guesses: by HTTP status, 'closed' without one, 'error' when the connect failed. */
type Outcomes = Record<string, number>;

type FromAttacker = { type: 'warm' } | { type: 'done'; outcomes: Outcomes; guesses: number; seconds: number };
type ToAttacker = { type: 'stop'; minGuesses: number };

interface AttackCase {
  readonly name: string;
  /** Undefined: no attack. */
  readonly targets?: (stations: readonly BenchStation[]) => Target[];
  readonly ratePerS?: number;
}

const CASES: readonly AttackCase[] = [
  { name: 'no attack' },
  {
    name: "1 address → CS-1 at 60/s (the issue's rate)",
    targets: () => [{ identity: 'CS-1', localAddress: '127.0.0.2' }],
    ratePerS: 60,
  },
  { name: '1 address → the good station (CS-1)', targets: () => [{ identity: 'CS-1', localAddress: '127.0.0.2' }] },
  {
    name: '1 address → all 20 identities',
    targets: (stations) => stations.map((s) => ({ identity: s.id, localAddress: '127.0.0.2' })),
  },
  {
    name: '64 addresses → all 20 identities',
    targets: (stations) =>
      Array.from({ length: 64 * stations.length }, (_, i) => ({
        identity: stations[i % stations.length]?.id ?? 'CS-1',
        localAddress: `127.1.0.${1 + (Math.floor(i / stations.length) % 64)}`,
      })),
  },
  {
    name: "the good station's own address → the 19 others",
    targets: (stations) => stations.slice(1).map((s) => ({ identity: s.id, localAddress: '127.0.0.1' })),
  },
];

// ---- attacker (worker thread): wrong passwords over raw sockets, as many at once as `concurrency` ----

function upgradeRequest(identity: string): string {
  // Never the real password: those are hex, a guess starts with "guess-".
  const guess = `guess-${randomBytes(12).toString('base64url')}`;
  return (
    `GET /ocpp/${identity} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp2.0.1\r\n` +
    `Authorization: Basic ${Buffer.from(`${identity}:${guess}`).toString('base64')}\r\n\r\n`
  );
}

/** One guess: the status line the agent answers (the socket is left for the agent to close), or how it ended. */
function guess(port: number, target: Target): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    let outcome: string | undefined;
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: target.localAddress }, () =>
      socket.write(upgradeRequest(target.identity)),
    );
    const timer = setTimeout(() => socket.destroy(), 30_000);
    socket.on('data', (chunk: Buffer) => {
      if (outcome !== undefined) return;
      answer += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (status === undefined) return;
      outcome = status;
      // A guess that got in (101) is closed here; every refusal is closed by the agent.
      if (status === '101') socket.destroy();
    });
    socket.once('end', () => socket.destroy());
    socket.once('error', () => (outcome ??= answer === '' ? 'error' : 'closed'));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(outcome ?? 'closed');
    });
  });
}

async function attack(init: AttackInit): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const outcomes: Outcomes = {};
  let guesses = 0;
  let stopAt: number | undefined;
  port.on('message', (message: ToAttacker) => {
    if (message.type === 'stop') stopAt = message.minGuesses;
  });
  const startMs = performance.now();
  let next = 0;
  let slotMs = startMs;
  const lane = async (): Promise<void> => {
    while (stopAt === undefined || guesses < stopAt) {
      if (init.ratePerS !== undefined) {
        slotMs += 1000 / init.ratePerS;
        const waitMs = slotMs - performance.now();
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
      const target = init.targets[next++ % init.targets.length];
      if (!target) return;
      const outcome = await guess(init.port, target);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      guesses++;
      if (guesses === Math.min(100, init.ratePerS ?? 100)) port.postMessage({ type: 'warm' } satisfies FromAttacker);
    }
  };
  await Promise.all(Array.from({ length: init.concurrency }, lane));
  const done: FromAttacker = { type: 'done', outcomes, guesses, seconds: (performance.now() - startMs) / 1000 };
  port.postMessage(done);
}

// ---- driver ----

function startAttacker(init: AttackInit): {
  warm: Promise<void>;
  stop: (minGuesses: number) => Promise<Extract<FromAttacker, { type: 'done' }>>;
} {
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))});require(${JSON.stringify(__filename)});`;
  const worker = new Worker(code, { eval: true, workerData: init });
  let warmed: () => void = () => undefined;
  let finished: (done: Extract<FromAttacker, { type: 'done' }>) => void = () => undefined;
  const warm = new Promise<void>((resolve) => (warmed = resolve));
  const done = new Promise<Extract<FromAttacker, { type: 'done' }>>((resolve) => (finished = resolve));
  worker.on('message', (message: FromAttacker) => (message.type === 'warm' ? warmed() : finished(message)));
  worker.on('error', (error) => {
    console.error('attacker failed:', error);
    process.exit(1);
  });
  return {
    warm,
    stop: async (minGuesses) => {
      worker.postMessage({ type: 'stop', minGuesses } satisfies ToAttacker);
      const result = await done;
      await worker.terminate();
      return result;
    },
  };
}

interface RunResult {
  readonly timings: ConnectTiming[];
  readonly failedConnects: number;
  /** The agent's CPU while the good station connected, % of one core. */
  readonly agentCpuPercent: number | undefined;
  readonly attack?: Extract<FromAttacker, { type: 'done' }>;
  readonly metrics: Map<string, number>;
}

async function runCase(attackCase: AttackCase, stations: readonly BenchStation[]): Promise<RunResult> {
  const agent: BenchAgent = await startBenchAgent({ stations });
  try {
    // Each station boots once from 127.0.0.1 (its home from then on): the first boot reads its limits (Pending).
    for (const station of stations) await connectGoodStation(agent.ocppUrl, station, LINGER_MS);
    const targets = attackCase.targets?.(stations);
    const attacker =
      targets &&
      startAttacker({
        port: agent.ocppPort,
        targets,
        concurrency: ATTACK_CONCURRENCY,
        ...(attackCase.ratePerS !== undefined && { ratePerS: attackCase.ratePerS }),
      });
    await attacker?.warm;
    const good = stations[0];
    if (!good) throw new Error('no station');
    const timings: ConnectTiming[] = [];
    let failedConnects = 0;
    const cpuBefore = agent.cpuSeconds();
    const startMs = performance.now();
    for (let i = 0; i < GOOD_CONNECTS; i++) {
      await connectGoodStation(agent.ocppUrl, good, LINGER_MS).then(
        (timing) => timings.push(timing),
        () => (failedConnects += 1),
      );
    }
    const cpuAfter = agent.cpuSeconds();
    const agentCpuPercent =
      cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 100_000) / (performance.now() - startMs);
    const attack = await attacker?.stop(attackCase.ratePerS === undefined ? MIN_GUESSES : 0);
    return { timings, failedConnects, agentCpuPercent, metrics: await agent.metrics(), ...(attack && { attack }) };
  } finally {
    await agent.stop();
  }
}

const sumSeries = (metrics: Map<string, number>, prefix: string): number =>
  [...metrics].filter(([name]) => name.startsWith(prefix)).reduce((sum, [, value]) => sum + value, 0);

async function main(): Promise<void> {
  const stations: BenchStation[] = Array.from({ length: STATIONS }, (_, i) => ({
    id: `CS-${i + 1}`,
    password: randomBytes(12).toString('hex'),
  }));
  const table = new Table({
    head: [
      'attack',
      'open p50 ms',
      'open p95 ms',
      'Accepted p50 ms',
      'Accepted p95 ms',
      'good failed',
      'agent CPU %',
      'guesses',
      'guesses/s',
      '401',
      '429',
      '503',
      'closed/other',
      'got in (101)',
      'auth failures (agent)',
    ],
    style: { head: [], border: [] },
  });
  const loadBefore = loadAverage();
  for (const attackCase of CASES) {
    const runs: RunResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      process.stderr.write(`brute-force bench: ${attackCase.name}, run ${run}/${RUNS}…\n`);
      runs.push(await runCase(attackCase, stations));
    }
    const outcome = (run: RunResult, keys: readonly string[]): number =>
      keys.reduce((sum, key) => sum + (run.attack?.outcomes[key] ?? 0), 0);
    const other = (run: RunResult): number =>
      Object.entries(run.attack?.outcomes ?? {})
        .filter(([key]) => !['401', '429', '503', '101'].includes(key))
        .reduce((sum, [, n]) => sum + n, 0);
    const attacked = attackCase.targets !== undefined;
    const perRun = (pick: (run: RunResult) => number): string => (attacked ? int(median(runs.map(pick))) : '–');
    table.push([
      attackCase.name,
      fmt(
        median(
          runs.map((r) =>
            percentile(
              r.timings.map((t) => t.openMs),
              50,
            ),
          ),
        ),
        2,
      ),
      fmt(
        median(
          runs.map((r) =>
            percentile(
              r.timings.map((t) => t.openMs),
              95,
            ),
          ),
        ),
        2,
      ),
      fmt(
        median(
          runs.map((r) =>
            percentile(
              r.timings.map((t) => t.acceptedMs),
              50,
            ),
          ),
        ),
        2,
      ),
      fmt(
        median(
          runs.map((r) =>
            percentile(
              r.timings.map((t) => t.acceptedMs),
              95,
            ),
          ),
        ),
        2,
      ),
      int(median(runs.map((r) => r.failedConnects))),
      int(median(runs.map((r) => r.agentCpuPercent))),
      perRun((r) => r.attack?.guesses ?? 0),
      perRun((r) => (r.attack ? r.attack.guesses / r.attack.seconds : 0)),
      perRun((r) => outcome(r, ['401'])),
      perRun((r) => outcome(r, ['429'])),
      perRun((r) => outcome(r, ['503'])),
      perRun(other),
      // Summed, not a median: any run where a wrong guess got in counts.
      attacked ? int(runs.reduce((sum, r) => sum + outcome(r, ['101']), 0)) : '–',
      // The agent's own count of credentials checked and refused (401 and 404, each after a password check), all attempts of the run.
      int(median(runs.map((r) => sumSeries(r.metrics, 'flexbridge_auth_failures_total')))),
    ]);
  }
  console.log(
    `${STATIONS} stations provisioned (profile 1, Basic auth); ${GOOD_CONNECTS} connects of CS-1 from 127.0.0.1 per run, ` +
      `timed from the upgrade request; attacker: one worker thread, ${ATTACK_CONCURRENCY} guesses in flight, ` +
      `until the connects are done and ≥ ${MIN_GUESSES.toLocaleString('en')} guesses (the paced case: until the connects are done); medians of ${RUNS} runs ` +
      `(p50/p95 per run, then the median of the runs; "got in" summed over the runs)`,
  );
  console.log(`load average before: ${loadBefore}; after: ${loadAverage()}`);
  console.log(table.toString());
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  void attack(workerData);
}

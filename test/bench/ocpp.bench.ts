// OCPP load benchmark: the load-test driver at a small scale (500 lean stations, 10 s of MeterValues at up to
// 14,000/s, 3 timed forecasts) against the agent as a child process; medians of 3 runs, with and without
// permessage-deflate. Prints figures only; the full-size run is `npm run loadtest`.
import Table from 'cli-table3';
import { runLoadTest, type LoadTestResult } from '../../simulators/loadtest';

const RUNS = 3;
const STATIONS = 500;

function median(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const middle = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[middle] : ((known[middle - 1] ?? 0) + (known[middle] ?? 0)) / 2;
}

const fmt = (value: number | undefined, digits = 1): string => (value === undefined ? '–' : value.toFixed(digits));
const int = (value: number | undefined): string => (value === undefined ? '–' : Math.round(value).toLocaleString('en'));

async function main(): Promise<void> {
  const table = new Table({
    head: ['case', 'stations', 'msg/s', 'p50 ms', 'p95 ms', 'p99 ms', 'agent CPU %', 'KiB/station', 'forecast → last ack ms'],
    style: { head: [], border: [] },
  });
  for (const deflate of [false, true]) {
    const runs: LoadTestResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      process.stderr.write(`ocpp bench: deflate ${deflate ? 'on' : 'off'}, run ${run}/${RUNS}…\n`);
      runs.push(await runLoadTest({ stations: STATIONS, rate: 14_000, durationS: 10, forecasts: 3, deflate }));
    }
    table.push([
      `MeterValues, deflate ${deflate ? 'on' : 'off'}`,
      `${int(median(runs.map((r) => r.stations.ready)))}/${STATIONS}`,
      int(median(runs.map((r) => r.load?.medianPerS))),
      fmt(median(runs.map((r) => r.load?.p50Ms)), 2),
      fmt(median(runs.map((r) => r.load?.p95Ms)), 2),
      fmt(median(runs.map((r) => r.load?.p99Ms)), 2),
      fmt(median(runs.map((r) => r.load?.agentCpuPercent))),
      fmt(median(runs.map((r) => r.memory.perStationKiB))),
      int(median(runs.map((r) => r.forecastMedianMs))),
    ]);
  }
  console.log(`medians of ${RUNS} runs; targets: 14,000 msg/s on one core, ≤ 35 KB per station, forecast to 1,000 stations ≤ 350 ms`);
  console.log(table.toString());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

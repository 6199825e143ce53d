// `npm run soak -- --minutes 30 [--stations 200] [--kills 10] [--seed 1] [--speed 1] [--upstream]`: the kill -9 soak of
// issue #17 with an independent checker; exits 1 on any over-limit instant or anything lost across restarts.
import { Command, InvalidArgumentError } from 'commander';
import { renderReport, failed } from './report';
import { currentAgent, runSoak } from './run';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

const program = new Command()
  .name('soak')
  .description('flexbridge kill -9 soak: agent + OSCP CP simulator + mixed OCPP fleet, checked on the stations’ own logs')
  .option('--minutes <n>', 'length of the event phase', positive, 30)
  .option('--stations <n>', 'stations in the fleet (half 1.6J, half 2.0.1)', positive, 200)
  .option('--kills <n>', 'kill -9 + restarts (default 10 per 30 min, at least 1)', positive)
  .option('--seed <n>', 'seed of the event plan and the fleet', positive, 1)
  .option('--speed <n>', 'time acceleration of the CP, stations, CSMS, churn and plan (the agent keeps its real clock)', positive, 1)
  .option('--upstream', 'through the Local Controller: the agent relays to a CSMS simulator that goes down and sends caps', false)
  .parse();

const opts = program.opts<{ minutes: number; stations: number; kills?: number; seed: number; speed: number; upstream: boolean }>();
const kills = Math.round(opts.kills ?? Math.max(1, Math.round((10 * opts.minutes) / 30)));
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts === 1) {
    console.error('soak: interrupted; stopping the agent, the CP and the fleet (Ctrl-C again to kill at once)');
    controller.abort();
  } else {
    currentAgent?.child.kill('SIGKILL');
    process.exit(130);
  }
});
process.on('SIGTERM', () => controller.abort());
process.on('exit', () => {
  if (currentAgent?.running) currentAgent.child.kill('SIGKILL');
});

runSoak(
  {
    minutes: opts.minutes,
    stations: Math.round(opts.stations),
    kills,
    seed: Math.round(opts.seed),
    speed: opts.speed,
    upstream: opts.upstream,
  },
  controller.signal,
  (line) => console.log(line),
)
  .then((result) => {
    console.log(renderReport(result));
    process.exit(failed(result) ? 1 : 0);
  })
  .catch((error: unknown) => {
    console.error(`soak: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(controller.signal.aborted ? 130 : 2);
  });

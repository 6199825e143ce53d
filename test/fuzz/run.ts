// `npm run fuzz -- --cases 100000 [--seed n] [--target oscp|ocpp201|ocpp16|config|relay201|relay16] [--keep-going]`:
// the smoke's targets at scale, split 30 % OSCP, 15 % each OCPP version, 20 % config files and 10 % each version of
// relayed CSMS calls (Local Controller mode); prints counts by outcome and every problem found. --keep-going counts
// every problem of a run instead of stopping a target at its first.
import { fuzzRelay, startRelayAgent } from './relay';
import { fuzzConfig, fuzzOcpp, fuzzOscp, startFuzzAgent, type Findings } from './targets';

const TARGETS = ['oscp', 'ocpp201', 'ocpp16', 'config', 'relay201', 'relay16'];

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const cases = Number(option('cases') ?? 10_000);
  const seed = option('seed') === undefined ? undefined : Number(option('seed'));
  const only = option('target');
  if (only !== undefined && !TARGETS.includes(only)) {
    console.error(`--target must be one of ${TARGETS.join(', ')}; got "${only}"`);
    process.exitCode = 2;
    return;
  }
  if (!Number.isSafeInteger(cases) || cases < 1 || (seed !== undefined && !Number.isSafeInteger(seed))) {
    console.error('--cases must be a positive integer and --seed an integer');
    process.exitCode = 2;
    return;
  }
  const keepGoing = process.argv.includes('--keep-going');
  const wanted = (target: string): boolean => only === undefined || only === target;
  const share = (fraction: number): number => (only ? cases : Math.round(cases * fraction));
  const results: Record<string, Findings> = {};
  const started = Date.now();
  try {
    if (['oscp', 'ocpp201', 'ocpp16'].some(wanted)) {
      const rig = await startFuzzAgent();
      try {
        if (wanted('oscp')) results.oscp = await fuzzOscp(rig, share(0.3), seed);
        if (wanted('ocpp201')) results.ocpp201 = await fuzzOcpp(rig, 'ocpp2.0.1', share(0.15), seed);
        if (wanted('ocpp16')) results.ocpp16 = await fuzzOcpp(rig, 'ocpp1.6', share(0.15), seed);
      } finally {
        await rig.close();
      }
    }
    if (wanted('config')) results.config = fuzzConfig(share(0.2), seed);
    if (wanted('relay201') || wanted('relay16')) {
      const rig = await startRelayAgent();
      try {
        if (wanted('relay201')) results.relay201 = await fuzzRelay(rig, 'ocpp2.0.1', share(0.1), seed, keepGoing);
        if (wanted('relay16')) results.relay16 = await fuzzRelay(rig, 'ocpp1.6', share(0.1), seed, keepGoing);
      } finally {
        await rig.close();
      }
    }
  } catch (error) {
    console.error(String(error));
    process.exitCode = 1;
  }
  for (const [target, findings] of Object.entries(results)) {
    console.log(`${target}: ${findings.cases} cases`, JSON.stringify(findings.outcomes));
    for (const problem of findings.problems) console.log(`  PROBLEM ${problem}`);
    if (findings.problems.length) process.exitCode = 1;
  }
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
}

void main();

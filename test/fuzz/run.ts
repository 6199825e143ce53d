// `npm run fuzz -- --cases 100000 [--seed n] [--target oscp|ocpp201|ocpp16|config]`: the smoke's targets at scale,
// split 40 % OSCP, 20 % each OCPP version, 20 % config files; prints counts by outcome and every problem found.
import { fuzzConfig, fuzzOcpp, fuzzOscp, startFuzzAgent, type Findings } from './targets';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const cases = Number(option('cases') ?? 10_000);
  const seed = option('seed') === undefined ? undefined : Number(option('seed'));
  const only = option('target');
  const wanted = (target: string): boolean => only === undefined || only === target;
  const rig = await startFuzzAgent();
  const results: Record<string, Findings> = {};
  const started = Date.now();
  try {
    if (wanted('oscp')) results.oscp = await fuzzOscp(rig, only ? cases : Math.round(cases * 0.4), seed);
    if (wanted('ocpp201')) results.ocpp201 = await fuzzOcpp(rig, 'ocpp2.0.1', only ? cases : Math.round(cases * 0.2), seed);
    if (wanted('ocpp16')) results.ocpp16 = await fuzzOcpp(rig, 'ocpp1.6', only ? cases : Math.round(cases * 0.2), seed);
    if (wanted('config')) results.config = fuzzConfig(only ? cases : Math.round(cases * 0.2), seed);
  } catch (error) {
    console.error(String(error));
    process.exitCode = 1;
  } finally {
    await rig.close();
  }
  for (const [target, findings] of Object.entries(results)) {
    console.log(`${target}: ${findings.cases} cases`, JSON.stringify(findings.outcomes));
    for (const problem of findings.problems) console.log(`  PROBLEM ${problem}`);
    if (findings.problems.length) process.exitCode = 1;
  }
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
}

void main();

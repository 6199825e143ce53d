// `npm run bench`: runs every test/bench/*.bench.ts in its own process, one after another, and lets each
// print its own table. Benchmarks report medians of several runs; nothing here asserts a time.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const filter = process.argv[2];
const benches = fs
  .readdirSync(__dirname)
  .filter((file) => file.endsWith('.bench.ts') && (!filter || file.includes(filter)))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark matches ${filter ?? '*'} in ${__dirname}`);
  process.exit(1);
}
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`);
  const result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, bench)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.error(`${bench} failed with exit code ${result.status ?? result.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);

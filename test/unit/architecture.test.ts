// The layer rule of eslint.config.js (docs/architecture.md, "Layers") proven on synthetic files, so it cannot stop
// working unnoticed: core never imports an adapter, an adapter never imports another, and the lower layers stay pure.
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../..');

// The config is handed in (not looked up): ESLint loads a config file with import(), which Jest's VM does not allow.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(ROOT, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: config });

/** The import-rule findings for `code` linted as if it were the file at `file` (relative to the repository). */
async function refusals(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  const messages = result?.messages ?? [];
  // A probe that does not parse would be "reported" for the wrong reason.
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.filter((m) => m.ruleId === 'layers/imports' || m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const importOf = (specifier: string): string => `import { x } from '${specifier}';\nexport const y = x;\n`;

describe('layer rule (eslint.config.js)', () => {
  it.each([
    ['src/core/probe.ts', '../store/sqlite'],
    ['src/core/probe.ts', '../ocpp/csms'],
    ['src/core/probe.ts', '../oscp/adapter'],
    ['src/core/probe.ts', '../oscp'],
    ['src/core/probe.ts', '../api/operator-api'],
    ['src/core/probe.ts', '../api/bodies/groups'],
    ['src/core/ports/probe.ts', '../../store/sqlite'],
  ])('%s may not import %s (core imports no adapter)', async (file, specifier) => {
    const found = await refusals(file, importOf(specifier));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^src\/core\/\S+ may not import src\//);
  });

  it.each([
    ['src/ocpp/probe.ts', '../oscp/forecast-book'],
    ['src/ocpp/v201/probe.ts', '../../oscp'],
    ['src/oscp/probe.ts', '../ocpp/csms'],
    ['src/oscp/probe.ts', '../store/sqlite'],
    ['src/api/probe.ts', '../ocpp/station-registry'],
    ['src/api/routes/probe.ts', '../../oscp/adapter'],
    ['src/store/sqlite/probe.ts', '../../api/health'],
    ['src/store/sqlite/probe.ts', '../../ocpp/csms'],
  ])('%s may not import %s (an adapter never imports another adapter)', async (file, specifier) => {
    expect(await refusals(file, importOf(specifier))).toHaveLength(1);
  });

  it('also catches type-only imports, re-exports and dynamic imports', async () => {
    const code = [
      "import type { Store } from '../store/sqlite';",
      "export { startCsms } from '../ocpp/csms';",
      "export * from '../api/health';",
      "export const load = (): Promise<unknown> => import('../oscp');",
      'export type S = Store;',
    ].join('\n');
    expect(await refusals('src/core/probe.ts', code)).toEqual([
      expect.stringContaining('may not import src/store/sqlite'),
      expect.stringContaining('may not import src/ocpp/csms'),
      expect.stringContaining('may not import src/api/health'),
      expect.stringContaining('may not import src/oscp'),
    ]);
  });

  it.each([
    ['src/core/probe.ts', '../config/schema'],
    ['src/core/probe.ts', '../observability/core-metrics'],
    ['src/allocator/probe.ts', '../core/ports'],
    ['src/allocator/probe.ts', '../observability/log'],
    ['src/domain/probe.ts', '../allocator'],
    ['src/domain/probe.ts', '../config/schema'],
    ['src/config/probe.ts', '../core/ports'],
    ['src/observability/probe.ts', '../ocpp/csms'],
    ['src/observability/probe.ts', '../core/ports'],
    ['src/oscp/probe.ts', '../core/group-controller'],
    ['src/ocpp/probe.ts', '../core/lease-ledger'],
    ['src/api/probe.ts', '../core/flexibility-provider'],
    ['src/store/sqlite/probe.ts', '../../core/scheduler'],
    ['src/newfolder/probe.ts', '../core/ports'],
  ])('%s may not import %s (lower layers stay pure; adapters see core through its ports)', async (file, specifier) => {
    expect(await refusals(file, importOf(specifier))).toHaveLength(1);
  });

  it.each([
    ['src/core/probe.ts', '../domain/group'],
    ['src/core/probe.ts', '../allocator'],
    ['src/core/probe.ts', '../observability/log'],
    ['src/core/ports/probe.ts', '../fleet'],
    ['src/allocator/probe.ts', '../domain/electrical'],
    ['src/observability/core-metrics.ts', '../core/events'],
    ['src/store/sqlite/probe.ts', '../../core/ports'],
    ['src/oscp/probe.ts', '../core/ports'],
    ['src/oscp/probe.ts', '../core/scheduler'],
    ['src/ocpp/v201/probe.ts', '../../core/backoff'],
    ['src/ocpp/probe.ts', '../config/schema'],
    ['src/api/bodies/probe.ts', '../../core/group-load'],
    ['src/agent.ts', './ocpp/csms'],
    ['src/agent.ts', './oscp'],
    ['src/main.ts', './agent'],
  ])('%s may import %s', async (file, specifier) => {
    expect(await refusals(file, importOf(specifier))).toEqual([]);
  });

  it('simulators never import src/, and src/ never imports simulators/', async () => {
    expect(await refusals('simulators/ocpp-station/probe.ts', importOf('../../src/core/ports'))).toHaveLength(1);
    expect(await refusals('src/core/probe.ts', importOf('../../simulators/ocpp-station'))).toHaveLength(1);
  });
});

// ESLint flat config: typescript-eslint's recommended rules plus the house rules from STYLE.md, including the
// layer rule (who may import whom inside src/) that docs/architecture.md describes and test/unit/architecture.test.ts proves.
const path = require('node:path');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const SRC = path.join(__dirname, 'src');

// domain ← allocator ← core ← {oscp, ocpp, store, api} ← main. Keys and entries are module paths under src/ (a folder
// covers everything in it); a file follows its longest key, and imports inside its own top-level folder are always
// allowed. Anything not listed is refused — also a new top-level folder, until it is given a place here.
const SHARED = ['domain', 'config', 'observability/log', 'observability/metrics', 'observability/auth-throttle'];
// What adapters use of core: its ports and the agent-wide kernel (the one scheduler, the one back-off, typed events).
const CORE_FOR_ADAPTERS = ['core/ports', 'core/scheduler', 'core/backoff', 'core/events'];
const LAYERS = {
  domain: [],
  config: ['domain'],
  allocator: ['domain'],
  // Logs and metrics import nothing of src, so core and the adapters can use them; core-metrics binds core's events to
  // metrics and is itself used only by main.
  observability: ['domain'],
  'observability/core-metrics': ['domain', 'core/events', 'core/ports'],
  // Failed-authentication back-off, shared by the OCPP, OSCP and API ports; its settings are a config section.
  'observability/auth-throttle': ['domain', 'config'],
  core: ['domain', 'allocator', 'observability/log', 'observability/metrics'],
  store: ['domain', 'core/ports'],
  oscp: [...SHARED, ...CORE_FOR_ADAPTERS],
  // core/fleet: FleetStation, the argument of StationInbound.onStationUpdated, is declared outside core/ports.
  ocpp: [...SHARED, ...CORE_FOR_ADAPTERS, 'core/fleet'],
  // The read side the API renders: group-load (how each station is counted) and overrides (the operator's schema).
  api: [...SHARED, ...CORE_FOR_ADAPTERS, 'core/group-load', 'core/overrides'],
  agent: ['*'],
  main: ['*'],
  // The container's health probe: a second command line beside main.
  healthcheck: ['*'],
  // Command-line tools beside main (station provisioning): they read the config and the API's schemas.
  cli: ['domain', 'config', 'api/response-schemas', 'api/request-schemas'],
};

/** `src/a/b/index.ts` → `a/b`; undefined outside src/. */
function moduleId(file) {
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  if (rel === '' || rel.startsWith('../') || path.isAbsolute(rel)) return undefined;
  return rel.replace(/\.(ts|js)$/, '').replace(/\/index$/, '');
}

const covers = (prefix, id) => prefix === '*' || id === prefix || id.startsWith(`${prefix}/`);
const topOf = (id) => id.split('/')[0];

const layersPlugin = {
  rules: {
    imports: {
      meta: {
        type: 'problem',
        docs: { description: 'Imports inside src/ follow the layers (docs/architecture.md, "Layers")' },
        schema: [],
        messages: {
          refused:
            'src/{{from}} may not import src/{{to}}: {{layer}} may import {{allowed}} (layers: eslint.config.js, docs/architecture.md)',
          unplaced: 'src/{{from}} is in no layer: give its folder a place in LAYERS (eslint.config.js) before it imports src/{{to}}',
        },
      },
      create(context) {
        const from = moduleId(context.filename);
        if (from === undefined) return {};
        const layer = Object.keys(LAYERS)
          .filter((key) => covers(key, from))
          .sort((a, b) => b.length - a.length)[0];
        const check = (source) => {
          if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
          const to = moduleId(path.resolve(path.dirname(context.filename), source.value));
          if (to === undefined || topOf(to) === topOf(from)) return;
          if (layer === undefined) context.report({ node: source, messageId: 'unplaced', data: { from, to } });
          else if (!LAYERS[layer].some((prefix) => covers(prefix, to))) {
            const allowed = LAYERS[layer].length > 0 ? LAYERS[layer].join(', ') : 'nothing of src';
            context.report({ node: source, messageId: 'refused', data: { from, to, layer, allowed } });
          }
        };
        return {
          ImportDeclaration: (node) => check(node.source),
          ExportNamedDeclaration: (node) => check(node.source),
          ExportAllDeclaration: (node) => check(node.source),
          ImportExpression: (node) => check(node.source),
          TSImportEqualsDeclaration: (node) => check(node.moduleReference.expression),
        };
      },
    },
  },
};

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'src/api/public/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Simulators and benchmarks are command-line tools: printing is their job.
    files: ['simulators/**/*.ts', 'test/bench/**/*.ts', 'test/fuzz/run.ts', 'scripts/**/*.js'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': 'error',
      // Layering (STYLE.md): simulators never imported by src.
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/simulators/**'], message: 'src/ never imports simulators/' }] }],
    },
  },
  {
    files: ['simulators/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/**'], message: 'simulators talk to flexbridge only over the wire: never import src/' }] },
      ],
    },
  },
);

// `flexbridge station add|list|show|remove|url`: provisions stations through the operator API (--api + --token) or
// in the configuration file (--config), and prints what to type into the charger. Exit 0 ok, 1 failed, 2 usage.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load';
import { LOCAL_SECRETS_FILE, withLocalSecrets } from '../config/local-secrets';

/** The environment with npm start's secrets file under it, when there is one (an unreadable one is left out). */
export function localEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  try {
    return withLocalSecrets(LOCAL_SECRETS_FILE, env);
  } catch {
    return env;
  }
}
import type { FlexbridgeConfig } from '../config/schema';
import { StationDetail, StationList } from '../api/response-schemas';
import { chargerSettings, generatePassword, settingsText } from './charger-settings';

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** A station as the CLI shows it, whichever way it was reached. */
interface StationFacts {
  readonly id: string;
  readonly groupId: string;
  readonly evseMaxCurrentA: number;
  readonly evseCount: number;
  readonly phases: number;
  readonly hasPassword: boolean;
  readonly connected?: boolean;
  readonly protocol?: string;
}

interface StationInput {
  readonly id: string;
  readonly groupId?: string;
  readonly password: string;
  readonly evseMaxCurrentA?: number;
  readonly evseCount?: number;
  readonly phases?: 1 | 3;
}

interface StationStore {
  add(input: StationInput): Promise<{ created: boolean; station: StationFacts }>;
  list(groupId?: string): Promise<StationFacts[]>;
  show(id: string): Promise<StationFacts | undefined>;
  remove(id: string): Promise<boolean>;
}

class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const Problem = z.object({
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function facts(s: StationDetail | z.infer<typeof StationList>[number]): StationFacts {
  const { id, groupId, evseMaxCurrentA, evseCount, phases, hasPassword, connected, protocol } = s;
  return { id, groupId, evseMaxCurrentA, evseCount, phases, hasPassword, connected, ...(protocol && { protocol }) };
}

/** The operator API (admin token for add/remove). */
function apiStore(baseUrl: string, token: string): StationStore {
  const base = `${baseUrl.replace(/\/$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
  const request = async (method: string, suffix: string, body?: unknown): Promise<{ status: number; data: unknown }> => {
    let response: Response;
    try {
      response = await fetch(`${base}${suffix}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new CliFailure(
        `cannot reach the operator API at ${base}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`,
      );
    }
    const text = await response.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (response.status === 401 || response.status === 403)
      throw new CliFailure(`the operator API refused the token (${response.status}): adding or removing stations needs the admin role`);
    if (response.status >= 400 && response.status !== 404) {
      const problem = Problem.safeParse(data);
      const fields =
        problem.success && problem.data.errors ? ` (${problem.data.errors.map((e) => `${e.path}: ${e.message}`).join('; ')})` : '';
      throw new CliFailure(
        `${method} ${suffix}: HTTP ${response.status}${problem.success && problem.data.detail ? `: ${problem.data.detail}` : ''}${fields}`,
      );
    }
    return { status: response.status, data };
  };
  const stationPath = (id: string): string => `/stations/${encodeURIComponent(id)}`;
  return {
    async add(input) {
      const { id, ...body } = input;
      const { status, data } = await request('PUT', stationPath(id), body);
      if (status === 404) throw new CliFailure(`PUT ${stationPath(id)}: HTTP 404`);
      return { created: status === 201, station: facts(StationDetail.parse(data)) };
    },
    async list(groupId) {
      const { data } = await request('GET', `/stations${groupId ? `?groupId=${encodeURIComponent(groupId)}` : ''}`);
      return StationList.parse(data).map(facts);
    },
    async show(id) {
      const { status, data } = await request('GET', stationPath(id));
      return status === 404 ? undefined : facts(StationDetail.parse(data));
    },
    async remove(id) {
      const { status } = await request('DELETE', stationPath(id));
      return status === 204;
    },
  };
}

const RawConfig = z.looseObject({ stations: z.array(z.looseObject({ id: z.string() })).optional() });

/** The configuration file, edited in place (checked as a whole before it replaces the old one). */
function fileStore(file: string, env: NodeJS.ProcessEnv): StationStore {
  const read = (): z.infer<typeof RawConfig> => {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CliFailure(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, 2);
    }
    const parsed = RawConfig.safeParse(raw);
    if (!parsed.success) throw new CliFailure(`${file}: not a flexbridge configuration (stations must be a list)`, 2);
    return parsed.data;
  };
  const write = (raw: z.infer<typeof RawConfig>): FlexbridgeConfig => {
    const staging = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    fs.writeFileSync(staging, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
    try {
      const config = loadConfig(staging, env);
      fs.renameSync(staging, file);
      return config;
    } catch (error) {
      fs.rmSync(staging, { force: true });
      if (error instanceof ConfigError) throw new CliFailure(`not changed: ${error.message}`, 2);
      throw error;
    }
  };
  const fromConfig = (config: FlexbridgeConfig, id: string): StationFacts | undefined => {
    const s = config.stations.find((station) => station.id === id);
    return (
      s && {
        id: s.id,
        groupId: s.groupId,
        evseMaxCurrentA: s.evseMaxCurrentA,
        evseCount: s.evseCount,
        phases: s.phases,
        hasPassword: s.password !== undefined,
      }
    );
  };
  const load = (): FlexbridgeConfig => {
    try {
      return loadConfig(file, env);
    } catch (error) {
      if (error instanceof ConfigError) throw new CliFailure(error.message, 2);
      throw error;
    }
  };
  return {
    async add(input) {
      const raw = read();
      const stations = raw.stations ?? [];
      const existing = stations.find((s) => s.id === input.id);
      const groupId = input.groupId ?? (typeof existing?.groupId === 'string' ? existing.groupId : undefined);
      if (groupId === undefined) throw new CliFailure(`a new station needs --group`, 2);
      const entry = {
        ...existing,
        id: input.id,
        groupId,
        password: input.password,
        ...(input.evseMaxCurrentA !== undefined && { evseMaxCurrentA: input.evseMaxCurrentA }),
        ...(input.evseCount !== undefined && { evseCount: input.evseCount }),
        ...(input.phases !== undefined && { phases: input.phases }),
      };
      const config = write({ ...raw, stations: existing ? stations.map((s) => (s.id === input.id ? entry : s)) : [...stations, entry] });
      const station = fromConfig(config, input.id);
      if (!station) throw new CliFailure(`${input.id} not found after writing ${file}`);
      return { created: !existing, station };
    },
    list(groupId) {
      const config = load();
      return Promise.resolve(
        config.stations.filter((s) => groupId === undefined || s.groupId === groupId).flatMap((s) => fromConfig(config, s.id) ?? []),
      );
    },
    show: (id) => Promise.resolve(fromConfig(load(), id)),
    remove(id) {
      const raw = read();
      const stations = raw.stations ?? [];
      if (!stations.some((s) => s.id === id)) return Promise.resolve(false);
      write({ ...raw, stations: stations.filter((s) => s.id !== id) });
      return Promise.resolve(true);
    },
  };
}

interface CommonOptions {
  api?: string;
  token?: string;
  config?: string;
  csmsUrl?: string;
  json?: boolean;
}

/** Runs `flexbridge station …` with `argv` after "station"; resolves with the exit code. */
export async function runStationCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (json: boolean | undefined, value: unknown, text: string): void =>
    io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : text);
  const common = (command: Command): Command =>
    command
      .option(
        '--api <url>',
        'operator API base URL, e.g. http://127.0.0.1:8080 (default: $FLEXBRIDGE_API_URL); without it the config file is edited',
      )
      .option('--token <token>', 'operator API token (default: $FLEXBRIDGE_API_TOKEN); add and remove need the admin role')
      .option(
        '-c, --config <file>',
        `configuration file (default: $FLEXBRIDGE_CONFIG or ${DEFAULT_CONFIG_FILE}); also where the charger URL is derived from`,
      )
      .option('--csms-url <url>', 'the URL chargers reach flexbridge by, e.g. wss://csms.example.com:9000/ocpp (default: from the config)')
      .option('--json', 'machine-readable output');
  const context = (options: CommonOptions): { store: StationStore; config: FlexbridgeConfig | undefined } => {
    const apiUrl = options.api ?? io.env.FLEXBRIDGE_API_URL;
    const file = options.config ?? io.env.FLEXBRIDGE_CONFIG ?? DEFAULT_CONFIG_FILE;
    let config: FlexbridgeConfig | undefined;
    // A local install keeps the default configuration's secrets where npm start generated them.
    const env = options.config === undefined && io.env.FLEXBRIDGE_CONFIG === undefined ? localEnv(io.env) : io.env;
    try {
      config = loadConfig(file, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Through the API the file is only where the charger URL comes from: say why it is missing, go on.
      if (!apiUrl) throw new CliFailure(error.message, 2);
      io.stderr(`flexbridge: ${file} not used for the charger URL: ${error.message.split('\n')[0] ?? ''}\n`);
    }
    if (apiUrl) {
      const token = options.token ?? env.FLEXBRIDGE_API_TOKEN;
      if (!token) throw new CliFailure('--api needs --token (or $FLEXBRIDGE_API_TOKEN)', 2);
      return { store: apiStore(apiUrl, token), config };
    }
    return { store: fileStore(file, env), config };
  };
  const settingsFor = (id: string, options: CommonOptions, config: FlexbridgeConfig | undefined, password?: string) =>
    chargerSettings({
      identity: id,
      ...(password !== undefined && { password }),
      ...(options.csmsUrl !== undefined && { csmsUrl: options.csmsUrl }),
      ...(config && { ocpp: config.ocpp }),
    });
  const describe = (s: StationFacts): string =>
    `${s.id}  group ${s.groupId}  ${s.evseCount} EVSE × ${s.evseMaxCurrentA} A, ${s.phases} phase(s)` +
    `${s.connected === undefined ? '' : s.connected ? '  online' : '  offline'}${s.protocol ? `  OCPP ${s.protocol}` : ''}${s.hasPassword ? '' : '  (no password)'}`;

  const program = new Command('station')
    .description('provision charging stations and print what to type into the charger')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  common(program.command('add <id>').description('add a station (or set a new password); prints the charger settings'))
    .option('-g, --group <id>', 'group the station belongs to (required for a new station)')
    .option('-p, --password <password>', 'Basic-auth password, 16–40 characters (default: a new 32-character one)')
    .option('--evse-max-current-a <amps>', 'maximum current per EVSE, A per phase', Number)
    .option('--evse-count <n>', 'EVSEs of the station', (v) => Number.parseInt(v, 10))
    .addOption(new Option('--phases <n>', 'phases the station is wired with').choices(['1', '3']))
    .action(
      async (
        id: string,
        options: CommonOptions & { group?: string; password?: string; evseMaxCurrentA?: number; evseCount?: number; phases?: string },
      ) => {
        const password = options.password ?? generatePassword();
        if (password.length < 16 || password.length > 40)
          throw new CliFailure('--password must be 16–40 characters (OCPP passwordString)', 2);
        const { store, config } = context(options);
        const { created, station } = await store.add({
          id,
          password,
          ...(options.group !== undefined && { groupId: options.group }),
          ...(options.evseMaxCurrentA !== undefined && { evseMaxCurrentA: options.evseMaxCurrentA }),
          ...(options.evseCount !== undefined && { evseCount: options.evseCount }),
          ...(options.phases !== undefined && { phases: options.phases === '1' ? 1 : 3 }),
        });
        const charger = settingsFor(id, options, config, password);
        out(
          options.json,
          { created, station, charger },
          `${created ? 'added' : 'updated'}: ${describe(station)}\n\n${settingsText(charger)}`,
        );
      },
    );
  common(program.command('list').description('list stations'))
    .option('-g, --group <id>', 'only this group')
    .action(async (options: CommonOptions & { group?: string }) => {
      const stations = await context(options).store.list(options.group);
      out(options.json, stations, stations.length === 0 ? 'no station\n' : `${stations.map(describe).join('\n')}\n`);
    });
  common(
    program.command('show <id>').description('one station and its charger settings (without the password: it is stored hashed)'),
  ).action(async (id: string, options: CommonOptions) => {
    const { store, config } = context(options);
    const station = await store.show(id);
    if (!station) throw new CliFailure(`no station "${id}"`);
    const charger = settingsFor(id, options, config);
    out(options.json, { station, charger }, `${describe(station)}\n\n${settingsText(charger)}`);
  });
  common(program.command('url <id>').description('the charger settings of a station (CSMS URL, identity, profile)')).action(
    (id: string, options: CommonOptions) => {
      const charger = settingsFor(id, options, context(options).config);
      out(options.json, charger, settingsText(charger));
    },
  );
  common(program.command('remove <id>').description('remove a station: it is refused from then on')).action(
    async (id: string, options: CommonOptions) => {
      if (!(await context(options).store.remove(id))) throw new CliFailure(`no station "${id}"`);
      out(options.json, { removed: id }, `removed: ${id}\n`);
    },
  );

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliFailure) {
      io.stderr(`flexbridge station: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof z.ZodError) {
      io.stderr(`flexbridge station: the operator API answered something unexpected: ${error.issues[0]?.message ?? ''}\n`);
      return 1;
    }
    throw error;
  }
  return 0;
}

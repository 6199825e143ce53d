// Command line for the station simulator: `npm run sim:stations -- --count 500 --url ws://127.0.0.1:9000/ocpp`.
// Runs the fleet in real time, prints a progress line on stderr and a summary table at the end.
import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { createFleet, FleetConfigError, type Fleet, type FleetOptionsInput } from './index';
import { loadScenario, ScenarioFileError } from './scenario';

function number(name: string, { integer = false, min = 0, max = Infinity } = {}): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got "${value}"`);
    }
    return parsed;
  };
}

const program = new Command('sim:stations')
  .description('Simulate OCPP 2.0.1 or 1.6J charging stations that apply the charging profiles a CSMS sends them')
  .requiredOption('--url <url>', 'CSMS endpoint without the station identity, e.g. ws://127.0.0.1:9000/ocpp')
  .addOption(
    new Option('--ocpp <version>', 'OCPP version of the stations; mixed: odd-numbered 2.0.1, even-numbered 1.6')
      .choices(['2.0.1', '1.6', 'mixed'])
      .default('2.0.1'),
  )
  .option(
    '--feature-profiles <list>',
    '1.6: SupportedFeatureProfiles, comma-separated (leave out SmartCharging for stations without it)',
    'Core,SmartCharging,RemoteTrigger',
  )
  .option('--authorize', '1.6: send Authorize before each StartTransaction', false)
  .option('--count <n>', 'number of stations', number('--count', { integer: true, min: 1 }), 10)
  .option('--evses <n>', 'EVSEs per station', number('--evses', { integer: true, min: 1, max: 8 }), 2)
  .option('--id-prefix <prefix>', 'station identities are <prefix>-00001 …', 'SIM')
  .option('--password <password>', 'Basic-auth password for security profile 1/2 (16–40 characters)')
  .option(
    '--security-profile <n>',
    '0 (none), 1 (ws + Basic auth) or 2 (wss + Basic auth)',
    number('--security-profile', { integer: true, max: 2 }),
    0,
  )
  .option('--ca <file>', 'security profile 2: PEM of the CA that signed the CSMS certificate')
  .option('--insecure', 'security profile 2: do not verify the CSMS certificate (test setups only)', false)
  .option(
    '--scenario <file>',
    'JSON scenario: { steps: [{atS, action: plugIn|unplug|drop, station, evse, ev}], randomPlugIns: {meanIdleS, meanStayS} }',
  )
  .option('--mean-idle <s>', 'without a scenario: mean idle time between plug-ins per EVSE, s', number('--mean-idle', { min: 1 }), 600)
  .option('--mean-stay <s>', 'without a scenario: mean plug-in duration, s', number('--mean-stay', { min: 1 }), 3600)
  .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', number('--duration', { min: 1 }))
  .option(
    '--reject-profiles <percent>',
    'share of stations that reject every SetChargingProfile',
    number('--reject-profiles', { max: 100 }),
    0,
  )
  .option(
    '--not-implemented <percent>',
    'share of stations that answer SetChargingProfile with NotImplemented',
    number('--not-implemented', { max: 100 }),
    0,
  )
  .option('--silent <percent>', 'share of stations that never answer SetChargingProfile', number('--silent', { max: 100 }), 0)
  .option('--drop-rate <perHour>', 'connection drops per station per hour (reconnect with back-off)', number('--drop-rate'), 0)
  .option('--meter-interval <s>', 'TxUpdatedInterval: periodic meter values, s', number('--meter-interval', { integer: true, min: 1 }), 60)
  .option('--connect-rate <perS>', 'new connections per second at start-up', number('--connect-rate', { min: 0.1 }), 50)
  .option('--seed <n>', 'random seed (plug-ins, EV models, misbehaving stations)', number('--seed', { integer: true }), 1);

interface CliOptions {
  url: string;
  ocpp: '2.0.1' | '1.6' | 'mixed';
  featureProfiles: string;
  authorize: boolean;
  count: number;
  evses: number;
  idPrefix: string;
  password?: string;
  securityProfile: number;
  ca?: string;
  insecure: boolean;
  scenario?: string;
  meanIdle: number;
  meanStay: number;
  duration?: number;
  rejectProfiles: number;
  notImplemented: number;
  silent: number;
  dropRate: number;
  meterInterval: number;
  connectRate: number;
  seed: number;
}

function fleetOptions(cli: CliOptions): FleetOptionsInput {
  const scenario =
    cli.scenario === undefined
      ? { steps: [], randomPlugIns: { meanIdleS: cli.meanIdle, meanStayS: cli.meanStay } }
      : loadScenario(cli.scenario);
  const securityProfile = cli.securityProfile === 1 ? 1 : cli.securityProfile === 2 ? 2 : 0;
  return {
    url: cli.url,
    protocol: cli.ocpp,
    featureProfiles: cli.featureProfiles.split(',').map((profile) => profile.trim()),
    authorizeBeforeStart: cli.authorize,
    count: cli.count,
    evsesPerStation: cli.evses,
    idPrefix: cli.idPrefix,
    securityProfile,
    ...(cli.password === undefined ? {} : { password: cli.password }),
    ...(cli.ca === undefined ? {} : { caFile: cli.ca }),
    insecureTls: cli.insecure,
    scenario,
    rejectProfilesPercent: cli.rejectProfiles,
    notImplementedPercent: cli.notImplemented,
    silentPercent: cli.silent,
    dropRatePerHour: cli.dropRate,
    meterIntervalS: cli.meterInterval,
    connectRatePerS: cli.connectRate,
    seed: cli.seed,
    logCapacity: 64,
  };
}

function progressLine(fleet: Fleet, startedMs: number): string {
  const s = fleet.summary();
  const elapsedS = Math.round((Date.now() - startedMs) / 1000);
  return (
    `t=${elapsedS}s connected ${s.connected}/${s.stations} booted ${s.bootAccepted} ` +
    `EVs ${s.evsesOccupied} charging ${s.evsesCharging} power ${(s.powerW / 1000).toFixed(1)} kW ` +
    `sent ${s.messagesSent} errors ${s.callErrors} profiles ${s.profilesAccepted}/${s.profilesRejected} drops ${s.drops}`
  );
}

function summaryTable(fleet: Fleet): string {
  const s = fleet.summary();
  const table = new Table({ head: ['metric', 'value'], style: { head: [], border: [] } });
  table.push(
    ['stations', s.stations],
    ['connected at end', s.connected],
    ['BootNotification accepted', s.bootAccepted],
    ['EVSEs occupied / charging', `${s.evsesOccupied} / ${s.evsesCharging}`],
    ['power drawn at end', `${(s.powerW / 1000).toFixed(1)} kW`],
    ['energy delivered', `${(s.energyWh / 1000).toFixed(1)} kWh`],
    ['messages sent', s.messagesSent],
    ['failed calls', s.callErrors],
    ['profiles accepted / rejected', `${s.profilesAccepted} / ${s.profilesRejected}`],
    ['connection drops', s.drops],
  );
  for (const [action, count] of fleet.callErrors) table.push([`  failed ${action}`, count]);
  return table.toString();
}

async function main(): Promise<void> {
  program.parse();
  const cli = program.opts<CliOptions>();
  const fleet = createFleet(fleetOptions(cli));
  const startedMs = Date.now();
  fleet.start();
  const progress = setInterval(() => process.stderr.write(`\r${progressLine(fleet, startedMs)}\x1b[K`), 1000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (cli.duration !== undefined) setTimeout(resolve, cli.duration * 1000).unref();
  });
  clearInterval(progress);
  fleet.settleAll();
  process.stderr.write(`\r${progressLine(fleet, startedMs)}\x1b[K\n`);
  const table = summaryTable(fleet);
  await fleet.stop();
  process.stdout.write(`${table}\n`);
}

main().catch((error: unknown) => {
  const known = error instanceof FleetConfigError || error instanceof ScenarioFileError;
  process.stderr.write(
    `sim:stations: ${known && error instanceof Error ? error.message : String(error instanceof Error ? error.stack : error)}\n`,
  );
  process.exit(1);
});

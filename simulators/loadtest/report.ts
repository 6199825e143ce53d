// The summary table of a run (cli-table3), each figure next to the guide's target where there is one.
import Table from 'cli-table3';
import { median } from './histogram';
import { fmt } from './phases';
import type { HeapTrims, LoadTestResult } from './run';

/** Issue #15's targets: the forecast is judged at 1,000 and 19,000 stations only. */
const TARGET = {
  perStationKiB: 35,
  messagesPerS: 14_000,
  forecastMs: { 1000: 350, 19_000: 2000 } as Record<number, number>,
  relayedPerS: 10_000,
  addedP50Ms: 2,
  restartStormS: 60,
} as const;

const int = (value: number | undefined): string => (value === undefined ? '–' : Math.round(value).toLocaleString('en'));
const mib = (kib: number | undefined): string => (kib === undefined ? '–' : `${(kib / 1024).toFixed(1)} MiB`);
/** The agent's idle heap trims during the memory settle, if any ran. */
const trims = (t: HeapTrims | undefined): string =>
  t === undefined || t.count === 0 ? '' : `; ${t.count} heap trim${t.count === 1 ? '' : 's'}, ${Math.round(t.pauseMs)} ms paused`;
const verdict = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? 'met' : 'MISSED');

export function summaryTable(result: LoadTestResult): string {
  const { options, stations, load, memory } = result;
  const table = new Table({
    head: ['figure', 'value', 'target'],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [38, 46, 22],
  });
  table.push(
    ['mode', result.upstream ? 'Local Controller: relayed to a CSMS simulator (own process)' : 'direct: flexbridge is the CSMS', ''],
    ['station OCPP version', options.ocpp === 'mixed' ? 'mixed: half 2.0.1, half 1.6' : options.ocpp, ''],
    [
      'ocpp.loneSession',
      options.loneSession === 'follow-cap'
        ? 'follow-cap: a change is the station cap alone'
        : 'own-limit: the cap and a TxProfile per change',
      '',
    ],
    ['heap.trimWhenIdle', options.heapTrim ? 'on: full collections once a burst is over' : 'off: V8 alone decides', ''],
    ...(options.upstream
      ? [['ocpp.upstream.dialRate', options.dialRate === undefined ? "the agent's default" : `${options.dialRate}/s`, '']]
      : []),
    ['ocpp.trace.frames', options.traceFrames === undefined ? "the agent's default" : String(options.traceFrames), ''],
    [
      'stations ready / requested',
      `${int(stations.ready)} / ${int(options.stations)}${stations.stalled ? ' (stalled)' : ''}`,
      verdict(stations.ready === options.stations),
    ],
    [
      'connect time (all ready)',
      `${fmt(stations.connectS)} s (${int(stations.ready / Math.max(stations.connectS, 0.001))} stations/s, agent CPU ${fmt(stations.connectAgentCpuPercent)} %)`,
      '',
    ],
    ['failed connection attempts / gave up', `${int(stations.connectFailures)} / ${int(stations.gaveUp)}`, ''],
    ['agent: stations connected (/metrics)', int(stations.agentConnected), ''],
    ['connections with permessage-deflate', `${int(stations.deflated)} (${options.deflate ? 'offered' : 'not offered'})`, ''],
    ['boots answered Pending (then triggered)', int(stations.bootsPending), ''],
    ['profile traffic settled after', `${fmt(result.settleS)} s`, ''],
  );
  const upstream = result.upstream;
  if (load) {
    // Judged only when the run asked for the target rate (2 % slack for the per-second sampling).
    const targetRate = upstream ? TARGET.relayedPerS : TARGET.messagesPerS;
    const rateOk = load.medianPerS === undefined || options.rate < targetRate ? undefined : load.medianPerS >= targetRate * 0.98;
    table.push(
      [`messages (${options.message}) sent`, `${int(load.sent)} in ${fmt(load.seconds)} s (asked ${int(options.rate)}/s)`, ''],
      ['answered / CALLERROR / lost', `${int(load.answered)} / ${int(load.errors)} / ${int(load.lost)}`, ''],
      ['not sent (every station busy)', int(load.notSent), ''],
      [upstream ? 'agent relayed live (/metrics)' : 'agent counted (/metrics, result ok)', int(load.agentCounted), ''],
      [
        upstream ? 'relayed msg/s (median of seconds)' : 'achieved msg/s (median of seconds)',
        int(load.medianPerS),
        `≥ ${int(targetRate)}  ${verdict(rateOk)}`,
      ],
      ['round trip p50 / p95 / p99', `${fmt(load.p50Ms, 2)} / ${fmt(load.p95Ms, 2)} / ${fmt(load.p99Ms, 2)} ms`, ''],
      ['agent CPU (one core = 100 %)', `${fmt(load.agentCpuPercent)} %`, ''],
      ['load generator CPU (this process)', `${fmt(load.generatorCpuPercent)} %`, ''],
      ['connections dropped during load', int(load.drops), ''],
    );
    if (upstream)
      table.push(
        ['CSMS simulator CPU', `${fmt(load.upstreamCpuPercent)} %`, ''],
        [
          'CSMS simulator frames (in + out) / 2',
          int(upstream.framesDuringLoad === undefined ? undefined : upstream.framesDuringLoad / 2),
          '',
        ],
      );
  }
  if (upstream) {
    const direct = upstream.direct.load;
    const addedOk = upstream.addedP50Ms === undefined ? undefined : upstream.addedP50Ms <= TARGET.addedP50Ms;
    table.push(
      [
        'direct to the CSMS simulator: ready',
        `${int(upstream.direct.ready)} / ${int(options.stations)} in ${fmt(upstream.direct.connectS)} s${upstream.direct.stalled ? ' (stalled)' : ''}`,
        '',
      ],
      ['direct: msg/s (median) / lost', direct ? `${int(direct.medianPerS)} / ${int(direct.lost)}` : '–', ''],
      [
        'direct: round trip p50 / p95 / p99',
        direct ? `${fmt(direct.p50Ms, 2)} / ${fmt(direct.p95Ms, 2)} / ${fmt(direct.p99Ms, 2)} ms` : '–',
        '',
      ],
      [
        'direct: CSMS simulator CPU / generator CPU',
        direct ? `${fmt(direct.agentCpuPercent)} % / ${fmt(direct.generatorCpuPercent)} %` : '–',
        '',
      ],
      ['added round trip p50 (relayed − direct)', `${fmt(upstream.addedP50Ms, 2)} ms`, `≤ ${TARGET.addedP50Ms} ms  ${verdict(addedOk)}`],
      ['CSMS simulator RSS, fleet connected', mib(upstream.csmsConnectedKiB), ''],
    );
  }
  const memoryOk = memory.perStationKiB === undefined ? undefined : memory.perStationKiB <= TARGET.perStationKiB;
  table.push(
    ['agent RSS before / connected / end', `${mib(memory.beforeKiB)} / ${mib(memory.connectedKiB)} / ${mib(memory.endKiB)}`, ''],
    [
      'agent RSS growth per station, just connected',
      `${fmt(memory.perStationKiB)} KiB`,
      `≤ ${TARGET.perStationKiB} KB  ${verdict(memoryOk)}`,
    ],
    ...(memory.perStationIdleKiB === undefined
      ? []
      : [
          [
            'agent RSS growth per station, held idle',
            `${fmt(memory.perStationIdleKiB)} KiB (RSS ${mib(memory.idleKiB)}, heap used ${mib(memory.heapIdleKiB)} ` +
              `of ${mib(memory.heapTotalIdleKiB)} committed, after ${fmt(memory.idleAfterS)} s${trims(memory.heapTrims)})`,
            `≤ ${TARGET.perStationKiB} KB  ${verdict(memory.perStationIdleKiB <= TARGET.perStationKiB)}`,
          ] as [string, string, string],
        ]),
    [
      'agent V8 heap used before / connected',
      `${mib(memory.heapBeforeKiB)} / ${mib(memory.heapConnectedKiB)} (committed ${mib(memory.heapTotalConnectedKiB)})`,
      '',
    ],
  );
  if (result.forecasts.length > 0) {
    const runs = result.forecasts.map((f) => (f.lastAckMs === undefined ? `– (${f.matched}/${f.target})` : int(f.lastAckMs))).join(', ');
    const firsts = result.forecasts.flatMap((f) => (f.firstAckMs === undefined ? [] : [f.firstAckMs]));
    const requests = result.forecasts.map((f) => f.requestMs);
    const forecastTargetMs = TARGET.forecastMs[stations.ready];
    const forecastOk =
      forecastTargetMs === undefined
        ? undefined
        : result.forecastMedianMs === undefined
          ? false
          : result.forecastMedianMs <= forecastTargetMs;
    table.push(
      [
        `forecast → last ack, ${int(stations.ready)} stations`,
        `median ${int(result.forecastMedianMs)} ms (runs: ${runs})`,
        forecastTargetMs === undefined ? '≤ 350 ms @ 1,000, ≤ 2 s @ 19,000' : `≤ ${int(forecastTargetMs)} ms  ${verdict(forecastOk)}`,
      ],
      ['forecast → first ack (median)', `${int(median(firsts))} ms`, ''],
      ['forecast request → 204 (median)', `${fmt(median(requests))} ms`, ''],
    );
  }
  const storm = result.restartStorm;
  if (storm) {
    const secs = (value: number | undefined, done: number): string =>
      value === undefined ? `– (${int(done)} / ${int(storm.stations)})` : `${fmt(value)} s`;
    const r = storm.record;
    const amps = (value: number | undefined): string => (value === undefined ? '–' : `${fmt(value)} A`);
    const stormOk = storm.allReprofiledS === undefined ? false : storm.allReprofiledS <= TARGET.restartStormS;
    table.push(
      ['restart storm: kill -9 → agent ready', secs(storm.agentReadyS, 0), ''],
      ['restart → all reconnected', secs(storm.allReconnectedS, storm.reconnected), ''],
      ['restart → all booted (Accepted)', secs(storm.allBootedS, storm.booted), ''],
      [
        `restart → all re-profiled${storm.txLimitA === undefined ? ' (standing cap)' : ` (standing cap, then ${fmt(storm.txLimitA)} A leased)`}`,
        secs(storm.allReprofiledS, storm.reprofiled),
        `≤ ${TARGET.restartStormS} s @ 19,000  ${stations.ready === 19_000 ? verdict(stormOk) : ''}`,
      ],
      [
        'stations left without a profile',
        `${int(storm.withoutProfile)}${storm.stalled ? ' (stalled)' : ''}`,
        verdict(storm.withoutProfile === 0),
      ],
      ['failed reconnect attempts (back-off)', int(storm.failedAttempts), ''],
      [
        'standing share held at the kill / lease in force',
        `${amps(r.standingMinA)}${r.standingMaxA !== r.standingMinA ? ` … ${amps(r.standingMaxA)}` : ''} / ${int(r.leaseAtKill)} stations`,
        '',
      ],
      ['max drawn from the kill on (with no lease in force)', `${amps(r.maxDrawnA)} (${amps(r.maxDrawnWithoutLeaseA)})`, ''],
      [
        'violations: drew above standing share without a lease / held no standing cap',
        `${int(r.violations)} / ${int(r.unprotected)} (${int(r.samples)} samples)`,
        verdict(r.violations === 0 && r.unprotected === 0),
      ],
      ['TxProfile above the cap in force (clipped by the station)', `${int(r.sessionAboveCap)} stations, up to ${amps(r.maxExcessA)}`, ''],
    );
  }
  table.push(
    ['agent open-files limit', int(result.agent.openFilesLimit), ''],
    [
      'agent sources',
      result.agent.version,
      result.agent.from === 'built' ? 'built (npm run build), run as npm start' : 'src/ through tsx (memory overstated)',
    ],
  );
  return table.toString();
}

export function notes(result: LoadTestResult): string[] {
  const lines = [...result.advice];
  if (result.stations.connectErrors.length > 0)
    lines.push(`connection errors seen: ${result.stations.connectErrors.slice(0, 5).join('; ')}`);
  if (result.agent.warnings.length > 0)
    lines.push(`agent warnings/errors: ${result.agent.warnings.map(([message, count]) => `${count}× ${message}`).join('; ')}`);
  if (result.agent.dir) lines.push(`config, SQLite file and agent log kept in ${result.agent.dir}`);
  return lines;
}

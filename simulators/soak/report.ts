// The soak's verdict as tables (cli-table3): what was checked, what the checker found, and one row per restart.
import Table from 'cli-table3';
import type { ChurnCounts } from './churn';
import type { OverLimitInstant } from './timeline';
import type { CsmsLimitCounts } from './upstream';

export interface RestartResult {
  killedAtS: number;
  downS: number;
  /** From spawning the new process to /readyz 200. */
  readyS?: number;
  /** From spawning to every station connected and booted again. */
  connectedS?: number;
  /** From spawning to every station having accepted a profile sent after the kill. */
  reprofiledS?: number;
  notReprofiled?: number;
}

/** What the Local Controller run adds: the CSMS side, checked like the agent's. */
export interface UpstreamResult {
  csmsOutages: number;
  limits: CsmsLimitCounts;
  /** Instants a station drew more than the cap its CSMS had set (with the settle allowance). */
  overCsmsCap: (OverLimitInstant & { stationId: string })[];
  /** Transactions the CSMS saw start / end, and those the stations ran that it never saw (per station, by count). */
  csmsStarted: number;
  csmsEnded: number;
  transactionsLost: number;
  endsLost: number;
  /** Sessions flexbridge stored under an id the CSMS never had for that station. */
  storedUnknownToCsms: number;
  /** Station messages still kept for the CSMS at the end. */
  relayQueued: number;
  csmsFrames: number;
}

export interface SoakResult {
  options: { minutes: number; stations: number; kills: number; seed: number; speed: number; upstream: boolean };
  minutesRun: number;
  settleMs: number;
  marginA: number;
  overLimit: OverLimitInstant[];
  capacityDecreases: number;
  restarts: RestartResult[];
  churn: ChurnCounts;
  sessionsStarted: number;
  sessionsEnded: number;
  sessionsStored: number;
  sessionsEndedStored: number;
  sessionsMissing: number;
  endedMissing: number;
  forecastsSent: number;
  forecastsRefused: number;
  forecastsMissing: number;
  emergencyCuts: number;
  heartbeatPauses: number;
  outboxPending: number;
  outboxFailed: number;
  outboxDrained: boolean;
  drops: number;
  cpReceived: number;
  overNowSamples: number;
  /** Per capacity decrease: measured time until the summed draw stayed under it, s (undefined: not before the next change). */
  complyS: (number | undefined)[];
  upstream?: UpstreamResult;
  dir: string;
}

const s = (value: number | undefined): string => (value === undefined ? '—' : value.toFixed(1));

function complyFigure(times: readonly (number | undefined)[]): string {
  const known = times.filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return '—';
  const median = known[Math.floor((known.length - 1) / 2)] ?? 0;
  const never = times.length - known.length;
  return `${median.toFixed(1)} s / ${(known.at(-1) ?? 0).toFixed(1)} s${never > 0 ? ` (${never} not before the next change)` : ''}`;
}

export function failed(result: SoakResult): boolean {
  return (
    result.overLimit.length > 0 ||
    result.sessionsMissing > 0 ||
    result.endedMissing > 0 ||
    result.forecastsMissing > 0 ||
    result.outboxFailed > 0 ||
    result.outboxPending > 0 ||
    (result.upstream !== undefined &&
      (result.upstream.overCsmsCap.length > 0 ||
        result.upstream.transactionsLost > 0 ||
        result.upstream.endsLost > 0 ||
        result.upstream.storedUnknownToCsms > 0 ||
        result.upstream.relayQueued > 0))
  );
}

export function renderReport(r: SoakResult): string {
  const ok = (bad: boolean): string => (bad ? 'FAIL' : 'ok');
  const dups = [...r.churn.duplicateOutcomes].map(([k, v]) => `${v}× ${k}`).join(', ') || 'none';
  const summary = new Table({ head: ['check', 'value', ''], style: { head: [], border: [], compact: true } });
  const worst = r.overLimit.reduce<OverLimitInstant | undefined>(
    (w, e) => (!w || e.drawnA - e.allowedA > w.drawnA - w.allowedA ? e : w),
    undefined,
  );
  summary.push(
    [
      'run',
      `${r.minutesRun.toFixed(1)} min, ${r.options.stations} stations (mixed 1.6/2.0.1), seed ${r.options.seed}, ` +
        `speed ${r.options.speed}, ${r.options.upstream ? 'through the Local Controller' : 'direct'}`,
      '',
    ],
    [
      'over-limit instants (Σ drawn > capacity − margin)',
      `${r.overLimit.length}${worst ? ` (worst ${worst.drawnA.toFixed(1)} A > ${worst.allowedA.toFixed(1)} A)` : ''}`,
      ok(r.overLimit.length > 0),
    ],
    ['  settle allowance after a decrease / margin', `${r.settleMs / 1000} s / ${r.marginA} A`, ''],
    ['  measured time under each decrease: median / max', complyFigure(r.complyS), ''],
    [
      'capacity decreases (emergency cuts sent / heartbeat pauses)',
      `${r.capacityDecreases} (${r.emergencyCuts} / ${r.heartbeatPauses})`,
      '',
    ],
    ['kill -9 + restart', String(r.restarts.length), r.restarts.length >= r.options.kills ? 'ok' : 'FEW'],
    ['sessions started by stations / stored by flexbridge', `${r.sessionsStarted} / ${r.sessionsStored}`, ''],
    ['  sessions lost', String(r.sessionsMissing), ok(r.sessionsMissing > 0)],
    ['sessions ended by stations / stored ended', `${r.sessionsEnded} / ${r.sessionsEndedStored}`, ''],
    ['  session ends lost', String(r.endedMissing), ok(r.endedMissing > 0)],
    ['forecasts acknowledged 204 / not 204', `${r.forecastsSent} / ${r.forecastsRefused}`, ''],
    ['  acknowledged forecasts not in the store', String(r.forecastsMissing), ok(r.forecastsMissing > 0)],
    ['outbox rows pending / failed at the end', `${r.outboxPending} / ${r.outboxFailed}`, ok(r.outboxPending + r.outboxFailed > 0)],
    ['station churn: plug-ins / unplugs / drops', `${r.churn.plugIns} / ${r.churn.unplugs} / ${r.drops}`, ''],
    ['duplicate-identity connects', `${r.churn.duplicateConnects}: ${dups}`, ''],
    ['OSCP messages the CP received', String(r.cpReceived), ''],
  );
  const u = r.upstream;
  if (u !== undefined) {
    const worstCap = u.overCsmsCap.reduce<(OverLimitInstant & { stationId: string }) | undefined>(
      (w, e) => (!w || e.drawnA - e.allowedA > w.drawnA - w.allowedA ? e : w),
      undefined,
    );
    const l = u.limits;
    summary.push(
      ['CSMS outages (listener stopped, sockets closed)', String(u.csmsOutages), ''],
      [
        'CSMS station caps sent: accepted / refused / unknown / not connected',
        `${l.sent} (${l.clears} clears): ${l.accepted} / ${l.refused} / ${l.unknown} / ${l.notConnected}`,
        '',
      ],
      [
        '  instants a station drew above its CSMS cap',
        `${u.overCsmsCap.length}${worstCap ? ` (worst ${worstCap.stationId} ${worstCap.drawnA.toFixed(1)} A > ${worstCap.allowedA.toFixed(1)} A)` : ''}`,
        ok(u.overCsmsCap.length > 0),
      ],
      ['transactions started by stations / known to the CSMS', `${r.sessionsStarted} / ${u.csmsStarted}`, ''],
      ['  transactions the CSMS never saw', String(u.transactionsLost), ok(u.transactionsLost > 0)],
      ['transactions ended by stations / ended at the CSMS', `${r.sessionsEnded} / ${u.csmsEnded}`, ''],
      ['  ends the CSMS never saw', String(u.endsLost), ok(u.endsLost > 0)],
      ['  sessions stored under an id the CSMS never had', String(u.storedUnknownToCsms), ok(u.storedUnknownToCsms > 0)],
      ['station messages still kept for the CSMS', String(u.relayQueued), ok(u.relayQueued > 0)],
      ['OCPP frames at the CSMS (both directions)', String(u.csmsFrames), ''],
    );
  }
  const restarts = new Table({
    head: ['#', 'killed at s', 'down s', 'ready s', 'all connected s', 'all re-profiled s'],
    style: { head: [], border: [], compact: true },
  });
  r.restarts.forEach((x, i) =>
    restarts.push([
      String(i + 1),
      x.killedAtS.toFixed(0),
      x.downS.toFixed(1),
      s(x.readyS),
      s(x.connectedS),
      x.reprofiledS === undefined ? `— (${x.notReprofiled ?? '?'} not)` : s(x.reprofiledS),
    ]),
  );
  return `${summary.toString()}\n${restarts.toString()}\nre-profile times count from spawning the new process.\nverdict: ${failed(r) ? 'FAIL' : 'PASS'}`;
}

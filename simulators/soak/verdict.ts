// The soak's independent checker, run once everything has stopped: the stations' own draw logs against the capacity
// the soak granted (and each station's against its CSMS cap), the agent's store, and the CSMS's recorded frames.
import fs from 'node:fs';
import path from 'node:path';
import type { LimitLogEntry } from '../ocpp-station';
import type { StationChurn } from './churn';
import type { SoakPlan } from './plan';
import type { RestartResult, SoakResult, UpstreamResult } from './report';
import { auditStore, type StoreAudit } from './store-audit';
import { overLimitInstants, timesToComply, type CapacityTimeline } from './timeline';
import type { SoakCsms } from './upstream';

export interface JudgeInput {
  options: SoakResult['options'];
  startMs: number;
  endMs: number;
  settleMs: number;
  marginA: number;
  /** Station id → its one EVSE's change log. */
  logs: Map<string, LimitLogEntry[]>;
  timeline: CapacityTimeline;
  restarts: RestartResult[];
  churn: StationChurn;
  dbFile: string;
  drainedAtIso: string;
  drained: boolean;
  forecastsAccepted: readonly string[];
  forecastsRefused: number;
  plan: SoakPlan;
  drops: number;
  cpReceived: number;
  overNow: number;
  csms: SoakCsms | undefined;
  dir: string;
}

const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);

export async function judge(input: JudgeInput): Promise<{ result: SoakResult; passed: boolean }> {
  const { timeline, settleMs, marginA, startMs } = input;
  const logs = [...input.logs.values()];
  const over = overLimitInstants(logs, (t) => timeline.allowedAt(t, settleMs) - marginA, startMs, timeline.settledDecreases(settleMs));
  const store = auditStore(input.dbFile, input.drainedAtIso);
  const c = input.churn;
  let sessionsMissing = 0;
  let endedMissing = 0;
  for (const [id, started] of c.startedBy) sessionsMissing += Math.max(0, started - (store.sessions.get(id)?.total ?? 0));
  for (const [id, ended] of c.endedBy) endedMissing += Math.max(0, ended - (store.sessions.get(id)?.ended ?? 0));
  const forecastsMissing = input.forecastsAccepted.filter((id) => !store.forecastRequestIds.has(id)).length;
  const upstream = input.csms === undefined ? undefined : await judgeUpstream(input, input.csms, store);
  const result: SoakResult = {
    options: input.options,
    minutesRun: (input.endMs - startMs) / 60_000,
    settleMs,
    marginA,
    overLimit: over,
    capacityDecreases: timeline.decreases(),
    restarts: input.restarts,
    churn: c.counts,
    sessionsStarted: sum(c.startedBy.values()),
    sessionsEnded: sum(c.endedBy.values()),
    sessionsStored: sum([...store.sessions.values()].map((s) => s.total)),
    sessionsEndedStored: sum([...store.sessions.values()].map((s) => s.ended)),
    sessionsMissing,
    endedMissing,
    forecastsSent: input.forecastsAccepted.length,
    forecastsRefused: input.forecastsRefused,
    forecastsMissing,
    emergencyCuts: input.plan.forecasts.filter((fc) => fc.emergency).length,
    heartbeatPauses: input.plan.heartbeatPauses.length,
    outboxPending: store.outboxPending,
    outboxFailed: store.outboxFailed,
    outboxDrained: input.drained,
    drops: input.drops,
    cpReceived: input.cpReceived,
    overNowSamples: input.overNow,
    complyS: timesToComply(logs, timeline, marginA, input.endMs).map((ms) => (ms === undefined ? undefined : ms / 1000)),
    ...(upstream !== undefined && { upstream }),
    dir: input.dir,
  };
  const upstreamClean =
    upstream === undefined ||
    (upstream.overCsmsCap.length === 0 &&
      upstream.transactionsLost === 0 &&
      upstream.endsLost === 0 &&
      upstream.storedUnknownToCsms === 0 &&
      upstream.relayQueued === 0);
  const passed =
    over.length === 0 &&
    sessionsMissing === 0 &&
    endedMissing === 0 &&
    forecastsMissing === 0 &&
    store.outboxFailed === 0 &&
    store.outboxPending === 0 &&
    upstreamClean;
  // For the developer: what the checker read, next to the agent's log and store that a failed run keeps.
  if (!passed)
    fs.writeFileSync(
      path.join(input.dir, 'checker-input.json'),
      JSON.stringify({
        startMs,
        settleMs,
        marginA,
        timeline,
        csmsCaps: Object.fromEntries(input.csms?.stationLimits ?? []),
        logs: Object.fromEntries(input.logs),
      }),
    );
  return { result, passed };
}

async function judgeUpstream(input: JudgeInput, csms: SoakCsms, store: StoreAudit): Promise<UpstreamResult> {
  // Each station against its own CSMS cap: no margin (flexbridge installs min(share, cap)), the same settle allowance.
  const overCsmsCap: UpstreamResult['overCsmsCap'] = [];
  for (const [id, capTimeline] of csms.stationLimits) {
    const log = input.logs.get(id) ?? [];
    for (const instant of overLimitInstants(
      [log],
      (t) => capTimeline.allowedAt(t, input.settleMs),
      input.startMs,
      capTimeline.settledDecreases(input.settleMs),
    ))
      overCsmsCap.push({ ...instant, stationId: id });
  }
  const known = await csms.transactions();
  const c = input.churn;
  let transactionsLost = 0;
  let endsLost = 0;
  for (const [id, started] of c.startedBy) transactionsLost += Math.max(0, started - (known.get(id)?.started.size ?? 0));
  for (const [id, ended] of c.endedBy) endsLost += Math.max(0, ended - (known.get(id)?.ended.size ?? 0));
  let storedUnknownToCsms = 0;
  for (const [id, sessions] of store.sessions) {
    const ids = known.get(id)?.started ?? new Set<string>();
    storedUnknownToCsms += sessions.ids.filter((transactionId) => !ids.has(transactionId)).length;
  }
  return {
    csmsOutages: csms.outages,
    limits: csms.limits,
    overCsmsCap,
    csmsStarted: sum([...known.values()].map((k) => k.started.size)),
    csmsEnded: sum([...known.values()].map((k) => k.ended.size)),
    transactionsLost,
    endsLost,
    storedUnknownToCsms,
    relayQueued: store.relayQueued,
    csmsFrames: csms.simulator.frames.total,
  };
}

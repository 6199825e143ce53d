// The restart-storm phase (issue #15): with the fleet up, `kill -9` the agent, start it again on the same config and
// SQLite store (same ports), and time until every station reconnected, booted (Accepted) and got its standing cap —
// and, with a forecast in force, its TxProfile — again. The stations keep their own record meanwhile: what each drew
// against the cap it held (the live lease while in force, else its standing share).
import type { AgentChild } from './agent-child';
import type { Generator } from './generator';
import type { StormRecord } from './generator-worker';
import type { Progress } from './phases';
import type { StatSnapshot } from './worker-stats';

export interface RestartStormOutcome {
  /** Stations ready before the kill: the ones expected back. */
  readonly stations: number;
  /** TxProfile limit expected again (the last forecast's), A; undefined when no forecast was in force. */
  readonly txLimitA: number | undefined;
  /** kill -9 → the new agent process answers /readyz, s. */
  readonly agentReadyS: number | undefined;
  /** kill -9 (the new process is spawned at once) → the last station reconnected / booted / re-profiled, s; undefined if not all did. */
  readonly allReconnectedS: number | undefined;
  readonly allBootedS: number | undefined;
  readonly allStandingS: number | undefined;
  readonly allTxS: number | undefined;
  readonly allReprofiledS: number | undefined;
  /** Stations that did each since the kill. */
  readonly reconnected: number;
  readonly booted: number;
  readonly standing: number;
  readonly tx: number;
  readonly reprofiled: number;
  /** Stations not re-profiled when the phase ended (stalled or timed out). */
  readonly withoutProfile: number;
  readonly stalled: boolean;
  /** Failed connection attempts during the phase (refused while the agent was down, then back-off). */
  readonly failedAttempts: number;
  /** The stations' own record: draw against the cap in force, sampled every 250 ms from the kill to the end. */
  readonly record: StormRecord;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const COUNTERS = ['stormReconnected', 'stormBooted', 'stormStanding', 'stormTx', 'stormReprofiled'] as const;

export async function restartStorm(
  agent: AgentChild,
  generator: Generator,
  options: { txLimitA: number | undefined; stallS: number },
  progress: Progress,
): Promise<{ agent: AgentChild | undefined; outcome: RestartStormOutcome; error?: unknown }> {
  const before = generator.stats();
  const stations = before.ready;
  progress.phase('restart storm', stations);
  generator.startStorm(options.txLimitA);
  const killMs = Date.now();
  await agent.kill9();
  let restarted: AgentChild | undefined;
  let restartError: unknown;
  let agentReadyMs: number | undefined;
  const restarting = agent.restart().then(
    (child) => {
      restarted = child;
      agentReadyMs = Date.now();
    },
    (error: unknown) => {
      restartError = error;
    },
  );
  const reachedAt = new Map<(typeof COUNTERS)[number], number>();
  let last = '';
  let lastChangeMs = Date.now();
  let s: StatSnapshot = before;
  let stalled = false;
  for (;;) {
    await sleep(100);
    s = generator.stats();
    const nowMs = Date.now();
    for (const name of COUNTERS) if (!reachedAt.has(name) && s[name] >= stations) reachedAt.set(name, nowMs);
    const key = COUNTERS.map((name) => s[name]).join(',');
    if (key !== last) {
      last = key;
      lastChangeMs = nowMs;
    }
    progress.update(
      s.stormReprofiled,
      `agent ${agentReadyMs === undefined ? 'restarting' : 'up'}; reconnected ${s.stormReconnected} booted ${s.stormBooted} ` +
        `re-profiled ${s.stormReprofiled}/${stations}`,
    );
    if (restartError !== undefined) break;
    if (s.stormReprofiled >= stations && s.stormBooted >= stations && s.stormReconnected >= stations) break;
    // Stalled: no progress for stallS once the agent is up (refused attempts while it starts are not a stall).
    if (agentReadyMs !== undefined && nowMs - Math.max(lastChangeMs, agentReadyMs) > options.stallS * 1000) {
      stalled = true;
      break;
    }
  }
  await restarting;
  const record = await generator.endStorm();
  const at = (name: (typeof COUNTERS)[number]): number | undefined => {
    const ms = reachedAt.get(name);
    return ms === undefined ? undefined : (ms - killMs) / 1000;
  };
  const outcome: RestartStormOutcome = {
    stations,
    txLimitA: options.txLimitA,
    agentReadyS: agentReadyMs === undefined ? undefined : (agentReadyMs - killMs) / 1000,
    allReconnectedS: at('stormReconnected'),
    allBootedS: at('stormBooted'),
    allStandingS: at('stormStanding'),
    allTxS: options.txLimitA === undefined ? undefined : at('stormTx'),
    allReprofiledS: at('stormReprofiled'),
    reconnected: s.stormReconnected,
    booted: s.stormBooted,
    standing: s.stormStanding,
    tx: s.stormTx,
    reprofiled: s.stormReprofiled,
    withoutProfile: Math.max(0, stations - s.stormReprofiled),
    stalled,
    failedAttempts: s.connectFailures - before.connectFailures,
    record,
  };
  return { agent: restarted, outcome, ...(restartError !== undefined && { error: restartError }) };
}

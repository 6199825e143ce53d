// The forecast part of a run: a flat 24-hour CONSUMPTION forecast sized so every session gets exactly `limitA`,
// and the time from the Capacity Provider's 204 to the last station acknowledging its new TxProfile.
import type { CapacityProvider } from '../oscp-cp';
import type { Generator } from './generator';

export interface ForecastRun {
  readonly limitA: number;
  /** From the 204 to the last TxProfile acknowledged with the new limit, ms; undefined if some never arrived. */
  readonly lastAckMs: number | undefined;
  /** From the 204 to the first station acknowledging (the agent's coalescing window plus planning), ms. */
  readonly firstAckMs: number | undefined;
  /** The agent's answer time of the forecast request (sent → 204), ms. */
  readonly requestMs: number;
  readonly matched: number;
  readonly target: number;
  readonly status: number;
}

const QUARTER_MS = 15 * 60_000;

/** 96 quarter-hour blocks from the start of the current quarter, flat capacity per phase. */
export function flatDayBlocks(
  capacityA: number,
  nowMs = Date.now(),
): { start_time: string; end_time: string; capacity: number; phase: 'ALL'; unit: 'A' }[] {
  const startMs = Math.floor(nowMs / QUARTER_MS) * QUARTER_MS;
  return Array.from({ length: 96 }, (_, i) => ({
    start_time: new Date(startMs + i * QUARTER_MS).toISOString(),
    end_time: new Date(startMs + (i + 1) * QUARTER_MS).toISOString(),
    capacity: capacityA,
    phase: 'ALL' as const,
    unit: 'A' as const,
  }));
}

/**
 * Capacity per phase that gives each of `sessions` equal 3-phase sessions `limitA` after the safety margin:
 * a twentieth of an amp more per session, so the agent's one-decimal rounding down lands on `limitA` itself.
 */
export function capacityFor(sessions: number, limitA: number, safetyMarginA: number): number {
  return Math.round((sessions * (limitA + 0.05) + safetyMarginA) * 100) / 100;
}

/** Sends one forecast and waits for every ready station to acknowledge a TxProfile at `limitA`. */
export async function timeForecast(
  cp: CapacityProvider,
  generator: Generator,
  options: { groupId: string; sessions: number; limitA: number; safetyMarginA: number; timeoutMs: number },
): Promise<ForecastRun> {
  const expectation = generator.expectProfiles(options.limitA, options.timeoutMs);
  await expectation.armed;
  const sentAt = Date.now();
  const result = await cp.sendForecast({
    groupId: options.groupId,
    type: 'CONSUMPTION',
    blocks: flatDayBlocks(capacityFor(options.sessions, options.limitA, options.safetyMarginA)),
  });
  const answeredAt = Date.now();
  const matched = await expectation.done;
  const complete = matched.target > 0 && matched.matched >= matched.target && matched.lastAckMs !== undefined;
  return {
    limitA: options.limitA,
    lastAckMs: complete && matched.lastAckMs !== undefined ? Math.max(0, matched.lastAckMs - answeredAt) : undefined,
    firstAckMs: matched.firstAckMs === undefined ? undefined : matched.firstAckMs - answeredAt,
    requestMs: answeredAt - sentAt,
    matched: matched.matched,
    target: matched.target,
    status: result.status,
  };
}

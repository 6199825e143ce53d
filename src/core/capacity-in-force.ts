// Decides which capacity applies to a group over a horizon: the forecast while the grid link is up,
// the fallback (FC) while it is down, and the configured safe limit wherever neither says anything.
import type { CapacityBlock, CapacitySource } from '../domain/capacity';
import { minCurrents, type PhaseCurrentsA } from '../domain/electrical';

/** A stretch of time with one capacity and the reason it applies. */
export interface CapacitySegment extends CapacityBlock {
  readonly source: CapacitySource;
}

export interface CapacityInputs {
  readonly fromMs: number;
  readonly toMs: number;
  /** Is the group's Capacity Provider online (heartbeats fresh)? false ⇒ fallback mode. */
  readonly peerOnline: boolean;
  readonly consumption: readonly CapacityBlock[];
  readonly fallback: readonly CapacityBlock[];
  /** OPTIMUM from a Capacity Optimizer: a target inside consumption, never a licence to exceed it. */
  readonly optimum?: readonly CapacityBlock[];
  readonly safeLimitA: number;
}

function toSpans(blocks: readonly CapacityBlock[]): CapacityBlock[] {
  return blocks.filter((s) => s.endMs > s.startMs).sort((a, b) => a.startMs - b.startMs);
}

/** The span covering `t` (spans sorted, non-overlapping as the forecast book delivers them); cursor-based. */
function cover(spans: readonly CapacityBlock[], cursor: { i: number }, t: number): CapacityBlock | undefined {
  while (cursor.i < spans.length && (spans[cursor.i] as CapacityBlock).endMs <= t) cursor.i += 1;
  const span = spans[cursor.i];
  return span && span.startMs <= t ? span : undefined;
}

/** A phase the grid left unconstrained (non-finite) is held to the safe limit: we never assume unlimited. */
function bounded(limitA: PhaseCurrentsA, safeLimitA: number): PhaseCurrentsA {
  const phase = (value: number): number => (Number.isFinite(value) ? Math.max(0, value) : safeLimitA);
  return [phase(limitA[0]), phase(limitA[1]), phase(limitA[2])];
}

const sameCurrents = (a: PhaseCurrentsA, b: PhaseCurrentsA): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/**
 * Capacity in force over [fromMs, toMs) as contiguous segments, split at every block boundary and merged
 * where neighbours agree. Online: consumption (capped by optimum), gaps filled by fallback, then by the safe
 * limit. Offline: fallback, gaps filled by the safe limit.
 */
export function capacityInForce(inputs: CapacityInputs): CapacitySegment[] {
  const consumption = inputs.peerOnline ? toSpans(inputs.consumption) : [];
  const optimum = inputs.peerOnline ? toSpans(inputs.optimum ?? []) : [];
  const fallback = toSpans(inputs.fallback);
  const cuts = new Set<number>([inputs.fromMs, inputs.toMs]);
  for (const span of [...consumption, ...optimum, ...fallback]) {
    if (span.startMs > inputs.fromMs && span.startMs < inputs.toMs) cuts.add(span.startMs);
    if (span.endMs > inputs.fromMs && span.endMs < inputs.toMs) cuts.add(span.endMs);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const cursors = { consumption: { i: 0 }, optimum: { i: 0 }, fallback: { i: 0 } };
  const safe: PhaseCurrentsA = [inputs.safeLimitA, inputs.safeLimitA, inputs.safeLimitA];
  const segments: CapacitySegment[] = [];
  for (let k = 0; k + 1 < times.length; k++) {
    const startMs = times[k] as number;
    const endMs = times[k + 1] as number;
    const granted = cover(consumption, cursors.consumption, startMs);
    const target = cover(optimum, cursors.optimum, startMs);
    const fallbackSpan = cover(fallback, cursors.fallback, startMs);
    let limitA: PhaseCurrentsA;
    let source: CapacitySource;
    if (granted) {
      limitA = bounded(target ? minCurrents(granted.limitA, target.limitA) : granted.limitA, inputs.safeLimitA);
      source = 'forecast';
    } else if (fallbackSpan) {
      limitA = bounded(fallbackSpan.limitA, inputs.safeLimitA);
      source = 'fallback';
    } else {
      limitA = safe;
      source = 'safe-default';
    }
    const previous = segments[segments.length - 1];
    if (previous && previous.source === source && sameCurrents(previous.limitA, limitA) && previous.endMs === startMs) {
      segments[segments.length - 1] = { ...previous, endMs };
    } else {
      segments.push({ startMs, endMs, limitA, source });
    }
  }
  return segments;
}

/** An operator's cap on a group's capacity (a `group-cap` override), in force until `untilMs`. */
export interface OperatorCap {
  readonly limitA: number;
  readonly untilMs: number;
}

/** A segment of capacity in force with the operator's cap applied where it is in force. */
export interface CappedSegment extends CapacitySegment {
  /** What the grid (or the fallback, or the safe limit) grants, before the operator's cap. */
  readonly gridLimitA: PhaseCurrentsA;
  /** The operator's cap where it applies in this segment; undefined after it expired. */
  readonly operatorCapA?: number;
}

/**
 * Applies an operator cap to capacity segments only until it expires: a segment that spans the expiry is cut there,
 * so the plan after the expiry instant runs on the grid's capacity again (and the controller replans at that cut).
 */
export function withOperatorCap(segments: readonly CapacitySegment[], cap: OperatorCap | undefined): CappedSegment[] {
  const out: CappedSegment[] = [];
  for (const s of segments) {
    const uncapped = { ...s, gridLimitA: s.limitA };
    if (!cap || s.startMs >= cap.untilMs) {
      out.push(uncapped);
      continue;
    }
    const capEndMs = Math.min(s.endMs, cap.untilMs);
    const capped: PhaseCurrentsA = [
      Math.min(s.limitA[0], cap.limitA),
      Math.min(s.limitA[1], cap.limitA),
      Math.min(s.limitA[2], cap.limitA),
    ];
    out.push({ ...s, endMs: capEndMs, limitA: capped, gridLimitA: s.limitA, operatorCapA: cap.limitA });
    if (capEndMs < s.endMs) out.push({ ...uncapped, startMs: capEndMs });
  }
  return out;
}

/**
 * The standing fallback capacity of a group: the lowest FC over the horizon (or the safe limit where FC is
 * silent). Standing station limits are computed from it, so they hold whatever happens after we lose contact.
 */
export function standingCapacityA(fallback: readonly CapacityBlock[], fromMs: number, toMs: number, safeLimitA: number): PhaseCurrentsA {
  const segments = capacityInForce({ fromMs, toMs, peerOnline: false, consumption: [], fallback, safeLimitA });
  return segments.reduce<PhaseCurrentsA>((low, s) => minCurrents(low, s.limitA), [Infinity, Infinity, Infinity]);
}

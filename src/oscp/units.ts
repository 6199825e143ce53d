// OSCP capacity units ↔ amps per phase (digest §8, §13): ForecastedBlocks in, CapacityBlocks out, and back.
// `A` is per phase; `W`/`KW` are power over the phases the block names; `WH`/`KWH` are energy per block (average power).
import type { CapacityBlock } from '../domain/capacity';
import { ampsToWatts, wattsToAmps, type PhaseCurrentsA } from '../domain/electrical';
import type { ForecastedBlock, ForecastedBlockUnit, PhaseIndicator } from './schemas';
import { toWireTime, wireTimeMs } from './wire-time';

/** What unit conversion needs to know about a group. */
export interface GroupElectrics {
  readonly phaseVoltageV: number;
  readonly phases: 1 | 3;
}

const HOUR_MS = 3_600_000;

/** Index of the single phase a block names, or undefined for the whole group (`ALL`, and `UNKNOWN` read as `ALL`). */
function singlePhase(phase: PhaseIndicator): 0 | 1 | 2 | undefined {
  if (phase === 'ONE') return 0;
  if (phase === 'TWO') return 1;
  if (phase === 'THREE') return 2;
  return undefined;
}

/** Average power a block allows, W; energy units spread over the block's length. */
function blockPowerW(capacity: number, unit: 'W' | 'KW' | 'WH' | 'KWH', durationMs: number): number {
  if (unit === 'W') return capacity;
  if (unit === 'KW') return capacity * 1000;
  const energyWh = unit === 'WH' ? capacity : capacity * 1000;
  return energyWh / (durationMs / HOUR_MS);
}

/** Amps on each phase the block names (all of the group's for `ALL`), whatever its unit; may be Infinity (1e308 kW). */
export function blockPhaseA(block: ForecastedBlock, group: GroupElectrics): number {
  if (block.unit === 'A') return block.capacity;
  const durationMs = wireTimeMs(block.end_time) - wireTimeMs(block.start_time);
  const phases = singlePhase(block.phase) === undefined ? group.phases : 1;
  return wattsToAmps(blockPowerW(block.capacity, block.unit, durationMs), phases, group.phaseVoltageV);
}

/**
 * Per-phase amps one block allows. `ALL` in power units is spread evenly over the group's phases — at most
 * the block's power in total, whatever the balance (conservative for a sum limit).
 */
export function blockLimitA(block: ForecastedBlock, group: GroupElectrics): PhaseCurrentsA {
  const phase = singlePhase(block.phase);
  const perPhaseA = blockPhaseA(block, group);
  if (phase === undefined) return [perPhaseA, perPhaseA, perPhaseA];
  const limit: [number, number, number] = [Infinity, Infinity, Infinity];
  limit[phase] = perPhaseA;
  return limit;
}

/** A min-heap of [key, endMs] pairs with lazy removal: entries that ended are dropped when they reach the top. */
class EndingMinHeap {
  private readonly items: [number, number][] = [];

  push(key: number, endMs: number): void {
    const items = this.items;
    items.push([key, endMs]);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as [number, number])[0] <= key) break;
      [items[i], items[parent]] = [items[parent] as [number, number], items[i] as [number, number]];
      i = parent;
    }
  }

  /** The least key of the entries still running at `atMs` (endMs > atMs), or undefined if none is. */
  minAt(atMs: number): number | undefined {
    const items = this.items;
    while (items.length > 0 && (items[0] as [number, number])[1] <= atMs) {
      const last = items.pop() as [number, number];
      if (items.length === 0) break;
      items[0] = last;
      for (let i = 0; ;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && (items[right] as [number, number])[0] < (items[left] as [number, number])[0] ? right : left;
        if ((items[child] as [number, number])[0] >= (items[i] as [number, number])[0]) break;
        [items[i], items[child]] = [items[child] as [number, number], items[i] as [number, number]];
        i = child;
      }
    }
    return items.length > 0 ? (items[0] as [number, number])[0] : undefined;
  }
}

/**
 * The blocks of one message as sorted, non-overlapping stretches in amps per phase. Blocks of different
 * phases (ONE/TWO/THREE) over the same time combine into one stretch; where blocks overlap the lower limit
 * wins. Times no block covers are left out (they keep what earlier forecasts said). A phase no block constrains is
 * `Infinity`. Sort and sweep, O(n log n): a 1 MB forecast (8,000 blocks) must not hold the event loop (issue #17).
 */
export function normaliseBlocks(blocks: readonly ForecastedBlock[], group: GroupElectrics): CapacityBlock[] {
  const spans = blocks
    .map((block) => ({ startMs: wireTimeMs(block.start_time), endMs: wireTimeMs(block.end_time), limitA: blockLimitA(block, group) }))
    .sort((a, b) => a.startMs - b.startMs);
  const cuts = [...new Set(spans.flatMap((s) => [s.startMs, s.endMs]))].sort((a, b) => a - b);
  // Every span running at a cut, by its end (does any cover it?), and per phase by its limit (the lowest wins).
  const covering = new EndingMinHeap();
  const phases = [new EndingMinHeap(), new EndingMinHeap(), new EndingMinHeap()] as const;
  const out: CapacityBlock[] = [];
  let next = 0;
  for (let c = 0; c + 1 < cuts.length; c++) {
    const startMs = cuts[c] as number;
    const endMs = cuts[c + 1] as number;
    for (; next < spans.length && (spans[next] as (typeof spans)[number]).startMs <= startMs; next++) {
      const span = spans[next] as (typeof spans)[number];
      covering.push(span.endMs, span.endMs);
      span.limitA.forEach((a, p) => {
        if (a !== Infinity) phases[p as 0 | 1 | 2].push(a, span.endMs);
      });
    }
    // Cuts include every end, so a span running at startMs covers the whole of [startMs, endMs).
    if (covering.minAt(startMs) === undefined) continue;
    const limitA: PhaseCurrentsA = [
      phases[0].minAt(startMs) ?? Infinity,
      phases[1].minAt(startMs) ?? Infinity,
      phases[2].minAt(startMs) ?? Infinity,
    ];
    out.push({ startMs, endMs, limitA });
  }
  return out;
}

/** Three decimals: 1 W in KW, 1 mA in A; never below zero (schema minimum). */
const round = (value: number): number => Math.max(0, Math.round(value * 1000) / 1000);

function capacityIn(unit: ForecastedBlockUnit, perPhaseA: number, phases: number, group: GroupElectrics, durationMs: number): number {
  if (unit === 'A') return round(perPhaseA);
  const powerW = ampsToWatts(perPhaseA, phases, group.phaseVoltageV);
  if (unit === 'W') return round(powerW);
  if (unit === 'KW') return round(powerW / 1000);
  const energyWh = powerW * (durationMs / HOUR_MS);
  return round(unit === 'WH' ? energyWh : energyWh / 1000);
}

/**
 * CapacityBlocks (amps per phase) as ForecastedBlocks in `unit`: one `ALL` block where the phases agree
 * (or the group has one phase), else one block per phase. Unconstrained (non-finite) phases are left out.
 */
export function toForecastedBlocks(blocks: readonly CapacityBlock[], group: GroupElectrics, unit: ForecastedBlockUnit): ForecastedBlock[] {
  const out: ForecastedBlock[] = [];
  for (const { startMs, endMs, limitA } of blocks) {
    if (endMs <= startMs) continue;
    const times = { start_time: toWireTime(startMs), end_time: toWireTime(endMs) };
    const [l1, l2, l3] = limitA;
    if (group.phases === 1 || (l1 === l2 && l2 === l3)) {
      if (Number.isFinite(l1))
        out.push({ capacity: capacityIn(unit, l1, group.phases, group, endMs - startMs), phase: 'ALL', unit, ...times });
      continue;
    }
    (['ONE', 'TWO', 'THREE'] as const).forEach((phase, i) => {
      const phaseA = limitA[i] ?? Infinity;
      if (Number.isFinite(phaseA)) out.push({ capacity: capacityIn(unit, phaseA, 1, group, endMs - startMs), phase, unit, ...times });
    });
  }
  return out;
}

// OSCP capacity units ↔ amps per phase (digest §8, §13): ForecastedBlocks in, CapacityBlocks out, and back.
// `A` is per phase; `W`/`KW` are power over the phases the block names; `WH`/`KWH` are energy per block (average power).
import type { CapacityBlock } from '../domain/capacity';
import { ampsToWatts, minCurrents, wattsToAmps, type PhaseCurrentsA } from '../domain/electrical';
import type { ForecastedBlock, ForecastedBlockUnit, PhaseIndicator } from './schemas';
import { toWireTime, wireTimeMs } from './wire-time';

/** What unit conversion needs to know about a group. */
export interface GroupElectrics {
  readonly phaseVoltageV: number;
  readonly phases: 1 | 3;
}

const HOUR_MS = 3_600_000;
const UNCONSTRAINED: PhaseCurrentsA = [Infinity, Infinity, Infinity];

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

/**
 * Per-phase amps one block allows. `ALL` in power units is spread evenly over the group's phases — at most
 * the block's power in total, whatever the balance (conservative for a sum limit).
 */
export function blockLimitA(block: ForecastedBlock, group: GroupElectrics): PhaseCurrentsA {
  const startMs = wireTimeMs(block.start_time);
  const endMs = wireTimeMs(block.end_time);
  const phase = singlePhase(block.phase);
  const perPhaseA =
    block.unit === 'A'
      ? block.capacity
      : wattsToAmps(blockPowerW(block.capacity, block.unit, endMs - startMs), phase === undefined ? group.phases : 1, group.phaseVoltageV);
  if (phase === undefined) return [perPhaseA, perPhaseA, perPhaseA];
  const limit: [number, number, number] = [Infinity, Infinity, Infinity];
  limit[phase] = perPhaseA;
  return limit;
}

/**
 * The blocks of one message as sorted, non-overlapping stretches in amps per phase. Blocks of different
 * phases (ONE/TWO/THREE) over the same time combine into one stretch; where blocks overlap the lower limit
 * wins. Times no block covers are left out (they keep what earlier forecasts said). A phase no block constrains is
 * `Infinity`.
 */
export function normaliseBlocks(blocks: readonly ForecastedBlock[], group: GroupElectrics): CapacityBlock[] {
  const spans = blocks.map((block) => ({
    startMs: wireTimeMs(block.start_time),
    endMs: wireTimeMs(block.end_time),
    limitA: blockLimitA(block, group),
  }));
  const cuts = [...new Set(spans.flatMap((s) => [s.startMs, s.endMs]))].sort((a, b) => a - b);
  const out: CapacityBlock[] = [];
  let startMs: number | undefined;
  for (const endMs of cuts) {
    if (startMs !== undefined) {
      let limitA: PhaseCurrentsA | undefined;
      for (const span of spans)
        if (span.startMs <= startMs && span.endMs >= endMs) limitA = minCurrents(limitA ?? UNCONSTRAINED, span.limitA);
      if (limitA) out.push({ startMs, endMs, limitA });
    }
    startMs = endMs;
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

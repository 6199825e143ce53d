// UpdateGroupCapacityForecast in (digest §7, §13): validate, check the group, append to store.forecasts and the
// book in the same request (before the 204), forward CP forecasts to Capacity Optimizers. Also replays the log on start.
import { z } from 'zod';
import type { GroupId } from '../domain/group';
import type { Logger } from '../observability/log';
import type { PeerRecord, Store } from '../core/ports';
import type { GroupSettings } from './config';
import { BadRequestError, UnknownGroupError } from './errors';
import type { OscpEvents } from './events';
import type { ForecastBook } from './forecast-book';
import type { OutboxDelivery } from './outbox';
import type { PeerRegistry } from './peer-registry';
import { describeIssues, ForecastedBlock, UpdateGroupCapacityForecast } from './schemas';
import { blockPhaseA, normaliseBlocks } from './units';
import { toWireTime, wireTimeMs } from './wire-time';

/** What a forecast may hold (oscp.forecastHorizonDays, oscp.maxForecastBlocks). */
export interface ForecastLimits {
  /** Blocks must start at most this long before now and end at most this long after it. */
  readonly horizonMs: number;
  readonly maxBlocks: number;
}

export const DEFAULT_FORECAST_LIMITS: ForecastLimits = { horizonMs: 7 * 86_400_000, maxBlocks: 10_000 };

export interface ForecastIntakeDeps {
  readonly book: ForecastBook;
  readonly store: Pick<Store, 'forecasts' | 'transaction'>;
  readonly registry: PeerRegistry;
  readonly outbox: OutboxDelivery;
  readonly groups: ReadonlyMap<GroupId, GroupSettings>;
  readonly events: OscpEvents;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly limits?: ForecastLimits;
}

const StoredBlocks = z.array(ForecastedBlock).min(1);
const FORWARDABLE = new Set(['REGISTERED', 'CONNECTED', 'OFFLINE']);

export class ForecastIntake {
  constructor(private readonly deps: ForecastIntakeDeps) {}

  /** Throws 400 (body, or a non-OPTIMUM type from an optimizer) or 404 (group not served for this peer). */
  accept(peer: PeerRecord, requestId: string, body: unknown): void {
    const limits = this.deps.limits ?? DEFAULT_FORECAST_LIMITS;
    // Counted before the schema walks them: the body limit (1 MB) bounds the array, this bounds the work behind it.
    const count = countBlocks(body);
    if (count > limits.maxBlocks)
      this.refuse(peer, requestId, body, `forecasted_blocks: ${count} blocks, at most ${limits.maxBlocks} (oscp.maxForecastBlocks)`);
    const parsed = UpdateGroupCapacityForecast.safeParse(body);
    if (!parsed.success) throw new BadRequestError(`invalid UpdateGroupCapacityForecast: ${describeIssues(parsed.error)}`);
    const forecast = parsed.data;
    const group = this.deps.groups.get(forecast.group_id);
    if (peer.role === 'CO') {
      if (forecast.type !== 'OPTIMUM')
        throw new BadRequestError(`type ${forecast.type}: a Capacity Optimizer may only send OPTIMUM forecasts`);
      if (!group) throw new UnknownGroupError(`unknown group_id "${forecast.group_id}"`);
    } else if (!group || group.peerId !== peer.peerId) {
      throw new UnknownGroupError(`unknown group_id "${forecast.group_id}" for peer ${peer.peerId}`);
    }
    const problem = blockProblem(forecast, group, this.deps.nowMs(), limits);
    if (problem) this.refuse(peer, requestId, body, problem);
    const blocks = normaliseBlocks(forecast.forecasted_blocks, group);
    const endMs = Math.max(...forecast.forecasted_blocks.map((b) => wireTimeMs(b.end_time)));
    // The same identity goes to the log of record and to the book.
    const identity = { groupId: group.id, type: forecast.type, requestId, peerId: peer.peerId };
    this.deps.store.transaction(() => {
      this.deps.store.forecasts.append({
        ...identity,
        receivedAt: toWireTime(this.deps.nowMs()),
        blocks: forecast.forecasted_blocks,
        endsAt: toWireTime(endMs),
      });
      if (peer.role === 'CP') this.forwardToOptimizers(requestId, forecast);
    });
    this.deps.book.apply({ ...identity, unit: forecast.forecasted_blocks[0]?.unit ?? 'A', blocks });
    this.deps.logger.info('capacity forecast accepted', {
      peer: peer.peerId,
      groupId: group.id,
      type: forecast.type,
      requestId,
      blocks: forecast.forecasted_blocks.length,
    });
    this.deps.events.emit('forecastChanged', { groupId: group.id, type: forecast.type, requestId });
  }

  /** Logs what was refused (never the whole body) and answers 400; nothing was changed. */
  private refuse(peer: PeerRecord, requestId: string, body: unknown, problem: string): never {
    const groupId = typeof body === 'object' && body !== null && 'group_id' in body ? String(body.group_id).slice(0, 64) : undefined;
    this.deps.logger.warn('capacity forecast refused', { peer: peer.peerId, groupId, requestId, problem });
    throw new BadRequestError(`invalid UpdateGroupCapacityForecast: ${problem}`);
  }

  replay(): number {
    return replayForecasts(this.deps);
  }

  /** Drops forecasts that ended before `endedBeforeMs` from the book and the store. */
  prune(endedBeforeMs: number): void {
    const stretches = this.deps.book.prune(endedBeforeMs);
    const records = this.deps.store.forecasts.prune(toWireTime(endedBeforeMs));
    if (stretches || records) this.deps.logger.debug('old forecasts pruned', { stretches, records });
  }

  /** With a CO: every CP forecast goes on unchanged, under the CP's X-Request-ID (as SolarNetwork does, §13). */
  private forwardToOptimizers(requestId: string, forecast: UpdateGroupCapacityForecast): void {
    for (const peer of this.deps.registry.list()) {
      if (peer.role !== 'CO' || !FORWARDABLE.has(peer.state)) continue;
      this.deps.outbox.enqueue({ peerId: peer.peerId, path: 'update_group_capacity_forecast', requestId, body: forecast });
    }
  }
}

function countBlocks(body: unknown): number {
  if (typeof body !== 'object' || body === null || !('forecasted_blocks' in body)) return 0;
  return Array.isArray(body.forecasted_blocks) ? body.forecasted_blocks.length : 0;
}

/**
 * The first block that passes the schema but makes no sense for this group: times outside the horizon around now, or a
 * capacity above the group's physical maximum (in amps per phase, whatever the unit). Undefined when all are fine.
 */
function blockProblem(
  forecast: UpdateGroupCapacityForecast,
  group: GroupSettings,
  nowMs: number,
  limits: ForecastLimits,
): string | undefined {
  const days = Math.round((limits.horizonMs / 86_400_000) * 100) / 100;
  for (const [i, block] of forecast.forecasted_blocks.entries()) {
    if (wireTimeMs(block.start_time) < nowMs - limits.horizonMs)
      return `forecasted_blocks[${i}].start_time: ${block.start_time} is more than ${days} days in the past (oscp.forecastHorizonDays)`;
    if (wireTimeMs(block.end_time) > nowMs + limits.horizonMs)
      return `forecasted_blocks[${i}].end_time: ${block.end_time} is more than ${days} days ahead (oscp.forecastHorizonDays)`;
    const perPhaseA = blockPhaseA(block, group);
    if (!(perPhaseA <= group.maxCapacityA))
      return `forecasted_blocks[${i}].capacity: ${block.capacity} ${block.unit} is ${Number.isFinite(perPhaseA) ? `${Math.round(perPhaseA)} A per phase` : 'unbounded'}, above groups[].maxCapacityA ${group.maxCapacityA} A of group ${group.id}`;
  }
  return undefined;
}

/** Rebuilds the book from store.forecasts (those not yet ended), oldest first; returns how many were applied. */
export function replayForecasts(deps: Pick<ForecastIntakeDeps, 'book' | 'store' | 'groups' | 'nowMs' | 'logger'>): number {
  let applied = 0;
  for (const record of deps.store.forecasts.list({ endsAfter: toWireTime(deps.nowMs()) })) {
    const group = deps.groups.get(record.groupId);
    const blocks = StoredBlocks.safeParse(record.blocks);
    if (!group || !blocks.success) {
      deps.logger.warn('stored forecast skipped on replay', { groupId: record.groupId, requestId: record.requestId });
      continue;
    }
    deps.book.apply({
      groupId: group.id,
      type: record.type,
      requestId: record.requestId,
      peerId: record.peerId,
      unit: blocks.data[0]?.unit ?? 'A',
      blocks: normaliseBlocks(blocks.data, group),
    });
    applied += 1;
  }
  return applied;
}

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
import { normaliseBlocks } from './units';
import { toWireTime, wireTimeMs } from './wire-time';

export interface ForecastIntakeDeps {
  readonly book: ForecastBook;
  readonly store: Pick<Store, 'forecasts' | 'transaction'>;
  readonly registry: PeerRegistry;
  readonly outbox: OutboxDelivery;
  readonly groups: ReadonlyMap<GroupId, GroupSettings>;
  readonly events: OscpEvents;
  readonly nowMs: () => number;
  readonly logger: Logger;
}

const StoredBlocks = z.array(ForecastedBlock).min(1);
const FORWARDABLE = new Set(['REGISTERED', 'CONNECTED', 'OFFLINE']);

export class ForecastIntake {
  constructor(private readonly deps: ForecastIntakeDeps) {}

  /** Throws 400 (body, or a non-OPTIMUM type from an optimizer) or 404 (group not served for this peer). */
  accept(peer: PeerRecord, requestId: string, body: unknown): void {
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

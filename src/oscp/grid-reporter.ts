// core's GridReporter over OSCP: GroupCapacityComplianceError (X-Correlation-ID = the forecast's X-Request-ID)
// and AdjustGroupCapacityForecast, queued in the persistent outbox, in the unit the peer itself used.
import type { CapacityBlock } from '../domain/capacity';
import type { GroupId } from '../domain/group';
import type { GridReporter } from '../core/ports';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { GroupSettings } from './config';
import type { ForecastBook } from './forecast-book';
import type { OutboxDelivery } from './outbox';
import type { PeerRegistry } from './peer-registry';
import type { AdjustGroupCapacityForecast, GroupCapacityComplianceError } from './schemas';
import { toForecastedBlocks } from './units';

export interface OscpGridReporterDeps {
  readonly book: ForecastBook;
  readonly registry: PeerRegistry;
  readonly outbox: OutboxDelivery;
  readonly groups: ReadonlyMap<GroupId, GroupSettings>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class OscpGridReporter implements GridReporter {
  constructor(private readonly deps: OscpGridReporterDeps) {}

  complianceError(groupId: GroupId, forecastRequestId: string, message: string, blocks: readonly CapacityBlock[]): void {
    const group = this.deps.groups.get(groupId);
    const forecast = this.deps.book.forecast(forecastRequestId);
    const peerId = forecast?.peerId ?? group?.peerId;
    if (!group || !this.sendable(peerId, 'group_capacity_compliance_error', groupId)) return;
    const forecastedBlocks = toForecastedBlocks(blocks, group, forecast?.unit ?? 'A');
    const body: GroupCapacityComplianceError = {
      message: message.trim() || `group ${groupId} cannot comply with forecast ${forecastRequestId}`,
      ...(forecastedBlocks.length ? { forecasted_blocks: forecastedBlocks } : {}),
    };
    this.deps.outbox.enqueue({ peerId, path: 'group_capacity_compliance_error', correlationId: forecastRequestId, body });
    this.deps.outbox.kick();
  }

  adjustForecast(groupId: GroupId, blocks: readonly CapacityBlock[]): void {
    const group = this.deps.groups.get(groupId);
    const peerId = group?.peerId;
    if (!group || !this.sendable(peerId, 'adjust_group_capacity_forecast', groupId)) return;
    const forecastedBlocks = toForecastedBlocks(blocks, group, this.deps.book.unitOf(groupId, 'CONSUMPTION') ?? 'A');
    if (!forecastedBlocks.length) {
      this.deps.logger.warn('adjust request without blocks not sent', { groupId });
      return;
    }
    const body: AdjustGroupCapacityForecast = { group_id: groupId, type: 'CONSUMPTION', forecasted_blocks: forecastedBlocks };
    this.deps.outbox.enqueue({ peerId, path: 'adjust_group_capacity_forecast', body });
    this.deps.outbox.kick();
  }

  /** Only a registered Capacity Provider can receive these; anything else is logged and counted, not queued. */
  private sendable(peerId: string | undefined, type: string, groupId: GroupId): peerId is string {
    const peer = peerId === undefined ? undefined : this.deps.registry.get(peerId);
    if (peer && peer.role === 'CP' && peer.state !== 'UNREGISTERED') return true;
    this.deps.metrics.oscpMessages.inc({ direction: 'out', type, status: 'dropped' });
    this.deps.logger.warn('grid report dropped: the group has no registered Capacity Provider', { groupId, type, peer: peerId });
    return false;
  }
}

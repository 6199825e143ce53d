// Energy reports on each peer's cadence (digest §7, §15 item 10): UpdateGroupMeasurements to a CP for its groups,
// UpdateAssetMeasurements (one CHARGING asset per group) to a CO. Always one item, zero when nothing was used.
import { z } from 'zod';
import type { ScheduleScope } from '../core/scheduler';
import type { GroupId } from '../domain/group';
import type { Logger } from '../observability/log';
import type { KeyValueRepository, PeerRecord, Store } from '../core/ports';
import type { GroupSettings } from './config';
import type { OutboxDelivery } from './outbox';
import type { PeerRegistry } from './peer-registry';
import type { EnergyMeasurement, UpdateAssetMeasurements, UpdateGroupMeasurements } from './schemas';
import { toWireTime } from './wire-time';

export interface MeasurementDeps {
  readonly registry: PeerRegistry;
  readonly outbox: OutboxDelivery;
  readonly timers: ScheduleScope;
  readonly kv: KeyValueRepository;
  readonly store: Pick<Store, 'transaction'>;
  readonly groups: readonly GroupSettings[];
  /** Monotonic energy register of a group, Wh. */
  readonly groupEnergyWh: (groupId: GroupId) => number;
  readonly nowMs: () => number;
  readonly logger: Logger;
}

/** Register value and time of the last report to a peer: the start of the next INTERMITTENT period. */
const Baseline = z.object({ wh: z.number(), atMs: z.number() });
type Baseline = z.infer<typeof Baseline>;

const REPORTING = new Set(['CONNECTED', 'OFFLINE']);
const baselineKey = (peerId: string, groupId: GroupId): string => `oscp:measurement-baseline:${peerId}:${groupId}`;
const kwh = (wh: number): number => Math.round(wh) / 1000;

export class MeasurementReporter {
  constructor(private readonly deps: MeasurementDeps) {}

  /** Seeds missing baselines and arms each peer's first report at its next interval boundary (UTC-aligned). */
  start(): void {
    const now = this.deps.nowMs();
    for (const peer of this.deps.registry.list()) {
      for (const group of this.groupsOf(peer))
        if (!this.baseline(peer.peerId, group.id)) this.saveBaseline(peer.peerId, group.id, { wh: this.registerWh(group.id), atMs: now });
      this.scheduleNext(peer.peerId);
    }
  }

  /** Queues one report per group of the peer, if the link is up (or OFFLINE: they wait in the outbox). */
  report(peerId: string): void {
    const peer = this.deps.registry.get(peerId);
    if (!peer || !REPORTING.has(peer.state)) return;
    const intermittent = peer.measurementConfiguration.includes('INTERMITTENT');
    // Baseline and queued report move together, so a crash neither loses nor double-counts a period.
    this.deps.store.transaction(() => this.queueReports(peer, intermittent));
    this.deps.outbox.kick();
  }

  private queueReports(peer: PeerRecord, intermittent: boolean): void {
    for (const group of this.groupsOf(peer)) {
      const measurement = this.measure(peer.peerId, group.id, intermittent);
      const body: UpdateGroupMeasurements | UpdateAssetMeasurements =
        peer.role === 'CP'
          ? { group_id: group.id, measurements: [measurement] }
          : { group_id: group.id, measurements: [{ asset_id: group.id, asset_category: 'CHARGING', energy_measurement: measurement }] };
      this.deps.outbox.enqueue({
        peerId: peer.peerId,
        path: peer.role === 'CP' ? 'update_group_measurements' : 'update_asset_measurements',
        body,
      });
    }
  }

  /**
   * CONTINUOUS: the cumulative register (ELMO). INTERMITTENT: energy since the last report with
   * `initial_measure_time` = that report's time (SolarNetwork). kWh, IMPORT, all phases.
   */
  private measure(peerId: string, groupId: GroupId, intermittent: boolean): EnergyMeasurement {
    const now = this.deps.nowMs();
    const totalWh = this.registerWh(groupId);
    const since = this.baseline(peerId, groupId) ?? { wh: totalWh, atMs: now };
    this.saveBaseline(peerId, groupId, { wh: totalWh, atMs: now });
    const common = { phase: 'ALL', unit: 'KWH', direction: 'IMPORT', energy_type: 'TOTAL', measure_time: toWireTime(now) } as const;
    return intermittent
      ? { ...common, value: kwh(Math.max(0, totalWh - since.wh)), initial_measure_time: toWireTime(since.atMs) }
      : { ...common, value: kwh(totalWh) };
  }

  private scheduleNext(peerId: string): void {
    const intervalMs = (this.deps.registry.settings(peerId)?.measurementIntervalS ?? 0) * 1000;
    if (intervalMs <= 0) return;
    const nextMs = (Math.floor(this.deps.nowMs() / intervalMs) + 1) * intervalMs;
    this.deps.timers.schedule(`measurements:${peerId}`, nextMs, () => {
      this.scheduleNext(peerId);
      this.report(peerId);
    });
  }

  /** A CP gets the groups it serves; a CO gets every group. */
  private groupsOf(peer: PeerRecord): readonly GroupSettings[] {
    return peer.role === 'CO' ? this.deps.groups : this.deps.groups.filter((g) => g.peerId === peer.peerId);
  }

  private registerWh(groupId: GroupId): number {
    const value = this.deps.groupEnergyWh(groupId);
    return Number.isFinite(value) && value > 0 ? value : 0;
  }

  private baseline(peerId: string, groupId: GroupId): Baseline | undefined {
    return Baseline.safeParse(this.deps.kv.get(baselineKey(peerId, groupId))).data;
  }

  private saveBaseline(peerId: string, groupId: GroupId, baseline: Baseline): void {
    this.deps.kv.set(baselineKey(peerId, groupId), baseline);
  }
}

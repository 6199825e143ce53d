// The application core: one GroupController per group, the fleet view, the lease ledger and the one scheduler.
// Adapters call the `on…` methods with what happened; main.ts binds the ports to OSCP, OCPP and the allocator.
import { OverdrawWatch } from './overdraw';
import { z } from 'zod';
import type { GroupId, GroupLayout } from '../domain/group';
import type { ChargingSession } from '../domain/session';
import type { StationId } from '../domain/station';
import { Fleet, type FleetStation } from './fleet';
import { GroupController, type GroupControllerDeps } from './group-controller';
import { groupView, planCounts, type GroupCount, type GroupState, type GroupView } from './group-load';
import { GroupEnergyRegister } from './group-energy';
import { LeaseLedger, LedgerSnapshot } from './lease-ledger';
import { Overrides, type Override } from './overrides';
import type {
  AppliedPlan,
  CoreQueries,
  GridInbound,
  KeyValueRepository,
  LedgerRow,
  OperatorCommands,
  PlanRepository,
  StationCommands,
  StationInbound,
} from './ports';

export interface ControlledGroup extends GroupLayout {
  readonly peerId?: string;
  readonly leaseS: number;
}

/**
 * What every group controller is given, except the parts the provider owns itself (fleet, ledger, overrides, saving)
 * and the station commands, which the OCPP adapter provides once it runs (`start`).
 */
export interface FlexibilityProviderDeps extends Omit<GroupControllerDeps, 'fleet' | 'ledger' | 'overrides' | 'persist' | 'commands'> {
  readonly groups: readonly ControlledGroup[];
  readonly kv: KeyValueRepository;
  /** The groups' energy registers (shared with the OSCP adapter's measurements); one on `kv` if not given. */
  readonly energy?: GroupEnergyRegister;
  /** Where each group's lease ledger is kept across restarts (invariant 3): what the stations may still draw. */
  readonly plans?: PlanRepository;
  readonly horizonMs?: number;
  readonly coalesceMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Built first (the adapters are started with it as their inbound port), then started with the station commands:
 * events before `start` update the fleet and the ledger, and `start` plans every group once.
 */
export class FlexibilityProvider implements StationInbound, GridInbound, CoreQueries, OperatorCommands {
  readonly fleet = new Fleet();
  readonly ledger = new LeaseLedger();
  readonly energy: GroupEnergyRegister;
  readonly overrides: Overrides;
  private readonly controllers = new Map<GroupId, GroupController>();
  private readonly groupsByPeer = new Map<string, GroupId[]>();
  /** Ledger entries saved by a previous run, applied when their station is first seen again. */
  private readonly restored = new Map<StationId, LedgerSnapshot>();
  private readonly overdraw = new OverdrawWatch();
  /** The OCPP adapter's commands, once it runs (`start`). */
  private commands: StationCommands | undefined;

  constructor(private readonly deps: FlexibilityProviderDeps) {
    this.energy = deps.energy ?? new GroupEnergyRegister(deps.kv);
    this.overrides = new Overrides(deps.kv, deps.nowMs);
    for (const group of deps.groups) {
      for (const snapshot of this.readSaved(group.id)) this.restored.set(snapshot.stationId, snapshot);
      if (group.peerId) this.groupsByPeer.set(group.peerId, [...(this.groupsByPeer.get(group.peerId) ?? []), group.id]);
    }
  }

  /**
   * The ledger a previous run saved for the group: one row per station (or, from a store no migration could move,
   * the whole-group document). An entry that does not parse is not acted on: its station counts as unknown (at its
   * maximum, the safe side) — and it is said loudly, naming the group, the station and the field.
   */
  private readSaved(groupId: GroupId): LedgerSnapshot[] {
    const plans = this.deps.plans;
    if (!plans) return [];
    const rows = plans.ledgerOf(groupId);
    if (rows.length === 0) return this.readLegacy(groupId, plans);
    return rows.flatMap((row) => {
      const parsed = LedgerSnapshot.safeParse(row.entry);
      if (parsed.success && parsed.data.stationId === row.stationId) return [parsed.data];
      this.corrupt(groupId, 'ledger_entries', parsed.success ? undefined : parsed.error.issues[0], row.stationId);
      return [];
    });
  }

  private readLegacy(groupId: GroupId, plans: PlanRepository): LedgerSnapshot[] {
    const saved = plans.get(groupId);
    if (!saved) return [];
    const parsed = SavedLedger.safeParse(saved.plan);
    if (parsed.success) return parsed.data.ledger;
    this.corrupt(groupId, 'plans', parsed.error.issues[0]);
    return [];
  }

  private corrupt(groupId: GroupId, table: string, issue: z.ZodIssue | undefined, stationId?: StationId): void {
    this.deps.logger.error('saved lease ledger is corrupt: not used, its stations count at their maximum until they acknowledge a limit', {
      groupId,
      ...(stationId !== undefined && { stationId }),
      table,
      field: issue ? issue.path.join('.') : undefined,
      problem: issue?.message ?? 'entry of another station',
    });
  }

  /** The OCPP adapter runs: one controller per group drives its stations through `commands`; each plans once now. */
  start(commands: StationCommands): void {
    const { deps } = this;
    this.commands = commands;
    for (const group of deps.groups) {
      const controller = new GroupController(
        {
          layout: {
            id: group.id,
            phaseVoltageV: group.phaseVoltageV,
            phases: group.phases,
            safetyMarginA: group.safetyMarginA,
            safeLimitA: group.safeLimitA,
          },
          leaseMs: group.leaseS * 1000,
          horizonMs: deps.horizonMs ?? DAY_MS,
          coalesceMs: deps.coalesceMs ?? 200,
        },
        {
          ...deps,
          commands,
          fleet: this.fleet,
          ledger: this.ledger,
          overrides: this.overrides,
          persist: () => this.persist(),
        },
      );
      this.controllers.set(group.id, controller);
      controller.markDirty('start');
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.controllers.values()].map((c) => c.stop()));
  }

  controller(groupId: GroupId): GroupController | undefined {
    return this.controllers.get(groupId);
  }

  plan(groupId: GroupId): AppliedPlan | undefined {
    return this.controllers.get(groupId)?.plan;
  }

  /** Read side: the group at `atMs` as core counts it (capacity, allocated, uncontrolled, headroom, each station and why). */
  view(groupId: GroupId, atMs: number): GroupView | undefined {
    const state = this.groupState(groupId);
    return state && groupView(state, atMs);
  }

  /** Read side: the same count per block of the plan in force. */
  planCounts(groupId: GroupId): GroupCount[] {
    const state = this.groupState(groupId);
    return state ? planCounts(state) : [];
  }

  private groupState(groupId: GroupId): GroupState | undefined {
    const controller = this.controllers.get(groupId);
    if (!controller) return undefined;
    return { layout: controller.layout, fleet: this.fleet, ledger: this.ledger, plan: controller.plan, source: controller.capacitySource };
  }

  /** Sets or replaces an operator override and reallocates what it touches. */
  setOverride(override: Override): void {
    this.overrides.set(override);
    this.reallocateFor(override);
    // When it expires, the plan must change back: one keyed deadline, replaced if the override is set again.
    const target =
      override.kind === 'group-cap' ? override.groupId : override.kind === 'station-pause' ? override.stationId : override.transactionId;
    this.deps.scheduler.schedule(`override:${override.kind}:${target}`, override.expiresAtMs, () => this.reallocateFor(override));
  }

  removeOverride(override: Override): boolean {
    const removed = this.overrides.remove(override);
    if (removed) this.reallocateFor(override);
    return removed;
  }

  private reallocateFor(override: Override): void {
    if (override.kind === 'group-cap') this.dirty(override.groupId, 'override', true);
    else if (override.kind === 'station-pause') {
      const station = this.fleet.station(override.stationId);
      if (station) this.dirty(station.groupId, 'override');
    } else {
      const session = this.fleet.session(override.transactionId);
      if (session) this.dirty(session.groupId, 'override');
    }
  }

  onForecastChanged(groupId: GroupId): void {
    this.dirty(groupId, 'forecast changed', true);
  }

  onPeerStateChanged(peerId: string, online: boolean): void {
    for (const groupId of this.groupsByPeer.get(peerId) ?? []) this.dirty(groupId, online ? 'peer online' : 'peer offline', true);
  }

  onStationUpdated(station: FleetStation): void {
    this.ledger.track(station.stationId, station.stationMaxCurrentA);
    const saved = this.restored.get(station.stationId);
    if (saved) {
      this.ledger.restore(saved);
      this.restored.delete(station.stationId);
    }
    for (const groupId of this.fleet.upsertStation(station)) this.dirty(groupId, `station ${station.stationId} changed`);
  }

  onStationConnection(stationId: StationId, connected: boolean): void {
    const station = this.fleet.station(stationId);
    if (!station || station.connected === connected) return;
    station.connected = connected;
    if (connected) this.ledger.reconnected(stationId);
    this.deps.events.emit('stationConnectionChanged', { stationId, groupId: station.groupId, connected, atMs: this.deps.nowMs() });
    this.dirty(station.groupId, connected ? `station ${stationId} connected` : `station ${stationId} disconnected`);
  }

  /** A BootNotification: profiles may be gone, so count the station at its maximum and profile it again. */
  onStationBooted(stationId: StationId): void {
    const station = this.fleet.station(stationId);
    if (!station) return;
    this.ledger.reset(stationId);
    this.controllers.get(station.groupId)?.forgetStation(stationId);
    this.dirty(station.groupId, `station ${stationId} booted`);
  }

  onStationUncontrollable(stationId: StationId): void {
    const station = this.fleet.station(stationId);
    if (!station || !station.controllable) return;
    station.controllable = false;
    this.dirty(station.groupId, `station ${stationId} uncontrollable`);
  }

  /** A session started, changed (phases, state, needs, meter) or ended. Meter-only updates do not reallocate. */
  onSession(session: ChargingSession): void {
    const previous = this.fleet.session(session.transactionId);
    this.watchDraw(session);
    if (session.meterWh !== undefined) {
      if (!previous && session.meterStartWh !== undefined)
        this.energy.baseline(session.transactionId, session.groupId, session.meterStartWh);
      this.energy.record(session.transactionId, session.groupId, session.meterWh);
    }
    this.fleet.updateSession(session);
    if (session.endedAt !== undefined) this.energy.sessionEnded(session.transactionId);
    this.deps.events.emit('sessionChanged', session);
    if (!previous || session.endedAt !== undefined || allocationRelevantChange(previous, session) || this.rampedUp(session)) {
      this.dirty(session.groupId, `session ${session.transactionId}`);
    }
  }

  /**
   * A session read back after a restart: the energy it drew up to its last stored reading is in the group's total
   * already (persisted before the stop), so it counts from that reading on, not from its start.
   */
  onSessionRestored(session: ChargingSession): void {
    if (session.meterWh !== undefined) this.energy.baseline(session.transactionId, session.groupId, session.meterWh);
    this.onSession(session);
  }

  /**
   * A controllable station whose measured draw stays above what it may draw (what it acknowledged; a change in flight
   * at the higher) for a minute ignores its profiles: the adapter records it as uncontrollable, and core counts it at
   * its maximum from then on (field quirk: "Accepted but not applied").
   */
  private watchDraw(session: ChargingSession): void {
    const station = this.fleet.station(session.stationId);
    const drawnA = this.overdraw.measured(session);
    if (!station?.controllable || !station.connected || session.measuredCurrentA === undefined) return;
    const nowMs = this.deps.nowMs();
    if (!this.ledger.acknowledgedAt(station.stationId, nowMs)) return;
    const limitA = this.ledger.assumedLimitA(station.stationId, nowMs);
    if (!this.overdraw.judge(station.stationId, drawnA, limitA, nowMs)) return;
    const reason = `draws ${round1(drawnA)} A per phase, above the ${round1(limitA)} A it acknowledged, for over a minute: it ignores its charging profiles`;
    this.deps.logger.warn('station ignores its limits; counted at its maximum from now on', {
      stationId: station.stationId,
      drawnA: round1(drawnA),
      limitA: round1(limitA),
    });
    this.commands?.distrust?.(station.stationId, reason);
  }

  /** A session lent out its unused capacity and now draws close to its reduced limit: give it back. */
  private rampedUp(session: ChargingSession): boolean {
    const applied = this.plan(session.groupId);
    if (!applied || session.measuredCurrentA === undefined || applied.result.reasons.get(session.transactionId) !== 'lending') return false;
    const limitA = applied.result.limitsA.get(session.transactionId)?.[0];
    return limitA !== undefined && Math.max(...session.measuredCurrentA) >= limitA - 1;
  }

  /**
   * Saves what the ledger changed since the last save — the stations of this batch, and any other change meanwhile —
   * in one transaction; called write-ahead by the controller (invariant 3). Proportional to the change, not the group.
   */
  private persist(): void {
    if (!this.deps.plans) return;
    const changed: LedgerRow[] = [];
    const removed: StationId[] = [];
    for (const stationId of this.ledger.takeUnsaved()) {
      const entry = this.ledger.snapshot(stationId);
      const groupId = this.fleet.station(stationId)?.groupId;
      if (entry && groupId !== undefined) changed.push({ stationId, groupId, entry });
      else removed.push(stationId);
    }
    const bytes = this.deps.plans.saveLedger(changed, removed);
    this.deps.events.emit('ledgerSaved', { rows: changed.length, removed: removed.length, bytes });
  }

  /** A station deleted by the operator: it leaves the fleet and the ledger at once, and its group is replanned. */
  removeStation(stationId: StationId): void {
    const groupId = this.fleet.removeStation(stationId);
    this.overdraw.forget(stationId);
    this.ledger.forget(stationId);
    this.restored.delete(stationId);
    if (groupId) this.dirty(groupId, `station ${stationId} removed`);
  }

  /** `capacityChanged`: planned at once; anything else is churn, coalesced. */
  private dirty(groupId: GroupId, reason: string, capacityChanged = false): void {
    const controller = this.controllers.get(groupId);
    if (controller) controller.markDirty(reason, capacityChanged);
    // Before start there is nothing to replan yet: start plans every group.
    else if (this.controllers.size > 0) this.deps.logger.warn('event for a group that is not configured', { groupId, reason });
  }
}

function allocationRelevantChange(a: ChargingSession, b: ChargingSession): boolean {
  return (
    a.chargingState !== b.chargingState ||
    a.phasesUsed !== b.phasesUsed ||
    a.priority !== b.priority ||
    a.evseId !== b.evseId ||
    JSON.stringify(a.evNeeds) !== JSON.stringify(b.evNeeds)
  );
}

/** A saved ledger record. Records written before the ledger stood alone also carry a `plan`, never read: dropped. */
const SavedLedger = z.object({ ledger: z.array(LedgerSnapshot) });

const round1 = (value: number): number => Math.round(value * 10) / 10;

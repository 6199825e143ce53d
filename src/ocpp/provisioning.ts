// Station provisioning: the stored record of every station (config file, operator API, auto-registration), its
// hashed password, and the facts learnt about it (limits, EVSE count, controllability), each told to core at once.
import type { StationConfig } from '../config/schema';
import type { BootInfo, OcppVersion } from '../domain/station';
import type { Logger } from '../observability/log';
import type { StationRecord, StationRepository } from '../core/ports';
import type { StationInbound } from '../core/ports';
import type { PasswordVerifier } from './passwords';
import { toFleetStation, type StationRegistry, type StationRuntime } from './station-registry';

/** A station configured in the config file or the API; its password is hashed before it reaches the store. */
export type ConfiguredStation = StationConfig;

export interface ProvisioningDeps {
  readonly stations: StationRepository;
  readonly registry: StationRegistry;
  readonly inbound: StationInbound;
  readonly passwords: PasswordVerifier;
  readonly logger: Logger;
}

export class StationProvisioning {
  constructor(private readonly deps: ProvisioningDeps) {}

  /** Stored state first, then the config file's stations on top; core hears of every one before any connects. */
  async restore(configured: readonly ConfiguredStation[]): Promise<void> {
    for (const record of this.deps.stations.list()) this.deps.registry.upsert(record);
    for (const station of configured) await this.upsert(station);
    this.deps.stations.flush();
    for (const runtime of this.deps.registry.all()) this.deps.inbound.onStationUpdated(toFleetStation(runtime));
  }

  /** Stores a record and tells core; returns the station's runtime. */
  save(record: StationRecord): StationRuntime {
    this.deps.stations.upsert(record);
    const runtime = this.deps.registry.upsert(record);
    this.deps.inbound.onStationUpdated(toFleetStation(runtime));
    return runtime;
  }

  /**
   * Adds or updates a station; a new password is hashed, an unchanged one keeps its hash. `durable`: in the file before
   * this resolves (an operator's add is acknowledged only then); otherwise written at the end of the turn.
   */
  async upsert(station: ConfiguredStation, options: { durable?: boolean } = {}): Promise<StationRecord> {
    const existing = this.deps.registry.get(station.id)?.record ?? this.deps.stations.get(station.id);
    const { passwords } = this.deps;
    const keepHash =
      station.password !== undefined && existing?.passwordHash && (await passwords.matches(station.password, existing.passwordHash));
    const passwordHash =
      station.password === undefined ? existing?.passwordHash : keepHash ? existing?.passwordHash : passwords.hash(station.password);
    const record: StationRecord = {
      ...existing,
      stationId: station.id,
      groupId: station.groupId,
      evseMaxCurrentA: station.evseMaxCurrentA,
      stationMaxCurrentA: station.stationMaxCurrentA ?? station.evseMaxCurrentA * station.evseCount,
      evseCount: Math.max(station.evseCount, existing?.evseCount ?? 0),
      phases: station.phases,
      controllable: existing?.controllable ?? true,
      ...(passwordHash !== undefined && { passwordHash }),
    };
    const saved = this.save(record).record;
    if (options.durable) this.deps.stations.flush();
    return saved;
  }

  /** A legacy hash verified: its replacement is stored unless the password changed meanwhile (core is not told). */
  rehashed(stationId: string, from: string, to: string): void {
    const runtime = this.deps.registry.get(stationId);
    if (runtime?.record.passwordHash !== from) return;
    const record = { ...runtime.record, passwordHash: to };
    this.deps.stations.upsert(record);
    this.deps.registry.upsert(record);
  }

  /** Core must count the station at its maximum from now on; returns false if it already was. */
  markUncontrollable(runtime: StationRuntime, reason: string): boolean {
    if (!runtime.record.controllable) return false;
    this.deps.logger.warn('station is uncontrollable; counted at its maximum draw', { stationId: runtime.record.stationId, reason });
    this.save({ ...runtime.record, controllable: false });
    // A safety fact: in the file at once, not at the end of the turn.
    this.deps.stations.flush();
    this.deps.inbound.onStationUncontrollable(runtime.record.stationId);
    return true;
  }

  /** The station reported an EVSE beyond its known count: the count and the station maximum grow with it. */
  evseSeen(runtime: StationRuntime, evseId: number): void {
    const { record } = runtime;
    if (evseId <= record.evseCount) return;
    this.save({ ...record, evseCount: evseId, stationMaxCurrentA: Math.max(record.stationMaxCurrentA, record.evseMaxCurrentA * evseId) });
  }

  /** A boot's vendor, model, serial and firmware, and the connection's OCPP version: stored only when they changed. */
  identified(runtime: StationRuntime, facts: { protocol?: OcppVersion; bootInfo?: BootInfo }): void {
    const { record } = runtime;
    const protocol = facts.protocol ?? record.protocol;
    const bootInfo = facts.bootInfo ?? record.bootInfo;
    if (protocol === record.protocol && sameBootInfo(bootInfo, record.bootInfo)) return;
    this.save({ ...record, ...(protocol !== undefined && { protocol }), ...(bootInfo !== undefined && { bootInfo }) });
  }

  maxProfilesReported(runtime: StationRuntime, maxProfiles: number): void {
    const limits = runtime.record.smartCharging;
    if (limits && limits.maxProfiles !== maxProfiles) this.save({ ...runtime.record, smartCharging: { ...limits, maxProfiles } });
  }

  /** Removes a station for good; its connection, if any, is closed. */
  remove(stationId: string): boolean {
    const runtime = this.deps.registry.remove(stationId);
    if (!runtime) return false;
    this.deps.stations.delete(stationId);
    this.deps.stations.flush();
    void runtime.client?.close({ code: 1008, reason: 'station removed' });
    return true;
  }
}

function sameBootInfo(a: BootInfo | undefined, b: BootInfo | undefined): boolean {
  return (
    a?.vendor === b?.vendor && a?.model === b?.model && a?.serialNumber === b?.serialNumber && a?.firmwareVersion === b?.firmwareVersion
  );
}

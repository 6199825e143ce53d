// Local Controller mode, composed for the CSMS: the pairing of each station's upgrade with its upstream twin, the relay
// each connection gets, and where flexbridge's own profiles sit (top two stack levels, folded with the CSMS's limits).
import type { UpstreamConfig } from '../../config/schema';
import type { Scheduler } from '../../core/scheduler';
import type { Logger } from '../../observability/log';
import type { AuthDecision, StationHandshake } from '../auth';
import { SERVED_SUBPROTOCOLS } from '../protocol';
import type { BootGate } from '../boot-gate';
import type { CsmsDeps } from '../csms';
import { encodedIdentity } from '../identity';
import type { StationCommandService } from '../station-commands';
import type { StationProvisioning } from '../provisioning';
import type { StationRegistry, StationRuntime } from '../station-registry';
import type { InboundContext, StationConnection } from '../inbound-action';
import type { ProfileLayout } from '../v201/limit-profiles';
import { CsmsProfileGuard, flexbridgeStacks } from './csms-profiles';
import { createPairing, type PairOutcome } from './pairing';
import { StationRelay, type RelayDeps, type RelaySession } from './relay';

/** Local Controller mode: flexbridge's profiles on the station's top two stack levels, folded with the CSMS's limits. */
export function localControllerLayout(runtime: StationRuntime): ProfileLayout {
  const stacks = flexbridgeStacks(runtime.record.smartCharging?.profileStackLevel ?? 1);
  return { standingStack: stacks.standing, liveStack: stacks.live, ...(runtime.relay && { fold: runtime.relay.guard }) };
}

export interface LocalControllerParts {
  readonly deps: CsmsDeps;
  readonly registry: StationRegistry;
  readonly actions: InboundContext;
  readonly gate: BootGate;
  readonly commands: StationCommandService;
  readonly provisioning: StationProvisioning;
  readonly scheduler: Scheduler;
  readonly nowMs: () => number;
  readonly logger: Logger;
}

/** The pairing of upgrades with their upstream twins, and the relay each connection gets. */
export interface LocalController {
  pair(handshake: StationHandshake, decision: Extract<AuthDecision, { accept: true }>): Promise<PairOutcome>;
  relay(station: StationConnection, session: RelaySession): StationRelay;
}

export function localController(upstream: UpstreamConfig, parts: LocalControllerParts): LocalController {
  const { deps, registry, scheduler, nowMs } = parts;
  const logger = parts.logger.child({ component: 'upstream' });
  const storedPasswords = new Map(deps.stations.flatMap((s) => (s.upstreamPassword ? [[s.id, s.upstreamPassword] as const] : [])));
  const pairing = createPairing({
    config: upstream,
    scheduler,
    kv: deps.store.kv,
    storedPasswords,
    logger,
    served: SERVED_SUBPROTOCOLS,
    maxFrameBytes: deps.config.admission.maxFrameBytes,
  });
  const guards = new Map<string, CsmsProfileGuard>();
  /** One guard per station, kept across its connections and (through the store) across restarts: the fold is never lost. */
  const guardOf = (runtime: StationRuntime): CsmsProfileGuard => {
    const stationId = runtime.record.stationId;
    const existing = guards.get(stationId);
    if (existing) return existing;
    const key = `relay:${stationId}:csms-profiles`;
    const guard = new CsmsProfileGuard(
      {
        stacks: () => flexbridgeStacks(runtime.record.smartCharging?.profileStackLevel ?? 1),
        nowMs,
        refold: () => parts.commands.refold(stationId),
        accepted: (profile) => aboveShare(runtime, profile),
        save: (profiles) => deps.store.kv.set(key, profiles),
      },
      deps.store.kv.get(key),
    );
    guards.set(stationId, guard);
    return guard;
  };
  /**
   * A CSMS limit above what flexbridge gives the station (its standing share, or the most of its live lease) does not
   * take effect — flexbridge's cap sits above it and is the lower one — but an operator should see the disagreement.
   */
  const aboveShare = (runtime: StationRuntime, profile: { id: number; purpose: string; limitA: number }): void => {
    const { standing, live } = runtime.lastLimits;
    const liveMostA = live && live.stationCap.leaseEndMs > nowMs() ? Math.max(...live.stationCap.periods.map((p) => p.limitA)) : undefined;
    const shareA = Math.max(standing?.limitA ?? 0, liveMostA ?? 0);
    if (standing === undefined || profile.limitA <= shareA) return;
    deps.metrics?.relayedMessages.inc({ direction: 'csms-to-station', result: 'limit-above-grid-share' });
    logger.warn('CSMS set a limit above the grid share; flexbridge keeps the station at its share', {
      stationId: runtime.record.stationId,
      profileId: profile.id,
      purpose: profile.purpose,
      csmsLimitA: profile.limitA,
      gridShareA: shareA,
    });
  };
  let waiting = 0;
  for (const stationId of deps.store.relayQueue.stationsWaiting()) waiting += deps.store.relayQueue.depth(stationId);
  deps.metrics?.upstreamQueueDepth.set(waiting);
  logger.info('Local Controller mode: stations are relayed to the CSMS', {
    url: upstream.url,
    credentials: upstream.credentials,
    outage: upstream.outage.mode,
    queued: waiting,
  });
  const relayDeps: RelayDeps = {
    config: upstream,
    scheduler,
    nowMs,
    logger,
    metrics: deps.metrics,
    queue: deps.store.relayQueue,
    kv: deps.store.kv,
    actions: parts.actions,
    gate: parts.gate,
    redial: (station, session) =>
      pairing.redial({ id: station.runtime.record.stationId, encoded: session.encoded }, session.protocols, session.authorization),
    stationCallTimeoutMs: deps.config.callTimeoutMs,
    stationPasswordChanged: (station, password) => {
      const { record } = station.runtime;
      void parts.provisioning
        .upsert({ ...record, id: record.stationId, password })
        .catch((error: unknown) => logger.error('station password not stored', { stationId: record.stationId, error: String(error) }));
    },
  };
  return {
    pair: (handshake: StationHandshake, decision: Extract<AuthDecision, { accept: true }>): Promise<PairOutcome> => {
      // Newest wins on both legs: the older twin closes before the new one opens.
      registry.get(decision.stationId)?.relay?.close();
      const encoded = encodedIdentity(handshake.request.url, deps.config.path) ?? encodeURIComponent(handshake.identity);
      return pairing.pair(
        { id: decision.stationId, encoded },
        [...handshake.protocols],
        handshake.request.headers.authorization,
        decision.verified,
      );
    },
    relay: (station: StationConnection, session: RelaySession): StationRelay =>
      new StationRelay(relayDeps, station, session, guardOf(station.runtime)),
  };
}

// The live link with each peer (digest §6.2–§6.5): Handshake and its Acknowledge, Heartbeats both ways, and
// the CONNECTED ⇄ OFFLINE switch when a peer's offline_mode_at (plus grace) passes without a fresh heartbeat.
import crypto from 'node:crypto';
import type { ScheduleScope } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { PeerRecord } from '../core/ports';
import { ourBehaviour } from './config';
import { BadRequestError } from './errors';
import type { OutboxDelivery } from './outbox';
import { joinUrl, type PeerClient } from './peer-client';
import type { PeerRegistry } from './peer-registry';
import { describeIssues, Handshake, HandshakeAcknowledge, Heartbeat, type Handshake as HandshakeBody } from './schemas';
import { toWireTime, wireTimeMs } from './wire-time';

export interface LinkDeps {
  readonly registry: PeerRegistry;
  readonly outbox: OutboxDelivery;
  readonly client: PeerClient;
  /** Heartbeat and offline deadlines, on the adapter's share of the agent's scheduler. */
  readonly timers: ScheduleScope;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Delay before follow-ups (Ack, Handshake) so they leave after our 204. */
  readonly followUpDelayMs: number;
}

/** Our heartbeats announce offline_mode_at this many intervals ahead (digest §6.3: 2–3). */
export const OFFLINE_MARGIN_INTERVALS = 2.5;

/** The interval a peer asked for, seconds; below 1 s (the digest's minimum) it is held at 1 s. */
const askedIntervalS = (peer: PeerRecord): number | undefined =>
  peer.heartbeatIntervalS && peer.heartbeatIntervalS > 0 ? Math.max(1, peer.heartbeatIntervalS) : undefined;

const LINKED = new Set(['REGISTERED', 'CONNECTED', 'OFFLINE']);

export class Link {
  private readonly heartbeats = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(private readonly deps: LinkDeps) {}

  start(): void {
    for (const peer of this.deps.registry.list()) this.schedule(peer);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.heartbeats]);
  }

  /** Queues our Handshake asking for heartbeats (FP → CO by the spec; CPs that serve /handshake accept it too). */
  sendHandshake(peerId: string): void {
    const settings = this.deps.registry.settings(peerId);
    if (!settings) return;
    const body: HandshakeBody = { required_behaviour: ourBehaviour(settings) };
    this.deps.outbox.enqueue({ peerId, path: 'handshake', body, delayMs: this.deps.followUpDelayMs });
  }

  /** The peer's Handshake: take its wishes, go CONNECTED, answer with our Acknowledge (after the 204). */
  onHandshake(peer: PeerRecord, body: unknown, requestId: string): void {
    const parsed = Handshake.safeParse(body);
    if (!parsed.success) throw new BadRequestError(`invalid Handshake: ${describeIssues(parsed.error)}`);
    const settings = this.deps.registry.settings(peer.peerId);
    if (!settings) return;
    const updated = this.connect(peer, parsed.data);
    const ack: HandshakeBody = { required_behaviour: ourBehaviour(settings) };
    this.deps.outbox.enqueue({
      peerId: peer.peerId,
      path: 'handshake_acknowledge',
      correlationId: requestId,
      body: ack,
      delayMs: this.deps.followUpDelayMs,
    });
    this.schedule(updated);
  }

  /** The peer acknowledged our Handshake: its wishes for us are in the Ack. */
  onHandshakeAcknowledge(peer: PeerRecord, body: unknown, correlationId: string | undefined): void {
    if (!correlationId) throw new BadRequestError('X-Correlation-ID header missing: it must name the Handshake acknowledged');
    const parsed = HandshakeAcknowledge.safeParse(body);
    if (!parsed.success) throw new BadRequestError(`invalid HandshakeAcknowledge: ${describeIssues(parsed.error)}`);
    this.schedule(this.connect(peer, parsed.data));
  }

  /** A fresh heartbeat: remember offline_mode_at; an OFFLINE peer is CONNECTED again (§6.5). */
  onHeartbeat(peer: PeerRecord, body: unknown): void {
    const parsed = Heartbeat.safeParse(body);
    if (!parsed.success) throw new BadRequestError(`invalid Heartbeat: ${describeIssues(parsed.error)}`);
    const offlineModeAtMs = wireTimeMs(parsed.data.offline_mode_at);
    const aheadS = this.deps.registry.settings(peer.peerId)?.maxOfflineModeAheadS ?? 86_400;
    if (offlineModeAtMs > this.deps.nowMs() + aheadS * 1000) {
      throw new BadRequestError(
        `invalid Heartbeat: offline_mode_at ${parsed.data.offline_mode_at} is more than ${aheadS} s ahead (oscp.peers[].maxOfflineModeAheadS); a heartbeat that far out would switch off fallback detection`,
      );
    }
    const offlineModeAt = toWireTime(offlineModeAtMs);
    const updated = this.deps.registry.update(peer.peerId, {
      offlineModeAt,
      state: peer.state === 'OFFLINE' ? 'CONNECTED' : peer.state,
    });
    this.schedule(updated);
  }

  /** Drops the peer's timers (after DELETE /register). */
  forget(peerId: string): void {
    this.deps.timers.cancel(`heartbeat:${peerId}`);
    this.deps.timers.cancel(`offline:${peerId}`);
  }

  /**
   * Handshake or Ack exchanged: CONNECTED with the peer's wishes. If we ask for heartbeats, the first is
   * expected within two of our intervals — a peer that never sends one goes OFFLINE (fallback), not unnoticed.
   */
  private connect(peer: PeerRecord, body: HandshakeBody): PeerRecord {
    const settings = this.deps.registry.settings(peer.peerId);
    const now = this.deps.nowMs();
    let offlineModeAt = peer.offlineModeAt;
    if (settings && settings.heartbeatIntervalS > 0) {
      const expectedMs = now + 2 * settings.heartbeatIntervalS * 1000;
      if (!offlineModeAt || wireTimeMs(offlineModeAt) < expectedMs) offlineModeAt = toWireTime(expectedMs);
    }
    const behaviour = body.required_behaviour;
    // A Handshake without required_behaviour (`{}`, ELMO's example) says nothing about behaviour: the settings of the
    // last one stay. With it, an absent heartbeat_interval means "no heartbeats" (digest §7); an absent
    // measurement_configuration (required by the schema, left out by pyoscp) keeps the previous one.
    const heartbeatIntervalS = behaviour ? behaviour.heartbeat_interval : peer.heartbeatIntervalS;
    const measurementConfiguration = behaviour?.measurement_configuration ?? peer.measurementConfiguration;
    if (!behaviour) this.deps.logger.info('handshake without required_behaviour: previous settings kept', { peer: peer.peerId });
    return this.deps.registry.update(peer.peerId, { state: 'CONNECTED', heartbeatIntervalS, measurementConfiguration, offlineModeAt });
  }

  /** (Re)arms the peer's heartbeat and offline deadlines from its record. */
  private schedule(peer: PeerRecord): void {
    const heartbeatKey = `heartbeat:${peer.peerId}`;
    const intervalS = askedIntervalS(peer);
    if (LINKED.has(peer.state) && intervalS) {
      const existing = this.deps.timers.dueMs(heartbeatKey);
      const nextMs = this.deps.nowMs() + intervalS * 1000;
      if (existing === undefined || existing > nextMs) this.deps.timers.schedule(heartbeatKey, nextMs, () => this.heartbeat(peer.peerId));
    } else this.deps.timers.cancel(heartbeatKey);

    const offlineKey = `offline:${peer.peerId}`;
    const settings = this.deps.registry.settings(peer.peerId);
    if (peer.state === 'CONNECTED' && peer.offlineModeAt && settings) {
      const dueMs = Math.max(wireTimeMs(peer.offlineModeAt), this.deps.nowMs()) + settings.offlineGraceS * 1000;
      this.deps.timers.schedule(offlineKey, dueMs, () => this.checkOffline(peer.peerId));
    } else this.deps.timers.cancel(offlineKey);
  }

  /** Runs at offline_mode_at + grace; the scheduler never runs a deadline early, so no re-check of the time. */
  private checkOffline(peerId: string): void {
    const peer = this.deps.registry.get(peerId);
    if (!peer || peer.state !== 'CONNECTED') return;
    this.deps.logger.warn('OSCP peer offline: no heartbeat before offline_mode_at + grace', {
      peer: peerId,
      offlineModeAt: peer.offlineModeAt,
    });
    this.deps.registry.update(peerId, { state: 'OFFLINE' });
  }

  /** Sends one heartbeat directly (not queued: a stale heartbeat means nothing) and arms the next. */
  private heartbeat(peerId: string): void {
    const peer = this.deps.registry.get(peerId);
    const settings = this.deps.registry.settings(peerId);
    const intervalS = peer && askedIntervalS(peer);
    if (!peer || !settings || !LINKED.has(peer.state) || !intervalS) return;
    const now = this.deps.nowMs();
    this.deps.timers.schedule(`heartbeat:${peerId}`, now + intervalS * 1000, () => this.heartbeat(peerId));
    const baseUrl = peer.baseUrl ?? settings.fallbackBaseUrl;
    if (!peer.outboundToken || !baseUrl) return;
    const sending = this.deps.client
      .send(
        {
          method: 'POST',
          url: joinUrl(baseUrl, 'heartbeat'),
          token: peer.outboundToken,
          requestId: crypto.randomUUID(),
          body: { offline_mode_at: toWireTime(now + OFFLINE_MARGIN_INTERVALS * intervalS * 1000) },
          timeoutMs: Math.min(settings.requestTimeoutMs, intervalS * 1000),
        },
        this.abort.signal,
      )
      .then((outcome) => {
        const status = 'status' in outcome && outcome.status !== undefined ? String(outcome.status) : 'error';
        this.deps.metrics.oscpMessages.inc({ direction: 'out', type: 'heartbeat', status });
        if (outcome.kind !== 'delivered' && !this.abort.signal.aborted)
          this.deps.logger.warn('heartbeat not delivered', { peer: peerId, error: outcome.error });
      })
      .finally(() => this.heartbeats.delete(sending));
    this.heartbeats.add(sending);
  }
}

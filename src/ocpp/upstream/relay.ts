// One station's relay to the CPO's CSMS (Local Controller mode): station CALLs go up once, in order, and are tapped
// for core; CSMS CALLs come down through the station's one command queue, guarded; an outage is held and replayed.
import { createRPCError } from 'ocpp-rpc';
import { z } from 'zod';
import { Backoff } from '../../core/backoff';
import type { KeyValueRepository, RelayQueueRepository } from '../../core/ports';
import type { Scheduler } from '../../core/scheduler';
import type { UpstreamConfig } from '../../config/schema';
import type { Logger } from '../../observability/log';
import type { Metrics } from '../../observability/metrics';
import type { BootGate } from '../boot-gate';
import type { InboundContext, StationConnection } from '../inbound-action';
import type { ConnectionSession } from '../server';
import { dialectOf, type RelayDialect } from './dialects';
import type { CsmsProfileGuard } from './csms-profiles';
import { CsmsCalls } from './csms-calls';
import type { DialOutcome, UpstreamLink } from './upstream-link';

export type UpstreamState = 'connected' | 'connecting' | 'outage' | 'refused';

export interface UpstreamStatus {
  readonly state: UpstreamState;
  readonly reason?: string;
  readonly sinceMs: number;
  /** Station messages waiting for the CSMS. */
  readonly queueDepth: number;
  /** How old the last replayed message was when the CSMS got it. */
  readonly replayLagMs?: number;
}

/** What every station's relay shares: one object per Local Controller, so a relay adds no closures of its own. */
export interface RelayDeps {
  readonly config: UpstreamConfig;
  readonly scheduler: Scheduler;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly queue: RelayQueueRepository;
  readonly kv: KeyValueRepository;
  /** The action tables' context: taps what flexbridge consumes and gives the local answers of an outage. */
  readonly actions: InboundContext;
  readonly gate: BootGate;
  /** Opens a new twin for a station (dial rate, credentials), with what its upgrade carried. */
  readonly redial: (station: StationConnection, session: RelaySession) => Promise<DialOutcome>;
  /** A station that is asked something by the CSMS has this long to answer. */
  readonly stationCallTimeoutMs: number;
  /** A new station password the station accepted: hashed and kept. */
  readonly stationPasswordChanged: (station: StationConnection, password: string) => void;
}

/** What a station's upgrade carried for its twin: the open link or why there is none, and what a redial needs. */
export type RelaySession = NonNullable<ConnectionSession['upstream']>;

/**
 * 1 s doubling to 1 min, less up to half at random: stations that lost the CSMS together do not come back together,
 * and a queue waits at most about a minute after the CSMS is back.
 */
const REDIAL = new Backoff({ minMs: 1_000, maxMs: 60_000, jitter: 0.5 });
const BOOT_PENDING_INTERVAL_S = 10;
/** What the station is never told was queued: the CSMS needs none of these later. */
const ANSWERED_ONLY = new Set(['Heartbeat', 'Authorize', 'BootNotification']);

const BootAnswer = z.object({ status: z.enum(['Accepted', 'Pending', 'Rejected']), interval: z.number().int().min(0) }).loose();
const CachedAuthorisation = z.object({ status: z.string(), expiresAt: z.string().optional() });

export class StationRelay {
  readonly guard: CsmsProfileGuard;
  private readonly csmsCalls: CsmsCalls;
  private link: UpstreamLink | undefined;
  private status: UpstreamStatus;
  private depth: number;
  private replaying = false;
  private closed = false;
  private attempt = 0;
  private readonly stationId: string;
  private readonly dialect: RelayDialect;
  /** Messages that must wait for the CSMS (1.6 StartTransaction) while it is away or the queue replays. */
  private readonly waitingForLive: (() => void)[] = [];
  /** Sessions that started while the CSMS was away: the replay marks them offline as a station would. */
  private readonly key: string;

  /**
   * @param guard the station's CSMS profiles as flexbridge folds them; one per station, kept across its connections.
   */
  constructor(
    private readonly deps: RelayDeps,
    private readonly station: StationConnection,
    private readonly session: RelaySession,
    guard: CsmsProfileGuard,
  ) {
    this.stationId = station.runtime.record.stationId;
    this.dialect = dialectOf(station.runtime.protocol);
    this.key = `relay:${this.stationId}`;
    this.guard = guard;
    this.csmsCalls = new CsmsCalls(deps, station, guard, this.key);
    this.depth = deps.queue.depth(this.stationId);
    this.status = { state: 'connecting', sinceMs: deps.nowMs(), queueDepth: this.depth };
    if (session.link) this.attach(session.link);
    else this.lost(session.reason ?? 'CSMS unreachable');
  }

  get upstream(): UpstreamStatus {
    return { ...this.status, queueDepth: this.depth };
  }

  /** A CALL from the station: relayed live when the CSMS is there and nothing waits, else answered here and queued. */
  async fromStation(method: string, params: unknown): Promise<object> {
    const local = this.tap(method, params);
    if (this.dialect.needsCsms(method) && !this.live()) await this.untilLive(method);
    if (this.closed) throw createRPCError('GenericError', 'the station disconnected');
    const live = this.live();
    // The same per-action count as in direct mode, so dashboards built on it keep working behind a CSMS.
    this.deps.metrics?.ocppCalls.inc({ direction: 'in', action: method, result: live ? 'relayed' : 'answered-locally' });
    this.deps.metrics?.relayedMessages.inc({ direction: 'station-to-csms', result: live ? 'relayed' : 'queued' });
    const link = this.link;
    if (link && live) {
      const answer = await link.call(method, params, this.deps.config.callTimeoutMs);
      if (answer.kind === 'result') {
        const response = this.learn(method, params, answer.payload);
        return isObject(response) ? response : {};
      }
      if (answer.kind === 'error') throw createRPCError(answer.code, answer.description, isObject(answer.details) ? answer.details : {});
      if (answer.kind === 'closed') this.lost('connection to the CSMS lost');
      if (this.dialect.needsCsms(method)) return this.disconnectFor(method);
      else
        this.deps.logger.warn('CSMS did not answer a relayed message in time; answered locally and queued', {
          stationId: this.stationId,
          action: method,
        });
    }
    return this.answerLocally(method, params, local);
  }

  /** The station's socket closed: its twin closes at once (Part 4 §6.3), nothing is dialled for it any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.scheduler.cancel(this.key);
    this.deps.scheduler.cancel(`${this.key}:replay`);
    if (this.status.state === 'connected') this.deps.metrics?.upstreamConnected.dec();
    this.link?.close(1000, 'station disconnected');
    this.link = undefined;
  }

  private live(): boolean {
    return this.link?.open === true && !this.replaying && this.depth === 0;
  }

  /**
   * A message only the CSMS can answer (1.6 StartTransaction: the transaction id is the CSMS's) waits for it, behind
   * the queue, up to the call timeout. Still away: the station's socket is closed, so the station keeps the message
   * and sends it again later (C16 §3.7) — flexbridge never mints an id the CSMS would not know (LC digest §6.1).
   */
  private untilLive(method: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const key = `${this.key}:wait:${this.waitingForLive.length}`;
      const done = (): void => {
        this.deps.scheduler.cancel(key);
        resolve();
      };
      this.waitingForLive.push(done);
      this.deps.scheduler.schedule(key, this.deps.nowMs() + this.deps.config.callTimeoutMs, () => {
        const index = this.waitingForLive.indexOf(done);
        if (index >= 0) this.waitingForLive.splice(index, 1);
        try {
          this.disconnectFor(method);
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  /** A message only the CSMS can answer got no answer: never queued (the station keeps it), the station let go. */
  private disconnectFor(method: string): never {
    this.deps.logger.warn(`${method} needs the CSMS, which is unreachable: the station is disconnected and sends it again later`, {
      stationId: this.stationId,
    });
    // Cut, not closed: a CALLERROR would count as one of the station's TransactionMessageAttempts (C16 §3.7.1) and
    // a close would wait for this very answer; a dropped socket makes the station keep the message for its next one.
    void this.station.client.close({ code: 1011, reason: 'CSMS unreachable', force: true });
    throw createRPCError('GenericError', `the CSMS is unreachable; ${method} cannot be answered by the Local Controller`);
  }

  /** The CSMS is there and nothing waits: messages held for it go now. */
  private wakeWaiting(): void {
    if (!this.live()) return;
    for (const wake of this.waitingForLive.splice(0)) wake();
  }

  /**
   * What flexbridge reads from the station's message (sessions, meter values, status, needs), exactly as in direct
   * mode; returns the local answer the action table would give, for an outage. Boot and Authorize belong to the CSMS.
   */
  private tap(method: string, params: unknown): object | undefined {
    const { runtime } = this.station;
    if (method !== 'BootNotification' && !runtime.callsAllowed && runtime.bootStatus !== 'Pending') this.deps.gate.spoke(this.station);
    const definition = this.dialect.tapped(method);
    if (!definition) return undefined;
    const ended = this.dialect.endedTransaction(method, params);
    if (ended !== undefined) this.guard.transactionEnded(ended);
    try {
      const outcome = definition.run(this.deps.actions, this.station, params);
      return outcome.kind === 'answer' ? outcome.response : undefined;
    } catch (error) {
      this.deps.logger.debug('relayed message not readable for flexbridge', {
        stationId: this.stationId,
        action: method,
        error: String(error),
      });
      return undefined;
    }
  }

  /**
   * What flexbridge keeps from the CSMS's answers (the boot status, authorisations for an outage), and the answer the
   * station gets: the CSMS's, except a BootNotification Accepted before the standing limits are in.
   */
  private learn(method: string, params: unknown, response: unknown): unknown {
    if (method === 'BootNotification') {
      const boot = BootAnswer.safeParse(response);
      if (!boot.success) return response;
      if (boot.data.status !== 'Accepted') {
        this.deps.gate.answered(this.station, boot.data.status);
        return response;
      }
      this.deps.kv.set(`${this.key}:boot`, { interval: boot.data.interval });
      // Invariant 2 holds behind a CSMS too: the station is told Accepted only once it carries its standing limits
      // (or after the Pending bound); until then Pending, and the gate installs them and asks for a boot again.
      const status = this.deps.gate.boot(this.station);
      return status === 'Accepted' ? response : { ...boot.data, status, interval: BOOT_PENDING_INTERVAL_S };
    }
    this.dialect.learned(this.deps.actions, this.station, method, params, response);
    const idToken = this.dialect.idToken(method, params);
    const info = idToken === undefined ? undefined : this.dialect.authorisation(response);
    if (idToken !== undefined && info) this.deps.kv.set(`relay:authorisation:${idToken}`, info);
    return response;
  }

  private answerLocally(method: string, params: unknown, local: object | undefined): object {
    const now = this.deps.nowMs();
    const currentTime = new Date(now).toISOString();
    if (method === 'BootNotification') {
      // Accepted only for a station the CSMS accepted before, with the interval it gave; else Pending until it is back.
      // Accepted also needs the standing limits in (invariant 2), as when the CSMS is there.
      const known = z.object({ interval: z.number() }).safeParse(this.deps.kv.get(`${this.key}:boot`));
      if (!known.success) this.deps.gate.answered(this.station, 'Pending');
      const status = known.success ? this.deps.gate.boot(this.station) : 'Pending';
      return { currentTime, interval: known.success && status === 'Accepted' ? known.data.interval : BOOT_PENDING_INTERVAL_S, status };
    }
    if (method === 'Heartbeat') return { currentTime };
    this.enqueue(method, params, now);
    const idToken = this.dialect.idToken(method, params);
    if (idToken !== undefined) return this.dialect.answerWithAuthorisation(method, this.cachedAuthorization(idToken, now));
    if (local) return local;
    throw createRPCError('GenericError', `the CSMS is unreachable; ${method} cannot be answered by the Local Controller`);
  }

  /** Authorize during an outage: the CSMS's earlier answer while it has not expired, else the configured policy. */
  private cachedAuthorization(idToken: string, nowMs: number): { status: string; expiresAt?: string } {
    const cached = CachedAuthorisation.safeParse(this.deps.kv.get(`relay:authorisation:${idToken}`));
    if (cached.success && (cached.data.expiresAt === undefined || Date.parse(cached.data.expiresAt) > nowMs)) return cached.data;
    return { status: this.deps.config.outage.authorize === 'accept' ? 'Accepted' : 'Unknown' };
  }

  /** Durable before the station is answered; on overflow meter values outside a session go first, sessions never. */
  private enqueue(method: string, params: unknown, nowMs: number): void {
    if (ANSWERED_ONLY.has(method)) return;
    const { queue, config, logger, metrics } = this.deps;
    const kind = this.dialect.kindOf(method, params, this.station);
    if (this.depth >= config.outage.queueLimit) {
      if (queue.dropOldestDroppable(this.stationId)) {
        this.depth--;
        metrics?.upstreamQueueDepth.dec();
        logger.warn('relay queue full: oldest meter value outside a session dropped', {
          stationId: this.stationId,
          limit: config.outage.queueLimit,
        });
      } else if (kind === 'droppable') {
        logger.warn('relay queue full: meter value outside a session dropped', { stationId: this.stationId });
        return;
      }
    }
    const payload = this.dialect.queued(method, params);
    queue.append({ stationId: this.stationId, action: method, payload, receivedAt: new Date(nowMs).toISOString(), kind });
    this.depth++;
    metrics?.upstreamQueueDepth.inc();
  }

  private attach(link: UpstreamLink): void {
    this.link = link;
    this.attempt = 0;
    const { trace } = this.station.runtime;
    link.tap = (text, outbound) => trace.record('csms', outbound, text);
    link.onCall((action, payload) => this.csmsCalls.handle(action, payload));
    link.onClose(() => {
      if (this.link === link && !this.closed) this.lost('connection to the CSMS lost');
    });
    this.setState('connected');
    if (this.depth > 0) void this.replay(link);
    else this.wakeWaiting();
  }

  /** The CSMS went away: hold (stay in control, answer locally, redial) or mirror (close the station after graceS). */
  private lost(reason: string, state: UpstreamState = 'outage'): void {
    if (this.closed) return;
    this.link?.close(1000);
    this.link = undefined;
    this.setState(state, reason);
    const { scheduler, nowMs, config } = this.deps;
    if (config.outage.mode === 'mirror') {
      scheduler.schedule(this.key, nowMs() + config.outage.graceS * 1000, () => {
        if (this.link || this.closed) return;
        void this.station.client.close({ code: 1011, reason: 'CSMS unreachable' });
      });
      return;
    }
    const delayMs = REDIAL.delayMs(this.attempt++, Math.random());
    scheduler.schedule(this.key, nowMs() + delayMs, () => void this.redial());
  }

  private async redial(): Promise<void> {
    if (this.closed || this.link) return;
    this.setState('connecting', this.status.reason);
    const outcome = await this.deps.redial(this.station, this.session);
    if (this.closed) {
      if (outcome.kind === 'open') outcome.link.close(1000);
      return;
    }
    if (outcome.kind === 'open') this.attach(outcome.link);
    else if (outcome.kind === 'refused') this.lost(`CSMS refused the connection: HTTP ${outcome.status} ${outcome.reason}`, 'refused');
    else this.lost(`CSMS unreachable: ${outcome.reason}`);
  }

  /** The queue goes up first, in order, one at a time; live messages of this station wait behind it (they queue). */
  private async replay(link: UpstreamLink): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      for (
        let message = this.deps.queue.oldest(this.stationId);
        message && this.link === link;
        message = this.deps.queue.oldest(this.stationId)
      ) {
        const answer = await link.call(message.action, message.payload, this.deps.config.callTimeoutMs);
        if (answer.kind === 'closed') return;
        if (answer.kind === 'timeout') {
          // The CSMS is slow, not gone: try the same message again shortly, still before any newer one.
          this.deps.scheduler.schedule(`${this.key}:replay`, this.deps.nowMs() + 5_000, () => this.link === link && void this.replay(link));
          return;
        }
        if (answer.kind === 'error')
          this.deps.logger.warn('CSMS refused a replayed message; dropped', {
            stationId: this.stationId,
            action: message.action,
            code: answer.code,
          });
        this.deps.queue.remove(message.id);
        this.depth--;
        this.deps.metrics?.upstreamQueueDepth.dec();
        this.status = { ...this.status, replayLagMs: this.deps.nowMs() - Date.parse(message.receivedAt) };
      }
      if (this.depth === 0)
        this.deps.logger.info('relay queue replayed to the CSMS', { stationId: this.stationId, replayLagMs: this.status.replayLagMs });
    } finally {
      this.replaying = false;
      this.wakeWaiting();
    }
  }

  private setState(state: UpstreamState, reason?: string): void {
    const before = this.status.state;
    if (before === state && this.status.reason === reason) return;
    if (before === 'connected' && state !== 'connected') this.deps.metrics?.upstreamConnected.dec();
    if (before !== 'connected' && state === 'connected') this.deps.metrics?.upstreamConnected.inc();
    this.status = { state, ...(reason !== undefined && { reason }), sinceMs: this.deps.nowMs(), queueDepth: this.depth };
    const log = state === 'connected' || state === 'connecting' ? this.deps.logger.info : this.deps.logger.warn;
    log('upstream state changed', {
      stationId: this.stationId,
      from: before,
      to: state,
      ...(reason !== undefined && { reason }),
      queueDepth: this.depth,
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

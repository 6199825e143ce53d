// Handshake and HandshakeAcknowledge in both directions (§6.2): what we ask of the FP, what it asks of us
// (its heartbeat_interval drives our heartbeats), and which of our Handshakes still await an acknowledgement.
import { randomUUID } from 'node:crypto';
import type { Decision, InboundContext } from './endpoints';
import type { HeartbeatSender } from './heartbeats';
import type { CapacityProviderOptions } from './options';
import type { OscpClient, SendResult } from './outbound';
import type { Registration } from './registration';
import type { Handshake, HandshakeAcknowledge, RequiredBehaviour } from './wire';

export interface HandshakeHost {
  readonly options: CapacityProviderOptions;
  readonly client: OscpClient;
  readonly registration: Registration;
  readonly heartbeats: HeartbeatSender;
  later(ms: number, task: () => Promise<unknown>): void;
}

export const isDelivered = (result: SendResult): boolean => result.status >= 200 && result.status < 300;

/** X-Correlation-ID present and naming one of `known` (our X-Request-IDs), else 400. */
export function correlationCheck(context: InboundContext, known: ReadonlySet<string>, what: string): Decision | undefined {
  if (context.correlationId === undefined || context.correlationId === '')
    return { status: 400, message: 'X-Correlation-ID header missing' };
  if (!known.has(context.correlationId)) return { status: 400, message: `X-Correlation-ID does not match any ${what} we sent` };
  return undefined;
}

export class Handshakes {
  private readonly open = new Set<string>();
  private completed = false;
  private fpBehaviour: RequiredBehaviour | undefined;

  constructor(private readonly host: HandshakeHost) {}

  get done(): boolean {
    return this.completed;
  }

  /** What the FP asked of us in its HandshakeAcknowledge or Handshake. */
  get requiredByFp(): RequiredBehaviour | undefined {
    return this.fpBehaviour;
  }

  /** Our wishes: heartbeat_interval (left out when 0) and measurement_configuration. */
  ownBehaviour(): RequiredBehaviour {
    const interval = this.host.options.heartbeatIntervalS;
    return {
      ...(interval > 0 ? { heartbeat_interval: interval } : {}),
      measurement_configuration: [...this.host.options.measurementConfiguration],
    };
  }

  /** POST /handshake; the FP's acknowledgement must carry our X-Request-ID as X-Correlation-ID. */
  async send(): Promise<SendResult> {
    const link = this.host.registration.link();
    const requestId = randomUUID();
    this.open.add(requestId);
    const body: Handshake = { required_behaviour: this.ownBehaviour() };
    const result = await this.host.client.send({ kind: 'handshake', method: 'POST', path: 'handshake', ...link, requestId, body });
    if (!isDelivered(result)) this.open.delete(requestId);
    return result;
  }

  /** HandshakeAcknowledge from the FP (to our Handshake). */
  onAcknowledge(body: HandshakeAcknowledge, context: InboundContext): Decision {
    const refused = correlationCheck(context, this.open, 'Handshake');
    if (refused !== undefined) return refused;
    this.open.delete(context.correlationId ?? '');
    this.complete(body.required_behaviour);
    return { status: 204 };
  }

  /** Handshake from the FP (SolarNetwork and Vector allow FP → CP): acknowledge once our 204 is out. */
  onHandshake(body: Handshake, context: InboundContext): Decision {
    const behaviour = body.required_behaviour;
    const acknowledge = (): Promise<void> => this.acknowledge(context.requestId, behaviour);
    return { status: 204, after: () => this.host.later(this.host.options.replyDelayMs, acknowledge) };
  }

  /** Registration ended or starts over. */
  forget(): void {
    this.completed = false;
    this.fpBehaviour = undefined;
    this.open.clear();
    this.host.heartbeats.configure(undefined);
  }

  private async acknowledge(correlationId: string, behaviour: RequiredBehaviour | undefined): Promise<void> {
    const body: HandshakeAcknowledge = { required_behaviour: this.ownBehaviour() };
    const result = await this.host.client.send({
      kind: 'handshake_acknowledge',
      method: 'POST',
      path: 'handshake_acknowledge',
      ...this.host.registration.link(),
      correlationId,
      body,
      tries: 1 + this.host.options.retries,
    });
    if (isDelivered(result)) this.complete(behaviour);
  }

  private complete(behaviour: RequiredBehaviour | undefined): void {
    this.completed = true;
    this.fpBehaviour = behaviour;
    this.host.heartbeats.configure(behaviour?.heartbeat_interval);
  }
}

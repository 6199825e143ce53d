// Connection admission on the OCPP port (issue #17, "limits"): sockets per remote address, upgrades in progress, a
// deadline from upgrade request to 101, and the failed-authentication back-off — all decided before any password hash.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { OcppAdmissionConfig } from '../config/schema';
import type { Clock } from '../core/ports';
import type { AuthThrottle } from '../observability/auth-throttle';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';

export interface AdmissionRefusal {
  readonly status: 429 | 503;
  readonly retryAfterS: number;
  readonly reason: string;
}

/** One upgrade admitted: `done` when it was answered (idempotent); the deadline closes the socket if it never is. */
export interface UpgradeTicket {
  done(): void;
}

export class UpgradeAdmission {
  private inProgress = 0;
  private readonly socketsByAddress = new Map<string, number>();

  constructor(
    private readonly config: OcppAdmissionConfig,
    private readonly throttle: AuthThrottle,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** The per-address socket cap, applied to every socket the server accepts (before TLS and HTTP parsing). */
  guard(server: Server): void {
    server.on('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? '';
      const open = (this.socketsByAddress.get(address) ?? 0) + 1;
      if (open > this.config.maxConnectionsPerAddress) {
        this.metrics?.ocppAdmissionRefused.inc({ reason: 'connections_per_address' });
        this.logger.debug('OCPP socket refused: too many from one address', { remoteAddress: address, open: open - 1 });
        socket.destroy();
        return;
      }
      this.socketsByAddress.set(address, open);
      socket.once('close', () => {
        const left = (this.socketsByAddress.get(address) ?? 1) - 1;
        if (left > 0) this.socketsByAddress.set(address, left);
        else this.socketsByAddress.delete(address);
      });
    });
  }

  /** Admits an upgrade of `identity`, or says why not (answered before ocpp-rpc or the password check see it). */
  admit(request: IncomingMessage, socket: Duplex, identity: string): UpgradeTicket | AdmissionRefusal {
    const address = request.socket.remoteAddress ?? '';
    if (this.inProgress >= this.config.maxUpgradesInProgress) {
      this.metrics?.ocppAdmissionRefused.inc({ reason: 'upgrades_in_progress' });
      return { status: 503, retryAfterS: 1, reason: `${this.inProgress} upgrades in progress (ocpp.admission.maxUpgradesInProgress)` };
    }
    const throttled = this.throttle.check(address, identity);
    if (throttled) {
      this.metrics?.authThrottled.inc({ port: 'ocpp', scope: throttled.scope });
      return {
        status: 429,
        retryAfterS: Math.ceil(throttled.retryAfterMs / 1000),
        reason: `too many failed authentications from this ${throttled.scope === 'address' ? 'address' : 'identity'}; retry later`,
      };
    }
    this.inProgress++;
    let open = true;
    const deadline = this.clock.setTimer(() => {
      if (!open) return;
      this.metrics?.ocppAdmissionRefused.inc({ reason: 'upgrade_timeout' });
      this.logger.warn('station upgrade not answered in time: socket closed', {
        stationId: identity,
        remoteAddress: address,
        upgradeTimeoutMs: this.config.upgradeTimeoutMs,
      });
      finish();
      socket.destroy();
    }, this.config.upgradeTimeoutMs);
    const finish = (): void => {
      if (!open) return;
      open = false;
      this.inProgress--;
      deadline.cancel();
      // Left on, the listener would keep this closure and its cancelled timer for the connection's life.
      socket.removeListener('close', finish);
    };
    socket.once('close', finish);
    return { done: finish };
  }

  /** After the credential check: a refusal for the credentials counts, a verified acceptance clears the identity. */
  authenticated(request: IncomingMessage, identity: string, outcome: 'accepted' | 'bad-credentials' | 'unknown-identity'): void {
    const address = request.socket.remoteAddress ?? '';
    if (outcome === 'accepted') {
      this.throttle.succeeded(address, identity);
      return;
    }
    this.metrics?.authFailures.inc({ port: 'ocpp' });
    // Guessing identities counts against the address only: it must not lock out a station that exists.
    this.throttle.failed(address, outcome === 'bad-credentials' ? identity : undefined);
  }
}

export const isRefusal = (admitted: UpgradeTicket | AdmissionRefusal): admitted is AdmissionRefusal => 'status' in admitted;

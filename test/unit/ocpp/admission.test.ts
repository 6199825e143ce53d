// Issue #17 "limits": the OCPP upgrade admission without sockets — the cap on upgrades in progress (503, released when
// each is answered) and the deadline from upgrade request to 101 (the socket closed), on virtual time.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AuthThrottleConfig, OcppConfig } from '../../../src/config/sections';
import { AuthThrottle } from '../../../src/observability/auth-throttle';
import { silentLogger } from '../../../src/observability/log';
import { createMetrics } from '../../../src/observability/metrics';
import { isRefusal, UpgradeAdmission } from '../../../src/ocpp/admission';
import { VirtualClock } from '../../helpers/virtual-clock';

class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

const request = (address: string): IncomingMessage => ({ socket: { remoteAddress: address } }) as unknown as IncomingMessage;

describe('UpgradeAdmission', () => {
  const clock = new VirtualClock(0);
  const config = { ...OcppConfig.parse({}).admission, maxUpgradesInProgress: 2, upgradeTimeoutMs: 5_000 };
  const metrics = createMetrics({ defaultMetrics: false });
  const admission = new UpgradeAdmission(
    config,
    new AuthThrottle(AuthThrottleConfig.parse({}), () => clock.nowMs()),
    clock,
    silentLogger,
    metrics,
  );

  it('refuses a third upgrade in progress with 503 and Retry-After, and admits again once one is answered', () => {
    const a = admission.admit(request('10.0.0.1'), new FakeSocket() as unknown as Duplex, 'CS-1');
    const b = admission.admit(request('10.0.0.2'), new FakeSocket() as unknown as Duplex, 'CS-2');
    const c = admission.admit(request('10.0.0.3'), new FakeSocket() as unknown as Duplex, 'CS-3');
    expect(isRefusal(a) || isRefusal(b)).toBe(false);
    expect(c).toMatchObject({ status: 503, retryAfterS: 1 });
    if (!isRefusal(a)) {
      a.done();
      a.done(); // idempotent: counted once
    }
    expect(isRefusal(admission.admit(request('10.0.0.3'), new FakeSocket() as unknown as Duplex, 'CS-3'))).toBe(false);
    expect(isRefusal(admission.admit(request('10.0.0.4'), new FakeSocket() as unknown as Duplex, 'CS-4'))).toBe(true);
  });

  it('closes an upgrade that is not answered within upgradeTimeoutMs and frees its place', async () => {
    const own = createMetrics({ defaultMetrics: false });
    const fresh = new UpgradeAdmission(
      config,
      new AuthThrottle(AuthThrottleConfig.parse({}), () => clock.nowMs()),
      clock,
      silentLogger,
      own,
    );
    const socket = new FakeSocket();
    expect(isRefusal(fresh.admit(request('10.0.0.9'), socket as unknown as Duplex, 'CS-9'))).toBe(false);
    clock.advance(4_999);
    expect(socket.destroyed).toBe(false);
    clock.advance(1);
    expect(socket.destroyed).toBe(true);
    const refused = await own.ocppAdmissionRefused.get();
    expect(refused.values.find((v) => v.labels.reason === 'upgrade_timeout')?.value).toBe(1);
    expect(isRefusal(fresh.admit(request('10.0.0.9'), new FakeSocket() as unknown as Duplex, 'CS-9'))).toBe(false);
  });
});

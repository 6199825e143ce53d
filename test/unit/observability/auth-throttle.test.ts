// Issue #17 "limits": the failed-authentication back-off on virtual time — free failures, doubling waits up to the
// maximum, forgetting, an identity's home address, NAT neighbours, and a bounded memory.
import { AuthThrottleConfig } from '../../../src/config/sections';
import { AuthThrottle } from '../../../src/observability/auth-throttle';

describe('AuthThrottle', () => {
  const config = AuthThrottleConfig.parse({
    freeFailures: 3,
    baseDelayMs: 1_000,
    maxDelayMs: 8_000,
    forgetAfterMs: 60_000,
    maxTracked: 100,
  });
  let now = 0;
  const make = (): AuthThrottle => new AuthThrottle(config, () => now);
  beforeEach(() => (now = 0));

  it('the freeFailures-th failure earns 1 s, each further one doubles it up to maxDelayMs, and quiet forgets', () => {
    const throttle = make();
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      throttle.failed('10.0.0.1');
      waits.push(throttle.check('10.0.0.1')?.retryAfterMs ?? 0);
    }
    expect(waits).toEqual([0, 0, 1_000, 2_000, 4_000, 8_000, 8_000]);
    now += 8_000;
    expect(throttle.check('10.0.0.1')).toBeUndefined();
    throttle.failed('10.0.0.1');
    expect(throttle.check('10.0.0.1')?.retryAfterMs).toBe(8_000);
    now += 60_001;
    expect(throttle.check('10.0.0.1')).toBeUndefined();
    throttle.failed('10.0.0.1');
    expect(throttle.check('10.0.0.1')).toBeUndefined(); // counting from zero again
  });

  it('an attack on CS-1 from elsewhere does not hold back CS-1 at home, nor a neighbour behind the same NAT', () => {
    const throttle = make();
    throttle.succeeded('192.0.2.10', 'CS-1'); // CS-1's home
    throttle.succeeded('192.0.2.10', 'CS-2'); // its neighbour behind the same address
    for (let i = 0; i < 10; i++) throttle.failed('198.51.100.7', 'CS-1');
    expect(throttle.check('198.51.100.7', 'CS-1')?.scope).toBe('address');
    expect(throttle.check('198.51.100.8', 'CS-1')?.scope).toBe('identity'); // the same identity, away, elsewhere
    expect(throttle.check('192.0.2.10', 'CS-1')).toBeUndefined();
    // A misconfigured station at the NAT fails over and over: the address backs off, its neighbours at home do not.
    for (let i = 0; i < 10; i++) throttle.failed('192.0.2.10', 'CS-3');
    expect(throttle.check('192.0.2.10', 'CS-3')).toBeDefined();
    expect(throttle.check('192.0.2.10', 'CS-2')).toBeUndefined();
    expect(throttle.check('192.0.2.10')).toMatchObject({ scope: 'address' });
  });

  it("CS-1's own successes at home do not reset the guesses against it from elsewhere (brute-force bench: 64 addresses)", () => {
    const throttle = make();
    throttle.succeeded('192.0.2.10', 'CS-1');
    let checked = 0;
    // One guess from each of 64 addresses, CS-1 reconnecting at home between them: the identity's free failures
    // (3) are spent once, not once per address.
    for (let i = 0; i < 64; i++) {
      const attacker = `198.51.100.${i + 1}`;
      if (throttle.check(attacker, 'CS-1') === undefined) {
        checked++;
        throttle.failed(attacker, 'CS-1');
      }
      expect(throttle.check('192.0.2.10', 'CS-1')).toBeUndefined();
      throttle.succeeded('192.0.2.10', 'CS-1');
    }
    expect(checked).toBe(3);
    // Its own failures at home are its own: a success there forgets them.
    for (let i = 0; i < 3; i++) throttle.failed('192.0.2.10', 'CS-1');
    expect(throttle.check('192.0.2.10', 'CS-1')?.scope).toBe('identity');
    now += 1_000;
    throttle.succeeded('192.0.2.10', 'CS-1');
    throttle.failed('192.0.2.10', 'CS-1');
    expect(throttle.check('192.0.2.10', 'CS-1')).toBeUndefined();
  });

  it('remembers at most maxTracked keys: a spray from many addresses cannot grow it without bound', () => {
    const throttle = make();
    for (let i = 0; i < 10_000; i++) throttle.failed(`10.1.${i >> 8}.${i & 255}`, `ID-${i}`);
    expect(throttle.tracked).toBeLessThanOrEqual(200);
  });
});

// Pure parts of the CSMS: identity parsing, meter readings and transaction replays, SmartChargingCtrlr discovery,
// the per-station command queue, password hashing.
import { CommandQueue } from '../../../src/ocpp/command-queue';
import { readSmartCharging } from '../../../src/ocpp/v201/discovery';
import { identityFromUrl } from '../../../src/ocpp/identity';
import { scrypt } from 'node:crypto';
import { hashPassword, PasswordKey, PasswordVerifier, verifyPassword } from '../../../src/ocpp/passwords';
import { applyTransactionEvent, readMeter } from '../../../src/ocpp/v201/transaction-events';

describe('§1.1 station identity from the URL', () => {
  test.each([
    ['/ocpp/CS001', 'CS001'],
    ['/ocpp/RDAM%20123', undefined],
    ['/ocpp/CS%2D7?x=1', 'CS-7'],
  ])('%s → %s', (url, identity) => {
    const result = identityFromUrl(url, '/ocpp');
    expect(result.ok ? result.identity : undefined).toBe(identity);
  });
  test.each(['/ocpp/', '/ocpp/a/b', '/ocpp/%E0%A4%A', '/x/CS1', '/ocpp/a:b', `/ocpp/${'a'.repeat(49)}`, undefined])('refuses %s', (url) => {
    expect(identityFromUrl(url, '/ocpp').ok).toBe(false);
  });
});

describe('§3.2 meter values', () => {
  const at = '2026-11-27T10:00:00Z';
  test('energy in kWh with multiplier, per-phase Current.Import, latest reading wins', () => {
    expect(
      readMeter([
        {
          timestamp: '2026-11-27T10:01:00Z',
          sampledValue: [{ value: 2, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh', multiplier: 1 } }],
        },
        {
          timestamp: at,
          sampledValue: [
            { value: 5, unitOfMeasure: { unit: 'Wh' } },
            { value: 7, measurand: 'Current.Import', phase: 'L2' },
          ],
        },
      ]),
    ).toEqual({ energyWh: 20_000, currentA: [0, 7, 0] });
  });
  test('Current.Import without a phase counts on every phase', () => {
    expect(readMeter([{ timestamp: at, sampledValue: [{ value: 9, measurand: 'Current.Import' }] }]).currentA).toEqual([9, 9, 9]);
  });
  test('a replay of the last seqNo is a duplicate; an event numbered after Ended is after-end', () => {
    const context = { stationId: 'S', groupId: 'g', nowMs: 0 };
    const started = applyTransactionEvent(
      undefined,
      { eventType: 'Started', timestamp: at, triggerReason: 'x', seqNo: 3, transactionInfo: { transactionId: 't' } },
      context,
    );
    if (started.kind !== 'applied') throw new Error('not applied');
    expect(started.session.startedAt).toBe('2026-11-27T10:00:00.000Z');
    expect(
      applyTransactionEvent(
        started.session,
        { eventType: 'Updated', timestamp: at, triggerReason: 'x', seqNo: 3, transactionInfo: { transactionId: 't' } },
        context,
      ).kind,
    ).toBe('duplicate');
    const ended = applyTransactionEvent(
      started.session,
      { eventType: 'Ended', timestamp: '2026-11-27T11:00:00+01:00', triggerReason: 'x', seqNo: 4, transactionInfo: { transactionId: 't' } },
      context,
    );
    if (ended.kind !== 'applied') throw new Error('not applied');
    expect(ended.session.endedAt).toBe('2026-11-27T10:00:00.000Z');
    expect(
      applyTransactionEvent(
        ended.session,
        { eventType: 'Updated', timestamp: at, triggerReason: 'x', seqNo: 9, transactionInfo: { transactionId: 't' } },
        context,
      ).kind,
    ).toBe('after-end');
  });
});

describe('§4 SmartChargingCtrlr discovery', () => {
  const result = (name: string, value: string, status = 'Accepted'): object => ({
    attributeStatus: status,
    attributeValue: value,
    component: { name: 'SmartChargingCtrlr' },
    variable: { name },
  });
  test('reads the limits; unknown variables fall back to conservative defaults', () => {
    expect(
      readSmartCharging({
        getVariableResult: [result('ProfileStackLevel', '2'), result('PeriodsPerSchedule', 'x'), result('RateUnit', 'W,A')],
      } as never),
    ).toEqual({ smartChargingAvailable: true, limits: { profileStackLevel: 2, periodsPerSchedule: 1, rateUnits: ['W', 'A'] } });
  });
  test('Available=false means the station takes no profiles', () => {
    expect(readSmartCharging({ getVariableResult: [result('Available', 'false')] } as never).smartChargingAvailable).toBe(false);
  });
});

describe('per-station command queue', () => {
  const outcomes = { superseded: 'superseded', closed: 'closed', failed: 'failed' };
  test('one in flight, queued work of the same slot coalesces, a throwing command fails alone, close answers the rest', async () => {
    const queue = new CommandQueue();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const a = queue.enqueue('s', () => new Promise<string>((resolve) => (release = () => resolve('a'))), outcomes);
    const b = queue.enqueue('s', async () => (order.push('b'), 'b'), outcomes);
    const c = queue.enqueue('s', async () => (order.push('c'), 'c'), outcomes);
    const d = queue.enqueue('other', () => Promise.reject(new Error('bug')), outcomes);
    expect(queue.depth).toBe(3);
    expect(await b).toBe('superseded');
    release();
    expect([await a, await c, await d]).toEqual(['a', 'c', 'failed']);
    expect(order).toEqual(['c']);
    let hold: () => void = () => undefined;
    void queue.enqueue('x', () => new Promise<string>((resolve) => (hold = () => resolve('x'))), outcomes);
    const waiting = queue.enqueue('y', async () => 'y', outcomes);
    queue.close();
    expect(await waiting).toBe('closed');
    expect(await queue.enqueue('z', async () => 'z', outcomes)).toBe('closed');
    hold();
  });
});

describe('A00 station passwords', () => {
  const LEGACY = 'scrypt$16384$8$1$c2FsdC1zYWx0LXNhbHQ=$';
  async function legacyHash(password: string): Promise<string> {
    const salt = Buffer.from('salt-salt-salt');
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt(password, salt, 32, { N: 16384, r: 8, p: 1 }, (error, derived) => (error ? reject(error) : resolve(derived))),
    );
    return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
  }

  test('keyed digests verify the right password only, never contain it, and differ per station (salt)', async () => {
    const key = PasswordKey.ephemeral();
    const hash = hashPassword('a-long-station-password', key);
    expect(hash).toMatch(/^hmac-sha256\$[\w-]{8}\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain('a-long-station-password');
    expect(hashPassword('a-long-station-password', key)).not.toBe(hash);
    expect(await verifyPassword('a-long-station-password', hash, key)).toBe(true);
    expect(await verifyPassword('another-password-xx', hash, key)).toBe(false);
    expect(await verifyPassword('a-long-station-password', 'garbage', key)).toBe(false);
    expect(await verifyPassword('a-long-station-password', `${hash}$extra`, key)).toBe(false);
    expect(await verifyPassword('a-long-station-password', LEGACY, key)).toBe(false);
  });

  test("a digest made with another install's key never verifies; the key is kept in the store and read back", async () => {
    const kv = new Map<string, unknown>();
    const store = { get: (k: string) => kv.get(k), set: (k: string, v: unknown) => void kv.set(k, v) };
    const key = PasswordKey.fromStore(store);
    const hash = hashPassword('station-password-0001', key);
    expect(await verifyPassword('station-password-0001', hash, PasswordKey.fromStore(store))).toBe(true);
    expect(await verifyPassword('station-password-0001', hash, PasswordKey.ephemeral())).toBe(false);
  });

  test('a scrypt hash from before #15 still verifies and is upgraded once, on its first success only', async () => {
    const upgrades: Array<[string, string, string]> = [];
    const verifier = new PasswordVerifier(PasswordKey.ephemeral(), (id, from, to) => upgrades.push([id, from, to]));
    const legacy = await legacyHash('station-password-0001');
    expect(await verifier.verify('CS-1', 'station-password-0002', legacy)).toBe(false);
    expect(upgrades).toEqual([]);
    expect(await verifier.verify('CS-1', 'station-password-0001', legacy)).toBe(true);
    expect(upgrades).toHaveLength(1);
    const [id, from, to] = upgrades[0] ?? ['', '', ''];
    expect([id, from]).toEqual(['CS-1', legacy]);
    expect(await verifier.verify('CS-1', 'station-password-0001', to)).toBe(true);
    expect(await verifier.verify('CS-1', 'station-password-0002', to)).toBe(false);
    expect(upgrades).toHaveLength(1);
  });
});

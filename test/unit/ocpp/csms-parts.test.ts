// Pure parts of the CSMS: identity parsing, meter readings and transaction replays, SmartChargingCtrlr discovery,
// the per-station command queue, password hashing.
import { CommandQueue } from '../../../src/ocpp/command-queue';
import { readSmartCharging } from '../../../src/ocpp/v201/discovery';
import { identityFromUrl } from '../../../src/ocpp/identity';
import { hashPassword, PasswordVerifier, verifyPassword } from '../../../src/ocpp/passwords';
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
  test('scrypt hashes verify the right password only and never contain it', async () => {
    const hash = await hashPassword('a-long-station-password');
    expect(hash).not.toContain('a-long-station-password');
    expect(await verifyPassword('a-long-station-password', hash)).toBe(true);
    expect(await verifyPassword('another-password-xx', hash)).toBe(false);
    expect(await verifyPassword('a-long-station-password', 'garbage')).toBe(false);
  });
});

describe('A00 reconnect storms', () => {
  test('a password proven once is accepted again from memory; a wrong one or a changed hash is checked afresh', async () => {
    const verifier = new PasswordVerifier();
    const first = await hashPassword('station-password-0001');
    expect(await verifier.verify('CS-1', 'station-password-0001', first)).toBe(true);
    expect(await verifier.verify('CS-1', 'station-password-0001', first)).toBe(true);
    expect(await verifier.verify('CS-1', 'station-password-0002', first)).toBe(false);
    const rotated = await hashPassword('station-password-0002');
    expect(await verifier.verify('CS-1', 'station-password-0001', rotated)).toBe(false);
    expect(await verifier.verify('CS-1', 'station-password-0002', rotated)).toBe(true);
    expect(await verifier.verify('CS-2', 'station-password-0002', first)).toBe(false);
  });
});

// The 2.0.1 → 1.6 mapping (1.6 digest §7), row by row where flexbridge uses it: profiles, discovery keys, connector
// states, transactions, meter values, error codes, the AuthorizationKey encoding, and the transaction id reservation.
import { basicPassword } from '../../../src/ocpp/auth';
import { respellFor16 } from '../../../src/ocpp/error-spelling';
import { chooseSubprotocol } from '../../../src/ocpp/protocol';
import { readConfiguration } from '../../../src/ocpp/v16/discovery';
import { profileProblem16, toProfile16 } from '../../../src/ocpp/v16/limit-profiles';
import { asMeterValues } from '../../../src/ocpp/v16/payloads';
import { BLOCK, TransactionIds } from '../../../src/ocpp/v16/transaction-ids';
import {
  chargingStateOf,
  connectorStatusOf,
  isSameStart,
  startedSession,
  stoppedSession,
} from '../../../src/ocpp/v16/transaction-messages';
import { limitProfiles } from '../../../src/ocpp/v201/limit-profiles';
import { readMeter } from '../../../src/ocpp/v201/transaction-events';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const context = { stationId: 'CS-1', groupId: 'g1', nowMs: NOW };

describe('§7 subprotocol — ocpp2.0.1 preferred, ocpp1.6 beside it', () => {
  test.each([
    [['ocpp1.6'], 'ocpp1.6'],
    [['ocpp1.6', 'ocpp2.0.1'], 'ocpp2.0.1'],
    [['ocpp2.0.1'], 'ocpp2.0.1'],
    [['ocpp1.5', 'ocpp2.0'], undefined],
  ])('offered %j → %s', (offered, chosen) => {
    expect(chooseSubprotocol(new Set(offered))).toBe(chosen);
  });
});

describe('§7 profiles — ChargingStationMaxProfile → ChargePointMaxProfile, evse → connector, id → chargingProfileId', () => {
  const live = limitProfiles({
    kind: 'live',
    stationCap: { periods: [{ startMs: NOW, limitA: 20 }], leaseEndMs: NOW + 600_000 },
    sessions: [{ transactionId: '42', evseId: 2, schedule: { periods: [{ startMs: NOW, limitA: 10.27 }], leaseEndMs: NOW + 600_000 } }],
  });
  const standing = limitProfiles({ kind: 'standing', limitA: 16 });

  test('standing: ChargePointMaxProfile and TxDefaultProfile on connector 0, stack 0, Absolute with startSchedule, no duration', () => {
    const [cap, txDefault] = standing.map((r) => toProfile16(r, { rateUnits: ['A'] }));
    expect(cap).toEqual({
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 9_100_001,
        stackLevel: 0,
        chargingProfilePurpose: 'ChargePointMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: {
          startSchedule: '2020-01-01T00:00:00.000Z',
          chargingRateUnit: 'A',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
        },
      },
    });
    expect(txDefault?.csChargingProfiles.chargingProfilePurpose).toBe('TxDefaultProfile');
    expect(txDefault?.connectorId).toBe(0);
  });

  test('live: a leased ChargePointMaxProfile at stack 1 and a TxProfile with the integer transactionId, limits to one decimal', () => {
    const [cap, tx] = live.map((r) => toProfile16(r, { rateUnits: ['A'] }));
    expect(cap?.csChargingProfiles).toMatchObject({ stackLevel: 1, chargingProfilePurpose: 'ChargePointMaxProfile' });
    expect(cap?.csChargingProfiles.chargingSchedule.duration).toBe(600);
    expect(tx).toMatchObject({
      connectorId: 2,
      csChargingProfiles: {
        chargingProfileId: 9_100_102,
        transactionId: 42,
        stackLevel: 1,
        chargingProfilePurpose: 'TxProfile',
        chargingSchedule: { chargingSchedulePeriod: [{ startPeriod: 0, limit: 10.2 }] },
      },
    });
    expect(tx && 'id' in tx.csChargingProfiles.chargingSchedule).toBe(false);
  });

  test('RateUnit Power only: W = A × 230 V (one phase’s worth: 1.6 stations do not rescale per phase), whole watts', () => {
    const [cap] = standing.map((r) => toProfile16(r, { rateUnits: ['W'] }));
    expect(cap?.csChargingProfiles.chargingSchedule).toMatchObject({
      chargingRateUnit: 'W',
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 3680 }],
    });
    const [both] = standing.map((r) => toProfile16(r, { rateUnits: ['A', 'W'] }));
    expect(both?.csChargingProfiles.chargingSchedule.chargingRateUnit).toBe('A');
  });

  test('libocpp rules checked before sending: TxProfile needs an integer transaction and a connector; station cap on 0', () => {
    const [, tx] = live.map((r) => toProfile16(r, { rateUnits: ['A'] }));
    expect(tx && profileProblem16(tx)).toBeUndefined();
    if (!tx) throw new Error('no TxProfile');
    const { transactionId: _id, ...withoutId } = tx.csChargingProfiles;
    expect(profileProblem16({ ...tx, csChargingProfiles: withoutId })).toMatch(/transactionId/);
    const [cap] = live.map((r) => toProfile16(r, { rateUnits: ['A'] }));
    if (!cap) throw new Error('no cap');
    expect(profileProblem16({ ...cap, connectorId: 1 })).toMatch(/connector 0/);
  });
});

describe('§4 / §7 discovery — SmartChargingCtrlr variables → 1.6 configuration keys', () => {
  const keys = (entries: Record<string, string>, unknownKey: string[] = []) => ({
    configurationKey: Object.entries(entries).map(([key, value]) => ({ key, readonly: true, value })),
    unknownKey,
  });

  test('ProfileStackLevel ← ChargeProfileMaxStackLevel, PeriodsPerSchedule ← ChargingScheduleMaxPeriods, Entries ← MaxChargingProfilesInstalled, RateUnit ← Current/Power', () => {
    expect(
      readConfiguration(
        keys({
          SupportedFeatureProfiles: 'Core, SmartCharging',
          ChargeProfileMaxStackLevel: '5',
          ChargingScheduleMaxPeriods: '96',
          MaxChargingProfilesInstalled: '20',
          ChargingScheduleAllowedChargingRateUnit: 'Current,Power',
          ConnectorSwitch3to1PhaseSupported: 'true',
          NumberOfConnectors: '2',
        }),
      ),
    ).toEqual({
      smartChargingAvailable: true,
      limits: { profileStackLevel: 5, periodsPerSchedule: 96, rateUnits: ['A', 'W'], maxProfiles: 20 },
      connectorCount: 2,
      phases3to1: true,
    });
  });

  test('SmartChargingCtrlr.Available ← SmartCharging in SupportedFeatureProfiles', () => {
    expect(readConfiguration(keys({ SupportedFeatureProfiles: 'Core,RemoteTrigger' })).smartChargingAvailable).toBe(false);
  });

  test('unknown keys (SAP simulator) → conservative defaults: stack 0, 1 period, A', () => {
    const found = readConfiguration(keys({}, ['ChargeProfileMaxStackLevel', 'ChargingScheduleMaxPeriods']));
    expect(found).toEqual({ smartChargingAvailable: true, limits: { profileStackLevel: 0, periodsPerSchedule: 1, rateUnits: ['A'] } });
  });

  test('garbage values are not read as numbers', () => {
    expect(readConfiguration(keys({ ChargeProfileMaxStackLevel: '-1', ChargingScheduleMaxPeriods: 'many' })).limits).toMatchObject({
      profileStackLevel: 0,
      periodsPerSchedule: 1,
    });
  });
});

describe('§7 connector states and transactions', () => {
  test('StatusNotification statuses: 9 in 1.6 → 5 connector states; charging state from Charging/Suspended*', () => {
    expect(connectorStatusOf('Charging')).toBe('Occupied');
    expect(connectorStatusOf('Preparing')).toBe('Occupied');
    expect(connectorStatusOf('Faulted')).toBe('Faulted');
    expect(connectorStatusOf('Available')).toBe('Available');
    expect(chargingStateOf('SuspendedEV')).toBe('SuspendedEV');
    expect(chargingStateOf('SuspendedEVSE')).toBe('SuspendedEVSE');
    expect(chargingStateOf('Charging')).toBe('Charging');
    expect(chargingStateOf('Preparing')).toBe('EVConnected');
    expect(chargingStateOf('Available')).toBeUndefined();
  });

  const start = { connectorId: 2, idTag: 'RFID', meterStart: 1200, timestamp: '2026-12-07T09:00:00Z' };

  test('TransactionEvent Started ← StartTransaction: connector = EVSE, meterStart in Wh, the id it was given', () => {
    const session = startedSession(start, 7, context, undefined);
    expect(session).toMatchObject({ transactionId: '7', evseId: 2, meterStartWh: 1200, meterWh: 1200, chargingState: 'Charging' });
    expect(session.startedAt).toBe('2026-12-07T09:00:00.000Z');
    expect(isSameStart(session, start, NOW)).toBe(true);
    expect(isSameStart(session, { ...start, meterStart: 1201 }, NOW)).toBe(false);
  });

  test('TransactionEvent Ended ← StopTransaction: final meter from meterStop or later transactionData, no current', () => {
    const session = { ...startedSession(start, 7, context, undefined), measuredCurrentA: [10, 10, 10] as const };
    const stopped = stoppedSession(
      session,
      {
        transactionId: 7,
        meterStop: 5000,
        timestamp: '2026-12-07T10:00:00Z',
        transactionData: [{ timestamp: '2026-12-07T09:59:00Z', sampledValue: [{ value: '5.1', unit: 'kWh' }] }],
      },
      NOW,
    );
    expect(stopped).toMatchObject({
      endedAt: '2026-12-07T10:00:00.000Z',
      meterWh: 5100,
      measuredCurrentA: [0, 0, 0],
      chargingState: 'Idle',
    });
    const inferred = stoppedSession(
      { ...session, endedAt: '2026-12-07T09:30:00.000Z', endInferred: true },
      { transactionId: 7, meterStop: 5000, timestamp: '2026-12-07T10:00:00Z' },
      NOW,
    );
    expect(inferred.endInferred).toBeUndefined();
    expect(inferred.endedAt).toBe('2026-12-07T10:00:00.000Z');
  });

  test('MeterValues: string values, flat units (kWh, A), phases — read like 2.0.1; unreadable values dropped', () => {
    const values = asMeterValues([
      {
        timestamp: '2026-12-07T09:10:00Z',
        sampledValue: [
          { value: '3.25', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
          { value: '16.1', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
          { value: '15.9', measurand: 'Current.Import', phase: 'L2', unit: 'A' },
          { value: 'n/a', measurand: 'Current.Import', phase: 'L3', unit: 'A' },
        ],
      },
    ]);
    expect(readMeter(values)).toEqual({ energyWh: 3250, currentA: [16.1, 15.9, 0] });
  });
});

describe('J16 §4.2.3 — CALLERROR codes on 1.6 connections', () => {
  test.each([
    ['OccurrenceConstraintViolation', 'OccurenceConstraintViolation'],
    ['FormatViolation', 'FormationViolation'],
    ['RpcFrameworkError', 'FormationViolation'],
    ['NotImplemented', 'NotImplemented'],
    ['SecurityError', 'SecurityError'],
  ])('%s → %s', (code, spelled) => {
    expect(JSON.parse(respellFor16(JSON.stringify([4, 'id', code, 'why', {}])) ?? '[]')[2]).toBe(spelled);
  });

  test('J16 §4.1.3 — MessageTypeNotSupported is not sent (1.6 ignores unknown message types); results pass untouched', () => {
    expect(respellFor16(JSON.stringify([4, '-1', 'MessageTypeNotSupported', '', {}]))).toBeUndefined();
    const result = JSON.stringify([3, 'id', { status: 'OccurrenceConstraintViolation' }]);
    expect(respellFor16(result)).toBe(result);
  });
});

describe('SW16 §7.2 — AuthorizationKey as text or as the raw bytes OCPP-J 1.6 §6.2.2 shows', () => {
  test('printable text is taken as it is; raw key bytes are compared as lower-case hex', () => {
    expect(basicPassword(Buffer.from('correct-horse-battery-1'))).toBe('correct-horse-battery-1');
    const raw = Buffer.from('00010203040506070809aabbccddeeff10111213', 'hex');
    expect(basicPassword(raw)).toBe('00010203040506070809aabbccddeeff10111213');
  });
});

describe('C16 §6.46 — transaction ids: unique, positive, never reused across restarts', () => {
  const kv = (): { get(key: string): unknown; set(key: string, value: unknown): void; writes: number } => {
    const values = new Map<string, unknown>();
    const store = {
      writes: 0,
      get: (key: string) => values.get(key),
      set: (key: string, value: unknown) => {
        store.writes++;
        values.set(key, value);
      },
    };
    return store;
  };

  test('one store write per block of ids; a restart continues after the reserved block', () => {
    const store = kv();
    const ids = new TransactionIds(store);
    const first = Array.from({ length: BLOCK + 1 }, () => ids.mint());
    expect(first[0]).toBe(1);
    expect(new Set(first).size).toBe(first.length);
    expect(store.writes).toBe(2);
    const restarted = new TransactionIds(store);
    expect(restarted.mint()).toBe(2 * BLOCK + 1);
  });

  test('ids another station already uses (a 2.0.1 transaction "3") are skipped', () => {
    const ids = new TransactionIds(kv(), (id) => id === '3');
    expect([ids.mint(), ids.mint(), ids.mint()]).toEqual([1, 2, 4]);
  });
});

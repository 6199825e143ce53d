// The simulated 1.6 station's profile rules: libocpp's rejections (digest §6), replacement by chargingProfileId or by
// stackLevel + purpose (§3.3), an empty ClearChargingProfile clears all (§3.4), and the composite they make (§3.3, §3.5).
import { compositeAt, type CompositeInput, type StationElectrical } from '../../../../simulators/ocpp-station/composite';
import { ProfileStoreV16, type InstallContextV16 } from '../../../../simulators/ocpp-station/profile-store-v16';
import type { CsChargingProfiles } from '../../../../simulators/ocpp-station/schemas-v16';
import { standingLimitA } from '../../../../simulators/ocpp-station/standing-log';

const T0 = Date.parse('2026-01-05T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

const context: InstallContextV16 = {
  connectorIds: [1, 2],
  transactions: new Map([[1, { key: 'local-1', transactionId: 41 }]]),
  limits: { profileStackLevel: 3, periodsPerSchedule: 3, entriesMax: 4, rateUnits: ['A', 'W'] },
};

const electrical: StationElectrical = { evseIds: [1, 2], evseMaxA: 32, stationMaxA: 64, voltageV: 230, supplyPhases: 3 };

function profile(
  overrides: Partial<CsChargingProfiles> = {},
  schedule: Partial<CsChargingProfiles['chargingSchedule']> = {},
): CsChargingProfiles {
  return {
    chargingProfileId: 1,
    stackLevel: 0,
    chargingProfilePurpose: 'TxDefaultProfile',
    chargingProfileKind: 'Absolute',
    chargingSchedule: {
      startSchedule: iso(T0),
      chargingRateUnit: 'A',
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
      ...schedule,
    },
    ...overrides,
  };
}

const txProfile = (overrides: Partial<CsChargingProfiles> = {}, limit = 10): CsChargingProfiles =>
  profile(
    { chargingProfileId: 20, stackLevel: 1, chargingProfilePurpose: 'TxProfile', transactionId: 41, ...overrides },
    {
      chargingSchedulePeriod: [{ startPeriod: 0, limit }],
    },
  );

const stationMax = (
  id: number,
  stackLevel: number,
  limit: number,
  schedule: Partial<CsChargingProfiles['chargingSchedule']> = {},
): CsChargingProfiles =>
  profile(
    { chargingProfileId: id, stackLevel, chargingProfilePurpose: 'ChargePointMaxProfile' },
    { chargingSchedulePeriod: [{ startPeriod: 0, limit }], ...schedule },
  );

function input(store: ProfileStoreV16, withTransaction = true): CompositeInput {
  return {
    profiles: store.scheduled(),
    electrical,
    transactions: new Map(withTransaction ? [[1, { transactionId: 'local-1', startedMs: T0 }]] : []),
  };
}

function limitA(store: ProfileStoreV16, connectorId: number, atMs = T0, withTransaction = true): number | undefined {
  return compositeAt(input(store, withTransaction), atMs).evses.get(connectorId)?.limitA;
}

function reason(connectorId: number, candidate: CsChargingProfiles, store = new ProfileStoreV16()): string | undefined {
  const result = store.install(connectorId, candidate, context);
  return result.status === 'Rejected' ? result.reason : undefined;
}

describe('ProfileStoreV16 — what a 1.6 station rejects (libocpp validate_profile, digest §6)', () => {
  it.each<[string, number, CsChargingProfiles, RegExp]>([
    ['stackLevel above ChargeProfileMaxStackLevel', 0, profile({ stackLevel: 4 }), /stackLevel 4 > ChargeProfileMaxStackLevel 3/],
    ['Absolute without startSchedule', 0, profile({}, { startSchedule: undefined }), /Absolute profile needs startSchedule/],
    ['Recurring without recurrencyKind', 0, profile({ chargingProfileKind: 'Recurring' }), /recurrencyKind/],
    [
      'more periods than ChargingScheduleMaxPeriods',
      0,
      profile({}, { chargingSchedulePeriod: [0, 60, 120, 180].map((startPeriod) => ({ startPeriod, limit: 16 })) }),
      /4 periods > ChargingScheduleMaxPeriods 3/,
    ],
    [
      'numberPhases outside 1..3',
      0,
      profile({}, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 16, numberPhases: 4 }] }),
      /numberPhases 4/,
    ],
    ['a negative limit', 0, profile({}, { chargingSchedulePeriod: [{ startPeriod: 0, limit: -1 }] }), /negative/],
    ['ChargePointMaxProfile not on connector 0', 1, stationMax(5, 0, 16), /must be set on connectorId 0/],
    ['TxProfile on connector 0', 0, txProfile(), /TxProfile cannot be set on connectorId 0/],
    ['TxProfile without an active transaction', 2, txProfile(), /no transaction is running on connector 2/],
    ['TxProfile for another transactionId', 1, txProfile({ transactionId: 7 }), /transaction 7, but connector 1 runs 41/],
    ['a connector the station does not have', 3, profile(), /connector 3 does not exist/],
  ])('rejects %s', (_name, connectorId, candidate, expected) => {
    const store = new ProfileStoreV16();
    expect(reason(connectorId, candidate, store)).toMatch(expected);
    expect(store.count).toBe(0);
  });

  it('rejects a unit ChargingScheduleAllowedChargingRateUnit does not list', () => {
    const store = new ProfileStoreV16();
    const result = store.install(0, profile({}, { chargingRateUnit: 'W' }), {
      ...context,
      limits: { ...context.limits, rateUnits: ['A'] },
    });
    expect(result).toEqual({ status: 'Rejected', reason: 'chargingRateUnit W is not in ChargingScheduleAllowedChargingRateUnit Current' });
  });

  it('rejects a Relative ChargePointMaxProfile', () => {
    expect(reason(0, { ...stationMax(5, 0, 16, { startSchedule: undefined }), chargingProfileKind: 'Relative' })).toMatch(
      /cannot be Relative/,
    );
  });

  it('rejects a new profile once MaxChargingProfilesInstalled are installed, but still takes a replacement', () => {
    const store = new ProfileStoreV16();
    for (let id = 1; id <= 4; id++)
      expect(store.install(0, profile({ chargingProfileId: id, stackLevel: id - 1 }), context).status).toBe('Accepted');
    expect(reason(0, profile({ chargingProfileId: 9, stackLevel: 0, chargingProfilePurpose: 'ChargePointMaxProfile' }), store)).toMatch(
      /4 profiles installed = MaxChargingProfilesInstalled 4/,
    );
    expect(
      store.install(
        0,
        profile({ chargingProfileId: 4, stackLevel: 3 }, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] }),
        context,
      ),
    ).toEqual({
      status: 'Accepted',
    });
  });

  it('accepts a TxProfile without transactionId and binds it to the running transaction', () => {
    const store = new ProfileStoreV16();
    expect(store.install(1, txProfile({ transactionId: undefined }), context)).toEqual({ status: 'Accepted' });
    expect(store.scheduled()[0]).toMatchObject({ purpose: 'TxProfile', transactionId: 'local-1', evseId: 1 });
  });
});

describe('ProfileStoreV16 — replacement and clearing (1.6 §5.16.3, §6.13)', () => {
  it('the same chargingProfileId replaces, on any connector', () => {
    const store = new ProfileStoreV16();
    store.install(0, profile({ chargingProfileId: 3 }), context);
    store.install(2, profile({ chargingProfileId: 3, stackLevel: 2 }), context);
    expect(store.installed().map((p) => [p.wire.chargingProfileId, p.connectorId, p.wire.stackLevel])).toEqual([[3, 2, 2]]);
  });

  it('the same stackLevel + purpose on the same connector replaces silently (2.0.1 would reject, K01.FR.06)', () => {
    const store = new ProfileStoreV16();
    store.install(0, stationMax(1, 0, 20), context);
    expect(store.install(0, stationMax(2, 0, 12), context)).toEqual({ status: 'Accepted' });
    store.install(1, profile({ chargingProfileId: 5 }), context);
    store.install(2, profile({ chargingProfileId: 6 }), context);
    expect(store.installed().map((p) => p.wire.chargingProfileId)).toEqual([2, 5, 6]);
  });

  it('ClearChargingProfile: by id ignores the other fields; otherwise AND of the fields; no field clears everything', () => {
    const store = new ProfileStoreV16();
    store.install(0, stationMax(1, 0, 20), context);
    store.install(0, stationMax(2, 1, 12), context);
    store.install(0, profile({ chargingProfileId: 3 }), context);
    store.install(1, txProfile(), context);
    expect(store.clear({ id: 2, connectorId: 1, chargingProfilePurpose: 'TxProfile' })).toBe(1);
    expect(store.clear({ chargingProfilePurpose: 'TxProfile', connectorId: 2 })).toBe(0);
    expect(store.clear({ chargingProfilePurpose: 'TxDefaultProfile', stackLevel: 0 })).toBe(1);
    expect(store.installed().map((p) => p.wire.chargingProfileId)).toEqual([1, 20]);
    expect(store.clear({})).toBe(2);
    expect(store.count).toBe(0);
  });

  it('TxProfiles are deleted when their transaction ends', () => {
    const store = new ProfileStoreV16();
    store.install(0, profile(), context);
    store.install(1, txProfile(), context);
    store.endTransaction('local-1');
    expect(store.installed().map((p) => p.wire.chargingProfilePurpose)).toEqual(['TxDefaultProfile']);
  });
});

describe('1.6 composite (§3.3): ChargePointMaxProfile ∧ (TxProfile over TxDefaultProfile)', () => {
  it('no profile: the hardware maximum', () => {
    expect(limitA(new ProfileStoreV16(), 1)).toBe(32);
  });

  it('TxProfile over TxDefaultProfile; a connector-n TxDefaultProfile over connector 0', () => {
    const store = new ProfileStoreV16();
    store.install(0, profile({ chargingProfileId: 1 }, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] }), context);
    store.install(2, profile({ chargingProfileId: 2 }, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 13 }] }), context);
    expect([limitA(store, 1), limitA(store, 2)]).toEqual([16, 13]);
    store.install(1, txProfile({}, 20), context);
    // TxProfile replaces TxDefault for its transaction, even upwards.
    expect(limitA(store, 1)).toBe(20);
  });

  it('the station max caps everything: within its purpose the highest valid stack level wins, expiry falls back', () => {
    const store = new ProfileStoreV16();
    store.install(1, txProfile({}, 20), context);
    store.install(0, stationMax(1, 0, 16), context);
    store.install(0, stationMax(2, 1, 10, { duration: 600 }), context);
    expect(limitA(store, 1)).toBe(10);
    // After the lease at stack 1 ends, the standing stack 0 holds again (not the TxProfile's 20 A).
    expect(limitA(store, 1, T0 + 600_000)).toBe(16);
    // A higher stack level wins even when it is higher in value.
    store.install(0, stationMax(3, 2, 24, { duration: 60 }), context);
    expect(limitA(store, 1)).toBe(20);
    expect(limitA(store, 1, T0 + 60_000)).toBe(10);
  });

  it('W → A per phase at 230 V × numberPhases (absent ⇒ 3)', () => {
    const store = new ProfileStoreV16();
    store.install(0, profile({}, { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 11_040 }] }), context);
    expect(limitA(store, 2)).toBe(16);
    store.install(
      0,
      profile({}, { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 3680, numberPhases: 1 }] }),
      context,
    );
    expect(compositeAt(input(store), T0).evses.get(2)).toMatchObject({ limitA: 16, numberPhases: 1 });
  });

  it('a Relative TxDefaultProfile counts from the transaction start', () => {
    const store = new ProfileStoreV16();
    const relative = profile(
      { chargingProfileKind: 'Relative' },
      { startSchedule: undefined, duration: 300, chargingSchedulePeriod: [{ startPeriod: 0, limit: 8 }] },
    );
    expect(store.install(0, relative, context)).toEqual({ status: 'Accepted' });
    expect(limitA(store, 1, T0 + 100_000)).toBe(8);
    expect(limitA(store, 1, T0 + 300_000)).toBe(32);
  });
});

describe('standing limit of a 1.6 station (what standingLog records)', () => {
  it('is the lowest ChargePointMaxProfile on connector 0 without duration or validTo; W counts at 230 V', () => {
    const store = new ProfileStoreV16();
    expect(standingLimitA(store.scheduled(), 230)).toBeUndefined();
    store.install(0, stationMax(1, 0, 20), context);
    store.install(0, stationMax(2, 1, 6, { duration: 600 }), context);
    store.install(0, profile({ chargingProfileId: 3 }, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 4 }] }), context);
    expect(standingLimitA(store.scheduled(), 230)).toBe(20);
    store.install(0, stationMax(4, 2, 11_040, { chargingRateUnit: 'W' }), context);
    expect(standingLimitA(store.scheduled(), 230)).toBe(16);
  });
});

// The simulated station's profile store rejects what a real OCPP 2.0.1 station rejects (K01), replaces by id
// (K01.FR.05), clears by id or criteria (K10) and reports (K09); a rejected profile changes nothing.
import { ProfileStore, type InstallContext } from '../../../../simulators/ocpp-station/profile-store';
import type { ChargingProfile } from '../../../../simulators/ocpp-station/schemas';

const context: InstallContext = {
  evseIds: [1, 2],
  transactionIds: new Map([[1, 'tx-1']]),
  limits: { profileStackLevel: 2, periodsPerSchedule: 3, entriesMax: 4, rateUnits: ['A'] },
};

function profile(
  overrides: Partial<ChargingProfile> = {},
  schedule: Partial<ChargingProfile['chargingSchedule'][number]> = {},
): ChargingProfile {
  return {
    id: 1,
    stackLevel: 0,
    chargingProfilePurpose: 'TxDefaultProfile',
    chargingProfileKind: 'Absolute',
    chargingSchedule: [
      {
        id: 1,
        startSchedule: '2026-01-05T00:00:00Z',
        chargingRateUnit: 'A',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
        ...schedule,
      },
    ],
    ...overrides,
  };
}

function rejection(evseId: number, candidate: ChargingProfile, store = new ProfileStore()): string | undefined {
  const result = store.install(evseId, candidate, context);
  return result.status === 'Rejected' ? result.reasonCode : undefined;
}

describe('ProfileStore — what a station accepts (OCPP 2.0.1 K01)', () => {
  it('accepts a valid TxDefaultProfile and a valid TxProfile for the running transaction', () => {
    const store = new ProfileStore();
    expect(store.install(0, profile(), context)).toEqual({ status: 'Accepted' });
    expect(store.install(1, profile({ id: 2, chargingProfilePurpose: 'TxProfile', transactionId: 'tx-1' }), context)).toEqual({
      status: 'Accepted',
    });
    expect(store.count).toBe(2);
  });

  it.each([
    ['K01.FR.31 — first startPeriod is 0', 0, profile({}, { chargingSchedulePeriod: [{ startPeriod: 10, limit: 16 }] }), 'InvalidSchedule'],
    [
      'K01.FR.35 — startPeriods strictly increase',
      0,
      profile(
        {},
        {
          chargingSchedulePeriod: [
            { startPeriod: 0, limit: 16 },
            { startPeriod: 0, limit: 8 },
          ],
        },
      ),
      'InvalidSchedule',
    ],
    [
      'periods ≤ PeriodsPerSchedule',
      0,
      profile({}, { chargingSchedulePeriod: [0, 60, 120, 180].map((startPeriod) => ({ startPeriod, limit: 16 })) }),
      'InvalidSchedule',
    ],
    ['stackLevel ≤ ProfileStackLevel', 0, profile({ stackLevel: 3 }), 'InvalidStackLevel'],
    ['K01.FR.26 — chargingRateUnit must be in RateUnit', 0, profile({}, { chargingRateUnit: 'W' }), 'UnsupportedRateUnit'],
    ['K01.FR.03 — TxProfile needs a transactionId', 1, profile({ chargingProfilePurpose: 'TxProfile' }), 'TxNotFound'],
    ['K01.FR.16 — TxProfile not on evse 0', 0, profile({ chargingProfilePurpose: 'TxProfile', transactionId: 'tx-1' }), 'InvalidProfile'],
    [
      'K01.FR.09 — TxProfile needs a running transaction on the EVSE',
      2,
      profile({ chargingProfilePurpose: 'TxProfile', transactionId: 'tx-1' }),
      'TxNotFound',
    ],
    [
      'K01.FR.33 — TxProfile for an unknown transaction',
      1,
      profile({ chargingProfilePurpose: 'TxProfile', transactionId: 'tx-9' }),
      'TxNotFound',
    ],
    ['ChargingStationMaxProfile only on evse 0', 1, profile({ chargingProfilePurpose: 'ChargingStationMaxProfile' }), 'InvalidProfile'],
    [
      'K01.FR.38 — ChargingStationMaxProfile is never Relative',
      0,
      profile({ chargingProfilePurpose: 'ChargingStationMaxProfile', chargingProfileKind: 'Relative' }, { startSchedule: undefined }),
      'InvalidProfile',
    ],
    ['K01.FR.40 — Absolute needs startSchedule', 0, profile({}, { startSchedule: undefined }), 'InvalidSchedule'],
    ['K01.FR.41 — Relative has no startSchedule', 0, profile({ chargingProfileKind: 'Relative' }), 'InvalidSchedule'],
    [
      'K01.FR.22 — the CSMS cannot set ChargingStationExternalConstraints',
      0,
      profile({ chargingProfilePurpose: 'ChargingStationExternalConstraints' }),
      'InvalidProfile',
    ],
    ['K01.FR.28 — unknown EVSE', 7, profile(), 'UnknownEVSE'],
    ['Recurring needs recurrencyKind', 0, profile({ chargingProfileKind: 'Recurring' }), 'InvalidProfile'],
    ['startSchedule must be a date-time', 0, profile({}, { startSchedule: 'yesterday' }), 'InvalidValue'],
  ])('%s', (_name, evseId, candidate, reasonCode) => {
    const store = new ProfileStore();
    expect(rejection(evseId, candidate, store)).toBe(reasonCode);
    expect(store.count).toBe(0);
  });

  it('K01.FR.05 — the same id replaces the installed profile (also on another EVSE)', () => {
    const store = new ProfileStore();
    store.install(0, profile(), context);
    expect(store.install(2, profile({}, { chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] }), context)).toEqual({
      status: 'Accepted',
    });
    expect(store.scheduled()).toEqual([expect.objectContaining({ id: 1, evseId: 2, periods: [{ startPeriodS: 0, limit: 6 }] })]);
  });

  it('K01.FR.06 — same stackLevel + purpose + EVSE with overlapping validity and another id is rejected', () => {
    const store = new ProfileStore();
    store.install(0, profile({ validTo: '2026-01-06T00:00:00Z' }), context);
    expect(rejection(0, profile({ id: 2 }), store)).toBe('DuplicateProfile');
    expect(store.install(0, profile({ id: 3, validFrom: '2026-01-06T00:00:00Z' }), context)).toEqual({ status: 'Accepted' });
  });

  it('K01.FR.39 — two TxProfiles with the same stackLevel for one transaction are rejected', () => {
    const store = new ProfileStore();
    store.install(1, profile({ chargingProfilePurpose: 'TxProfile', transactionId: 'tx-1' }), context);
    expect(rejection(1, profile({ id: 2, chargingProfilePurpose: 'TxProfile', transactionId: 'tx-1' }), store)).toBe('DuplicateProfile');
  });

  it('K01.FR.53 — TxDefaultProfile at evse 0 and on an EVSE may not share a stackLevel', () => {
    const store = new ProfileStore();
    store.install(0, profile(), context);
    expect(rejection(1, profile({ id: 2 }), store)).toBe('DuplicateProfile');
    expect(store.install(1, profile({ id: 2, stackLevel: 1 }), context)).toEqual({ status: 'Accepted' });
  });

  it('Entries[ChargingProfiles] maxLimit: a new id beyond it is rejected, replacing an id is not', () => {
    const store = new ProfileStore();
    for (let id = 1; id <= 3; id++) store.install(0, profile({ id, stackLevel: id - 1 }), context);
    store.install(0, profile({ id: 4, chargingProfilePurpose: 'ChargingStationMaxProfile' }), context);
    expect(store.count).toBe(4);
    expect(rejection(0, profile({ id: 5, stackLevel: 1, chargingProfilePurpose: 'ChargingStationMaxProfile' }), store)).toBe('StorageFull');
    expect(store.install(0, profile({ id: 1 }), context)).toEqual({ status: 'Accepted' });
  });

  it('K10 — clear by id, by criteria (all given must match), never the external constraints', () => {
    const store = new ProfileStore();
    store.install(0, profile({ id: 1 }), context);
    store.install(0, profile({ id: 2, stackLevel: 1 }), context);
    store.install(0, profile({ id: 3, chargingProfilePurpose: 'ChargingStationMaxProfile' }), context);
    store.installExternalConstraint(1, profile({ id: 99, chargingProfilePurpose: 'ChargingStationExternalConstraints' }), context);
    expect(store.clear({ chargingProfileId: 42 })).toBe(0);
    expect(store.clear({ chargingProfileCriteria: { chargingProfilePurpose: 'TxDefaultProfile', stackLevel: 1 } })).toBe(1);
    expect(store.clear({ chargingProfileCriteria: { evseId: 0 } })).toBe(2);
    expect(store.scheduled()).toEqual([expect.objectContaining({ id: 99, purpose: 'ChargingStationExternalConstraints' })]);
    expect(rejection(1, profile({ id: 99 }), store)).toBe('InvalidProfile');
  });

  it('a TxProfile is removed when its transaction ends', () => {
    const store = new ProfileStore();
    store.install(1, profile({ chargingProfilePurpose: 'TxProfile', transactionId: 'tx-1' }), context);
    store.endTransaction('tx-1');
    expect(store.count).toBe(0);
  });

  it('K09 — GetChargingProfiles filters and groups per EVSE and source', () => {
    const store = new ProfileStore();
    store.install(0, profile({ id: 1 }), context);
    store.install(1, profile({ id: 2, stackLevel: 1 }), context);
    store.installExternalConstraint(1, profile({ id: 99 }), context);
    expect(store.query({ requestId: 1, chargingProfile: { chargingProfilePurpose: 'TxDefaultProfile' } })).toEqual([
      { evseId: 0, source: 'CSO', profiles: [expect.objectContaining({ id: 1 })] },
      { evseId: 1, source: 'CSO', profiles: [expect.objectContaining({ id: 2 })] },
    ]);
    expect(store.query({ requestId: 1, evseId: 1, chargingProfile: { chargingLimitSource: ['EMS'] } })).toEqual([
      { evseId: 1, source: 'EMS', profiles: [expect.objectContaining({ id: 99 })] },
    ]);
    expect(store.query({ requestId: 1, chargingProfile: { chargingProfileId: [7] } })).toEqual([]);
  });
});

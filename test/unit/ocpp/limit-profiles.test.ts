// Core limits → OCPP 2.0.1 SetChargingProfile requests: the §6.7 layout, K01 schedule rules, and the
// official JSON schema (as bundled with ocpp-rpc) for every request produced.
import { createValidator } from 'ocpp-rpc';
import schemas from 'ocpp-rpc/lib/schemas/ocpp2_0_1.json';
import { isLift, limitProfiles, PROFILE_IDS } from '../../../src/ocpp/v201/limit-profiles';

const validator = createValidator('ocpp2.0.1', schemas);
const T = Date.parse('2026-03-01T10:00:00.000Z');
const MIN = 60_000;

function expectSchemaValid(request: unknown): void {
  expect(() => validator.validate('urn:SetChargingProfile.req', request)).not.toThrow();
}

describe('limit profiles (OCPP digest §6.7)', () => {
  it('standing: ChargingStationMaxProfile and TxDefaultProfile at evse 0, stack 0, no duration, in the past', () => {
    const requests = limitProfiles({ kind: 'standing', limitA: 10.37 });
    expect(requests).toEqual([
      {
        evseId: 0,
        chargingProfile: {
          id: PROFILE_IDS.standingStationMax,
          stackLevel: 0,
          chargingProfilePurpose: 'ChargingStationMaxProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: [
            {
              id: 1,
              startSchedule: '2020-01-01T00:00:00.000Z',
              chargingRateUnit: 'A',
              chargingSchedulePeriod: [{ startPeriod: 0, limit: 10.3 }],
            },
          ],
        },
      },
      expect.objectContaining({
        evseId: 0,
        chargingProfile: expect.objectContaining({
          id: PROFILE_IDS.standingTxDefault,
          chargingProfilePurpose: 'TxDefaultProfile',
          stackLevel: 0,
        }),
      }),
    ]);
    requests.forEach(expectSchemaValid);
  });

  it('live: a leased station cap at stack 1 first, then one leased TxProfile per session with its transactionId (K01.FR.03)', () => {
    const requests = limitProfiles({
      kind: 'live',
      stationCap: {
        periods: [
          { startMs: T + 300, limitA: 24 },
          { startMs: T + 15 * MIN, limitA: 16.06 },
        ],
        leaseEndMs: T + 20 * MIN,
      },
      sessions: [
        {
          transactionId: 'tx-9',
          evseId: 2,
          schedule: {
            periods: [
              { startMs: T + 300, limitA: 12 },
              { startMs: T + 15 * MIN, limitA: 8 },
            ],
            leaseEndMs: T + 20 * MIN,
          },
        },
      ],
    });
    expect(
      requests.map((r) => [r.evseId, r.chargingProfile.chargingProfilePurpose, r.chargingProfile.stackLevel, r.chargingProfile.id]),
    ).toEqual([
      [0, 'ChargingStationMaxProfile', 1, PROFILE_IDS.liveStationMax],
      [2, 'TxProfile', 1, PROFILE_IDS.liveTxProfileBase + 2],
    ]);
    const cap = requests[0]?.chargingProfile.chargingSchedule[0];
    expect(cap).toEqual({
      id: 1,
      startSchedule: '2026-03-01T10:00:00.000Z',
      duration: 1200,
      chargingRateUnit: 'A',
      chargingSchedulePeriod: [
        { startPeriod: 0, limit: 24 },
        { startPeriod: 900, limit: 16 },
      ],
    });
    expect(requests[1]?.chargingProfile.transactionId).toBe('tx-9');
    requests.forEach(expectSchemaValid);
  });

  it('K01.FR.31/35 — first startPeriod is 0, strictly increasing; repeated values merged', () => {
    const [cap] = limitProfiles({
      kind: 'live',
      stationCap: {
        periods: [
          { startMs: T, limitA: 10 },
          { startMs: T + MIN, limitA: 10 },
          { startMs: T + 2 * MIN, limitA: 6 },
        ],
        leaseEndMs: T + 5 * MIN,
      },
      sessions: [],
    });
    const periods = cap?.chargingProfile.chargingSchedule[0].chargingSchedulePeriod ?? [];
    expect(periods).toEqual([
      { startPeriod: 0, limit: 10 },
      { startPeriod: 120, limit: 6 },
    ]);
  });

  it('an empty schedule becomes 0 A for its lease (a station without sessions)', () => {
    const [cap] = limitProfiles({ kind: 'live', stationCap: { periods: [], leaseEndMs: T + MIN }, sessions: [] });
    expect(cap?.chargingProfile.chargingSchedule[0].chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 0 }]);
  });

  it('K01.FR.31 — schedules starting off a whole second: first period at 0, decreases rounded earlier, increases later', () => {
    const start = T + 600;
    const [cap] = limitProfiles({
      kind: 'live',
      stationCap: {
        periods: [
          { startMs: start, limitA: 10 },
          { startMs: start + 1_500, limitA: 6 },
          { startMs: start + 3_200, limitA: 16 },
        ],
        leaseEndMs: start + MIN,
      },
      sessions: [],
    });
    // startSchedule is floored to T: 6 A from 2.1 s → 2 s (earlier), 16 A from 3.8 s → 4 s (later).
    expect(cap?.chargingProfile.chargingSchedule[0].chargingSchedulePeriod).toEqual([
      { startPeriod: 0, limit: 10 },
      { startPeriod: 2, limit: 6 },
      { startPeriod: 4, limit: 16 },
    ]);
  });
});

describe('a lone session follows the station cap (ocpp.loneSession follow-cap)', () => {
  const live = (sessions: { transactionId: string; evseId: number; limitA: number }[]) =>
    ({
      kind: 'live',
      stationCap: { periods: [{ startMs: T, limitA: sessions.reduce((sum, s) => sum + s.limitA, 0) }], leaseEndMs: T + 20 * MIN },
      sessions: sessions.map((s) => ({
        transactionId: s.transactionId,
        evseId: s.evseId,
        schedule: { periods: [{ startMs: T, limitA: s.limitA }], leaseEndMs: T + 20 * MIN },
      })),
    }) as const;

  it('one session: the leased cap holds it, its TxProfile lifts it to the EVSE maximum without a lease', () => {
    const requests = limitProfiles(live([{ transactionId: 'tx-1', evseId: 2, limitA: 13.37 }]), undefined, { loneSessionLiftA: 32 });
    expect(requests.map((r) => r.chargingProfile.chargingProfilePurpose)).toEqual(['ChargingStationMaxProfile', 'TxProfile']);
    const [cap, tx] = requests;
    expect(cap?.chargingProfile.chargingSchedule[0]).toMatchObject({
      duration: 1200,
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 13.3 }],
    });
    expect(tx).toEqual({
      evseId: 2,
      chargingProfile: {
        id: PROFILE_IDS.liveTxProfileBase + 2,
        stackLevel: 1,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Absolute',
        transactionId: 'tx-1',
        chargingSchedule: [
          {
            id: 1,
            startSchedule: new Date(T).toISOString(),
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 32 }],
          },
        ],
      },
    });
    expect(isLift(tx!.chargingProfile)).toBe(true);
    expect(isLift(cap!.chargingProfile)).toBe(false);
    requests.forEach(expectSchemaValid);
  });

  it('two sessions: each gets its own leased TxProfile, whatever the option (the cap cannot split them)', () => {
    const requests = limitProfiles(
      live([
        { transactionId: 'tx-1', evseId: 1, limitA: 10 },
        { transactionId: 'tx-2', evseId: 2, limitA: 6 },
      ]),
      undefined,
      { loneSessionLiftA: 32 },
    );
    expect(
      requests.slice(1).map((r) => [r.chargingProfile.chargingSchedule[0].chargingSchedulePeriod[0]?.limit, isLift(r.chargingProfile)]),
    ).toEqual([
      [10, false],
      [6, false],
    ]);
  });

  it('without the option a lone session keeps its own leased limit (own-limit)', () => {
    const [, tx] = limitProfiles(live([{ transactionId: 'tx-1', evseId: 1, limitA: 13 }]));
    expect(tx?.chargingProfile.chargingSchedule[0]).toMatchObject({
      duration: 1200,
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 13 }],
    });
  });

  it('Local Controller: the lift is folded with the CSMS limit of the transaction, or its TxDefault', () => {
    const layout = {
      standingStack: 3,
      liveStack: 4,
      fold: { txDefaultA: 20, txLimitA: (id: string) => (id === 'tx-csms' ? 11.15 : undefined) },
    };
    const [, capped] = limitProfiles(live([{ transactionId: 'tx-csms', evseId: 1, limitA: 8 }]), layout, { loneSessionLiftA: 32 });
    const [, byDefault] = limitProfiles(live([{ transactionId: 'tx-other', evseId: 1, limitA: 8 }]), layout, { loneSessionLiftA: 32 });
    expect(capped?.chargingProfile).toMatchObject({
      stackLevel: 4,
      chargingSchedule: [{ chargingSchedulePeriod: [{ startPeriod: 0, limit: 11.1 }] }],
    });
    expect(byDefault?.chargingProfile.chargingSchedule[0].chargingSchedulePeriod).toEqual([{ startPeriod: 0, limit: 20 }]);
  });
});

// Composite-schedule rules of an OCPP 2.0.1 station (digest §6.1, §6.4, §7) against hand-worked cases.
// Station: EVSEs 1 and 2 of 32 A each, grid connection 63 A, 230 V, 3 phases.
import {
  compositeAt,
  compositeSchedule,
  nextChangeAfter,
  type ActiveTransaction,
  type CompositeInput,
  type ScheduledProfile,
} from '../../../../simulators/ocpp-station/composite';

const T0 = Date.parse('2026-01-05T00:00:00Z');
const S = 1000;
const H = 3600 * S;

function profile(overrides: Partial<ScheduledProfile> & Pick<ScheduledProfile, 'id'>): ScheduledProfile {
  return {
    evseId: 0,
    stackLevel: 0,
    purpose: 'TxDefaultProfile',
    kind: 'Absolute',
    startScheduleMs: T0,
    rateUnit: 'A',
    periods: [{ startPeriodS: 0, limit: 10 }],
    ...overrides,
  };
}

function input(profiles: ScheduledProfile[], transactions: [number, ActiveTransaction][] = []): CompositeInput {
  return {
    profiles,
    electrical: { evseIds: [1, 2], evseMaxA: 32, stationMaxA: 63, voltageV: 230, supplyPhases: 3 },
    transactions: new Map(transactions),
  };
}

function evse(at: CompositeInput, atMs: number, evseId = 1) {
  return compositeAt(at, atMs).evses.get(evseId);
}

const TX1: [number, ActiveTransaction] = [1, { transactionId: 'tx-1', startedMs: T0 + 100 * S }];

describe('composite schedule — OCPP 2.0.1 §6.1 combination rules', () => {
  it('gap = hardware maximum: no profile at all means the EVSE maximum, station capped by its connection', () => {
    const composite = compositeAt(input([]), T0);
    expect(composite.evses.get(1)).toEqual({ limitA: 32, numberPhases: 3, source: 'HardwareMaximum' });
    expect(composite.station).toEqual({ limitA: 63, numberPhases: 3, source: 'HardwareMaximum' });
  });

  it('K01 — higher stackLevel wins within a purpose, even with a higher limit', () => {
    const at = input([
      profile({ id: 1, stackLevel: 0, periods: [{ startPeriodS: 0, limit: 10 }] }),
      profile({ id: 2, stackLevel: 1, periods: [{ startPeriodS: 0, limit: 16 }] }),
    ]);
    expect(evse(at, T0)).toEqual({ limitA: 16, numberPhases: 3, source: 'TxDefaultProfile' });
  });

  it('duration expiry falls back to the next lower stack level, at the exact second', () => {
    const at = input([
      profile({ id: 1, stackLevel: 0, periods: [{ startPeriodS: 0, limit: 10 }] }),
      profile({ id: 2, stackLevel: 1, durationS: 900, periods: [{ startPeriodS: 0, limit: 16 }] }),
    ]);
    expect(evse(at, T0 + 899 * S)?.limitA).toBe(16);
    expect(evse(at, T0 + 900 * S)?.limitA).toBe(10);
    expect(nextChangeAfter(at, T0, T0 + H)).toBe(T0 + 900 * S);
  });

  it('duration expiry with nothing below is a gap = hardware maximum (a lapsed lease means full power)', () => {
    const at = input([profile({ id: 2, stackLevel: 1, durationS: 900, periods: [{ startPeriodS: 0, limit: 16 }] })]);
    expect(evse(at, T0 + 900 * S)).toEqual({ limitA: 32, numberPhases: 3, source: 'HardwareMaximum' });
  });

  it('an Absolute schedule that has not started yet does not apply (lower stack level does)', () => {
    const at = input([
      profile({ id: 1, stackLevel: 0, periods: [{ startPeriodS: 0, limit: 10 }] }),
      profile({ id: 2, stackLevel: 1, startScheduleMs: T0 + H, periods: [{ startPeriodS: 0, limit: 6 }] }),
    ]);
    expect(evse(at, T0 + H - 1)?.limitA).toBe(10);
    expect(evse(at, T0 + H)?.limitA).toBe(6);
  });

  it('K01.FR.31/35 — periods apply from their startPeriod until the next one', () => {
    const at = input([
      profile({
        id: 1,
        periods: [
          { startPeriodS: 0, limit: 10 },
          { startPeriodS: 600, limit: 20 },
          { startPeriodS: 1200, limit: 8 },
        ],
      }),
    ]);
    expect(evse(at, T0 + 599 * S)?.limitA).toBe(10);
    expect(evse(at, T0 + 600 * S)?.limitA).toBe(20);
    expect(evse(at, T0 + 5 * H)?.limitA).toBe(8);
  });

  it('TxProfile replaces TxDefaultProfile for its transaction, whatever the stack levels', () => {
    const at = input(
      [
        profile({ id: 1, stackLevel: 2, periods: [{ startPeriodS: 0, limit: 6 }] }),
        profile({
          id: 2,
          evseId: 1,
          stackLevel: 0,
          purpose: 'TxProfile',
          transactionId: 'tx-1',
          periods: [{ startPeriodS: 0, limit: 20 }],
        }),
      ],
      [TX1],
    );
    expect(evse(at, T0 + 200 * S)).toEqual({ limitA: 20, numberPhases: 3, source: 'TxProfile' });
    expect(evse(at, T0 + 200 * S, 2)?.limitA).toBe(6);
  });

  it('a TxProfile of another transaction does not apply (TxDefaultProfile does)', () => {
    const at = input(
      [
        profile({ id: 1, periods: [{ startPeriodS: 0, limit: 6 }] }),
        profile({ id: 2, evseId: 1, purpose: 'TxProfile', transactionId: 'tx-old', periods: [{ startPeriodS: 0, limit: 20 }] }),
      ],
      [TX1],
    );
    expect(evse(at, T0 + 200 * S)?.limitA).toBe(6);
  });

  it('TxDefaultProfile on the EVSE beats TxDefaultProfile on evse 0', () => {
    const at = input([
      profile({ id: 1, evseId: 0, stackLevel: 1, periods: [{ startPeriodS: 0, limit: 10 }] }),
      profile({ id: 2, evseId: 1, stackLevel: 0, periods: [{ startPeriodS: 0, limit: 14 }] }),
    ]);
    expect(evse(at, T0, 1)?.limitA).toBe(14);
    expect(evse(at, T0, 2)?.limitA).toBe(10);
  });

  it('per EVSE: min with ChargingStationExternalConstraints', () => {
    const at = input(
      [
        profile({ id: 1, evseId: 1, purpose: 'TxProfile', transactionId: 'tx-1', periods: [{ startPeriodS: 0, limit: 20 }] }),
        profile({ id: 2, evseId: 1, purpose: 'ChargingStationExternalConstraints', periods: [{ startPeriodS: 0, limit: 12 }] }),
      ],
      [TX1],
    );
    expect(evse(at, T0 + 200 * S)).toEqual({ limitA: 12, numberPhases: 3, source: 'ChargingStationExternalConstraints' });
  });

  it('station sum capped by ChargingStationMaxProfile (and the cap bounds each EVSE)', () => {
    const tx16 = profile({ id: 1, periods: [{ startPeriodS: 0, limit: 16 }] });
    const capped = input([tx16, profile({ id: 2, purpose: 'ChargingStationMaxProfile', periods: [{ startPeriodS: 0, limit: 20 }] })]);
    expect(compositeAt(capped, T0).station).toEqual({ limitA: 20, numberPhases: 3, source: 'ChargingStationMaxProfile' });
    expect(evse(capped, T0)?.limitA).toBe(16);
    const uncapped = input([tx16, profile({ id: 2, purpose: 'ChargingStationMaxProfile', periods: [{ startPeriodS: 0, limit: 40 }] })]);
    expect(compositeAt(uncapped, T0).station).toEqual({ limitA: 32, numberPhases: 3, source: 'TxDefaultProfile' });
    const tight = input([tx16, profile({ id: 2, purpose: 'ChargingStationMaxProfile', periods: [{ startPeriodS: 0, limit: 10 }] })]);
    expect(evse(tight, T0)?.limitA).toBe(10);
  });

  it('a profile above the hardware maximum cannot raise it', () => {
    const at = input([profile({ id: 1, periods: [{ startPeriodS: 0, limit: 40 }] })]);
    expect(evse(at, T0)).toEqual({ limitA: 32, numberPhases: 3, source: 'HardwareMaximum' });
  });

  it('Relative counts from the transaction start; without a transaction it does not apply', () => {
    const relative = profile({
      id: 1,
      kind: 'Relative',
      startScheduleMs: undefined,
      periods: [
        { startPeriodS: 0, limit: 6 },
        { startPeriodS: 1800, limit: 16 },
      ],
    });
    const at = input([relative], [TX1]);
    expect(evse(at, T0 + 1899 * S)?.limitA).toBe(6);
    expect(evse(at, T0 + 1900 * S)?.limitA).toBe(16);
    expect(nextChangeAfter(at, T0 + 1000 * S, T0 + H)).toBe(T0 + 1900 * S);
    expect(evse(at, T0 + 1899 * S, 2)?.source).toBe('HardwareMaximum');
  });

  it("Recurring Daily wraps: before today's anchor the previous day's tail applies", () => {
    const daily = profile({
      id: 1,
      kind: 'Recurring',
      recurrencyKind: 'Daily',
      startScheduleMs: Date.parse('2026-01-01T12:00:00Z'),
      periods: [
        { startPeriodS: 0, limit: 16 },
        { startPeriodS: 7 * 3600, limit: 8 },
      ],
    });
    const at = input([daily]);
    expect(evse(at, Date.parse('2026-01-05T11:50:00Z'))?.limitA).toBe(8);
    expect(evse(at, Date.parse('2026-01-05T12:00:00Z'))?.limitA).toBe(16);
    expect(evse(at, Date.parse('2026-01-05T19:00:00Z'))?.limitA).toBe(8);
    expect(nextChangeAfter(at, Date.parse('2026-01-05T11:50:00Z'), T0 + 48 * H)).toBe(Date.parse('2026-01-05T12:00:00Z'));
  });

  it('Recurring Weekly repeats every 7 days; its duration leaves a gap', () => {
    const weekly = profile({
      id: 1,
      kind: 'Recurring',
      recurrencyKind: 'Weekly',
      startScheduleMs: T0,
      durationS: 24 * 3600,
      periods: [{ startPeriodS: 0, limit: 6 }],
    });
    const at = input([weekly]);
    expect(evse(at, T0 + 7 * 24 * H + H)?.limitA).toBe(6);
    expect(evse(at, T0 + 2 * 24 * H)?.source).toBe('HardwareMaximum');
  });

  it('validTo: a profile stops applying at validTo; validFrom: starts at validFrom', () => {
    const at = input([
      profile({ id: 1, stackLevel: 0, periods: [{ startPeriodS: 0, limit: 16 }] }),
      profile({ id: 2, stackLevel: 1, validToMs: T0 + H, periods: [{ startPeriodS: 0, limit: 6 }] }),
      profile({ id: 3, stackLevel: 2, validFromMs: T0 + 2 * H, periods: [{ startPeriodS: 0, limit: 12 }] }),
    ]);
    expect(evse(at, T0 + H - 1)?.limitA).toBe(6);
    expect(evse(at, T0 + H)?.limitA).toBe(16);
    expect(evse(at, T0 + 2 * H)?.limitA).toBe(12);
    expect(nextChangeAfter(at, T0, T0 + 3 * H)).toBe(T0 + H);
  });

  it('W → A with numberPhases (absent ⇒ 3, K01.FR.49/50), rounded down to 0.1 A', () => {
    const w3 = input([profile({ id: 1, rateUnit: 'W', periods: [{ startPeriodS: 0, limit: 11_040 }] })]);
    expect(evse(w3, T0)).toEqual({ limitA: 16, numberPhases: 3, source: 'TxDefaultProfile' });
    const w1 = input([profile({ id: 1, rateUnit: 'W', periods: [{ startPeriodS: 0, limit: 3680, numberPhases: 1 }] })]);
    expect(evse(w1, T0)).toEqual({ limitA: 16, numberPhases: 1, source: 'TxDefaultProfile' });
    const odd = input([profile({ id: 1, rateUnit: 'W', periods: [{ startPeriodS: 0, limit: 10_000 }] })]);
    expect(evse(odd, T0)?.limitA).toBe(14.4);
  });

  it('the lowest numberPhases wins when limits combine', () => {
    const at = input(
      [
        profile({
          id: 1,
          evseId: 1,
          purpose: 'TxProfile',
          transactionId: 'tx-1',
          periods: [{ startPeriodS: 0, limit: 16, numberPhases: 1 }],
        }),
        profile({ id: 2, purpose: 'ChargingStationMaxProfile', periods: [{ startPeriodS: 0, limit: 20 }] }),
      ],
      [TX1],
    );
    expect(evse(at, T0 + 200 * S)).toEqual({ limitA: 16, numberPhases: 1, source: 'TxProfile' });
  });

  it('nextChangeAfter skips boundaries where nothing changes', () => {
    const at = input([
      profile({
        id: 1,
        periods: [
          { startPeriodS: 0, limit: 10 },
          { startPeriodS: 600, limit: 10 },
          { startPeriodS: 1200, limit: 12 },
        ],
      }),
    ]);
    expect(nextChangeAfter(at, T0, T0 + H)).toBe(T0 + 1200 * S);
    expect(nextChangeAfter(at, T0 + 1200 * S, T0 + H)).toBeUndefined();
  });

  it('K08 — GetCompositeSchedule merges the stack over the requested window, in A or W', () => {
    const at = input([
      profile({ id: 1, stackLevel: 0, periods: [{ startPeriodS: 0, limit: 10 }] }),
      profile({ id: 2, stackLevel: 1, durationS: 900, periods: [{ startPeriodS: 0, limit: 16 }] }),
    ]);
    expect(compositeSchedule(at, 1, T0, 3600, 'A')).toEqual([
      { startPeriod: 0, limit: 16, numberPhases: 3 },
      { startPeriod: 900, limit: 10, numberPhases: 3 },
    ]);
    expect(compositeSchedule(at, 1, T0 + 600 * S, 3600, 'W')).toEqual([
      { startPeriod: 0, limit: 11_040, numberPhases: 3 },
      { startPeriod: 300, limit: 6900, numberPhases: 3 },
    ]);
    expect(compositeSchedule(at, 0, T0, 3600, 'A')).toEqual([
      { startPeriod: 0, limit: 32, numberPhases: 3 },
      { startPeriod: 900, limit: 20, numberPhases: 3 },
    ]);
  });
});

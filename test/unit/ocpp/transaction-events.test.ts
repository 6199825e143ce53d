// E-block transaction events as a third-party fleet sends them: duplicated, reordered, repeated after Ended. The
// stored session must be the one the clean sequence gives (found by SAP's simulator: 23 % of sessions overwritten).
import fc from 'fast-check';
import type { ChargingSession } from '../../../src/domain/session';
import type { TransactionEventRequest } from '../../../src/ocpp/v201/payloads';
import { applyMeterValues, applyTransactionEvent, type LiveSession } from '../../../src/ocpp/v201/transaction-events';

const context = { stationId: 'CS-1', groupId: 'g1', nowMs: Date.parse('2026-12-01T12:00:00Z') };
const T0 = Date.parse('2026-12-01T10:00:00Z');

interface Step {
  readonly gapS: number;
  readonly addWh: number;
  readonly currentA: number;
  readonly state?: 'Charging' | 'SuspendedEV' | 'EVConnected';
  readonly withMeter: boolean;
}

/** The clean sequence of one transaction: Started, Updated…, Ended; seqNo and time increase, the register never falls. */
function cleanSequence(steps: readonly Step[], phases: 1 | 3 | undefined): TransactionEventRequest[] {
  let atMs = T0;
  let wh = 1000;
  return steps.map((step, seqNo) => {
    atMs += step.gapS * 1000;
    wh += step.addWh;
    const eventType = seqNo === 0 ? 'Started' : seqNo === steps.length - 1 ? 'Ended' : 'Updated';
    return {
      eventType,
      timestamp: new Date(atMs).toISOString(),
      triggerReason: 'MeterValuePeriodic',
      seqNo,
      ...(phases !== undefined && { numberOfPhasesUsed: phases }),
      transactionInfo: { transactionId: 'tx-1', ...(step.state && { chargingState: step.state }) },
      ...(seqNo === 0 && { evse: { id: 2, connectorId: 1 } }),
      ...(step.withMeter && {
        meterValue: [
          {
            timestamp: new Date(atMs).toISOString(),
            sampledValue: [
              { value: wh, measurand: 'Energy.Active.Import.Register' },
              { value: step.currentA, measurand: 'Current.Import', phase: 'L1' },
            ],
          },
        ],
      }),
    };
  });
}

function replay(events: readonly TransactionEventRequest[], from?: ChargingSession): ChargingSession | undefined {
  let session = from;
  for (const event of events) {
    const outcome = applyTransactionEvent(session, event, context);
    if (outcome.kind === 'applied') session = outcome.session;
  }
  return session;
}

const step = fc.record({
  gapS: fc.integer({ min: 1, max: 600 }),
  addWh: fc.integer({ min: 0, max: 5000 }),
  currentA: fc.integer({ min: 0, max: 32 }),
  state: fc.option(fc.constantFrom('Charging' as const, 'SuspendedEV' as const, 'EVConnected' as const), { nil: undefined }),
  withMeter: fc.boolean(),
});

describe('E-block — a transaction is the set of its events, whatever their order or repetition', () => {
  test('any interleaving and duplication of the events stores the session of the clean sequence', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 2, maxLength: 12 }),
        fc.option(fc.constantFrom(1 as const, 3 as const), { nil: undefined }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (steps, phases, duplicates, order) => {
          const clean = cleanSequence(steps, phases);
          const expected = replay(clean);
          const messy = [...clean, ...duplicates.map((i) => clean[i % clean.length] as TransactionEventRequest)];
          // A deterministic shuffle driven by the generated keys (fast-check shrinks it).
          const keyed = messy.map((event, i) => ({ event, key: order[i % Math.max(order.length, 1)] ?? i }));
          keyed.sort((a, b) => a.key - b.key);
          expect(replay(keyed.map((k) => k.event))).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('the clean sequence ends with the Ended time, the first register as start and the last as total', () => {
    const clean = cleanSequence(
      [
        { gapS: 0, addWh: 0, currentA: 0, withMeter: true },
        { gapS: 60, addWh: 300, currentA: 16, state: 'Charging', withMeter: true },
        { gapS: 38, addWh: 237, currentA: 16, withMeter: true },
      ],
      3,
    );
    const session = replay(clean);
    expect(session).toMatchObject({
      startedAt: '2026-12-01T10:00:00.000Z',
      endedAt: '2026-12-01T10:01:38.000Z',
      meterStartWh: 1000,
      meterWh: 1537,
      chargingState: 'Idle',
      measuredCurrentA: [0, 0, 0],
      evseId: 2,
      lastSeqNo: 2,
    });
  });

  test('E06 — a second Ended (seqNo after the first) and a late Updated are after-end: answered, never applied', () => {
    const clean = cleanSequence(
      [
        { gapS: 0, addWh: 0, currentA: 0, withMeter: true },
        { gapS: 98, addWh: 537, currentA: 16, withMeter: true },
      ],
      undefined,
    );
    const ended = replay(clean);
    if (!ended) throw new Error('no session');
    const again = { ...(clean[1] as TransactionEventRequest), seqNo: 5, timestamp: '2026-12-01T10:01:39Z', meterValue: [] };
    expect(applyTransactionEvent(ended, again, context).kind).toBe('after-end');
    const lateUpdate = { ...(clean[1] as TransactionEventRequest), eventType: 'Updated' as const, seqNo: 2 };
    expect(applyTransactionEvent(ended, lateUpdate, context).kind).toBe('after-end');
    expect(applyTransactionEvent(ended, clean[0] as TransactionEventRequest, context).kind).toBe('duplicate');
  });

  test('an end inferred from a connector going Available gives way to the station’s own Ended', () => {
    const clean = cleanSequence(
      [
        { gapS: 0, addWh: 0, currentA: 0, withMeter: true },
        { gapS: 60, addWh: 400, currentA: 16, withMeter: true },
        { gapS: 30, addWh: 100, currentA: 0, withMeter: true },
      ],
      3,
    );
    const running = replay(clean.slice(0, 2));
    if (!running) throw new Error('no session');
    const inferred: ChargingSession = { ...running, endedAt: '2026-12-01T10:01:20.000Z', endInferred: true };
    const final = replay(clean.slice(2), inferred);
    expect(final).toEqual(replay(clean));
    expect(final?.endInferred).toBeUndefined();
  });
});

describe('MeterValues — a reading updates the tracker’s own record in place', () => {
  const live = (): LiveSession => ({
    transactionId: 'tx-1',
    stationId: 'CS-1',
    groupId: 'g1',
    evseId: 1,
    chargingState: 'Charging',
    startedAt: '2026-12-01T10:00:00.000Z',
    lastSeqNo: 0,
    priority: 0,
  });
  const sample = (timestamp: string, wh: number, currentA: number) => ({
    timestamp,
    sampledValue: [
      { value: wh, measurand: 'Energy.Active.Import.Register' },
      { value: currentA, measurand: 'Current.Import', phase: 'L2' },
    ],
  });

  test('the register and the current change on the same record; the first register is the start', () => {
    const session = live();
    expect(applyMeterValues(session, [sample('2026-12-01T10:01:00Z', 2_000, 16)])).toBe(true);
    expect(applyMeterValues(session, [sample('2026-12-01T10:02:00Z', 2_300, 10)])).toBe(true);
    expect(session).toMatchObject({ meterStartWh: 2_000, meterWh: 2_300, measuredCurrentA: [0, 10, 0] });
  });

  test('values without a register or a current leave the record as it was', () => {
    const session = live();
    const before = { ...session };
    expect(applyMeterValues(session, [{ timestamp: '2026-12-01T10:01:00Z', sampledValue: [{ value: 230, measurand: 'Voltage' }] }])).toBe(
      false,
    );
    expect(session).toEqual(before);
  });

  test('several values are read in time order, whatever order they came in', () => {
    const session = live();
    applyMeterValues(session, [sample('2026-12-01T10:03:00Z', 2_600, 8), sample('2026-12-01T10:01:00Z', 2_000, 16)]);
    expect(session).toMatchObject({ meterWh: 2_600, measuredCurrentA: [0, 8, 0] });
  });

  it("keeps the record's current tuple while the currents stay the same (tuples are never changed in place)", () => {
    const session = live();
    applyMeterValues(session, [sample('2026-12-01T10:01:00Z', 2_000, 16)]);
    const first = session.measuredCurrentA;
    applyMeterValues(session, [sample('2026-12-01T10:02:00Z', 2_100, 16)]);
    expect(session.measuredCurrentA).toBe(first);
    expect(session.meterWh).toBe(2_100);
    applyMeterValues(session, [sample('2026-12-01T10:03:00Z', 2_200, 12)]);
    expect(session.measuredCurrentA).not.toBe(first);
    expect(first).toEqual([0, 16, 0]);
    expect(session.measuredCurrentA).toEqual([0, 12, 0]);
  });
});

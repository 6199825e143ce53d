// E06 over the wire and on a real SQLite file: an ended transaction is final. A second Ended and an Updated right
// after Ended (as SAP's simulator sends them) are answered but never re-create or overwrite the stored session.
import { connectStation, startTestCsms, type FakeStation, type TestCsms } from './harness';

const START = '2026-12-01T10:00:00.000Z';
const END = '2026-12-01T10:01:38.000Z';

function event(eventType: 'Started' | 'Updated' | 'Ended', seqNo: number, timestamp: string, wh: number): Record<string, unknown> {
  return {
    eventType,
    timestamp,
    triggerReason: eventType === 'Ended' ? 'EVCommunicationLost' : 'MeterValuePeriodic',
    seqNo,
    transactionInfo: { transactionId: 'tx-sap-1', chargingState: eventType === 'Ended' ? 'Idle' : 'Charging' },
    ...(eventType === 'Started' && { evse: { id: 1, connectorId: 1 } }),
    meterValue: [{ timestamp, sampledValue: [{ value: wh, measurand: 'Energy.Active.Import.Register' }] }],
  };
}

describe('E06 — events after Ended never reopen or overwrite the session', () => {
  let t: TestCsms;
  let station: FakeStation;
  beforeEach(async () => {
    t = await startTestCsms();
    station = await connectStation(t.url);
  });
  afterEach(async () => {
    await station.client.close();
    await t.stop();
  });

  const stored = (): unknown => t.store.sessions.get('tx-sap-1');
  const expected = { startedAt: START, endedAt: END, meterStartWh: 1000, meterWh: 1537, chargingState: 'Idle' };

  test('a second Ended (seqNo 5 after 4) and an Updated 1 ms after Ended leave the stored session as it ended', async () => {
    await station.client.call('TransactionEvent', event('Started', 0, START, 1000));
    await station.client.call('TransactionEvent', event('Updated', 1, '2026-12-01T10:01:00.000Z', 1300));
    await station.client.call('TransactionEvent', event('Ended', 4, END, 1537));
    expect(stored()).toMatchObject(expected);
    // Each is answered with a valid (empty) response, not an error.
    await expect(station.client.call('TransactionEvent', event('Ended', 5, '2026-12-01T10:01:39.000Z', 0))).resolves.toEqual({});
    await expect(station.client.call('TransactionEvent', event('Updated', 6, '2026-12-01T10:01:38.001Z', 0))).resolves.toEqual({});
    t.csms.sessions.flush();
    expect(stored()).toMatchObject(expected);
    expect(t.csms.sessions.get('tx-sap-1')).toBeUndefined();
  });

  test('after a restart the ended session read back from the store is final too', async () => {
    await station.client.call('TransactionEvent', event('Started', 0, START, 1000));
    await station.client.call('TransactionEvent', event('Ended', 1, END, 1537));
    await station.client.close();
    await t.restart();
    station = await connectStation(t.url);
    await station.client.call('TransactionEvent', event('Ended', 2, '2026-12-01T10:05:00.000Z', 0));
    await station.client.call('TransactionEvent', event('Updated', 3, '2026-12-01T10:05:00.000Z', 0));
    t.csms.sessions.flush();
    expect(stored()).toMatchObject(expected);
    expect([...t.csms.sessions.all()]).toHaveLength(0);
  });
});

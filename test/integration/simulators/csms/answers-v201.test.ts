// CSMS simulator in 2.0.1 mode: every station→CSMS message gets a CALLRESULT valid against the OCA 2.0.1
// response schema; boot and authorization answers are configurable; RPC framework errors (P4-201 §4.3).
import { z } from 'zod';
import { startCsmsSimulator, type CsmsSimulator, type CsmsSimulatorOptionsInput } from '../../../../simulators/csms';
import { V201_ANSWERS } from '../../../../simulators/csms/answers-v201';
import { V201_REQUESTS, validate } from './ocpp-messages';
import { StationSocket, type Frame } from './station-socket';

let sim: CsmsSimulator | undefined;
let station: StationSocket | undefined;

async function connect(options: CsmsSimulatorOptionsInput = {}, identity = 'CS-1'): Promise<StationSocket> {
  sim = await startCsmsSimulator({ port: 0, ...options });
  station = await StationSocket.open(sim.url, identity);
  return station;
}

afterEach(async () => {
  await station?.close();
  await sim?.stop();
  station = undefined;
  sim = undefined;
});

/** The payload of a CALLRESULT (fails the test on a CALLERROR). */
function resultOf(frame: Frame): unknown {
  expect(frame.slice(0, 1)).toEqual([3]);
  return frame[2];
}

const IsoUtc = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const BootNotificationResponse = z.strictObject({
  currentTime: IsoUtc,
  interval: z.number().int(),
  status: z.enum(['Accepted', 'Pending', 'Rejected']),
});
const IdTokenInfoResponse = z.strictObject({ idTokenInfo: z.strictObject({ status: z.string() }) });
const StatusResponse = z.strictObject({ status: z.string() });
const Empty = z.strictObject({});

describe('CSMS simulator 2.0.1 — every station message answered schema-valid', () => {
  it('has a schema-valid request fixture for each action it answers', () => {
    expect(Object.keys(V201_REQUESTS).sort()).toEqual(Object.keys(V201_ANSWERS).sort());
  });

  it.each(Object.keys(V201_REQUESTS))('%s → CALLRESULT valid against %s.conf', async (action) => {
    const cs = await connect();
    const request = V201_REQUESTS[action];
    validate('2.0.1', action, 'req', request);
    const answer = resultOf(await cs.call(action, request));
    expect(() => validate('2.0.1', action, 'conf', answer)).not.toThrow();
  });

  it('a handful by shape: Boot, Heartbeat, Authorize, DataTransfer, NotifyEVChargingNeeds, StatusNotification', async () => {
    const cs = await connect({ boot: { intervalS: 42 } });
    const boot = BootNotificationResponse.parse(resultOf(await cs.call('BootNotification', V201_REQUESTS.BootNotification)));
    expect(boot).toMatchObject({ interval: 42, status: 'Accepted' });
    expect(Math.abs(Date.parse(boot.currentTime) - Date.now())).toBeLessThan(5000);
    z.strictObject({ currentTime: IsoUtc }).parse(resultOf(await cs.call('Heartbeat', {})));
    expect(IdTokenInfoResponse.parse(resultOf(await cs.call('Authorize', V201_REQUESTS.Authorize))).idTokenInfo.status).toBe('Accepted');
    expect(StatusResponse.parse(resultOf(await cs.call('DataTransfer', V201_REQUESTS.DataTransfer))).status).toBe('UnknownVendorId');
    expect(StatusResponse.parse(resultOf(await cs.call('NotifyEVChargingNeeds', V201_REQUESTS.NotifyEVChargingNeeds))).status).toBe(
      'Accepted',
    );
    Empty.parse(resultOf(await cs.call('StatusNotification', V201_REQUESTS.StatusNotification)));
  });

  it('TransactionEvent carries idTokenInfo exactly when the request has an idToken', async () => {
    const cs = await connect();
    const started = resultOf(await cs.call('TransactionEvent', V201_REQUESTS.TransactionEvent));
    expect(IdTokenInfoResponse.parse(started).idTokenInfo.status).toBe('Accepted');
    const updated = {
      ...V201_REQUESTS.TransactionEvent,
      eventType: 'Updated',
      triggerReason: 'MeterValuePeriodic',
      seqNo: 1,
      idToken: undefined,
    };
    Empty.parse(resultOf(await cs.call('TransactionEvent', JSON.parse(JSON.stringify(updated)))));
    expect(sim?.station('CS-1').transactionId).toBe('tx-1');
    await cs.call('TransactionEvent', { ...V201_REQUESTS.TransactionEvent, eventType: 'Ended', triggerReason: 'EVDeparted', seqNo: 2 });
    expect(sim?.station('CS-1').transactionId).toBeUndefined();
  });
});

describe('CSMS simulator 2.0.1 — configurable answers', () => {
  it('Authorize and TransactionEvent reject the configured idTokens, accept the others', async () => {
    const cs = await connect({ authorization: { idTokens: { 'BAD-TAG': 'Invalid', 'OLD-TAG': 'Expired' } } });
    const authorize = async (token: string): Promise<string> =>
      IdTokenInfoResponse.parse(resultOf(await cs.call('Authorize', { idToken: { idToken: token, type: 'ISO14443' } }))).idTokenInfo.status;
    expect(await authorize('BAD-TAG')).toBe('Invalid');
    expect(await authorize('OLD-TAG')).toBe('Expired');
    expect(await authorize('TAG-1')).toBe('Accepted');
    const event = { ...V201_REQUESTS.TransactionEvent, idToken: { idToken: 'BAD-TAG', type: 'ISO14443' } };
    expect(IdTokenInfoResponse.parse(resultOf(await cs.call('TransactionEvent', event))).idTokenInfo.status).toBe('Invalid');
  });

  it('BootNotification: Pending or Rejected per station with the retry interval; a sequence Pending → Accepted', async () => {
    const cs = await connect({
      boot: { intervalS: 300, retryIntervalS: 7, perStation: { 'CS-1': ['Pending', 'Accepted'], 'CS-R': 'Rejected' } },
    });
    const boot = async (socket: StationSocket): Promise<z.infer<typeof BootNotificationResponse>> =>
      BootNotificationResponse.parse(resultOf(await socket.call('BootNotification', V201_REQUESTS.BootNotification)));
    expect(await boot(cs)).toMatchObject({ status: 'Pending', interval: 7 });
    expect(await boot(cs)).toMatchObject({ status: 'Accepted', interval: 300 });
    expect(await boot(cs)).toMatchObject({ status: 'Accepted' });
    const rejected = await StationSocket.open(sim?.url ?? '', 'CS-R');
    expect(await boot(rejected)).toMatchObject({ status: 'Rejected', interval: 7 });
    sim?.setBootStatus('CS-R', 'Accepted');
    expect(await boot(rejected)).toMatchObject({ status: 'Accepted' });
    expect(sim?.station('CS-R')).toMatchObject({ boots: 2, bootStatus: 'Accepted' });
    await rejected.close();
  });
});

describe('CSMS simulator 2.0.1 — RPC framework errors', () => {
  it('an unknown action → CALLERROR NotImplemented', async () => {
    const cs = await connect();
    expect(await cs.call('MakeCoffee', {})).toEqual([4, 'CS-1-1', 'NotImplemented', expect.any(String), {}]);
  });

  it('a frame that is not JSON, not an array or has no readable id → FormatViolation with message id "-1"', async () => {
    const cs = await connect();
    cs.sendRaw('this is not json');
    cs.sendRaw('{"a":1}');
    cs.sendRaw('[2, 17, "Heartbeat", {}]');
    await cs.waitFor(() => cs.frames.length === 3, 'three CALLERRORs');
    expect(cs.frames.map((frame) => frame.slice(0, 3))).toEqual([
      [4, '-1', 'FormatViolation'],
      [4, '-1', 'FormatViolation'],
      [4, '-1', 'FormatViolation'],
    ]);
  });

  it('a CALL with a non-object payload or the wrong length → FormatViolation under its id', async () => {
    const cs = await connect();
    cs.sendRaw('[2, "m-1", "Heartbeat", []]');
    cs.sendRaw('[2, "m-2", "Heartbeat"]');
    await cs.waitFor((frame) => frame[1] === 'm-2', 'answer to m-2');
    expect(cs.frames.map((frame) => frame.slice(0, 3))).toEqual([
      [4, 'm-1', 'FormatViolation'],
      [4, 'm-2', 'FormatViolation'],
    ]);
  });

  it('a missing required field → OccurrenceConstraintViolation, a wrong type → TypeConstraintViolation', async () => {
    const cs = await connect();
    const missing = await cs.call('StatusNotification', { timestamp: '2026-03-02T10:00:00Z', evseId: 1, connectorId: 1 });
    expect(missing.slice(0, 4)).toEqual([4, 'CS-1-1', 'OccurrenceConstraintViolation', 'connectorStatus: required']);
    const wrongType = await cs.call('MeterValues', { evseId: 'one', meterValue: [{}] });
    expect(wrongType.slice(0, 3)).toEqual([4, 'CS-1-2', 'TypeConstraintViolation']);
  });

  it('an unknown message type → MessageTypeNotSupported; a broken CALLRESULT is recorded but not answered', async () => {
    const cs = await connect();
    cs.sendRaw('[7, "m-7", {}]');
    cs.sendRaw('[3, "m-3"]');
    await cs.call('Heartbeat', {});
    expect(cs.frames.map((frame) => frame.slice(0, 3))).toEqual([[4, 'm-7', 'MessageTypeNotSupported'], expect.arrayContaining([3])]);
    expect(sim?.frames.byMessageId('m-3')).toEqual([expect.objectContaining({ type: 'malformed', direction: 'in', raw: '[3, "m-3"]' })]);
  });
});

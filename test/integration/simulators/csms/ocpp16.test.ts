// CSMS simulator in 1.6 mode (--ocpp 1.6): subprotocol ocpp1.6, every Charge Point message answered valid
// against the 1.6 JSON schemas, StartTransaction ids unique across stations, 1.6 error spellings, 1.6 profiles.
import { startCsmsSimulator, type CsmsSimulator, type CsmsSimulatorOptionsInput } from '../../../../simulators/csms';
import { V16_ANSWERS } from '../../../../simulators/csms/answers-v16';
import { V16_REQUESTS, validate } from './ocpp-messages';
import { isRecord, StationSocket, type Frame } from './station-socket';

let sim: CsmsSimulator | undefined;
const sockets: StationSocket[] = [];

async function start(options: CsmsSimulatorOptionsInput = {}): Promise<CsmsSimulator> {
  sim = await startCsmsSimulator({ port: 0, ocppVersion: '1.6', ...options });
  return sim;
}

async function open(identity: string): Promise<StationSocket> {
  const station = await StationSocket.open(sim?.url ?? '', identity, { protocols: ['ocpp1.6'] });
  sockets.push(station);
  return station;
}

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  await sim?.stop();
  sim = undefined;
});

function resultOf(frame: Frame): Record<string, unknown> {
  expect(frame[0]).toBe(3);
  return isRecord(frame[2]) ? frame[2] : {};
}

describe('CSMS simulator 1.6 — Charge Point messages', () => {
  it('negotiates ocpp1.6 and refuses a station that only speaks 2.0.1', async () => {
    const csms = await start();
    expect((await open('CP-1')).socket.protocol).toBe('ocpp1.6');
    await expect(StationSocket.open(csms.url, 'CP-2', { protocols: ['ocpp2.0.1'] })).rejects.toThrow(/subprotocol/);
  });

  it('has a schema-valid request fixture for each action it answers', () => {
    expect(Object.keys(V16_REQUESTS).sort()).toEqual(Object.keys(V16_ANSWERS).sort());
  });

  it('answers every message with a .conf valid against the 1.6 schema', async () => {
    await start();
    const cp = await open('CP-1');
    for (const [action, request] of Object.entries(V16_REQUESTS)) {
      validate('1.6', action, 'req', request);
      const answer = resultOf(await cp.call(action, request));
      expect(() => validate('1.6', action, 'conf', answer)).not.toThrow();
    }
  });

  it('StartTransaction hands out positive integer ids, unique across stations', async () => {
    await start({ authorization: { idTokens: { 'BAD-TAG': 'Blocked' } } });
    const stations = await Promise.all(['CP-1', 'CP-2', 'CP-3'].map(open));
    const answers = await Promise.all(
      stations.flatMap((cp) => [1, 2].map((connectorId) => cp.call('StartTransaction', { ...V16_REQUESTS.StartTransaction, connectorId }))),
    );
    const ids = answers.map((frame) => resultOf(frame)['transactionId']);
    expect(ids.every((id) => typeof id === 'number' && Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(6);
    const blocked = resultOf((await stations[0]?.call('StartTransaction', { ...V16_REQUESTS.StartTransaction, idTag: 'BAD-TAG' })) ?? []);
    expect(blocked['idTagInfo']).toEqual({ status: 'Blocked' });
    expect(sim?.station('CP-1').transactionId).toBe(blocked['transactionId']);
  });

  it('StopTransaction answers idTagInfo only with an idTag, and ends the transaction seen', async () => {
    await start();
    const cp = await open('CP-1');
    const transactionId = resultOf(await cp.call('StartTransaction', V16_REQUESTS.StartTransaction))['transactionId'];
    expect(resultOf(await cp.call('StopTransaction', { meterStop: 10, timestamp: '2026-03-02T11:00:00Z', transactionId }))).toEqual({});
    expect(sim?.station('CP-1').transactionId).toBeUndefined();
  });

  it('errors use the 1.6 spellings: FormationViolation, OccurenceConstraintViolation; unknown action NotImplemented', async () => {
    await start();
    const cp = await open('CP-1');
    cp.sendRaw('not json');
    await cp.waitFor((frame) => frame[1] === '-1', 'the CALLERROR');
    expect(cp.frames[0]?.slice(0, 3)).toEqual([4, '-1', 'FormationViolation']);
    expect((await cp.call('Authorize', {})).slice(0, 4)).toEqual([4, 'CP-1-1', 'OccurenceConstraintViolation', 'idTag: required']);
    expect((await cp.call('TransactionEvent', {})).slice(0, 3)).toEqual([4, 'CP-1-2', 'NotImplemented']);
  });

  it('a scenario limit profile goes out as a 1.6 SetChargingProfile (ChargePointMaxProfile; TxProfile with the assigned id)', async () => {
    await start({
      scenario: {
        steps: [
          { atMs: 0, action: 'SetChargingProfile', limitProfile: { purpose: 'ChargingStationMaxProfile', limit: 20, id: 7 } },
          { on: 'tx', action: 'SetChargingProfile', limitProfile: { purpose: 'TxProfile', evseId: 1, limit: 10, stackLevel: 1 } },
        ],
      },
    });
    const cp = await open('CP-1');
    await cp.call('BootNotification', V16_REQUESTS.BootNotification);
    const max = await cp.nextCall('SetChargingProfile');
    validate('1.6', 'SetChargingProfile', 'req', max.payload);
    expect(max.payload).toMatchObject({
      connectorId: 0,
      csChargingProfiles: { chargingProfileId: 7, chargingProfilePurpose: 'ChargePointMaxProfile' },
    });
    cp.answer(max.messageId, { status: 'Accepted' });
    const transactionId = resultOf(await cp.call('StartTransaction', V16_REQUESTS.StartTransaction))['transactionId'];
    const triggered = sim?.trigger('CP-1', 'tx');
    const tx = await cp.nextCall('SetChargingProfile');
    validate('1.6', 'SetChargingProfile', 'req', tx.payload);
    expect(tx.payload).toMatchObject({
      connectorId: 1,
      csChargingProfiles: { chargingProfileId: 2, transactionId, chargingProfilePurpose: 'TxProfile' },
    });
    cp.answer(tx.messageId, { status: 'Rejected' });
    expect(await triggered).toEqual([expect.objectContaining({ status: 'result', response: { status: 'Rejected' } })]);
  });
});

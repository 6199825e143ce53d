// CSMS simulator going down and coming back: every station socket closed (1001 or dropped), upgrades refused
// (connection refused, or 503) until it is back on the same port — the upstream outage a Local Controller must ride out.
import { startCsmsSimulator, type CsmsSimulator, type CsmsSimulatorOptionsInput } from '../../../../simulators/csms';
import { StationSocket } from './station-socket';

let sim: CsmsSimulator | undefined;
const sockets: StationSocket[] = [];

async function start(options: CsmsSimulatorOptionsInput = {}): Promise<CsmsSimulator> {
  sim = await startCsmsSimulator({ port: 0, ...options });
  return sim;
}

async function open(identity: string): Promise<StationSocket> {
  const station = await StationSocket.open(sim?.url ?? '', identity);
  sockets.push(station);
  return station;
}

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  await sim?.stop();
  sim = undefined;
});

describe('CSMS simulator — goDown / comeBack', () => {
  it('goDown(0.3): sockets closed with 1001, connection refused while down, back on the same port after ~300 ms', async () => {
    const csms = await start();
    const port = csms.port;
    const stations = await Promise.all(['CS-1', 'CS-2'].map(open));
    const downAtMs = Date.now();
    await csms.goDown(0.3);
    expect(await Promise.all(stations.map((station) => station.closed))).toEqual([
      { code: 1001, reason: 'CSMS going down' },
      { code: 1001, reason: 'CSMS going down' },
    ]);
    expect(csms.isDown).toBe(true);
    expect(csms.connectedStations()).toEqual([]);
    await expect(StationSocket.open(csms.url, 'CS-1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await csms.until(() => !csms.isDown, 2000, 'the CSMS to come back');
    expect(Date.now() - downAtMs).toBeGreaterThanOrEqual(290);
    expect(csms.port).toBe(port);
    const again = await open('CS-1');
    await again.call('Heartbeat', {});
    expect(csms.station('CS-1').connects).toBe(2);
  });

  it("downClose 'terminate': the TCP connection is dropped without a close frame (1006 at the station)", async () => {
    const csms = await start({ downClose: 'terminate' });
    const station = await open('CS-1');
    await csms.goDown();
    expect((await station.closed).code).toBe(1006);
    await csms.comeBack();
    await open('CS-1');
  });

  it("downRefusal '503': keeps listening and answers 503 with Retry-After until comeBack()", async () => {
    const csms = await start({ downRefusal: '503' });
    const station = await open('CS-1');
    await csms.goDown(30);
    await station.closed;
    const refusal = await StationSocket.refusal(csms.url, 'CS-1');
    expect(refusal.status).toBe(503);
    expect(Number(refusal.headers['retry-after'])).toBeGreaterThan(25);
    await csms.comeBack();
    expect(csms.isDown).toBe(false);
    await open('CS-1');
  });

  it('our CALL outstanding when it goes down is recorded as lost with the socket', async () => {
    const csms = await start();
    const station = await open('CS-1');
    const pending = csms.call('CS-1', 'Reset', { type: 'Immediate' });
    await station.nextCall('Reset');
    await csms.goDown();
    expect(await pending).toMatchObject({ status: 'closed', action: 'Reset' });
    await csms.comeBack();
  });
});

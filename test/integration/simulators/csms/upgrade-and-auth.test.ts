// CSMS simulator, before the WebSocket opens: station identity from the path (percent-decoded), HTTP Basic auth
// per station (P4-201 §5 / security profile 1: user = identity), identities refused with 401/404, subprotocols.
import { startCsmsSimulator, type CsmsSimulator, type CsmsSimulatorOptionsInput } from '../../../../simulators/csms';
import { StationSocket } from './station-socket';

const PASSWORD = 'correct-horse-battery-1';
let sim: CsmsSimulator | undefined;
const sockets: StationSocket[] = [];

async function start(options: CsmsSimulatorOptionsInput = {}): Promise<CsmsSimulator> {
  sim = await startCsmsSimulator({ port: 0, ...options });
  return sim;
}

async function open(identity: string, options: Parameters<typeof StationSocket.open>[2] = {}): Promise<StationSocket> {
  if (sim === undefined) throw new Error('start the simulator first');
  const station = await StationSocket.open(sim.url, identity, options);
  sockets.push(station);
  return station;
}

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  await sim?.stop();
  sim = undefined;
});

describe('CSMS simulator — identity and subprotocol', () => {
  it('binds 127.0.0.1 on a free port and takes the percent-decoded last path segment as the identity', async () => {
    const csms = await start();
    expect(csms.port).toBeGreaterThan(0);
    expect(csms.url).toBe(`ws://127.0.0.1:${csms.port}/ocpp`);
    const station = await open('CS 01/ä');
    expect(station.socket.protocol).toBe('ocpp2.0.1');
    await csms.waitForStation('CS 01/ä');
    await station.call('Heartbeat', {});
    expect(csms.frames.ofStation('CS 01/ä').map((frame) => frame.type)).toEqual(['CALL', 'CALLRESULT']);
  });

  it('answers 404 for a path outside the prefix or with a further segment', async () => {
    const csms = await start();
    const base = `ws://127.0.0.1:${csms.port}`;
    expect((await StationSocket.refusal(`${base}/other`, 'CS-1')).status).toBe(404);
    expect((await StationSocket.refusal(`${base}/ocpp/extra`, 'CS-1')).status).toBe(404);
    expect(csms.connectedStations()).toEqual([]);
  });

  it('picks ocpp2.0.1 from a station offering several versions; with none in common the socket is closed at once', async () => {
    const csms = await start();
    const both = await open('CS-1', { protocols: ['ocpp1.6', 'ocpp2.0.1'] });
    expect(both.socket.protocol).toBe('ocpp2.0.1');
    // The handshake completes without Sec-WebSocket-Protocol (P4-201 §3.1), which a ws client refuses by itself.
    await expect(StationSocket.open(csms.url, 'CS-2', { protocols: ['ocpp1.6'] })).rejects.toThrow(/subprotocol/);
    expect(csms.isConnected('CS-2')).toBe(false);
  });

  it('newest wins: a second connection of the same identity closes the first', async () => {
    const csms = await start();
    const first = await open('CS-1');
    await csms.waitForStation('CS-1');
    const second = await open('CS-1');
    expect((await first.closed).code).toBe(1000);
    await second.call('Heartbeat', {});
    expect(csms.connectedStations()).toEqual(['CS-1']);
    expect(csms.station('CS-1').connects).toBe(2);
  });
});

describe('CSMS simulator — HTTP Basic auth per station', () => {
  it('accept-any by default: a station gets in with or without credentials', async () => {
    await start();
    await open('CS-1');
    await open('CS-2', { password: 'anything-at-all-16' });
  });

  it('with passwords: the right password opens the socket; wrong, missing, another user or an unknown identity get 401', async () => {
    const csms = await start({ passwords: { 'CS-1': PASSWORD, 'CS-2': 'pass:with:colons-123' } });
    await open('CS-1', { password: PASSWORD });
    await open('CS-2', { password: 'pass:with:colons-123' });
    const wrong = await StationSocket.refusal(csms.url, 'CS-1', { password: 'wrong-password-12345' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await StationSocket.refusal(csms.url, 'CS-1')).status).toBe(401);
    expect((await StationSocket.refusal(csms.url, 'CS-1', { password: PASSWORD, user: 'CS-2' })).status).toBe(401);
    expect((await StationSocket.refusal(csms.url, 'CS-9', { password: PASSWORD })).status).toBe(401);
    expect(csms.frames.ofStation('CS-9')).toEqual([]);
  });

  it('setPassword switches a station to a new password (as after SetVariables BasicAuthPassword)', async () => {
    const csms = await start({ passwords: { 'CS-1': PASSWORD } });
    csms.setPassword('CS-1', 'a-brand-new-password-1');
    expect((await StationSocket.refusal(csms.url, 'CS-1', { password: PASSWORD })).status).toBe(401);
    await open('CS-1', { password: 'a-brand-new-password-1' });
  });
});

describe('CSMS simulator — identities refused at the upgrade', () => {
  it('configured identities get their status (401 or 404) and no WebSocket; others are let in', async () => {
    const csms = await start({ refuse: { 'CS-GONE': 404, 'CS-LOCKED': 401 } });
    expect((await StationSocket.refusal(csms.url, 'CS-GONE')).status).toBe(404);
    expect((await StationSocket.refusal(csms.url, 'CS-LOCKED')).status).toBe(401);
    await open('CS-OK');
    expect(csms.connectedStations()).toEqual(['CS-OK']);
    expect(csms.station('CS-GONE').connects).toBe(0);
  });

  it('refuse() at run time: refused from the next upgrade on, and let in again with undefined', async () => {
    const csms = await start();
    csms.refuse('CS-1', 404);
    expect((await StationSocket.refusal(csms.url, 'CS-1')).status).toBe(404);
    csms.refuse('CS-1', undefined);
    await open('CS-1');
  });
});

// CSMS simulator's frame recording: every frame both ways with time and identity, to an NDJSON file and to a
// bounded memory log with query helpers (frames of a station, CALLs by action, message-id lookup, waitFor).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { startCsmsSimulator, WaitTimeoutError, type CsmsSimulator } from '../../../../simulators/csms';
import { V201_REQUESTS } from './ocpp-messages';
import { StationSocket } from './station-socket';

let sim: CsmsSimulator | undefined;
const sockets: StationSocket[] = [];

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  await sim?.stop();
  sim = undefined;
});

async function open(identity: string): Promise<StationSocket> {
  const station = await StationSocket.open(sim?.url ?? '', identity);
  sockets.push(station);
  return station;
}

const NdjsonFrame = z.strictObject({
  seq: z.number().int().positive(),
  atMs: z.number(),
  at: z.iso.datetime(),
  identity: z.string(),
  direction: z.enum(['in', 'out']),
  type: z.enum(['CALL', 'CALLRESULT', 'CALLERROR', 'malformed']),
  messageId: z.string().optional(),
  action: z.string().optional(),
  raw: z.string(),
});

describe('CSMS simulator — frame recording', () => {
  it('writes every frame, both directions, to the NDJSON file with the raw text as it went over the wire', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sim-csms-')), 'frames.ndjson');
    sim = await startCsmsSimulator({ port: 0, recordFile: file });
    const cs = await open('CS-1');
    await cs.call('BootNotification', V201_REQUESTS.BootNotification);
    const reset = sim.call('CS-1', 'Reset', { type: 'Immediate' });
    const call = await cs.nextCall('Reset');
    cs.answer(call.messageId, { status: 'Accepted' });
    await reset;
    cs.sendRaw('oops');
    await cs.waitFor((frame) => frame[1] === '-1', 'the FormatViolation');
    await cs.close();
    await sim.stop();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const frames = lines.map((line) => NdjsonFrame.parse(JSON.parse(line)));
    expect(frames.map((frame) => [frame.direction, frame.type, frame.action])).toEqual([
      ['in', 'CALL', 'BootNotification'],
      ['out', 'CALLRESULT', 'BootNotification'],
      ['out', 'CALL', 'Reset'],
      ['in', 'CALLRESULT', 'Reset'],
      ['in', 'malformed', undefined],
      ['out', 'CALLERROR', undefined],
    ]);
    expect(frames.every((frame) => frame.identity === 'CS-1')).toBe(true);
    expect(frames[4]?.raw).toBe('oops');
    expect(JSON.parse(frames[2]?.raw ?? '')).toEqual([2, call.messageId, 'Reset', { type: 'Immediate' }]);
    expect(frames.map((frame) => frame.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('query helpers: frames of a station, CALLs by action and direction, message-id lookup, waitFor', async () => {
    sim = await startCsmsSimulator({ port: 0 });
    const [one, two] = await Promise.all([open('CS-1'), open('CS-2')]);
    await one?.call('Heartbeat', {}, 'same-id');
    await two?.call('Heartbeat', {}, 'same-id');
    await two?.call('StatusNotification', V201_REQUESTS.StatusNotification);
    expect(sim.frames.ofStation('CS-2')).toHaveLength(4);
    expect(sim.frames.calls('Heartbeat').map((frame) => frame.identity)).toEqual(['CS-1', 'CS-2']);
    expect(sim.frames.calls('StatusNotification', { identity: 'CS-2', direction: 'in' })).toHaveLength(1);
    expect(sim.frames.calls(undefined, { direction: 'out' })).toEqual([]);
    expect(sim.frames.byMessageId('same-id')).toHaveLength(4);
    expect(sim.frames.byMessageId('same-id', 'CS-1').map((frame) => frame.type)).toEqual(['CALL', 'CALLRESULT']);
    expect(sim.frames.answerTo('same-id', 'CS-2')).toMatchObject({ direction: 'out', type: 'CALLRESULT', action: 'Heartbeat' });
    const next = sim.frames.waitFor((frame) => frame.action === 'Authorize' && frame.direction === 'in', 2000);
    await one?.call('Authorize', V201_REQUESTS.Authorize);
    expect((await next).identity).toBe('CS-1');
    await expect(sim.frames.waitFor((frame) => frame.action === 'Nope', 30)).rejects.toThrow(WaitTimeoutError);
  });

  it('keeps only the newest recordCapacity frames in memory and still counts them all', async () => {
    sim = await startCsmsSimulator({ port: 0, recordCapacity: 10 });
    const cs = await open('CS-1');
    for (let i = 0; i < 8; i++) await cs.call('Heartbeat', {});
    expect(sim.frames.all()).toHaveLength(10);
    expect(sim.frames.total).toBe(16);
    expect(sim.frames.all()[0]?.seq).toBe(7);
  });
});

// CSMS simulator's own CALLs: a scenario's timed steps go out after the station's BootNotification in offset
// order, one outstanding at a time (P4-201 §4.1.1), with unique ids; answers, errors, timeouts and losses are recorded.
import { resolve } from 'node:path';
import {
  loadScenario,
  NoScenarioError,
  startCsmsSimulator,
  StationNotConnectedError,
  UnknownTriggerError,
  type CsmsSimulator,
  type CsmsSimulatorOptionsInput,
  type ScenarioInput,
} from '../../../../simulators/csms';
import { V201_REQUESTS, validate } from './ocpp-messages';
import { StationSocket } from './station-socket';

const EXAMPLE = resolve(__dirname, '../../../../simulators/csms/scenario.example.json');
let sim: CsmsSimulator | undefined;
const sockets: StationSocket[] = [];

async function connect(options: CsmsSimulatorOptionsInput, identity = 'CS-1'): Promise<StationSocket> {
  sim ??= await startCsmsSimulator({ port: 0, ...options });
  const station = await StationSocket.open(sim.url, identity);
  sockets.push(station);
  return station;
}

const boot = (station: StationSocket): Promise<unknown> => station.call('BootNotification', V201_REQUESTS.BootNotification);
const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  await sim?.stop();
  sim = undefined;
});

describe('CSMS simulator — scenario CALLs toward a station', () => {
  it('the example scenario: schema-valid 2.0.1 requests, after the Boot response, in offset order, never two outstanding', async () => {
    const scenario = loadScenario(EXAMPLE);
    const cs = await connect({ scenario });
    await boot(cs);
    const timed = scenario.steps.filter((step) => step.atMs !== undefined);
    const received: string[] = [];
    for (let i = 0; i < timed.length; i++) {
      const call = await cs.nextCall();
      validate('2.0.1', call.action, 'req', call.payload);
      received.push(call.action);
      // Hold the answer a little: the next CALL, often already due, must wait for it.
      await pause(15);
      expect(sim?.frames.calls(undefined, { identity: 'CS-1', direction: 'out' })).toHaveLength(i + 1);
      cs.answer(call.messageId, call.action === 'GetCompositeSchedule' ? { status: 'Rejected' } : { status: 'Accepted' });
    }
    expect(received).toEqual(timed.map((step) => step.action));
    const outcomes = (await sim?.scenarioRun('CS-1')?.done) ?? [];
    expect(outcomes.map((outcome) => outcome.status)).toEqual(timed.map(() => 'result'));
    expect(outcomes.map((outcome) => (outcome.origin.kind === 'scenario' ? outcome.origin.step : -1))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const outcome of outcomes) {
      expect(outcome.status === 'result' && outcome.latencyMs).toBeGreaterThanOrEqual(10);
      expect(sim?.frames.answerTo(outcome.messageId, 'CS-1')).toMatchObject({
        type: 'CALLRESULT',
        direction: 'in',
        action: outcome.action,
      });
    }
    expect(new Set(outcomes.map((outcome) => outcome.messageId)).size).toBe(outcomes.length);
    const bootAnswer = sim?.frames.calls('BootNotification')[0]?.messageId ?? '';
    const firstOwnCall = sim?.frames.calls(undefined, { direction: 'out' })[0]?.seq ?? 0;
    expect(sim?.frames.answerTo(bootAnswer)?.seq).toBeLessThan(firstOwnCall);
  });

  it('labelled steps go out when triggered: TxProfile with the transaction seen, empty ClearChargingProfile, Reset', async () => {
    const cs = await connect({ scenario: loadScenario(EXAMPLE) });
    await cs.call('TransactionEvent', V201_REQUESTS.TransactionEvent);
    const triggered = sim?.trigger('CS-1', 'tx');
    const tx = await cs.nextCall('SetChargingProfile');
    validate('2.0.1', 'SetChargingProfile', 'req', tx.payload);
    expect(tx.payload).toMatchObject({
      evseId: 1,
      chargingProfile: { id: 904, chargingProfilePurpose: 'TxProfile', transactionId: 'tx-1' },
    });
    cs.answer(tx.messageId, { status: 'Accepted' });
    expect(await triggered).toEqual([expect.objectContaining({ status: 'result', action: 'SetChargingProfile' })]);
    const clear = sim?.trigger('CS-1', 'clear-all');
    const clearCall = await cs.nextCall('ClearChargingProfile');
    expect(clearCall.payload).toEqual({});
    cs.answerError(clearCall.messageId, 'NotSupported', 'not today');
    expect(await clear).toEqual([expect.objectContaining({ status: 'error', errorCode: 'NotSupported', errorDescription: 'not today' })]);
    await expect(sim?.trigger('CS-1', 'no-such-label')).rejects.toThrow(UnknownTriggerError);
  });

  it('waits for an Accepted or Pending boot: nothing after Rejected, the script starts on Pending', async () => {
    const cs = await connect({
      scenario: { steps: [{ atMs: 0, action: 'TriggerMessage', payload: { requestedMessage: 'Heartbeat' } }] },
      boot: { perStation: { 'CS-1': ['Rejected', 'Pending'] } },
    });
    await cs.call('Heartbeat', {});
    await boot(cs);
    await pause(50);
    expect(cs.frames.filter((frame) => frame[0] === 2)).toEqual([]);
    await boot(cs);
    expect((await cs.nextCall('TriggerMessage')).payload).toEqual({ requestedMessage: 'Heartbeat' });
  });

  it('records a CALLERROR, a timeout (and sends the next step after it) and the CALLs lost with the socket', async () => {
    const scenario: ScenarioInput = {
      steps: [
        { atMs: 0, action: 'Reset', payload: { type: 'OnIdle' } },
        { atMs: 0, action: 'GetCompositeSchedule', payload: { duration: 60, evseId: 0 }, timeoutMs: 100 },
        { atMs: 0, action: 'TriggerMessage', payload: { requestedMessage: 'Heartbeat' } },
        { atMs: 0, action: 'GetChargingProfiles', payload: { requestId: 2, chargingProfile: {} } },
      ],
    };
    const cs = await connect({ scenario });
    await boot(cs);
    const reset = await cs.nextCall('Reset');
    cs.answerError(reset.messageId, 'InternalError', 'boom');
    await cs.nextCall('GetCompositeSchedule'); // never answered
    await cs.nextCall('TriggerMessage');
    const run = sim?.scenarioRun('CS-1');
    await cs.close();
    const outcomes = (await run?.done) ?? [];
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['error', 'timeout', 'closed', 'closed']);
    expect(outcomes[1]?.latencyMs).toBeGreaterThanOrEqual(95);
    expect(outcomes[2]?.sentAtMs).toBeDefined();
    expect(outcomes[3]).toMatchObject({ sentAtMs: undefined, request: undefined });
  });

  it('runs only for the stations the scenario lists', async () => {
    const steps = [{ atMs: 0, action: 'TriggerMessage', payload: { requestedMessage: 'Heartbeat' } }];
    const listed = await connect({ scenario: { stations: ['CS-1'], steps } });
    const other = await connect({}, 'CS-9');
    expect(sim?.scenarioRun('CS-1')).toBeDefined();
    expect(sim?.scenarioRun('CS-9')).toBeUndefined();
    await expect(sim?.trigger('CS-9', 'x')).rejects.toThrow(NoScenarioError);
    await Promise.all([boot(listed), boot(other)]);
    await listed.nextCall('TriggerMessage');
  });
});

describe('CSMS simulator — call() from a test', () => {
  it('queues concurrent calls, one outstanding, each with its own id; the answer comes back with its latency', async () => {
    const cs = await connect({});
    const calls = [1, 2, 3].map((n) =>
      sim?.call('CS-1', 'GetVariables', { getVariableData: [{ component: { name: `C${n}` }, variable: { name: 'V' } }] }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const call = await cs.nextCall('GetVariables');
      expect(cs.frames.filter((frame) => frame[0] === 2)).toHaveLength(i + 1);
      ids.push(call.messageId);
      cs.answer(call.messageId, { getVariableResult: [] });
    }
    const outcomes = await Promise.all(calls);
    expect(outcomes.map((outcome) => outcome?.messageId)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    expect(outcomes.every((outcome) => outcome?.status === 'result' && outcome.latencyMs >= 0 && outcome.origin.kind === 'api')).toBe(true);
    expect(sim?.outcomes('CS-1')).toHaveLength(3);
  });

  it('times out after timeoutMs and rejects a call to a station that is not connected', async () => {
    await connect({});
    const outcome = await sim?.call('CS-1', 'Reset', { type: 'Immediate' }, { timeoutMs: 80 });
    expect(outcome).toMatchObject({ status: 'timeout', action: 'Reset' });
    await expect(sim?.call('CS-404', 'Reset', { type: 'Immediate' })).rejects.toThrow(StationNotConnectedError);
  });
});

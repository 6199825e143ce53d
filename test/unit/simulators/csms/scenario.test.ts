// CSMS simulator scenarios: what the zod schema refuses, limit profiles in the 2.0.1 and 1.6 shapes (valid
// against the official schemas), and "$now" / "$transactionId" filled in at sending time.
import { resolve } from 'node:path';
import {
  limitProfilePayload,
  loadScenario,
  LimitProfile,
  parseScenario,
  ScenarioFileError,
  stepPayload,
} from '../../../../simulators/csms';
import { validate } from '../../../integration/simulators/csms/ocpp-messages';

const NOW = '2026-03-02T10:00:00Z';

describe('scenario files', () => {
  it('the example file parses', () => {
    const scenario = loadScenario(resolve(__dirname, '../../../../simulators/csms/scenario.example.json'));
    expect(scenario.steps.length).toBeGreaterThan(10);
  });

  it.each([
    [{ steps: [] }, 'steps'],
    [{ steps: [{ action: 'Reset', payload: {} }] }, 'exactly one of atMs and on'],
    [{ steps: [{ atMs: 0, on: 'x', action: 'Reset', payload: {} }] }, 'exactly one of atMs and on'],
    [{ steps: [{ atMs: 0, action: 'Reset' }] }, 'exactly one of payload and limitProfile'],
    [
      { steps: [{ atMs: 0, action: 'Reset', limitProfile: { purpose: 'TxProfile', limit: 6 } }] },
      'limitProfile goes with action SetChargingProfile',
    ],
    [{ steps: [{ atMs: -1, action: 'Reset', payload: {} }] }, 'atMs'],
  ])('refuses %j (%s)', (raw, message) => {
    expect(() => parseScenario(raw)).toThrow(ScenarioFileError);
    expect(() => parseScenario(raw)).toThrow(message);
  });

  it('a missing file is a ScenarioFileError naming the path', () => {
    expect(() => loadScenario('/nonexistent/scenario.json')).toThrow(/scenario \/nonexistent\/scenario.json: cannot read it as JSON/);
  });
});

describe('limit profiles', () => {
  const max = LimitProfile.parse({ purpose: 'ChargingStationMaxProfile', limit: 20, durationS: 900, numberPhases: 3 });

  it('2.0.1: ChargingStationMaxProfile on EVSE 0, Absolute from now, schema-valid', () => {
    const payload = limitProfilePayload(max, 3, { version: '2.0.1', nowIso: NOW, transactionId: 'tx-9' });
    validate('2.0.1', 'SetChargingProfile', 'req', payload);
    expect(payload).toEqual({
      evseId: 0,
      chargingProfile: {
        id: 3,
        stackLevel: 0,
        chargingProfilePurpose: 'ChargingStationMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          {
            id: 3,
            startSchedule: NOW,
            duration: 900,
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 20, numberPhases: 3 }],
          },
        ],
      },
    });
  });

  it('2.0.1 TxProfile carries the transaction in progress; 1.6 renames the purpose and makes the id a number', () => {
    const tx = LimitProfile.parse({ purpose: 'TxProfile', evseId: 1, limit: 10, unit: 'W', id: 5 });
    const v201 = limitProfilePayload(tx, 1, { version: '2.0.1', nowIso: NOW, transactionId: 'tx-9' });
    validate('2.0.1', 'SetChargingProfile', 'req', v201);
    expect(v201).toMatchObject({ chargingProfile: { id: 5, transactionId: 'tx-9' } });
    const v16 = limitProfilePayload(tx, 1, { version: '1.6', nowIso: NOW, transactionId: 42 });
    validate('1.6', 'SetChargingProfile', 'req', v16);
    expect(v16).toMatchObject({
      connectorId: 1,
      csChargingProfiles: { chargingProfileId: 5, transactionId: 42, chargingProfilePurpose: 'TxProfile' },
    });
    const v16Max = limitProfilePayload(max, 1, { version: '1.6', nowIso: NOW, transactionId: undefined });
    validate('1.6', 'SetChargingProfile', 'req', v16Max);
    expect(v16Max).toMatchObject({ csChargingProfiles: { chargingProfilePurpose: 'ChargePointMaxProfile' } });
  });
});

describe('payload placeholders', () => {
  it('fills "$now" and "$transactionId" anywhere; an unknown transaction leaves the field out', () => {
    const step = parseScenario({
      steps: [
        {
          atMs: 0,
          action: 'RequestStopTransaction',
          payload: { transactionId: '$transactionId', nested: [{ at: '$now' }], keep: '$other' },
        },
      ],
    }).steps[0];
    if (step === undefined) throw new Error('no step');
    expect(stepPayload(step, 0, { version: '2.0.1', nowIso: NOW, transactionId: 'tx-1' })).toEqual({
      transactionId: 'tx-1',
      nested: [{ at: NOW }],
      keep: '$other',
    });
    expect(stepPayload(step, 0, { version: '2.0.1', nowIso: NOW, transactionId: undefined })).toEqual({
      nested: [{ at: NOW }],
      keep: '$other',
    });
  });
});

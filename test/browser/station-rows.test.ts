// The station page's shaping (src/api/dashboard/public/station-rows.js) without a browser: the limits over the lease
// as chart columns (standing, lease ending, the station's own schedule in 2.0.1 and 1.6 form), sessions with energy
// and duration, trace rows and the remote actions offered per OCPP version.
import * as S from '../../src/api/dashboard/public/station-rows';

const NOW_S = Date.parse('2026-01-01T10:00:00Z') / 1000;
const at = (offsetS: number): string => new Date((NOW_S + offsetS) * 1000).toISOString();

describe('station page rows', () => {
  test('limits over the lease: the lease steps until it ends, the standing limit throughout', () => {
    const station = {
      limits: {
        standingA: 6,
        live: {
          leaseEnd: at(600),
          periods: [
            { start: at(-60), limitA: 16 },
            { start: at(300), limitA: 10 },
          ],
        },
      },
    };
    const [x, standing, lease, reported] = S.limitColumns(station, undefined, NOW_S);
    expect(x).toEqual([NOW_S - 60, NOW_S, NOW_S + 300, NOW_S + 600]);
    expect(standing).toEqual([6, 6, 6, 6]);
    expect(lease).toEqual([16, 16, 10, null]);
    expect(reported).toEqual([null, null, null, null]);
  });

  test("the station's composite schedule, as 2.0.1 and as 1.6 answer it", () => {
    const v201 = {
      status: 'Accepted',
      schedule: {
        evseId: 0,
        duration: 900,
        scheduleStart: at(0),
        chargingRateUnit: 'A',
        chargingSchedulePeriod: [
          { startPeriod: 0, limit: 12 },
          { startPeriod: 300, limit: 8 },
        ],
      },
    };
    const v16 = {
      status: 'Accepted',
      connectorId: 0,
      scheduleStart: at(0),
      chargingSchedule: {
        duration: 900,
        chargingRateUnit: 'A',
        chargingSchedulePeriod: [
          { startPeriod: 0, limit: 12 },
          { startPeriod: 300, limit: 8 },
        ],
      },
    };
    for (const response of [v201, v16]) {
      expect(S.compositeSteps(response)).toEqual({
        steps: [
          { startS: NOW_S, limit: 12 },
          { startS: NOW_S + 300, limit: 8 },
        ],
        endS: NOW_S + 900,
        unit: 'A',
      });
      const [x, , , reported] = S.limitColumns({ limits: { standingA: 6 } }, response, NOW_S);
      expect(x).toEqual([NOW_S, NOW_S + 300, NOW_S + 900, NOW_S + 3600]);
      expect(reported).toEqual([12, 8, null, null]);
    }
    expect(S.compositeSteps({ status: 'Rejected' })).toBeUndefined();
  });

  test('sessions: energy and how long each ran (an active one until now)', () => {
    const rows = S.sessionRows(
      [
        { transactionId: 'T1', evseId: 1, state: 'active', chargingState: 'Charging', startedAt: at(-3900), energyWh: 12_345, limitA: 16 },
        {
          transactionId: 'T0',
          evseId: 2,
          connectorId: 1,
          state: 'ended',
          chargingState: 'Idle',
          startedAt: at(-7200),
          endedAt: at(-7160),
          energyWh: 800,
        },
      ],
      NOW_S,
    );
    expect(rows.map((r) => [r.id, r.evse, r.state, r.duration, r.energy, r.limit])).toEqual([
      ['T1', '1', 'Charging', '1 h 05 min', '12.3 kWh', '16 A'],
      ['T0', '2/1', 'ended', '40 s', '800 Wh', '–'],
    ]);
  });

  test('trace rows say which way a frame went', () => {
    const rows = S.traceRows([
      { at: at(0), leg: 'station', direction: 'in', messageType: 'CALL', messageId: '1', action: 'Heartbeat', payload: {} },
      {
        at: at(1),
        leg: 'csms',
        direction: 'out',
        messageType: 'CALLERROR',
        messageId: '2',
        errorCode: 'NotImplemented',
        errorDescription: 'no',
      },
    ]);
    expect(rows.map((r) => [r.way, r.type, r.payload])).toEqual([
      ['station → flexbridge', 'CALL', '{}'],
      ['flexbridge → CSMS', 'CALLERROR', 'NotImplemented: no'],
    ]);
  });

  test('remote actions offered per version', () => {
    const v201 = S.actionTemplates('2.0.1').map((t) => t.name);
    const v16 = S.actionTemplates('1.6').map((t) => t.name);
    expect(v201).toContain('GetVariables');
    expect(v201).not.toContain('GetConfiguration');
    expect(v16).toContain('ChangeConfiguration');
    expect(v16).not.toContain('SetVariables');
    expect(S.actionTemplates('1.6').find((t) => t.name === 'Reset')?.body).toEqual({ action: 'Reset', type: 'OnIdle' });
  });
});

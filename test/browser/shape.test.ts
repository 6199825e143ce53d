// The dashboard's pure data shaping (src/api/dashboard/public/shape.js): chart columns from history and plan,
// fallback banners, station and session rows, SSE event routing — without a browser.
import * as shape from '../../src/api/dashboard/public/shape';

const NOW_S = Date.parse('2026-01-01T10:05:00Z') / 1000;
const iso = (hhmm: string): string => `2026-01-01T${hhmm}:00Z`;
const s = (hhmm: string): number => Date.parse(iso(hhmm)) / 1000;

describe('dashboard chart columns', () => {
  test('history before now, plan blocks from now (current block clipped), the last block closed at its end', () => {
    const history = [
      { at: iso('09:55'), source: 'forecast' as const, capacityA: [40, 40, 40], allocatedA: [30, 30, 30], measuredA: [28, 27, 29] },
      { at: iso('10:00'), source: 'forecast' as const, capacityA: [40, 40, 40], allocatedA: [32, 32, 32], measuredA: [31, 30, 30] },
      { at: iso('10:10'), capacityA: [1, 1, 1] }, // after now: not history, ignored
    ];
    const plan = {
      source: 'forecast' as const,
      blocks: [
        { start: iso('09:45'), end: iso('10:00'), capacityA: [99, 99, 99], allocatedA: [99, 99, 99] }, // over: ignored
        { start: iso('10:00'), end: iso('10:15'), capacityA: [50, 45, 40], allocatedA: [36, 36, 36] },
        { start: iso('10:15'), end: iso('10:30'), capacityA: [60, 60, 60], allocatedA: [48, 48, 48] },
      ],
    };
    const [xs, forecast, fallback, allocated, measured] = shape.chartColumns(history, plan, 1, NOW_S);
    expect(xs).toEqual([s('09:55'), s('10:00'), NOW_S, s('10:15'), s('10:30')]);
    expect(forecast).toEqual([40, 40, 45, 60, 60]);
    expect(fallback).toEqual([null, null, null, null, null]);
    expect(allocated).toEqual([30, 32, 36, 48, 48]);
    expect(measured).toEqual([27, 30, null, null, null]);
  });

  test('a fallback plan is drawn in the fallback series, the forecast step carried to the switch instant', () => {
    const history = [
      { at: iso('10:00'), source: 'forecast' as const, capacityA: [50, 50, 50], allocatedA: [40, 40, 40], measuredA: [0, 0, 0] },
    ];
    const plan = {
      source: 'fallback' as const,
      blocks: [{ start: iso('10:00'), end: iso('10:15'), capacityA: [20, 20, 20], allocatedA: 18 }],
    };
    const [xs, forecast, fallback, allocated] = shape.chartColumns(history, plan, 0, NOW_S);
    expect(xs).toEqual([s('10:00'), NOW_S, s('10:15')]);
    expect(forecast).toEqual([50, 50, null]);
    expect(fallback).toEqual([null, 20, 20]);
    expect(allocated).toEqual([40, 18, 18]);
    expect(shape.countValues(fallback)).toBe(2);
  });

  test('no plan and no history: empty columns, not an error', () => {
    expect(shape.chartColumns(undefined, undefined, 0, NOW_S)).toEqual([[], [], [], [], [], []]);
  });

  test('an operator cap is drawn only over the blocks it applies to, its step ending at the expiry', () => {
    const plan = {
      source: 'forecast' as const,
      blocks: [
        { start: iso('10:00'), end: iso('10:15'), capacityA: [20, 20, 20], operatorCapA: 20 },
        { start: iso('10:15'), end: iso('10:20'), capacityA: [20, 20, 20], operatorCapA: 20 },
        { start: iso('10:20'), end: iso('10:30'), capacityA: [60, 60, 60] },
        { start: iso('10:30'), end: iso('10:45'), capacityA: [60, 60, 60] },
      ],
    };
    const [xs, forecast, , , , cap] = shape.chartColumns([], plan, 0, NOW_S);
    expect(xs).toEqual([NOW_S, s('10:15'), s('10:20'), s('10:30'), s('10:45')]);
    expect(forecast).toEqual([20, 20, 60, 60, 60]);
    // 20 from now to 10:20 (the point at 10:20 closes the step), nothing after.
    expect(cap).toEqual([20, 20, 20, null, null]);
  });

  test('the chart opens on the last 2 h and the next 6 h', () => {
    expect(shape.defaultWindow(NOW_S)).toEqual({ min: NOW_S - 2 * 3600, max: NOW_S + 6 * 3600 });
  });

  test('the tightest phase is the one with the least headroom', () => {
    expect(shape.tightestPhase({ id: 'g', source: 'forecast', headroomA: [5, 2, 9] })).toBe(1);
    expect(shape.tightestPhase({ id: 'g', source: 'forecast' })).toBe(0);
  });
});

describe('dashboard banners and rows', () => {
  test('no banner on a forecast; a fallback banner naming the peer; a safe-default banner', () => {
    expect(shape.bannerFor({ id: 'g1', source: 'forecast' })).toBeNull();
    const fallback = shape.bannerFor({ id: 'g1', source: 'fallback', peerId: 'dso', peerState: 'offline', capacityA: [40, 40, 40] });
    expect(fallback?.level).toBe('fallback');
    expect(fallback?.text).toBe('Group g1 is on its FALLBACK capacity (40 / 40 / 40 A): grid peer dso offline.');
    expect(shape.bannerFor({ id: 'g1', name: 'Depot', source: 'safe-default', capacityA: [16, 16, 16] })?.text).toContain(
      'Group Depot (g1) is on its SAFE DEFAULT limit (16 / 16 / 16 A)',
    );
  });

  test('the badge names an operator cap in force before the source; the fallback banner quotes the fallback capacity, not the cap', () => {
    expect(shape.badgeFor({ id: 'g1', source: 'forecast' })).toEqual({ text: 'forecast', capped: false, title: '' });
    const capped = shape.badgeFor({ id: 'g1', source: 'forecast', operatorCap: { limitA: 20, expiresAt: iso('11:00') } });
    expect(capped.text).toBe('operator cap 20 A · forecast');
    expect(capped.capped).toBe(true);
    const banner = shape.bannerFor({
      id: 'g1',
      source: 'fallback',
      peerId: 'dso',
      peerState: 'OFFLINE',
      capacityA: [20, 20, 20],
      gridCapacityA: [40, 40, 40],
      operatorCap: { limitA: 20, expiresAt: iso('11:00') },
    });
    expect(banner?.text).toMatch(
      /^Group g1 is on its FALLBACK capacity \(40 \/ 40 \/ 40 A\): grid peer dso OFFLINE\. An operator cap of 20 A applies until /,
    );
  });

  test('times carry the time zone', () => {
    const zone = shape.timeZoneName(NOW_S);
    expect(zone).toMatch(/^(UTC|GMT[+-]?\d*|[A-Z]{2,5})$/);
    expect(shape.formatTime(iso('10:05'))).toMatch(/\d\d:\d\d:\d\d/);
    expect(shape.formatTime(iso('10:05')).endsWith(` ${zone}`)).toBe(true);
    expect(shape.formatDateTime(iso('10:05'))).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${zone}$`));
  });

  test('a station whose standing limit is 0 A says why (6 A or pause)', () => {
    const [row] = shape.stationRows([{ id: 'Z', connected: true, controllable: true, limits: { standingA: 0 } }], NOW_S);
    expect(row?.standing).toBe('0 A');
    expect(row?.notes).toContain('standing limit 0 A');
    expect(row?.notes).toContain('6 A or pause');
  });

  test('station rows: sorted; connection, controllable, the limit in force, the live lease now, the standing limit', () => {
    const rows = shape.stationRows(
      [
        { id: 'B', connected: false, controllable: false, bootStatus: 'Pending', limits: {} },
        {
          id: 'A',
          protocol: '1.6',
          connected: true,
          controllable: true,
          paused: true,
          stationMaxCurrentA: 32,
          sessions: 1,
          limits: {
            standingA: 13.333,
            inForceA: 16.04,
            live: {
              leaseEnd: iso('10:20'),
              periods: [
                { start: iso('10:00'), limitA: 16 },
                { start: iso('10:15'), limitA: 20 },
              ],
            },
          },
        },
      ],
      NOW_S,
    );
    expect(rows.map((r) => [r.id, r.connection, r.controllable, r.inForce, r.standing, r.maximum, r.sessions, r.notes])).toEqual([
      ['A', 'online', 'yes', '16 A', '13.3 A', '32 A', '1', 'paused by operator'],
      ['B', 'offline', 'no', '–', '–', '–', '–', 'boot Pending'],
    ]);
    expect(rows.map((r) => r.protocol)).toEqual(['OCPP 1.6', '–']);
    expect(rows[0]?.live).toMatch(/^16 A until /);
    expect(rows[1]?.live).toBe('–');
    // A lease that has ended is no live limit any more.
    expect(
      shape.stationRows(
        [{ id: 'A', limits: { live: { leaseEnd: iso('10:00'), periods: [{ start: iso('09:50'), limitA: 9 }] } } }],
        NOW_S,
      )[0]?.live,
    ).toBe('–');
  });

  test('station rows say why a station is Pending, that it is unresponsive, and its link to the CSMS (LC mode)', () => {
    const rows = shape.stationRows(
      [
        {
          id: 'C',
          bootStatus: 'Pending',
          pendingReason: 'installing its standing limits',
          unresponsive: { timeouts: 2, retryAt: iso('10:30') },
          upstream: { state: 'outage', reason: 'CSMS unreachable', since: iso('10:00'), queueDepth: 3 },
          limits: {},
        },
      ],
      NOW_S,
    );
    expect(rows[0]?.notes).toBe(
      'boot Pending, Pending: installing its standing limits, unresponsive (2 timeouts), counted at its maximum, CSMS outage, 3 queued (CSMS unreachable)',
    );
  });

  test('session rows show the limit of the block in force now', () => {
    const plan = {
      blocks: [
        { start: iso('09:45'), end: iso('10:00') },
        { start: iso('10:00'), end: iso('10:15') },
      ],
      sessions: [{ transactionId: 't1', stationId: 'A', evseId: 1, limitsA: [10, 12], reason: 'fair share' }],
    };
    expect(shape.sessionRows(plan, NOW_S)).toEqual([{ transactionId: 't1', station: 'A / 1', limit: '12 A', reason: 'fair share' }]);
  });

  test('SSE data names the group to reload; anything else reloads everything', () => {
    expect(shape.eventGroupId('{"groupId":"g1","at":"x"}')).toBe('g1');
    expect(shape.eventGroupId('{"id":3,"event":"plan.applied","data":{"groupId":"g2"}}')).toBe('g2');
    expect(shape.eventGroupId('{"stationId":"A"}')).toBeUndefined();
    expect(shape.eventGroupId('not json')).toBeUndefined();
    expect(shape.REFRESH_EVENTS).toContain('fallback.entered');
  });
});

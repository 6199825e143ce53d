// The dashboard's table and view shaping (src/api/dashboard/public/rows.js) without a browser: sorting, filtering and
// paging 1,000+ rows, event sentences and time-strip marks, refusal reasons as bars, overrides and peers as rows.
import * as rows from '../../src/api/dashboard/public/rows';
import * as shape from '../../src/api/dashboard/public/shape';

const NOW_S = Date.parse('2026-01-01T10:00:00Z') / 1000;
const at = (offsetS: number): string => new Date((NOW_S + offsetS) * 1000).toISOString();

describe('table rows: sort, filter, page', () => {
  const many = Array.from({ length: 1234 }, (_, i) => ({
    id: `CS-${i + 1}`,
    station: `CS-${i + 1}`,
    connection: i % 10 === 0 ? 'offline' : 'online',
    sort: { load: (i * 7919) % 1000 },
    load: String((i * 7919) % 1000),
  }));

  test('pages of 50 with their position; the page is clamped to the pages there are', () => {
    const first = rows.viewRows(many, { pageSize: 50 });
    expect([first.rows.length, first.first, first.last, first.pages, first.total]).toEqual([50, 1, 50, 25, 1234]);
    const last = rows.viewRows(many, { pageSize: 50, page: 99 });
    expect([last.page, last.first, last.last, last.rows.length]).toEqual([24, 1201, 1234, 34]);
  });

  test('ids sort in natural order (CS-2 before CS-10), numbers by value, both directions', () => {
    const byId = rows.viewRows(many, { sortKey: 'station', pageSize: 3 });
    expect(byId.rows.map((r) => r.id)).toEqual(['CS-1', 'CS-2', 'CS-3']);
    const byIdDown = rows.viewRows(many, { sortKey: 'station', sortDir: 'desc', pageSize: 2 });
    expect(byIdDown.rows.map((r) => r.id)).toEqual(['CS-1234', 'CS-1233']);
    const byLoad = rows.viewRows(many, { sortKey: 'load', sortDir: 'desc', pageSize: 1 });
    expect(byLoad.rows[0]?.sort?.load).toBe(999);
  });

  test('the filter matches any column, case-insensitive, and counts what matches', () => {
    const offline = rows.viewRows(many, { filter: 'OFFLINE', pageSize: 50, columns: ['station', 'connection'] });
    expect(offline.matching).toBe(124);
    expect(offline.rows.every((r) => r.connection === 'offline')).toBe(true);
    expect(rows.viewRows(many, { filter: 'CS-1234', columns: ['station'] }).rows.map((r) => r.id)).toEqual(['CS-1234']);
  });
});

describe('view rows', () => {
  test('event log rows say what happened in words, and marks sit on a 24-hour strip', () => {
    const events = [
      {
        id: 3,
        event: 'station.refused',
        at: at(-60),
        data: { identity: 'CP-9', remoteAddress: '10.0.0.7', status: 401, reason: 'wrong password' },
      },
      {
        id: 2,
        event: 'override.set',
        at: at(-3600),
        data: { kind: 'group-cap', groupId: 'g1', limitA: 20, expiresAt: at(3600), by: 'ops' },
      },
      { id: 1, event: 'fallback.entered', at: at(-25 * 3600), data: { groupId: 'g1', to: 'fallback' } },
    ];
    const table = rows.eventRows(events);
    expect(table.map((r) => [r.kind, r.subject])).toEqual([
      ['refused', 'CP-9'],
      ['override', 'g1'],
      ['fallback', 'g1'],
    ]);
    expect(table[0]?.text).toBe('connection of CP-9 from 10.0.0.7 refused (401): wrong password');
    expect(String(table[1]?.text)).toMatch(/^group g1 capped at 20 A until .*, by ops$/);
    const marks = rows.timelineMarks(events, NOW_S - 86400, NOW_S);
    expect(marks.map((m) => [m.id, m.kind, Number(m.at.toFixed(4))])).toEqual([
      ['3', 'refused', Number((1 - 60 / 86400).toFixed(4))],
      ['2', 'override', Number((1 - 1 / 24).toFixed(4))],
    ]);
  });

  test('refusal reasons are counted with the identity cut out, most frequent first, shares for the bars', () => {
    const counts = rows.reasonCounts([
      { identity: 'A', reason: 'unknown station "A"' },
      { identity: 'B', reason: 'unknown station "B"' },
      { identity: 'C', reason: 'no ocpp2.0.1 subprotocol' },
    ]);
    expect(counts).toEqual([
      { reason: 'unknown station "…"', count: 2, share: 1 },
      { reason: 'no ocpp2.0.1 subprotocol', count: 1, share: 0.5 },
    ]);
  });

  test('overrides show their value, expiry and the share of the next 24 h left; the body removes them by target', () => {
    const [cap] = rows.overrideRows([{ kind: 'group-cap', groupId: 'g1', limitA: 20, expiresAtMs: (NOW_S + 6 * 3600) * 1000 }], NOW_S);
    expect([cap?.target, cap?.value, cap?.remaining]).toEqual(['g1', '20 A', 0.25]);
    expect(cap?.expires).toBe(`${shape.formatTime((NOW_S + 6 * 3600) * 1000)} (in 6 h 0 min)`);
    expect(String(cap?.expires)).toMatch(/^\d\d:\d\d/);
    expect(cap?.body).toEqual({ kind: 'group-cap', groupId: 'g1' });
  });

  test('a peer row shows how much of the time to offline_mode_at is used; a late peer is full', () => {
    const [ok, late] = rows.peerRows(
      [
        {
          id: 'dso',
          role: 'CP',
          state: 'CONNECTED',
          online: true,
          updatedAt: at(-15),
          offlineModeAt: at(45),
          heartbeatIntervalS: 30,
          groups: ['g1'],
        },
        { id: 'ems', role: 'CP', state: 'OFFLINE', online: false, updatedAt: at(-300), offlineModeAt: at(-200), groups: [] },
      ],
      NOW_S,
    );
    expect([ok?.used, ok?.online, ok?.heartbeat, ok?.groups]).toEqual([0.25, 'yes', '30 s', 'g1']);
    expect(late?.used).toBe(1);
    expect(late?.offlineModeAt).toBe(`${shape.formatTime(at(-200))} (3 min ago)`);
  });
});

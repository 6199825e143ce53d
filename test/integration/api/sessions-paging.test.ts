// GET /sessions pages through the whole stored history of ended sessions over real HTTP, against the agent's own
// SQLite file: complete and without duplicates while sessions are added between pages, totals per filter, 400s.
import { Problem, SessionPage, type SessionSummary } from '../../../src/api/response-schemas';
import type { ChargingSession } from '../../../src/domain/session';
import { call, GROUP, OTHER_GROUP, READ_TOKEN, startRig, type Rig } from './harness';

const COUNT = 2_500;
const STATIONS = 7;
const T0 = Date.UTC(2026, 0, 1);

/** Three sessions per end second (the transactionId orders them), one group in five is OTHER_GROUP. */
function ended(i: number, endedAtMs = T0 + Math.floor(i / 3) * 1_000, prefix = 'tx'): ChargingSession {
  return {
    transactionId: `${prefix}-${String(i).padStart(5, '0')}`,
    stationId: `ST-${i % STATIONS}`,
    groupId: i % 5 === 0 ? OTHER_GROUP : GROUP,
    evseId: 1,
    chargingState: 'Idle',
    startedAt: new Date(endedAtMs - 3_600_000).toISOString(),
    endedAt: new Date(endedAtMs).toISOString(),
    meterStartWh: 0,
    meterWh: 1_000 + i,
    lastSeqNo: 3,
    priority: 0,
  };
}

/** Newest end first, then transactionId descending, both in code-unit order: the order the API promises. */
const key = (s: ChargingSession): string => `${s.endedAt ?? ''} ${s.transactionId}`;
const newestFirst = (a: ChargingSession, b: ChargingSession): number => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0);

async function page(rig: Rig, query: string): Promise<SessionPage> {
  const res = await call(rig, 'get', `/sessions?${query}`, { token: READ_TOKEN });
  expect(res.status).toBe(200);
  return SessionPage.parse(res.data);
}

/** Every page of a query, following nextCursor; `between` runs before each next page is asked for. */
async function walk(rig: Rig, query: string, between: (pages: number) => void = () => undefined): Promise<SessionPage[]> {
  const pages = [await page(rig, query)];
  for (let cursor = pages[0]!.nextCursor; cursor !== null; cursor = pages.at(-1)!.nextCursor) {
    between(pages.length);
    pages.push(await page(rig, `${query}&cursor=${cursor}`));
  }
  return pages;
}

describe('operator API — paging ended sessions from the store', () => {
  let rig: Rig;
  const history = Array.from({ length: COUNT }, (_, i) => ended(i));
  beforeAll(async () => {
    rig = await startRig();
    rig.agent.store.sessions.upsertMany(history);
  });
  afterAll(() => rig.close());

  it('lists every ended session exactly once, newest first, while sessions end between pages', async () => {
    const late: ChargingSession[] = [];
    const pages = await walk(rig, 'state=ended&limit=97', (n) => {
      // A session ending now sorts before the cursor (pages already read); one a station reports from its offline
      // queue, ended before everything else, sorts after it and must show up once on a later page.
      const now = ended(n, T0 + 86_400_000 + n * 1_000, 'new');
      const offline = ended(n, T0 - 86_400_000 - n * 1_000, 'offline');
      const active: ChargingSession = { ...ended(n, T0, 'live'), endedAt: undefined };
      rig.agent.store.sessions.upsertMany([now, offline, active]);
      late.push(offline);
    });
    const listed = pages.flatMap((p) => p.items.map((s) => s.transactionId));
    const expected = [...history, ...late].sort(newestFirst).map((s) => s.transactionId);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(expected);
    expect(pages.every((p, i) => p.items.length === (i < pages.length - 1 ? 97 : COUNT + late.length - 97 * i))).toBe(true);
    // The total is the store's count when each page was read: it grows by the two ended sessions added before it.
    expect(pages.map((p) => p.total)).toEqual(pages.map((_, i) => COUNT + 2 * i));
    expect(pages[0]!.items[0]).toMatchObject({ state: 'ended', endedAt: history.at(-1)!.endedAt, energyWh: 1_000 + COUNT - 1 });

    const again = await walk(rig, 'state=ended&limit=1000');
    expect(again.flatMap((p) => p.items).length).toBe(COUNT + 2 * late.length);
    expect(again.map((p) => p.total)).toEqual(again.map(() => COUNT + 2 * late.length));
  });

  it('counts and pages what the groupId and stationId filters match, on their own and together', async () => {
    const all = (await walk(rig, 'state=ended&limit=1000')).flatMap((p) => p.items);
    const filters: [string, (s: SessionSummary) => boolean][] = [
      [`groupId=${OTHER_GROUP}`, (s) => s.groupId === OTHER_GROUP],
      ['stationId=ST-3', (s) => s.stationId === 'ST-3'],
      [`groupId=${GROUP}&stationId=ST-5`, (s) => s.groupId === GROUP && s.stationId === 'ST-5'],
    ];
    for (const [query, match] of filters) {
      const expected = all.filter(match).map((s) => s.transactionId);
      expect(expected.length).toBeGreaterThan(0);
      const pages = await walk(rig, `state=ended&${query}&limit=150`);
      expect(pages.flatMap((p) => p.items.map((s) => s.transactionId))).toEqual(expected);
      expect(pages.map((p) => p.total)).toEqual(pages.map(() => expected.length));
    }
    expect(await page(rig, 'state=ended&groupId=no-such-group')).toEqual({ items: [], total: 0, nextCursor: null });
    expect((await page(rig, 'state=ended')).total).toBe(all.length);
  });

  it('keeps state=recent as another name of state=ended, and takes an empty cursor as the first page', async () => {
    const recent = await page(rig, 'state=recent&limit=5');
    expect(recent).toEqual(await page(rig, 'state=ended&limit=5'));
    expect(await page(rig, 'state=ended&limit=5&cursor=')).toEqual(recent);
    expect((await page(rig, `state=recent&limit=5&cursor=${recent.nextCursor ?? ''}`)).items).toEqual(
      (await page(rig, `state=ended&limit=5&cursor=${recent.nextCursor ?? ''}`)).items,
    );
  });

  it('defaults to 100 per page and bounds limit to 1..1000', async () => {
    expect((await page(rig, 'state=ended')).items).toHaveLength(100);
    expect((await page(rig, 'state=ended&limit=1000')).items).toHaveLength(1000);
    expect((await page(rig, 'state=ended&limit=1')).items).toHaveLength(1);
    for (const limit of ['0', '1001', '-5', '2.5', 'many']) {
      const res = await call(rig, 'get', `/sessions?state=ended&limit=${limit}`, { token: READ_TOKEN });
      expect(res.status).toBe(400);
      expect(Problem.parse(res.data).errors?.map((e) => e.path)).toEqual(['limit']);
    }
  });

  it('refuses a cursor it did not issue, or one of the other state, as a 400 naming cursor', async () => {
    const b64 = (text: string): string => Buffer.from(text).toString('base64url');
    const activeCursor = b64(JSON.stringify(['active', '2026-01-01T00:00:00.000Z', 'tx-00001']));
    const cursors: [string, string][] = [
      ['ended', 'not*a*cursor'],
      ['ended', b64('{"not": "json')],
      ['ended', b64('{"at":"2026-01-01T00:00:00.000Z","id":"tx-00001"}')],
      ['ended', b64(JSON.stringify(['ended', '', 'tx-00001']))],
      ['ended', 'x'.repeat(600)],
      ['ended', activeCursor],
      ['active', (await page(rig, 'state=ended&limit=1')).nextCursor ?? ''],
    ];
    for (const [state, cursor] of cursors) {
      const res = await call(rig, 'get', `/sessions?state=${state}&cursor=${encodeURIComponent(cursor)}`, { token: READ_TOKEN });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Problem.parse(res.data).errors?.map((e) => e.path)).toEqual(['cursor']);
    }
  });
});

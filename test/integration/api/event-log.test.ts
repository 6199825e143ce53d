// The operator's event log and the events added for it, over real sockets: a refused upgrade is streamed as
// station.refused and kept in GET /event-log; overrides set and removed by an admin are events naming who did it;
// a station answering NotImplemented becomes station.uncontrollable; filters and paging; /metrics behind its token.
import { WebSocket } from 'ws';
import { EventLogPage } from '../../../src/api/response-schemas';
import { call, defaultApiConfig, eventually, GROUP, openEvents, READ_TOKEN, startRig, type EventStreamClient, type Rig } from './harness';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789';

function refusedUpgrade(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['ocpp2.0.1']);
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(-1));
  });
}

const field = (data: unknown, key: string): unknown => (typeof data === 'object' && data !== null ? Reflect.get(data, key) : undefined);

describe('operator API — event log, station.refused, override and uncontrollable events', () => {
  let rig: Rig;
  let stream: EventStreamClient;
  beforeAll(async () => {
    rig = await startRig({ api: { ...defaultApiConfig, metricsToken: METRICS_TOKEN } });
    stream = openEvents(rig, { headers: { Authorization: `Bearer ${READ_TOKEN}` } });
    expect(await stream.status).toBe(200);
  });
  afterAll(async () => {
    stream.close();
    await rig.close();
  });

  const log = async (query = ''): Promise<EventLogPage> =>
    EventLogPage.parse((await call(rig, 'get', `/event-log${query}`, { token: READ_TOKEN })).data);

  test('a refused upgrade is streamed as station.refused and listed in the event log with its reason', async () => {
    // The rig's station password is required of every auto-registered station: none given is a 401.
    expect(await refusedUpgrade(`ws://127.0.0.1:${rig.agent.ocppPort}/ocpp/CS-NOPASS`)).toBe(401);
    await eventually(() => stream.events.find((e) => e.event === 'station.refused'), 10_000, 'station.refused streamed');
    const refused = stream.events.find((e) => e.event === 'station.refused');
    expect(refused?.data).toMatchObject({ identity: 'CS-NOPASS', status: 401 });
    expect(String(field(refused?.data, 'reason'))).not.toBe('');
    const page = await log('?event=station.refused&stationId=CS-NOPASS');
    expect(page.items.map((e) => [e.event, e.data.identity])).toEqual([['station.refused', 'CS-NOPASS']]);
    expect((await log('?stationId=SOMEONE-ELSE')).items).toEqual([]);
  });

  test('overrides set and removed through the API are events naming the credential; the log filters and pages', async () => {
    const expiresAtMs = Date.now() + 3_600_000;
    const body = { kind: 'group-cap', groupId: GROUP, limitA: 12.5, expiresAtMs };
    expect((await call(rig, 'post', '/overrides', { body })).status).toBe(201);
    expect((await call(rig, 'delete', '/overrides', { body: { kind: 'group-cap', groupId: GROUP } })).status).toBe(204);
    await eventually(() => stream.events.some((e) => e.event === 'override.removed'), 10_000, 'override.removed streamed');
    const overrides = await log('?event=override.set,override.removed&groupId=' + GROUP);
    expect(overrides.items.map((e) => [e.event, e.data.limitA, e.data.by])).toEqual([
      ['override.removed', 12.5, 'ops-admin'],
      ['override.set', 12.5, 'ops-admin'],
    ]);
    expect(overrides.items[0]?.data.expiresAt).toBe(new Date(expiresAtMs).toISOString());
    // Newest first, one per page, then older with `before` until nextBefore is null.
    const first = await log('?event=override.set,override.removed&limit=1');
    expect(first.items.map((e) => e.event)).toEqual(['override.removed']);
    const second = await log(`?event=override.set,override.removed&limit=1&before=${first.nextBefore}`);
    expect(second.items.map((e) => e.event)).toEqual(['override.set']);
    expect(second.nextBefore).toBeNull();
    // An unknown event name is named in the 400.
    const bad = await call(rig, 'get', '/event-log?event=plan.applied', { token: READ_TOKEN });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.data.errors)).toContain('event');
  });

  test('a station answering SetChargingProfile with NotImplemented is streamed as station.uncontrollable and logged', async () => {
    rig.addFleet({ count: 1, notImplementedPercent: 100, idPrefix: 'NI' });
    await eventually(() => stream.events.find((e) => e.event === 'station.uncontrollable'), 30_000, 'station.uncontrollable');
    const event = stream.events.find((e) => e.event === 'station.uncontrollable');
    expect(event?.data).toMatchObject({ groupId: GROUP });
    const stationId = String(field(event?.data, 'stationId'));
    expect(stationId).toMatch(/^NI-/);
    expect((await log(`?event=station.uncontrollable&stationId=${stationId}`)).items).toHaveLength(1);
    expect((await log(`?event=station.online&stationId=${stationId}`)).items).toHaveLength(1);
  });

  test('/metrics wants the scraper token when api.metricsToken is set', async () => {
    const url = `http://127.0.0.1:${rig.agent.httpPort}/metrics`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await fetch(url, { headers: { Authorization: `Bearer ${READ_TOKEN}` } })).status).toBe(401);
    const scraped = await fetch(url, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^flexbridge_stations_connected /m);
  });
});

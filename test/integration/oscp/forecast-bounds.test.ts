// Issue #17 0b and item 3 over real HTTP: a forecast that passes the schema but makes no sense — a capacity above the
// group's physical maximum, blocks outside the horizon, too many blocks — is a 400 naming the field, logged, and
// changes nothing (book, store, events).
import { BOOTSTRAP, connect, FpRig, PeerStub } from './harness';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('OSCP forecast bounds (FP side)', () => {
  let cp: PeerStub;
  let fp: FpRig;
  let token: string;
  afterEach(async () => {
    await fp?.close();
    await cp?.close();
  });

  beforeEach(async () => {
    cp = await PeerStub.start();
    fp = await FpRig.start({
      peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }],
      groups: [{ id: 'site-42', peerId: 'dso', safeLimitA: 16, maxCapacityA: 250 }],
      oscp: { maxForecastBlocks: 50 },
    });
    token = await connect(fp, cp);
  });

  const iso = (ms: number): string => new Date(ms).toISOString();
  const block = (capacity: number, unit = 'A', fromMs = fp.clock.nowMs(), toMs = fromMs + 900_000): object => ({
    capacity,
    phase: 'ALL',
    unit,
    start_time: iso(fromMs),
    end_time: iso(toMs),
  });
  const send = (forecasted_blocks: object[], requestId = 'f-1') =>
    fp.send('update_group_capacity_forecast', { token, requestId, body: { group_id: 'site-42', type: 'CONSUMPTION', forecasted_blocks } });

  async function expectUnchanged(answer: Promise<{ status: number; text: string }>, message: RegExp): Promise<void> {
    const result = await answer;
    expect(result.status).toBe(400);
    expect(JSON.parse(result.text)).toEqual({ message: expect.stringMatching(message) });
    expect(fp.store.forecasts.list({})).toEqual([]);
    expect(fp.adapter.forecasts.blocks('site-42', 'CONSUMPTION', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(fp.events.forecastChanged).toEqual([]);
    expect(fp.logText).toMatch(/capacity forecast refused/);
  }

  it('0b — capacity 1e308 is refused with 400 naming forecasted_blocks[i].capacity and groups[].maxCapacityA', async () => {
    await expectUnchanged(
      send([block(100), block(1e308)]),
      /forecasted_blocks\[1\]\.capacity: 1e\+308 A .*above groups\[\]\.maxCapacityA 250 A/,
    );
  });

  it('0b — the maximum is per phase in amps, whatever the unit: 200 kW on three phases at 230 V is 290 A', async () => {
    await expectUnchanged(send([block(200, 'KW')]), /forecasted_blocks\[0\]\.capacity: 200 KW is 290 A per phase/);
    // 1e308 kW is Infinity amps: still refused, never turned into "unlimited".
    await expectUnchanged(send([block(1e308, 'KW')]), /capacity: 1e\+308 KW is unbounded/);
    expect((await send([block(250)])).status).toBe(204);
    expect((await send([block(172, 'KW')], 'f-2')).status).toBe(204);
  });

  it('0b — a block from year 0001 to 9999 is refused: times must lie within oscp.forecastHorizonDays (7) of now', async () => {
    await expectUnchanged(
      send([{ capacity: 10, phase: 'ALL', unit: 'A', start_time: '0001-01-01T00:00:00Z', end_time: '9999-12-31T23:59:59Z' }]),
      /forecasted_blocks\[0\]\.start_time: 0001-01-01T00:00:00Z is more than 7 days in the past \(oscp\.forecastHorizonDays\)/,
    );
    const now = fp.clock.nowMs();
    await expectUnchanged(send([block(10, 'A', now, now + 7 * DAY_MS + 1)]), /forecasted_blocks\[0\]\.end_time: .* more than 7 days ahead/);
    expect((await send([block(10, 'A', now - 7 * DAY_MS, now + 7 * DAY_MS)])).status).toBe(204);
  });

  it('item 3 — more forecasted_blocks than oscp.maxForecastBlocks is a 400 before the blocks are read', async () => {
    const now = fp.clock.nowMs();
    const many = Array.from({ length: 51 }, (_, i) => block(10, 'A', now + i * 900_000));
    await expectUnchanged(send(many), /forecasted_blocks: 51 blocks, at most 50 \(oscp\.maxForecastBlocks\)/);
    expect((await send(many.slice(0, 50))).status).toBe(204);
  });
});

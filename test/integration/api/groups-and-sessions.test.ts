// The read side with real data: a CP simulator sends forecasts, simulated stations charge; groups, plan, forecast
// book, history, stations, sessions and peers answer with it. An operator group cap lowers the plan; /metrics has
// every metric issue #7 lists.
import axios from 'axios';
import {
  ForecastBook,
  GroupDetail,
  GroupList,
  History,
  OverrideList,
  OverrideView,
  PeerList,
  Plan,
  SessionDetail,
  SessionPage,
  StationDetail,
  StationList,
} from '../../../src/api/response-schemas';
import { BOOTSTRAP_TOKEN, call, eventually, flatDay, GROUP, READ_TOKEN, startRig, type Rig } from './harness';

const STATIONS = ['SIM-00001', 'SIM-00002', 'SIM-00003'];
const EV = { batteryWh: 80_000, socPercent: 20, phases: 3 as const, maxCurrentA: 16 };

describe('operator API — groups, plan, forecasts, history, stations, sessions with a charging fleet', () => {
  let rig: Rig;
  let fallbackRequestId: string;
  beforeAll(async () => {
    rig = await startRig({ cp: true, stations: 3 });
    const cp = rig.cp!;
    await eventually(() => rig.fleet!.summary().bootAccepted === 3, 30_000, 'stations booted');
    fallbackRequestId = 'fc-request-0001';
    expect(
      (await cp.sendForecast({ groupId: GROUP, type: 'FALLBACK_CONSUMPTION', blocks: flatDay(30), requestId: fallbackRequestId })).status,
    ).toBe(204);
    expect((await cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(60) })).status).toBe(204);
    for (const id of STATIONS) rig.fleet!.plugIn(id, 1, EV);
    await eventually(
      async () => {
        const plan = Plan.safeParse((await call(rig, 'get', `/groups/${GROUP}/plan`, { token: READ_TOKEN })).data);
        return (
          plan.success &&
          plan.data.source === 'forecast' &&
          plan.data.sessions.length === 3 &&
          plan.data.sessions.every((s) => (s.limitsA[0] ?? 0) >= 6)
        );
      },
      30_000,
      'plan with three charging sessions on the forecast',
    );
  });
  afterAll(async () => {
    await rig.close();
  });

  it('lists groups with capacity, allocation, measured draw and headroom now', async () => {
    const groups = await eventually(
      async () => {
        const list = GroupList.parse((await call(rig, 'get', '/groups', { token: READ_TOKEN })).data);
        return (list[0]?.measuredA[0] ?? 0) > 0 && list;
      },
      20_000,
      'measured current reported',
    );
    const g1 = groups.find((g) => g.id === GROUP)!;
    expect(g1).toMatchObject({
      name: 'Depot',
      peerId: 'dso',
      peerState: 'CONNECTED',
      source: 'forecast',
      capacityA: [60, 60, 60],
      stations: 3,
      sessions: 3,
    });
    expect(g1.allocatedA[0]).toBeGreaterThanOrEqual(18);
    expect(g1.allocatedA[0]).toBeLessThanOrEqual(59);
    expect(g1.headroomA[0]).toBeCloseTo(60 - 1 - g1.allocatedA[0] - g1.uncontrolledA[0], 3);
    expect(groups.find((g) => g.id === 'g2')).toMatchObject({ source: 'safe-default', capacityA: [20, 20, 20], stations: 0, sessions: 0 });

    const detail = GroupDetail.parse((await call(rig, 'get', `/groups/${GROUP}`, { token: READ_TOKEN })).data);
    expect(detail.stations.map((s) => s.id).sort()).toEqual(STATIONS);
    expect(detail.sessions.map((s) => s.stationId).sort()).toEqual(STATIONS);
    expect((await call(rig, 'get', '/groups/nowhere', { token: READ_TOKEN })).status).toBe(404);
  });

  it('shows the forecast book per type with the request ids', async () => {
    const book = ForecastBook.parse((await call(rig, 'get', `/groups/${GROUP}/forecasts`, { token: READ_TOKEN })).data);
    expect(book.map((s) => s.type).sort()).toEqual(['CONSUMPTION', 'FALLBACK_CONSUMPTION']);
    const fallback = book.find((s) => s.type === 'FALLBACK_CONSUMPTION')!;
    expect(fallback.requestId).toBe(fallbackRequestId);
    expect(fallback.blocks).toHaveLength(96);
    expect(fallback.blocks[0]).toMatchObject({ limitA: [30, 30, 30], requestId: fallbackRequestId });
    const later = ForecastBook.parse(
      (await call(rig, 'get', `/groups/${GROUP}/forecasts?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z`, { token: READ_TOKEN })).data,
    );
    expect(later).toEqual([]);
    const bad = await call(rig, 'get', `/groups/${GROUP}/forecasts?from=yesterday`, { token: READ_TOKEN });
    expect(bad.data).toMatchObject({ status: 400, errors: [{ path: 'from' }] });
  });

  it('shows the plan: per block capacity, allocation and headroom, per session a limit per block', async () => {
    const plan = Plan.parse((await call(rig, 'get', `/groups/${GROUP}/plan`, { token: READ_TOKEN })).data);
    expect(plan.blocks.length).toBeGreaterThanOrEqual(96);
    expect(plan.blocks[0]?.source).toBe('forecast');
    for (const block of plan.blocks) {
      // Past the forecast's 24 h (the horizon starts now, the forecast at the quarter hour) the safe limit applies.
      expect(block.capacityA).toEqual(block.source === 'forecast' ? [60, 60, 60] : [40, 40, 40]);
      const capacityA = block.capacityA[0];
      expect(block.allocatedA[0] + block.uncontrolledA[0] + block.headroomA[0]).toBeCloseTo(capacityA - 1, 3);
    }
    expect(plan.sessions.map((s) => s.stationId).sort()).toEqual(STATIONS);
    for (const session of plan.sessions) {
      expect(session.limitsA).toHaveLength(plan.blocks.length);
      expect(session.evseId).toBe(1);
    }
    expect(plan.blocks[0]!.allocatedA[0]).toBeCloseTo(
      plan.sessions.reduce((sum, s) => sum + (s.limitsA[0] ?? 0), 0),
      3,
    );
  });

  it('keeps a history of capacity, allocation and measured current', async () => {
    const history = await eventually(
      async () => {
        const samples = History.parse((await call(rig, 'get', `/groups/${GROUP}/history`, { token: READ_TOKEN })).data);
        return samples.some((s) => s.measuredA[0] > 0 && s.allocatedA[0] > 0) && samples;
      },
      20_000,
      'history with measured and allocated current',
    );
    expect(history.at(-1)?.capacityA).toEqual([60, 60, 60]);
    for (let i = 1; i < history.length; i++) expect(Date.parse(history[i]!.at)).toBeGreaterThan(Date.parse(history[i - 1]!.at));
  });

  it('shows stations with their limits in force and sessions', async () => {
    const list = StationList.parse((await call(rig, 'get', `/stations?groupId=${GROUP}`, { token: READ_TOKEN })).data);
    expect(list.map((s) => s.id)).toEqual(STATIONS);
    const one = StationDetail.parse((await call(rig, 'get', '/stations/SIM-00001', { token: READ_TOKEN })).data);
    expect(one).toMatchObject({ groupId: GROUP, connected: true, bootStatus: 'Accepted', controllable: true, evseCount: 1, paused: false });
    expect(one.smartCharging?.profileStackLevel).toBeGreaterThanOrEqual(1);
    expect(one.limits.standingA).toBeLessThanOrEqual(29 / 3 + 1e-9);
    expect(one.limits.live?.periods.length).toBeGreaterThan(0);
    expect(Date.parse(one.limits.live!.leaseEnd)).toBeGreaterThan(Date.now());
    expect(one.sessions).toHaveLength(1);
    expect(one.connectors.length).toBeGreaterThan(0);
  });

  it('shows sessions with energy and limit history, and recently ended ones', async () => {
    const page = SessionPage.parse((await call(rig, 'get', `/sessions?groupId=${GROUP}`, { token: READ_TOKEN })).data);
    expect(page).toMatchObject({ total: 3, nextCursor: null });
    const active = page.items;
    expect(active).toHaveLength(3);
    // Two pages of active sessions, oldest first, that together are the one-page answer.
    const first = SessionPage.parse((await call(rig, 'get', `/sessions?groupId=${GROUP}&limit=2`, { token: READ_TOKEN })).data);
    expect(first).toMatchObject({ total: 3, items: active.slice(0, 2).map((s) => ({ transactionId: s.transactionId })) });
    const second = SessionPage.parse(
      (await call(rig, 'get', `/sessions?groupId=${GROUP}&limit=2&cursor=${first.nextCursor ?? ''}`, { token: READ_TOKEN })).data,
    );
    expect(second).toMatchObject({ total: 3, nextCursor: null, items: [{ transactionId: active[2]!.transactionId }] });
    expect(active.map((s) => s.startedAt)).toEqual(active.map((s) => s.startedAt).sort());
    expect(active.every((s) => s.state === 'active' && (s.limitA ?? 0) >= 6)).toBe(true);
    const id = active[0]!.transactionId;
    const detail = await eventually(
      async () => {
        const d = SessionDetail.parse((await call(rig, 'get', `/sessions/${id}`, { token: READ_TOKEN })).data);
        return (d.energyWh ?? 0) > 0 && d;
      },
      20_000,
      'energy metered',
    );
    expect(detail.limitHistory.length).toBeGreaterThan(0);
    expect(detail.limitHistory.at(-1)?.limitA).toBe(detail.limitA);
    expect(detail.measuredA).toBeDefined();

    rig.fleet!.unplug(active[0]!.stationId, 1);
    const recent = await eventually(
      async () => {
        const r = SessionPage.parse((await call(rig, 'get', '/sessions?state=recent', { token: READ_TOKEN })).data).items;
        return r.length > 0 && r;
      },
      20_000,
      'session ended',
    );
    expect(recent[0]).toMatchObject({ transactionId: id, state: 'ended' });
    expect(SessionDetail.parse((await call(rig, 'get', `/sessions/${id}`, { token: READ_TOKEN })).data).endedAt).toBeDefined();
    expect((await call(rig, 'get', '/sessions/no-such-session', { token: READ_TOKEN })).status).toBe(404);
    rig.fleet!.plugIn(active[0]!.stationId, 1, EV);
  });

  it('lowers the plan under an operator group cap and restores it when the cap is removed', async () => {
    const cap = { kind: 'group-cap', groupId: GROUP, limitA: 20, expiresAtMs: Date.now() + 600_000 };
    const created = await call(rig, 'post', '/overrides', { body: cap });
    expect(created.status).toBe(201);
    expect(OverrideView.parse(created.data)).toMatchObject({ ...cap, expiresAt: new Date(cap.expiresAtMs).toISOString() });
    expect(OverrideList.parse((await call(rig, 'get', '/overrides', { token: READ_TOKEN })).data)).toHaveLength(1);
    const capped = await eventually(
      async () => {
        const plan = Plan.parse((await call(rig, 'get', `/groups/${GROUP}/plan`, { token: READ_TOKEN })).data);
        return plan.blocks[0]?.capacityA[0] === 20 && plan;
      },
      20_000,
      'plan under the cap',
    );
    // The cap applies until it expires (10 min): blocks from then on run on the 60 A forecast again.
    const untilMs = cap.expiresAtMs;
    const before = capped.blocks.filter((b) => Date.parse(b.start) < untilMs);
    const after = capped.blocks.filter((b) => Date.parse(b.start) >= untilMs);
    expect(before.every((b) => b.capacityA.every((a) => a <= 20) && b.operatorCapA === 20)).toBe(true);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((b) => b.capacityA[0] === b.gridCapacityA[0] && b.operatorCapA === undefined)).toBe(true);
    expect(after[0]?.capacityA[0]).toBe(60);
    expect(capped.blocks.some((b) => Date.parse(b.end) === untilMs)).toBe(true);
    expect(before.every((b) => b.gridCapacityA[0] === 60)).toBe(true);
    const summary = GroupDetail.parse((await call(rig, 'get', `/groups/${GROUP}`, { token: READ_TOKEN })).data);
    expect(summary.operatorCap).toEqual({ limitA: 20, expiresAt: new Date(untilMs).toISOString() });
    expect([summary.source, summary.gridCapacityA[0], summary.capacityA[0]]).toEqual(['forecast', 60, 20]);
    expect(capped.sessions.reduce((sum, s) => sum + (s.limitsA[0] ?? 0), 0)).toBeLessThanOrEqual(19);

    expect((await call(rig, 'delete', '/overrides', { body: { kind: 'group-cap', groupId: GROUP } })).status).toBe(204);
    expect((await call(rig, 'get', '/overrides', { token: READ_TOKEN })).data).toEqual([]);
    await eventually(
      async () => {
        const plan = Plan.parse((await call(rig, 'get', `/groups/${GROUP}/plan`, { token: READ_TOKEN })).data);
        return plan.blocks[0]?.capacityA[0] === 60;
      },
      20_000,
      'plan back on the forecast',
    );
  });

  it('shows the peer without its tokens and queues a handshake', async () => {
    const res = await call(rig, 'get', '/peers', { token: READ_TOKEN });
    const peers = PeerList.parse(res.data);
    expect(peers[0]).toMatchObject({ id: 'dso', state: 'CONNECTED', online: true, groups: [GROUP], heartbeatIntervalS: 1 });
    expect(JSON.stringify(res.data)).not.toContain(BOOTSTRAP_TOKEN);
    expect(JSON.stringify(res.data)).not.toMatch(/token/i);
    const handshake = await call(rig, 'post', '/peers/dso/handshake');
    expect(handshake.status).toBe(202);
    expect(handshake.data).toEqual({ peerId: 'dso', action: 'handshake', status: 'queued' });
  });

  it('exposes every metric issue #7 lists on /metrics', async () => {
    const text = (await axios.get<string>(`http://127.0.0.1:${rig.agent.httpPort}/metrics`)).data;
    for (const name of [
      'flexbridge_stations_connected 3',
      `flexbridge_sessions_active{group="${GROUP}"}`,
      `flexbridge_group_capacity_amps{group="${GROUP}"}`,
      `flexbridge_group_allocated_amps{group="${GROUP}"}`,
      `flexbridge_group_measured_amps{group="${GROUP}"}`,
      `flexbridge_group_fallback{group="${GROUP}"} 0`,
      'flexbridge_oscp_messages_total{direction="in",type="update_group_capacity_forecast",status="204"}',
      'flexbridge_oscp_messages_total{direction="out"',
      'flexbridge_ocpp_calls_total{direction="out",action="SetChargingProfile",result=',
      'flexbridge_ocpp_calls_total{direction="in",action="TransactionEvent",result="ok"}',
      'flexbridge_command_queue_depth',
      `flexbridge_allocation_seconds_bucket{le="0.005",group="${GROUP}"}`,
      'flexbridge_process_nodejs_eventloop_lag_seconds',
      'flexbridge_process_nodejs_eventloop_lag_p99_seconds',
      'flexbridge_api_event_streams',
    ])
      expect(text).toContain(name);
  });
});

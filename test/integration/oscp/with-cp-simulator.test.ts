// The FP endpoint driven by the Capacity Provider simulator (which never imports src/), over real HTTP and a real
// SQLite file: both registration directions, handshake, heartbeats, every forecast type, offline and recovery,
// and the error answers (their messages are checked in errors.test.ts) — each refusal leaving the book untouched.
// Both sides read one virtual clock; the simulator's own timers (heartbeats, reply delays) stay on real time.
import { DateTime } from 'luxon';
import { startCapacityProvider, type CapacityProvider } from '../../../simulators/oscp-cp';
import { wireTimeMs } from '../../../src/oscp/wire-time';
import { VirtualClock } from '../../helpers/virtual-clock';
import { BOOTSTRAP, FpRig, until, VIRTUAL_START_MS } from './harness';

const GROUP = 'site-42';
/** Virtual ms per poll while waiting on the simulator: its 1 s heartbeats keep up only if time goes slowly. */
const STEP_MS = 50;

let clock: VirtualClock;
const simulatorNow = (): DateTime => DateTime.fromMillis(clock.nowMs(), { zone: 'utc' });

function blocks(
  capacity: number,
  unit: 'A' | 'W' | 'KW' = 'A',
): { start_time: string; end_time: string; capacity: number; phase: 'ALL'; unit: typeof unit }[] {
  const start = Math.floor(clock.nowMs() / 900_000) * 900_000;
  return [0, 1, 2, 3].map((i) => ({
    start_time: new Date(start + i * 900_000).toISOString(),
    end_time: new Date(start + (i + 1) * 900_000).toISOString(),
    capacity,
    phase: 'ALL' as const,
    unit,
  }));
}

describe('OSCP FP endpoint driven by the CP simulator', () => {
  let fp: FpRig | undefined;
  let cp: CapacityProvider | undefined;
  beforeEach(() => {
    clock = new VirtualClock(VIRTUAL_START_MS);
  });
  afterEach(async () => {
    await cp?.close();
    await fp?.close();
    cp = undefined;
    fp = undefined;
  });

  test('§6.1 direction (a): the CP registers with our bootstrap token, we register back, handshake and heartbeats flow', async () => {
    cp = await startCapacityProvider({ port: 0, heartbeatIntervalS: 1, replyDelayMs: 10, handshakeDelayMs: 10 }, simulatorNow);
    fp = await FpRig.start({ clock, peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 1, offlineGraceS: 1 }] });
    const f = fp;
    const c = cp;
    expect((await c.registerWith(f.baseUrl, BOOTSTRAP)).status).toBe(204);
    await f.advanceUntil(
      () => c.state().handshakeDone && c.state().lastHeartbeatFromFp !== undefined,
      'handshake and our heartbeat',
      STEP_MS,
    );
    await until(() => f.adapter.peers().find((p) => p.peerId === 'dso' && p.state === 'CONNECTED'), 'peer CONNECTED', 10_000);
    // The bootstrap token is spent: using it again is refused.
    const offlineModeAt = new Date(clock.nowMs() + 5000).toISOString();
    expect((await c.sendRaw({ path: 'heartbeat', body: { offline_mode_at: offlineModeAt }, token: BOOTSTRAP })).status).toBe(403);
  });

  test('§6.1 direction (b): we register with the token the CP handed out and accept its Register reply', async () => {
    cp = await startCapacityProvider({ port: 0, heartbeatIntervalS: 1, replyDelayMs: 10, handshakeDelayMs: 10 }, simulatorNow);
    const c = cp;
    const token = c.issueBootstrapToken();
    fp = await FpRig.start({ clock, peers: [{ id: 'dso', registerUrl: c.baseUrl, registerToken: token, heartbeatIntervalS: 1 }] });
    const f = fp;
    await f.advanceUntil(() => c.state().registered && c.state().handshakeDone, 'registered and handshake done', STEP_MS);
    await until(() => f.adapter.peers().find((p) => p.peerId === 'dso' && p.state === 'CONNECTED'), 'peer CONNECTED', 10_000);
    // One Register from us, none again after the CP's reply.
    expect(c.received('register').filter((m) => m.status === 204)).toHaveLength(1);
  });

  describe('once connected', () => {
    beforeEach(async () => {
      cp = await startCapacityProvider({ port: 0, heartbeatIntervalS: 1, replyDelayMs: 10, handshakeDelayMs: 10 }, simulatorNow);
      fp = await FpRig.start({
        clock,
        peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 1, offlineGraceS: 1 }],
        groups: [{ id: GROUP, peerId: 'dso', safeLimitA: 16, phaseVoltageV: 230, phases: 3 }],
      });
      const c = cp;
      await c.registerWith(fp.baseUrl, BOOTSTRAP);
      await fp.advanceUntil(() => c.state().handshakeDone, 'handshake done', STEP_MS);
    });

    test('§7 forecasts of every type are accepted (204) and normalised to amps per phase', async () => {
      const f = fp as FpRig;
      const c = cp as CapacityProvider;
      for (const type of ['CONSUMPTION', 'GENERATION', 'FALLBACK_CONSUMPTION', 'FALLBACK_GENERATION'] as const) {
        expect((await c.sendForecast({ groupId: GROUP, type, blocks: blocks(40) })).status).toBe(204);
      }
      // 69 kW over three phases at 230 V is 100 A per phase.
      expect((await c.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: blocks(69, 'KW') })).status).toBe(204);
      const now = clock.nowMs();
      expect(f.adapter.forecasts.blocks(GROUP, 'CONSUMPTION', now, now + 1)[0]?.limitA).toEqual([100, 100, 100]);
      expect(f.adapter.forecasts.blocks(GROUP, 'FALLBACK_CONSUMPTION', now, now + 1)[0]?.limitA).toEqual([40, 40, 40]);
      expect(f.events.forecastChanged.map((e) => e.type)).toEqual([
        'CONSUMPTION',
        'GENERATION',
        'FALLBACK_CONSUMPTION',
        'FALLBACK_GENERATION',
        'CONSUMPTION',
      ]);
    });

    test('§6.3 the CP stops heartbeats: offline after offline_mode_at + grace; back online when they resume', async () => {
      const f = fp as FpRig;
      const c = cp as CapacityProvider;
      await until(() => f.adapter.forecasts.peerOnline(GROUP), 'peer online', 10_000);
      c.stopHeartbeats();
      await f.advanceUntil(() => f.events.peerOffline.length > 0, 'peer offline', STEP_MS);
      expect(f.adapter.forecasts.peerOnline(GROUP)).toBe(false);
      // Not before the CP's last offline_mode_at plus our grace (1 s) had passed on the clock.
      expect(clock.nowMs()).toBeGreaterThanOrEqual(wireTimeMs(f.peer()?.offlineModeAt ?? '') + 1000);
      c.resumeHeartbeats();
      await until(() => f.events.peerOnline.length > 0 && f.adapter.forecasts.peerOnline(GROUP), 'peer online again', 15_000);
    });

    test('§4 refusals — 401, 403, 400 naming the problem, 404 — change nothing', async () => {
      const f = fp as FpRig;
      const c = cp as CapacityProvider;
      const body = { group_id: GROUP, type: 'CONSUMPTION', forecasted_blocks: blocks(10) };
      const answers = [
        await c.sendRaw({ path: 'update_group_capacity_forecast', body, token: null }),
        await c.sendRaw({ path: 'update_group_capacity_forecast', body, token: 'not-a-token-we-know' }),
        await c.sendRaw({ path: 'update_group_capacity_forecast', body, requestId: null }),
        await c.sendRaw({ path: 'update_group_capacity_forecast', body: { ...body, type: 'LOTS' } }),
        await c.sendRaw({ path: 'update_group_capacity_forecast', body: { ...body, group_id: 'nowhere' } }),
      ];
      expect(answers.map((a) => a.status)).toEqual([401, 403, 400, 400, 404]);
      expect(f.events.forecastChanged).toEqual([]);
      expect(f.adapter.forecasts.blocks(GROUP, 'CONSUMPTION', clock.nowMs(), clock.nowMs() + 1)).toEqual([]);
    });
  });
});

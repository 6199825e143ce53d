// Interop issue item 6 over real sockets and HTTP: connected stations that never acknowledge a charging profile must
// not look like free capacity. The group view counts each at its hardware maximum, says why, and shows no headroom.
import { GroupDetail, GroupList, Plan, StationSummary } from '../../../src/api/response-schemas';
import { call, eventually, GROUP, READ_TOKEN, startRig, type Rig } from './harness';

const N = 5;
const EVSE_MAX_A = 32;

describe('operator API — stations that acknowledged no limit (interop #6)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    // Silent stations answer everything but SetChargingProfile: connected, smart-charging capable, never bounded.
    rig.addFleet({ count: N, evsesPerStation: 1, evseMaxA: EVSE_MAX_A, silentPercent: 100 });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('counts each at its maximum as unacknowledged; uncontrolled is their sum and headroom is not positive', async () => {
    const detail = await eventually(
      async () => {
        const parsed = GroupDetail.safeParse((await call(rig, 'get', `/groups/${GROUP}`, { token: READ_TOKEN })).data);
        return parsed.success && parsed.data.stationsCounted.unacknowledged === N && parsed.data;
      },
      20_000,
      `${N} connected stations counted as unacknowledged`,
    );
    expect(detail.stations).toHaveLength(N);
    for (const station of detail.stations) {
      expect(station.connected).toBe(true);
      expect(station.counted).toEqual({ allocatable: true, as: 'unacknowledged', limitA: EVSE_MAX_A });
    }
    expect(detail.capacityA).toEqual([40, 40, 40]);
    expect(detail.allocatedA).toEqual([0, 0, 0]);
    expect(detail.uncontrolledA).toEqual([N * EVSE_MAX_A, N * EVSE_MAX_A, N * EVSE_MAX_A]);
    expect(detail.headroomA[0]).toBeLessThanOrEqual(0);
    expect(detail.headroomA[0]).toBeCloseTo(40 - 1 - N * EVSE_MAX_A, 3);

    const g1 = GroupList.parse((await call(rig, 'get', '/groups', { token: READ_TOKEN })).data).find((g) => g.id === GROUP);
    expect(g1?.uncontrolledA[0]).toBe(N * EVSE_MAX_A);
    expect(g1?.headroomA[0]).toBeLessThanOrEqual(0);

    // The first plan may still be computing on a busy machine: wait for it rather than read an empty one.
    const plan = await eventually(
      async () => {
        const parsed = Plan.safeParse((await call(rig, 'get', `/groups/${GROUP}/plan`, { token: READ_TOKEN })).data);
        return parsed.success && parsed.data;
      },
      20_000,
      'a plan',
    );
    for (const block of plan.blocks) {
      expect(block.uncontrolledA[0]).toBe(N * EVSE_MAX_A);
      expect(block.headroomA[0]).toBeLessThanOrEqual(0);
    }
  });

  it('interop #2/#4 — the station list says why each is Pending, and that it is unresponsive and backed off', async () => {
    const list = async (): Promise<StationSummary[]> =>
      StationSummary.array().parse((await call(rig, 'get', '/stations', { token: READ_TOKEN })).data);
    // Kept Pending while their standing limits go unanswered: the reason is shown, not just the state.
    const pending = await eventually(
      async () => {
        const found = (await list()).filter((s) => s.bootStatus === 'Pending');
        return found.length > 0 && found;
      },
      10_000,
      'a Pending station',
    );
    for (const station of pending) expect(station.pendingReason).toMatch(/smart-charging limits|standing limits/);
    // Each SetChargingProfile times out twice (call timeout 5 s): then commands back off, and the API says so.
    const backedOff = await eventually(
      async () => {
        const stations = await list();
        return stations.every((s) => s.unresponsive !== undefined) && stations;
      },
      30_000,
      'every silent station shown as unresponsive',
    );
    for (const station of backedOff) {
      expect(station.unresponsive?.timeouts).toBeGreaterThanOrEqual(2);
      expect(Date.parse(station.unresponsive?.retryAt ?? '')).toBeGreaterThan(Date.now());
    }
  }, 40_000);
});

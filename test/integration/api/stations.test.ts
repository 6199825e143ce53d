// Station administration over real HTTP: add with a password (stored hashed, never returned; the station then
// connects with it), move between groups, remove (it leaves core at once and its group is replanned); and invalid
// input answered as problem+json naming each field, with nothing changed.
import { Problem, StationDetail, StationList, GroupDetail, Peer } from '../../../src/api/response-schemas';
import { z } from 'zod';
import { call, eventually, startRig, STATION_PASSWORD, type Rig } from './harness';

describe('operator API — stations, validation, peers', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ autoRegister: false });
  });
  afterAll(async () => {
    await rig.close();
  });

  const station = async (id: string): Promise<StationDetail> => StationDetail.parse((await call(rig, 'get', `/stations/${id}`)).data);

  it('adds a station with a password it then connects with; the password is hashed and never returned', async () => {
    const res = await call(rig, 'put', '/stations/NEW-00001', {
      body: { groupId: 'g2', password: STATION_PASSWORD, evseMaxCurrentA: 16 },
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('/api/v1/stations/NEW-00001');
    expect(StationDetail.parse(res.data)).toMatchObject({
      id: 'NEW-00001',
      groupId: 'g2',
      evseMaxCurrentA: 16,
      stationMaxCurrentA: 16,
      evseCount: 1,
      phases: 3,
      hasPassword: true,
      connected: false,
    });
    expect(JSON.stringify(res.data)).not.toContain(STATION_PASSWORD);
    expect(JSON.stringify(res.data)).not.toMatch(/passwordHash/);
    const stored = rig.agent.store.stations.get('NEW-00001');
    expect(stored?.passwordHash).toBeDefined();
    expect(stored?.passwordHash).not.toContain(STATION_PASSWORD);

    rig.addFleet({ idPrefix: 'NEW', count: 1, evseMaxA: 16 });
    const online = await eventually(
      async () => {
        const s = await station('NEW-00001');
        return s.connected && s.bootStatus === 'Accepted' && s.smartCharging !== undefined && s.limits.standingA !== undefined && s;
      },
      20_000,
      'station connected and profiled',
    );
    expect(online.smartCharging).toMatchObject({ profileStackLevel: 3, periodsPerSchedule: 24 });
    expect(online.limits.standingA).toBeLessThanOrEqual(19);
    expect(online.connectionChangedAt).toBeDefined();
  });

  it('moves a station to another group', async () => {
    const res = await call(rig, 'put', '/stations/NEW-00001', { body: { groupId: 'g1' } });
    expect(res.status).toBe(200);
    expect(StationDetail.parse(res.data)).toMatchObject({ groupId: 'g1', evseMaxCurrentA: 16, hasPassword: true });
    const inG1 = StationList.parse((await call(rig, 'get', '/stations?groupId=g1')).data).map((s) => s.id);
    const inG2 = StationList.parse((await call(rig, 'get', '/stations?groupId=g2')).data).map((s) => s.id);
    expect(inG1).toContain('NEW-00001');
    expect(inG2).not.toContain('NEW-00001');
    const g1 = GroupDetail.parse((await call(rig, 'get', '/groups/g1')).data);
    expect(g1.stations.map((s) => s.id)).toContain('NEW-00001');
  });

  it('refuses invalid station input with problem+json naming each field, and changes nothing', async () => {
    const before = await station('NEW-00001');
    const res = await call(rig, 'put', '/stations/NEW-00001', {
      body: { groupId: 'g1', evseMaxCurrentA: -3, password: 'short', phases: 2, colour: 'red' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = Problem.parse(res.data);
    expect(problem.type).toBe('urn:flexbridge:problem:validation');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['colour', 'evseMaxCurrentA', 'password', 'phases']);
    expect(await station('NEW-00001')).toMatchObject({ groupId: before.groupId, evseMaxCurrentA: 16, phases: 3 });

    const unknownGroup = Problem.parse((await call(rig, 'put', '/stations/NEW-00001', { body: { groupId: 'nowhere' } })).data);
    expect(unknownGroup.errors).toEqual([{ path: 'groupId', message: 'no group "nowhere"' }]);
    const noGroup = await call(rig, 'put', '/stations/NEW-00002', { body: { evseMaxCurrentA: 16 } });
    expect(noGroup.status).toBe(400);
    expect(Problem.parse(noGroup.data).errors).toEqual([{ path: 'groupId', message: 'required for a new station' }]);
    expect((await call(rig, 'get', '/stations/NEW-00002')).status).toBe(404);
    // Any OCPP identity (printable ASCII, no colon) is a station id, not only the configuration's letters and digits.
    expect((await call(rig, 'put', '/stations/CP%40007', { body: { groupId: 'g2' } })).status).toBe(201);
    expect(StationDetail.parse((await call(rig, 'get', '/stations/CP%40007')).data).id).toBe('CP@007');
    expect((await call(rig, 'delete', '/stations/CP%40007')).status).toBe(204);
    const badId = await call(rig, 'put', '/stations/bad%20id!', { body: { groupId: 'g1' } });
    expect(Problem.parse(badId.data).errors?.[0]?.path).toBe('id');

    const malformed = await call(rig, 'put', '/stations/NEW-00002', {
      body: '{"groupId": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(Problem.parse(malformed.data).detail).toContain('not valid JSON');
    const noBody = await call(rig, 'put', '/stations/NEW-00002');
    expect(Problem.parse(noBody.data).errors?.[0]?.message).toContain('JSON body is required');
    expect((await call(rig, 'get', '/stations/NEW-00002')).status).toBe(404);
    expect((await call(rig, 'get', '/sessions?state=sometimes')).data).toMatchObject({ status: 400, errors: [{ path: 'state' }] });
  });

  it('refuses overrides that name nothing that exists or have expired, and keeps none of them', async () => {
    const future = Date.now() + 600_000;
    const cases: [unknown, string][] = [
      [{ kind: 'group-cap', groupId: 'nowhere', limitA: 10, expiresAtMs: future }, 'groupId'],
      [{ kind: 'group-cap', groupId: 'g1', limitA: 10, expiresAtMs: Date.now() - 1 }, 'expiresAtMs'],
      [{ kind: 'group-cap', groupId: 'g1', limitA: -1, expiresAtMs: future }, 'limitA'],
      [{ kind: 'station-pause', stationId: 'NOPE', expiresAtMs: future }, 'stationId'],
      [{ kind: 'session-priority', transactionId: 'tx-none', priority: 3, expiresAtMs: future }, 'transactionId'],
      [{ kind: 'session-priority', transactionId: 'tx-none', priority: 30, expiresAtMs: future }, 'priority'],
      [{ kind: 'speed-up', expiresAtMs: future }, 'kind'],
    ];
    for (const [body, field] of cases) {
      const res = await call(rig, 'post', '/overrides', { body });
      expect(res.status).toBe(400);
      expect(Problem.parse(res.data).errors?.map((e) => e.path)).toContain(field);
    }
    expect((await call(rig, 'get', '/overrides')).data).toEqual([]);
    expect((await call(rig, 'delete', '/overrides', { body: { kind: 'group-cap', groupId: 'g1' } })).status).toBe(404);
    expect(Problem.parse((await call(rig, 'delete', '/overrides', { body: { kind: 'group-cap' } })).data).errors?.[0]?.path).toBe(
      'groupId',
    );
  });

  it('shows OSCP peers without tokens, and says why a handshake cannot be sent yet', async () => {
    const peers = z.array(Peer).parse((await call(rig, 'get', '/peers')).data);
    expect(peers).toEqual([expect.objectContaining({ id: 'dso', role: 'CP', state: 'UNREGISTERED', online: false, groups: ['g1'] })]);
    expect(JSON.stringify(peers)).not.toMatch(/token/i);
    const handshake = await call(rig, 'post', '/peers/dso/handshake');
    expect(handshake.status).toBe(409);
    expect(Problem.parse(handshake.data).detail).toContain('not registered');
    expect((await call(rig, 'post', '/peers/nobody/register')).status).toBe(404);
  });

  it('removes a station: at once it leaves core (fleet, lease ledger, group view) and its group is replanned without it', async () => {
    const { provider } = rig.agent;
    const counted = (): string[] => provider.view('g1', Date.now())?.stations.map((s) => s.stationId) ?? [];
    expect(provider.fleet.station('NEW-00001')?.connected).toBe(true);
    expect(counted()).toContain('NEW-00001');
    expect(provider.ledger.assumedLimitA('NEW-00001', Date.now())).toBeLessThan(Infinity);
    const plans: number[] = [];
    const unsubscribe = rig.agent.events.on('planApplied', (e) => e.groupId === 'g1' && plans.push(e.atMs));
    const deletedAtMs = Date.now();
    expect((await call(rig, 'delete', '/stations/NEW-00001')).status).toBe(204);
    expect(provider.fleet.station('NEW-00001')).toBeUndefined();
    expect(provider.fleet.stationsOf('g1').map((s) => s.stationId)).not.toContain('NEW-00001');
    // An unknown station: the ledger no longer counts anything for it (Infinity is its "never heard of it").
    expect(provider.ledger.assumedLimitA('NEW-00001', Date.now())).toBe(Infinity);
    expect(provider.ledger.snapshot('NEW-00001')).toBeUndefined();
    expect(counted()).not.toContain('NEW-00001');
    expect(rig.logs().some((l) => l.message === 'reallocation requested' && l.reason === 'station NEW-00001 removed')).toBe(true);
    await eventually(() => plans.some((atMs) => atMs >= deletedAtMs), 10_000, 'g1 replanned after the removal');
    unsubscribe();
    expect(provider.plan('g1')?.sessions.map((s) => s.stationId)).not.toContain('NEW-00001');
  });

  it('a removed station: its connection is closed and it is refused from then on', async () => {
    expect((await call(rig, 'get', '/stations/NEW-00001')).status).toBe(404);
    expect(rig.agent.store.stations.get('NEW-00001')).toBeUndefined();
    await eventually(
      () => rig.agent.csms.registry.get('NEW-00001') === undefined && rig.logText().includes('station connection refused'),
      20_000,
      'reconnect refused',
    );
    expect((await call(rig, 'delete', '/stations/NEW-00001')).status).toBe(404);
  });
});

// Defects the relay fuzzer (test/fuzz/relay.ts) found in Local Controller mode, each pinned by a test over real
// sockets: CALLERROR codes reach the CSMS spelled for its version, and a CSMS frame above the frame limit is refused.
import { spelledFor } from '../../src/ocpp/upstream/upstream-link';
import { RELAY_STATIONS, startRelayAgent, type RelayRig } from './relay';

jest.setTimeout(60_000);

describe('#17 relay fuzz findings (Local Controller mode)', () => {
  let rig: RelayRig;
  beforeAll(async () => {
    rig = await startRelayAgent();
  });
  afterAll(() => rig.close());

  test('a 1.6 station refusing a CSMS call in ocpp-rpc’s 2.0.1 spelling reaches the 1.6 CSMS as OccurenceConstraintViolation', async () => {
    const link = await rig.csms.link(RELAY_STATIONS['ocpp1.6']);
    // transactionId missing: the strict 1.6 station (ocpp-rpc 2.2.1) answers OccurrenceConstraintViolation, double r.
    const answer = await link.call('spell-16', JSON.stringify([2, 'spell-16', 'RemoteStopTransaction', {}]));
    expect(answer?.slice(0, 3)).toEqual([4, 'spell-16', 'OccurenceConstraintViolation']);
  });

  test('spelling: only the codes that differ between versions are respelled; a station’s own code passes as it is', () => {
    expect(spelledFor('ocpp1.6', 'FormatViolation')).toBe('FormationViolation');
    expect(spelledFor('ocpp2.0.1', 'FormationViolation')).toBe('FormatViolation');
    expect(spelledFor('ocpp2.0.1', 'OccurrenceConstraintViolation')).toBe('OccurrenceConstraintViolation');
    for (const code of ['constructor', '__proto__', 'toString', 'VendorSpecific'])
      for (const protocol of ['ocpp1.6', 'ocpp2.0.1']) expect(spelledFor(protocol, code)).toBe(code);
  });

  test('a 2.0.1 station refusing a CSMS call reaches the 2.0.1 CSMS with 2.0.1’s own code', async () => {
    const link = await rig.csms.link(RELAY_STATIONS['ocpp2.0.1']);
    const answer = await link.call('spell-201', JSON.stringify([2, 'spell-201', 'RequestStopTransaction', {}]));
    expect(answer?.slice(0, 3)).toEqual([4, 'spell-201', 'OccurrenceConstraintViolation']);
  });

  test.each([['ocpp2.0.1' as const], ['ocpp1.6' as const]])(
    '%s: a CALL the CSMS sends in the tick the twin opens is relayed to the station, not refused NotImplemented',
    async (protocol) => {
      const answers: Promise<unknown>[] = [];
      rig.csms.greet = (link) => {
        answers.push(link.call('greet-1', JSON.stringify([2, 'greet-1', 'TriggerMessage', { requestedMessage: 'Heartbeat' }])));
      };
      // A new connection of the station opens a new twin (newest wins).
      await rig.reconnect(protocol);
      rig.csms.greet = undefined;
      expect(answers).toHaveLength(1);
      expect(await answers[0]).toEqual([3, 'greet-1', { status: 'Accepted' }]);
    },
  );

  test.each([['ocpp2.0.1' as const], ['ocpp1.6' as const]])(
    '%s: a CSMS station cap in W over numberPhases 0 folds to a number (never limit null in flexbridge’s own profiles), and its shadow is kept',
    async (protocol) => {
      const station = rig.stations.get(protocol);
      const invalid: string[] = [];
      station?.client.on('strictValidationFailure', ({ method, error }: { method: string; error: unknown }) =>
        invalid.push(`${method}: ${String(error)}`),
      );
      const link = await rig.csms.link(RELAY_STATIONS[protocol]);
      // Schema-valid in both versions (numberPhases is any integer; duration any integer).
      const schedule = {
        startSchedule: new Date(Date.now() - 1000).toISOString(),
        duration: 1e308,
        chargingRateUnit: 'W',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 0, numberPhases: 0 }],
      };
      const payload =
        protocol === 'ocpp1.6'
          ? {
              connectorId: 0,
              csChargingProfiles: {
                chargingProfileId: 7,
                stackLevel: 0,
                chargingProfilePurpose: 'ChargePointMaxProfile',
                chargingProfileKind: 'Absolute',
                chargingSchedule: schedule,
              },
            }
          : {
              evseId: 0,
              chargingProfile: {
                id: 7,
                stackLevel: 0,
                chargingProfilePurpose: 'ChargingStationMaxProfile',
                chargingProfileKind: 'Absolute',
                chargingSchedule: [{ id: 1, ...schedule }],
              },
            };
      expect(await link.call('w0', JSON.stringify([2, 'w0', 'SetChargingProfile', payload]))).toEqual([3, 'w0', { status: 'Accepted' }]);
      // Through the station's queue after the refold it caused.
      const barrier = protocol === 'ocpp1.6' ? { connectorId: 0, duration: 60 } : { evseId: 0, duration: 60 };
      await link.call('w0-b', JSON.stringify([2, 'w0-b', 'GetCompositeSchedule', barrier]));
      expect(invalid).toEqual([]);
      expect(station?.profiles.get(9_100_001)?.periods[0]?.limit).toBe(0);
      expect(station?.capNowA(Date.now())?.limitA).toBe(0);
      const saved = rig.agent.store.kv.get(`relay:${RELAY_STATIONS[protocol]}:csms-profiles`);
      expect(saved).toEqual([expect.objectContaining({ id: 7, minLimitA: 0 })]);
      expect(saved).not.toEqual([expect.objectContaining({ endsAtMs: null })]);
    },
  );

  test('a CSMS frame above ocpp.admission.maxFrameBytes closes the twin with 1009; the station stays connected and is redialled', async () => {
    const identity = RELAY_STATIONS['ocpp2.0.1'];
    const link = await rig.csms.link(identity);
    const big = JSON.stringify([2, 'big-1', 'DataTransfer', { vendorId: 'x', data: 'v'.repeat(2 * 1024 * 1024) }]);
    expect(await link.call('big-1', big)).toBeUndefined();
    expect(link.closeCode).toBe(1009);
    const station = rig.stations.get('ocpp2.0.1');
    expect(station?.client.state).toBe(1);
    // The twin comes back (hold mode redials) and relays again.
    const again = await rig.csms.link(identity);
    expect(again).not.toBe(link);
    expect(await station?.client.call('Heartbeat', {})).toHaveProperty('currentTime');
  });
});

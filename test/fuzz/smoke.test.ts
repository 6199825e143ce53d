// Issue #17 fuzzing, the 2,000-case smoke inside npm test: 600 OSCP requests, 300 OCPP 2.0.1 and 300 OCPP 1.6 frames
// against one real agent, 400 config files, and 200 + 200 relayed CSMS calls against an agent in Local Controller
// mode. `npm run fuzz -- --cases 100000` runs the same targets at scale.
import { fuzzRelay, startRelayAgent, type RelayRig } from './relay';
import { fuzzConfig, fuzzOcpp, fuzzOscp, startFuzzAgent, validHeartbeat, type FuzzRig } from './targets';

jest.setTimeout(120_000);

describe('#17 fuzz smoke (2,000 cases)', () => {
  let rig: FuzzRig;
  beforeAll(async () => {
    rig = await startFuzzAgent();
  });
  afterAll(() => rig.close());

  it('OSCP bodies and headers per endpoint: no 5xx, a refused request changes no forecast or peer, a heartbeat still works', async () => {
    const findings = await fuzzOscp(rig, 600);
    expect(findings.problems).toEqual([]);
    expect(findings.cases).toBe(600);
    expect(await validHeartbeat(rig)).toBe(204);
  });

  it.each([['ocpp2.0.1' as const], ['ocpp1.6' as const]])(
    '%s frames per action: no crash, a valid call still answered',
    async (protocol) => {
      const findings = await fuzzOcpp(rig, protocol, 300);
      expect(findings.problems).toEqual([]);
      expect(findings.cases).toBe(300);
    },
  );

  it('config files: a config or a ConfigError, never another exception', () => {
    const findings = fuzzConfig(400);
    expect(findings.problems).toEqual([]);
  });

  describe('relayed CSMS calls (Local Controller mode)', () => {
    let relay: RelayRig;
    beforeAll(async () => {
      relay = await startRelayAgent();
    });
    afterAll(() => relay.close());

    it.each([['ocpp2.0.1' as const], ['ocpp1.6' as const]])(
      '%s: answers are OCPP-J with the version’s codes, a refused call changes no table, the station never above its share',
      async (protocol) => {
        const findings = await fuzzRelay(relay, protocol, 200);
        expect(findings.problems).toEqual([]);
        expect(findings.cases).toBe(200);
      },
    );
  });
});

// Issue #17 fuzzing, the 2,000-case smoke inside npm test: 800 OSCP requests, 400 OCPP 2.0.1 and 400 OCPP 1.6 frames
// against one real agent, and 400 config files. `npm run fuzz -- --cases 100000` runs the same targets at scale.
import { fuzzConfig, fuzzOcpp, fuzzOscp, startFuzzAgent, validHeartbeat, type FuzzRig } from './targets';

jest.setTimeout(120_000);

describe('#17 fuzz smoke (2,000 cases)', () => {
  let rig: FuzzRig;
  beforeAll(async () => {
    rig = await startFuzzAgent();
  });
  afterAll(() => rig.close());

  it('OSCP bodies and headers per endpoint: no 5xx, a refused request changes no forecast or peer, a heartbeat still works', async () => {
    const findings = await fuzzOscp(rig, 800);
    expect(findings.problems).toEqual([]);
    expect(findings.cases).toBe(800);
    expect(await validHeartbeat(rig)).toBe(204);
  });

  it.each([['ocpp2.0.1' as const], ['ocpp1.6' as const]])(
    '%s frames per action: no crash, a valid call still answered',
    async (protocol) => {
      const findings = await fuzzOcpp(rig, protocol, 400);
      expect(findings.problems).toEqual([]);
      expect(findings.cases).toBe(400);
    },
  );

  it('config files: a config or a ConfigError, never another exception', () => {
    const findings = fuzzConfig(400);
    expect(findings.problems).toEqual([]);
  });
});

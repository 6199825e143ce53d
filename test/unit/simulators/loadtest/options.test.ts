// The load test's options: what the CLI and runLoadTest take, each refusal naming the option it is about.
import { LoadTestConfigError, parseLoadTestOptions } from '../../../../simulators/loadtest/options';

describe('load test options', () => {
  test('defaults: the agent as npm start runs it, its own trace and dial-rate settings', () => {
    const options = parseLoadTestOptions({});
    expect(options).toMatchObject({ agentFrom: 'built', stations: 1000, upstream: false });
    expect(options.traceFrames).toBeUndefined();
    expect(options.dialRate).toBeUndefined();
  });

  test('the agent settings a run may change are passed through', () => {
    expect(parseLoadTestOptions({ upstream: true, dialRate: 200, traceFrames: 0, agentFrom: 'source' })).toMatchObject({
      upstream: true,
      dialRate: 200,
      traceFrames: 0,
      agentFrom: 'source',
    });
  });

  test.each([
    [{ dialRate: 200 }, '--dial-rate needs --upstream'],
    [{ upstream: true, ocpp: 'mixed' as const }, '--upstream needs one OCPP version'],
    [{ traceFrames: -1 }, 'traceFrames'],
    [{ traceFrames: 2.5 }, 'traceFrames'],
    [{ agentFrom: 'docker' as 'built' }, 'agentFrom'],
  ])('refused: %j', (input, message) => {
    expect(() => parseLoadTestOptions(input)).toThrow(LoadTestConfigError);
    expect(() => parseLoadTestOptions(input)).toThrow(message);
  });
});

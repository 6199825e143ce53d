// rpcCall (unit, a fake caller): the stack limit is 0 only while the library builds the call, and always restored.
import { rpcCall, type RpcCaller } from '../../../src/ocpp/rpc-call';

describe('rpcCall', () => {
  it('lowers the stack limit only while the library builds the call, and restores it', async () => {
    const before = Error.stackTraceLimit;
    let seen: number | undefined;
    const fake: RpcCaller = {
      call: (() => {
        seen = Error.stackTraceLimit;
        return Promise.resolve({ status: 'Accepted' });
      }) as RpcCaller['call'],
    };
    await expect(rpcCall(fake, 'Heartbeat', {}, 1000)).resolves.toEqual({ status: 'Accepted' });
    expect(seen).toBe(0);
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('restores the stack limit when the call throws synchronously', () => {
    const before = Error.stackTraceLimit;
    const throwing: RpcCaller = {
      call: (() => {
        throw new Error('boom');
      }) as RpcCaller['call'],
    };
    expect(() => rpcCall(throwing, 'Heartbeat', {}, 1000)).toThrow('boom');
    expect(Error.stackTraceLimit).toBe(before);
  });
});

// One action's payload check: parsed by its zod view, except a view marked as a subset of the official schema where
// ocpp-rpc's strict mode has checked that schema already (direct mode) — then the payload is read as it came.
import { z } from 'zod';
import { action, type InboundContext, type StationConnection } from '../../../src/ocpp/inbound-action';
import { TRANSACTION_ACTIONS } from '../../../src/ocpp/v201/transactions';

const view = z.object({ evseId: z.number().int() });
const station = {} as StationConnection;
const context = (schemaChecked: boolean): InboundContext => ({ schemaChecked }) as InboundContext;

describe('inbound action payloads', () => {
  it('unchecked (the relay taps what it relays): the view parses, and a bad payload is refused before the handler', () => {
    const seen: unknown[] = [];
    const meter = action(view, (_context, _station, payload) => (seen.push(payload), {}), { officialSubset: true });
    expect(meter.run(context(false), station, { evseId: 'one' })).toMatchObject({ kind: 'invalid' });
    expect(seen).toEqual([]);
  });

  it('checked by strict mode and marked a subset: the payload reaches the handler as it came, parsed once', () => {
    const seen: unknown[] = [];
    const meter = action(view, (_context, _station, payload) => (seen.push(payload), {}), { officialSubset: true });
    const payload = { evseId: 1, meterValue: [] };
    expect(meter.run(context(true), station, payload)).toEqual({ kind: 'answer', response: {} });
    expect(seen[0]).toBe(payload);
  });

  it('checked by strict mode but not marked: the view still parses (it may demand more than the official schema)', () => {
    const seen: unknown[] = [];
    const other = action(view, (_context, _station, payload) => (seen.push(payload), {}));
    const payload = { evseId: 1, extra: true };
    expect(other.run(context(true), station, payload)).toEqual({ kind: 'answer', response: {} });
    expect(seen[0]).toEqual({ evseId: 1 });
    expect(other.run(context(true), station, { evseId: 1.5 })).toMatchObject({ kind: 'invalid' });
  });

  it('2.0.1 MeterValues is one of the marked: parsed when unchecked, read as it came once strict mode checked it', () => {
    const meterValues = TRANSACTION_ACTIONS['MeterValues'];
    // Not a payload strict mode lets through: it shows which of the two checks ran.
    const payload = { evseId: 0, meterValue: 'none' };
    expect(meterValues?.run(context(false), station, payload).kind).toBe('invalid');
    expect(meterValues?.run(context(true), station, payload)).toEqual({ kind: 'answer', response: {} });
  });
});

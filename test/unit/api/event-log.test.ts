// The event log's ring (bounded, newest first, filters, paging by id) and override events on virtual time:
// override.expired fires at the expiry instant, a replaced override expires only at its new instant, a removed one never.
import { EventLog } from '../../../src/api/event-log';
import { OperatorEvents } from '../../../src/api/operator-events';
import { OverrideEvents } from '../../../src/api/override-events';
import type { Override } from '../../../src/core/overrides';
import { readableNumber, readableNumbers, redact } from '../../../src/observability/log';
import { virtualTime } from '../../helpers/virtual-clock';

const MIN = 60_000;

function rig(overrides: Override[] = []) {
  const time = virtualTime();
  const events = new OperatorEvents(time.nowMs, (error) => {
    throw error;
  });
  const log = new EventLog(events, 5);
  const watch = new OverrideEvents(
    { list: () => overrides, groupCapA: () => undefined, stationPaused: () => false },
    events,
    time.scheduler.scope('api:'),
  );
  const names = (): string[] => log.list({ limit: 100 }).map((e) => `${e.event}@${(Date.parse(e.at) - T0) / MIN}`);
  const T0 = time.nowMs();
  return { time, events, log, watch, names, T0 };
}

describe('event log', () => {
  it('keeps only the logged events, at most its capacity, newest first; filters by event, group and station; pages by id', () => {
    const { events, log } = rig();
    events.publish('plan.applied', {
      groupId: 'g1',
      at: new Date(0).toISOString(),
      sessions: 0,
      stationsChanged: 0,
      failed: 0,
      durationMs: 1,
    });
    for (const stationId of ['A', 'B', 'C', 'D', 'E', 'F'])
      events.publish('station.online', { stationId, groupId: 'g1', at: new Date(0).toISOString() });
    events.publish('station.refused', {
      at: new Date(0).toISOString(),
      identity: 'X',
      remoteAddress: '10.0.0.9',
      status: 404,
      reason: 'unknown station',
    });
    const all = log.list({ limit: 100 });
    expect(all.map((e) => e.data.stationId ?? e.data.identity)).toEqual(['X', 'F', 'E', 'D', 'C']);
    expect(log.list({ limit: 100, events: ['station.refused'] })).toHaveLength(1);
    expect(log.list({ limit: 100, stationId: 'X' }).map((e) => e.event)).toEqual(['station.refused']);
    expect(log.list({ limit: 100, groupId: 'g1' })).toHaveLength(4);
    const first = log.list({ limit: 2 });
    expect(log.list({ limit: 2, beforeId: first[1]?.id }).map((e) => e.data.stationId)).toEqual(['E', 'D']);
  });
});

describe('override events on virtual time', () => {
  const cap = (limitA: number, expiresAtMs: number): Override => ({ kind: 'group-cap', groupId: 'g1', limitA, expiresAtMs });

  it('override.expired at the expiry instant, not before', () => {
    const { time, watch, names, T0 } = rig();
    watch.set(cap(20, T0 + 30 * MIN), 'ops');
    time.advance(30 * MIN - 1);
    expect(names()).toEqual(['override.set@0']);
    time.advance(1);
    expect(names()).toEqual(['override.expired@30', 'override.set@0']);
  });

  it('a replaced override expires only at its new instant; a removed one does not expire', () => {
    const { time, watch, names, T0 } = rig();
    watch.set(cap(20, T0 + 30 * MIN), 'ops');
    time.advance(10 * MIN);
    watch.set(cap(25, T0 + 60 * MIN), 'ops');
    time.advance(50 * MIN);
    expect(names()).toEqual(['override.expired@60', 'override.set@10', 'override.set@0']);
    const pause: Override = { kind: 'station-pause', stationId: 'CS-1', expiresAtMs: T0 + 90 * MIN };
    watch.set(pause, 'ops');
    watch.removed(pause, 'ops');
    time.advance(60 * MIN);
    expect(names().slice(0, 2)).toEqual(['override.removed@60', 'override.set@60']);
  });

  it('overrides restored from the store expire as events too', () => {
    const stored: Override[] = [];
    const { time, watch, names, T0 } = rig(stored);
    stored.push(cap(10, T0 + 5 * MIN));
    watch.start();
    time.advance(5 * MIN);
    expect(names()).toEqual(['override.expired@5']);
  });
});

describe('readable numbers', () => {
  it('float noise is gone from numbers in answers and logs; integers and meaningful decimals stay', () => {
    expect(readableNumber(385.9999999999997)).toBe(386);
    expect(readableNumber(0.1 + 0.2)).toBe(0.3);
    expect(readableNumber(13.3333333)).toBe(13.333);
    expect(readableNumber(-0.0000001)).toBe(0);
    expect(readableNumber(42)).toBe(42);
    expect(JSON.stringify({ capacityA: [385.9999999999997, 16, 0.30000000000000004] }, readableNumbers)).toBe('{"capacityA":[386,16,0.3]}');
    expect(redact({ budgetA: 12.000000000000002, nested: { a: [1.0000000001] } })).toEqual({ budgetA: 12, nested: { a: [1] } });
  });
});

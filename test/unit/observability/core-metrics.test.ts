import type { ChargingSession } from '../../../src/domain/session';
import { MeasuredCurrent } from '../../../src/observability/core-metrics';
import { createMetrics } from '../../../src/observability/metrics';

const base: ChargingSession = {
  transactionId: 'tx-1',
  stationId: 'CS-1',
  groupId: 'feeder-a',
  evseId: 1,
  chargingState: 'Charging',
  startedAt: '2026-12-07T00:00:00.000Z',
  lastSeqNo: 0,
  priority: 0,
};

function setup(): { measured: MeasuredCurrent; amps: (group: string) => Promise<number | undefined> } {
  const metrics = createMetrics({ defaultMetrics: false });
  const amps = async (group: string): Promise<number | undefined> => {
    const { values } = await metrics.groupMeasuredA.get();
    return values.find((value) => value.labels.group === group)?.value;
  };
  return { measured: new MeasuredCurrent(metrics), amps };
}

describe('MeasuredCurrent: a group’s measured current as the sum of its sessions’ latest readings', () => {
  it('sums the highest phase of each session and replaces a session’s earlier reading', async () => {
    const { measured, amps } = setup();
    measured.update({ ...base, measuredCurrentA: [10, 12, 11] });
    measured.update({ ...base, transactionId: 'tx-2', measuredCurrentA: [6, 6, 6] });
    expect(await amps('feeder-a')).toBe(18);
    measured.update({ ...base, measuredCurrentA: [4, 4, 4] });
    expect(await amps('feeder-a')).toBe(10);
  });

  it('takes an ended session out of its group', async () => {
    const { measured, amps } = setup();
    measured.update({ ...base, measuredCurrentA: [16, 16, 16] });
    measured.update({ ...base, endedAt: '2026-12-07T01:00:00.000Z' });
    expect(await amps('feeder-a')).toBe(0);
  });

  it('moves a session’s current with it when its station changes group', async () => {
    const { measured, amps } = setup();
    measured.update({ ...base, measuredCurrentA: [16, 16, 16] });
    measured.update({ ...base, groupId: 'feeder-b', measuredCurrentA: [12, 12, 12] });
    expect({ a: await amps('feeder-a'), b: await amps('feeder-b') }).toEqual({ a: 0, b: 12 });
    measured.update({ ...base, groupId: 'feeder-b', endedAt: '2026-12-07T01:00:00.000Z' });
    expect({ a: await amps('feeder-a'), b: await amps('feeder-b') }).toEqual({ a: 0, b: 0 });
  });

  it('takes a session out of its old group when it ends in another', async () => {
    const { measured, amps } = setup();
    measured.update({ ...base, measuredCurrentA: [20, 20, 20] });
    measured.update({ ...base, groupId: 'feeder-b', endedAt: '2026-12-07T01:00:00.000Z' });
    expect({ a: await amps('feeder-a'), b: await amps('feeder-b') }).toEqual({ a: 0, b: undefined });
  });
});

// OSCP message schemas: what they accept (including the tolerated variants of digest §14) and what they refuse.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  describeIssues,
  ForecastedBlock,
  Handshake,
  HandshakeAcknowledge,
  Heartbeat,
  Register,
  UpdateGroupCapacityForecast,
  UpdateGroupMeasurements,
  GroupCapacityComplianceError,
  UpdateAssetMeasurements,
} from '../../../src/oscp/schemas';
import { isRfc3339, toWireTime, wireTimeMs } from '../../../src/oscp/wire-time';
import { expectWireValid } from './helpers/json-schemas';

const block = {
  capacity: 50,
  phase: 'ALL',
  unit: 'KW',
  start_time: '2025-05-01T13:00:00Z',
  end_time: '2025-05-01T13:15:00Z',
};

describe('OSCP schemas', () => {
  it('§7 Register — token and at least one version_url; unknown fields ignored', () => {
    const parsed = Register.parse({ token: 'abc', version_url: [{ version: '2.0', base_url: 'https://cp/oscp/cp/2.0' }], extra: 1 });
    expect(parsed).toEqual({ token: 'abc', version_url: [{ version: '2.0', base_url: 'https://cp/oscp/cp/2.0' }] });
    expect(Register.safeParse({ token: 'abc', version_url: [] }).success).toBe(false);
    expect(Register.safeParse({ token: '', version_url: [{ version: '2.0', base_url: 'x' }] }).success).toBe(false);
    expect(Register.safeParse({ token: 'x'.repeat(767), version_url: [{ version: '2.0', base_url: 'x' }] }).success).toBe(true);
  });

  it('§6.2 Handshake — nested required_behaviour as the schema says', () => {
    const body = { required_behaviour: { heartbeat_interval: 30, measurement_configuration: ['CONTINUOUS'] } };
    expect(Handshake.parse(body)).toEqual({ required_behaviour: { heartbeat_interval: 30, measurement_configuration: ['CONTINUOUS'] } });
    expectWireValid('handshake', body);
  });

  it('§6.2/§14 Handshake — the flat variant (ELMO doc, SDK) reads the same', () => {
    expect(Handshake.parse({ heartbeat_interval: 30, measurement_configuration: ['INTERMITTENT'] })).toEqual({
      required_behaviour: { heartbeat_interval: 30, measurement_configuration: ['INTERMITTENT'] },
    });
    expect(Handshake.safeParse({ heartbeat_interval: 'often' }).success).toBe(false);
  });

  it('§14 Handshake — measurement_configuration may be omitted (pyoscp: left undefined, the receiver keeps its own), duplicates collapse; 0/null interval = none', () => {
    expect(Handshake.parse({ required_behaviour: { heartbeat_interval: 60 } })).toEqual({
      required_behaviour: { heartbeat_interval: 60, measurement_configuration: undefined },
    });
    expect(
      HandshakeAcknowledge.parse({
        required_behaviour: { heartbeat_interval: 0, measurement_configuration: ['CONTINUOUS', 'CONTINUOUS'] },
      }),
    ).toEqual({ required_behaviour: { heartbeat_interval: undefined, measurement_configuration: ['CONTINUOUS'] } });
    expect(Handshake.parse({ required_behaviour: { heartbeat_interval: null } }).required_behaviour?.heartbeat_interval).toBeUndefined();
    expect(Handshake.parse({})).toEqual({ required_behaviour: undefined });
  });

  it('§8 enums — an unknown measurement configuration is refused, naming the path', () => {
    const result = Handshake.safeParse({ required_behaviour: { measurement_configuration: ['SOMETIMES'] } });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toContain('required_behaviour.measurement_configuration.0');
  });

  it('§9 DateTime — any RFC 3339 offset is accepted and read as the same instant', () => {
    expect(wireTimeMs('2024-10-01T08:00:00.000+08:00')).toBe(Date.parse('2024-10-01T00:00:00Z'));
    expect(wireTimeMs('2024-10-01t00:00:00z')).toBe(Date.parse('2024-10-01T00:00:00Z'));
    expect(wireTimeMs('2024-10-01 00:00:00-02:30')).toBe(Date.parse('2024-10-01T02:30:00Z'));
    expect(toWireTime(Date.parse('2024-10-01T00:00:00Z'))).toBe('2024-10-01T00:00:00.000Z');
    expect(ForecastedBlock.safeParse({ ...block, start_time: '2025-05-01T13:00:00' }).success).toBe(false);
    expect(ForecastedBlock.safeParse({ ...block, start_time: 'tomorrow' }).success).toBe(false);
  });

  it('§9/§14 Heartbeat — offline_mode_at required; pyoscp naive time tolerated as UTC', () => {
    expect(Heartbeat.safeParse({}).success).toBe(false);
    expect(wireTimeMs(Heartbeat.parse({ offline_mode_at: '2025-05-01 13:00:00' }).offline_mode_at)).toBe(
      Date.parse('2025-05-01T13:00:00Z'),
    );
    expect(Heartbeat.safeParse({ offline_mode_at: 'soon' }).success).toBe(false);
  });

  it('§7 ForecastedBlock — capacity ≥ 0, end after start; the SDK string capacity becomes a number', () => {
    expect(ForecastedBlock.parse({ ...block, capacity: '12.5' }).capacity).toBe(12.5);
    expect(ForecastedBlock.safeParse({ ...block, capacity: -1 }).success).toBe(false);
    expect(ForecastedBlock.safeParse({ ...block, capacity: 'lots' }).success).toBe(false);
    expect(ForecastedBlock.safeParse({ ...block, unit: 'EUR' }).success).toBe(false);
    const reversed = ForecastedBlock.safeParse({ ...block, end_time: '2025-05-01T12:00:00Z' });
    expect(reversed.success).toBe(false);
    if (!reversed.success) expect(describeIssues(reversed.error)).toBe('end_time: end_time must be after start_time');
  });

  it('§7 UpdateGroupCapacityForecast — every CapacityForecastType, at least one block', () => {
    for (const type of ['CONSUMPTION', 'GENERATION', 'FALLBACK_CONSUMPTION', 'FALLBACK_GENERATION', 'OPTIMUM']) {
      const body = { group_id: 'g', type, forecasted_blocks: [block] };
      expect(UpdateGroupCapacityForecast.safeParse(body).success).toBe(true);
      expectWireValid('update-group-capacity-forecast', body);
    }
    expect(UpdateGroupCapacityForecast.safeParse({ group_id: 'g', type: 'CONSUMPTION', forecasted_blocks: [] }).success).toBe(false);
    expect(UpdateGroupCapacityForecast.safeParse({ group_id: 'g', type: 'MAXIMUM', forecasted_blocks: [block] }).success).toBe(false);
    const bad = UpdateGroupCapacityForecast.safeParse({ group_id: 'g', type: 'CONSUMPTION', forecasted_blocks: [{ ...block, unit: 'X' }] });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(describeIssues(bad.error)).toMatch(/^forecasted_blocks\.0\.unit: /);
  });

  it('§7 outbound bodies — compliance error and measurements match the official schemas', () => {
    const error = GroupCapacityComplianceError.parse({ message: 'cannot comply', forecasted_blocks: [block] });
    expectWireValid('group-capacity-compliance-error', error);
    expect(GroupCapacityComplianceError.safeParse({ message: '' }).success).toBe(false);
    const measurement = {
      value: 1.5,
      phase: 'ALL',
      unit: 'KWH',
      direction: 'IMPORT',
      energy_type: 'TOTAL',
      measure_time: '2025-05-01T13:00:00.000Z',
    };
    expectWireValid('update-group-measurements', UpdateGroupMeasurements.parse({ group_id: 'g', measurements: [measurement] }));
    expect(UpdateGroupMeasurements.safeParse({ group_id: 'g', measurements: [] }).success).toBe(false);
    const assets = { group_id: 'g', measurements: [{ asset_id: 'g', asset_category: 'CHARGING', energy_measurement: measurement }] };
    expectWireValid('update-asset-measurements', UpdateAssetMeasurements.parse(assets));
  });

  it('§9 issue #17 item 3 — the hand-written RFC 3339 parser agrees with luxon on valid, invalid and edge-case times', () => {
    const luxonMs = (value: string): number | undefined => {
      const match = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([Zz]|[+-]\d{2}:\d{2})$/.exec(value);
      // RFC 3339 time-hour is 00-23; luxon also takes ISO 8601's end-of-day 24:00:00.
      if (!match || match[2]!.startsWith('24')) return undefined;
      const parsed = DateTime.fromISO(`${match[1]}T${match[2]}${(match[3] ?? 'Z').toUpperCase()}`, { setZone: true });
      return parsed.isValid ? parsed.toMillis() : undefined;
    };
    const ours = (value: string): number | undefined => (isRfc3339(value) ? wireTimeMs(value) : undefined);
    const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
    const candidate = fc
      .record({
        year: fc.integer({ min: 0, max: 9999 }),
        month: fc.integer({ min: 0, max: 13 }),
        day: fc.integer({ min: 0, max: 32 }),
        hour: fc.integer({ min: 0, max: 24 }),
        minute: fc.integer({ min: 0, max: 60 }),
        second: fc.integer({ min: 0, max: 60 }),
        fraction: fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
        offset: fc.oneof(
          fc.constantFrom('Z', 'z'),
          fc
            .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
            .map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`),
        ),
        separator: fc.constantFrom('T', 't', ' '),
      })
      .map(
        (t) =>
          `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}${t.separator}${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${t.fraction ? `.${t.fraction}` : ''}${t.offset}`,
      );
    fc.assert(
      fc.property(candidate, (value) => expect(ours(value)).toBe(luxonMs(value))),
      { numRuns: 5000 },
    );
    for (const value of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2024-02-29T12:00:00+01:00', '2023-02-29T12:00:00Z'])
      expect(ours(value)).toBe(luxonMs(value));
    // Stricter than luxon where RFC 3339 is: an offset is at most 23:59.
    expect(isRfc3339('2024-01-01T00:00:00+24:00')).toBe(false);
    expect(isRfc3339('2024-01-01T00:00:00+00:60')).toBe(false);
    expect(isRfc3339('2024-01-01T24:00:00Z')).toBe(false);
  });
});

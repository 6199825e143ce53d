// What the relay fuzzer's CSMS sends (fast-check): CALLs per action of each version with schema-near payloads (valid,
// boundary, wrong types, extra fields, huge numbers, long strings), unknown actions, malformed JSON, wrong message
// types, bad ids, answers to unknown ids, binary, deeply nested and oversized frames.
import fc from 'fast-check';
import { STACK_LEVELS, type RelayProtocol } from './relay-station';

const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, '', -1, 0, 1e308, -1e308, 2 ** 53, 0.5, 9_100_001, [], {}),
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 1000, maxLength: 5000 }),
  fc.jsonValue({ maxDepth: 3 }),
);
/** Mostly the right kind of value, sometimes anything. */
const near = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: weird });
const iso = fc.oneof(
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2020-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', 'not a date', '2026-02-30T00:00:00Z'),
  fc.constant(undefined).map(() => new Date().toISOString()),
);
const profileId = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.constantFrom(9_100_001, 9_100_002, 9_100_003, 9_100_101, 9_099_999, 9_101_000),
  fc.integer(),
);
const stackLevel = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.integer() });
const purpose = fc.constantFrom(
  'ChargingStationMaxProfile',
  'ChargePointMaxProfile',
  'TxDefaultProfile',
  'TxProfile',
  'ChargingStationExternalConstraints',
  'x',
);
const kind = fc.constantFrom('Absolute', 'Absolute', 'Relative', 'Recurring', 'x');
const limit = fc.oneof(
  fc.integer({ min: 0, max: 100 }),
  fc.double({ min: -10, max: 1e6, noNaN: true }),
  fc.constantFrom(0, 1e308, -1, 1e-9, 22_080, Number.MAX_SAFE_INTEGER),
);
const period = fc.record(
  {
    startPeriod: near(fc.oneof(fc.constant(0), fc.nat(86_400))),
    limit: near(limit),
    numberPhases: near(fc.integer({ min: -1, max: 4 })),
    phaseToUse: near(fc.integer({ min: 0, max: 4 })),
  },
  { requiredKeys: ['startPeriod', 'limit'] },
);
const schedule = fc.record(
  {
    id: near(fc.nat(10)),
    startSchedule: near(iso),
    duration: near(fc.oneof(fc.nat(86_400), fc.constantFrom(1, 1e308, 2 ** 31))),
    chargingRateUnit: near(fc.constantFrom('A', 'W', 'A', 'kW')),
    chargingSchedulePeriod: near(fc.array(period, { minLength: 1, maxLength: 4 })),
    minChargingRate: near(fc.double({ noNaN: true })),
  },
  { requiredKeys: ['chargingRateUnit', 'chargingSchedulePeriod'] },
);
/** Extra fields the schemas forbid (additionalProperties: false), and sometimes a prototype key. */
const extra = fc.option(fc.dictionary(fc.constantFrom('extra', '__proto__', 'constructor', 'customData', 'x'), weird, { maxKeys: 2 }), {
  nil: undefined,
});
const withExtra = <T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<object> =>
  fc.tuple(arb, extra).map(([value, more]) => (more ? { ...value, ...more } : value));

const profile201 = withExtra(
  fc.record(
    {
      id: near(profileId),
      stackLevel: near(stackLevel),
      chargingProfilePurpose: near(purpose),
      chargingProfileKind: near(kind),
      recurrencyKind: near(fc.constantFrom('Daily', 'Weekly')),
      validFrom: near(iso),
      validTo: near(iso),
      transactionId: near(fc.constantFrom('tx-1', 'tx-2', '')),
      chargingSchedule: near(fc.array(schedule, { minLength: 1, maxLength: 3 })),
    },
    { requiredKeys: ['id', 'stackLevel', 'chargingProfilePurpose', 'chargingProfileKind', 'chargingSchedule'] },
  ),
);
const profile16 = withExtra(
  fc.record(
    {
      chargingProfileId: near(profileId),
      transactionId: near(fc.integer({ min: -1, max: 5 })),
      stackLevel: near(stackLevel),
      chargingProfilePurpose: near(purpose),
      chargingProfileKind: near(kind),
      recurrencyKind: near(fc.constantFrom('Daily', 'Weekly')),
      validFrom: near(iso),
      validTo: near(iso),
      chargingSchedule: near(schedule),
    },
    { requiredKeys: ['chargingProfileId', 'stackLevel', 'chargingProfilePurpose', 'chargingProfileKind', 'chargingSchedule'] },
  ),
);
const evse = near(fc.constantFrom(0, 0, 1, 2, 3, -1));

/**
 * Schema-valid profiles (a strict station takes them), the values a guard must still get right: limits from 0 to
 * huge, W with 0 to 3 phases, stack levels aimed at flexbridge's, flexbridge's own ids, schedules already over.
 */
const validPeriods = fc.array(
  fc.record(
    {
      startPeriod: fc.nat(3600),
      limit: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(0, 0.1, 1e9, 22_080, 1e308)),
      // 0 and negative are schema-valid integers too (and once folded to NaN: see relay-findings.test.ts).
      numberPhases: fc.constantFrom(0, 1, 2, 3, -1),
    },
    { requiredKeys: ['startPeriod', 'limit'] },
  ),
  { minLength: 1, maxLength: 3 },
);
const recent = fc.integer({ min: -7_200_000, max: 3_600_000 }).map((offsetMs) => new Date(Date.now() + offsetMs).toISOString());
const validProfileFields = fc.record(
  {
    stackLevel: fc.integer({ min: 0, max: STACK_LEVELS }),
    purpose: fc.constantFrom('ChargingStationMaxProfile', 'ChargingStationMaxProfile', 'TxDefaultProfile', 'TxProfile'),
    kind: fc.constantFrom('Absolute', 'Absolute', 'Relative', 'Recurring'),
    validTo: fc.option(recent, { nil: undefined }),
    startSchedule: recent,
    duration: fc.option(fc.integer({ min: 1, max: 86_400 }), { nil: undefined }),
    unit: fc.constantFrom('A', 'A', 'W'),
    periods: validPeriods,
  },
  { requiredKeys: ['stackLevel', 'purpose', 'kind', 'startSchedule', 'unit', 'periods'] },
);
const validSet = (protocol: RelayProtocol): fc.Arbitrary<object> =>
  fc.tuple(profileId, fc.constantFrom(0, 0, 1), validProfileFields).map(([id, evseId, f]) => {
    const connector = f.purpose === 'ChargingStationMaxProfile' ? 0 : evseId;
    const periods = [...f.periods].sort((a, b) => a.startPeriod - b.startPeriod).map((p, i) => (i === 0 ? { ...p, startPeriod: 0 } : p));
    const schedule = {
      ...(f.kind === 'Absolute' && { startSchedule: f.startSchedule }),
      ...(f.duration !== undefined && { duration: f.duration }),
      chargingRateUnit: f.unit,
      chargingSchedulePeriod: protocol === 'ocpp1.6' ? periods.map((p) => ({ ...p, limit: Math.round(p.limit * 10) / 10 })) : periods,
    };
    const common = {
      stackLevel: f.stackLevel,
      chargingProfilePurpose: protocol === 'ocpp1.6' && f.purpose === 'ChargingStationMaxProfile' ? 'ChargePointMaxProfile' : f.purpose,
      chargingProfileKind: f.kind,
      ...(f.kind === 'Recurring' && { recurrencyKind: 'Daily' }),
      ...(f.validTo !== undefined && { validTo: f.validTo }),
    };
    return protocol === 'ocpp1.6'
      ? {
          connectorId: connector,
          csChargingProfiles: {
            chargingProfileId: id,
            ...common,
            ...(f.purpose === 'TxProfile' && { transactionId: 1 }),
            chargingSchedule: schedule,
          },
        }
      : {
          evseId: connector,
          chargingProfile: {
            id,
            ...common,
            ...(f.purpose === 'TxProfile' && { transactionId: 'tx-1' }),
            chargingSchedule: [{ id: 1, ...schedule }],
          },
        };
  });

/** The actions a CSMS sends, each with its schema-near payload; any other action gets any JSON. */
const PAYLOADS: Readonly<Record<RelayProtocol, Readonly<Record<string, fc.Arbitrary<unknown>>>>> = {
  'ocpp2.0.1': {
    SetChargingProfile: fc.oneof(validSet('ocpp2.0.1'), withExtra(fc.record({ evseId: evse, chargingProfile: near(profile201) }))),
    ClearChargingProfile: withExtra(
      fc.record(
        {
          chargingProfileId: near(profileId),
          chargingProfileCriteria: near(
            fc.record({ evseId: evse, chargingProfilePurpose: near(purpose), stackLevel: near(stackLevel) }, { requiredKeys: [] }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    GetCompositeSchedule: withExtra(
      fc.record(
        { duration: near(fc.nat(86_400)), evseId: evse, chargingRateUnit: near(fc.constantFrom('A', 'W')) },
        { requiredKeys: ['duration', 'evseId'] },
      ),
    ),
    RequestStartTransaction: withExtra(
      fc.record(
        {
          idToken: near(fc.record({ idToken: fc.string({ maxLength: 20 }), type: fc.constantFrom('ISO14443', 'Central') })),
          remoteStartId: near(fc.integer()),
          evseId: evse,
          chargingProfile: near(profile201),
        },
        { requiredKeys: ['idToken', 'remoteStartId'] },
      ),
    ),
    GetChargingProfiles: fc.record({ requestId: near(fc.integer()), chargingProfile: near(fc.object({ maxDepth: 1 })) }),
    GetVariables: fc.record({
      getVariableData: near(
        fc.array(fc.record({ component: fc.record({ name: fc.string() }), variable: fc.record({ name: fc.string() }) }), { maxLength: 3 }),
      ),
    }),
    SetVariables: fc.record({
      setVariableData: near(
        fc.array(
          fc.record({
            attributeValue: fc.string(),
            component: fc.record({ name: fc.constantFrom('SecurityCtrlr', 'OCPPCommCtrlr') }),
            variable: fc.record({ name: fc.constantFrom('BasicAuthPassword', 'HeartbeatInterval') }),
          }),
          { maxLength: 2 },
        ),
      ),
    }),
    TriggerMessage: fc.record({ requestedMessage: near(fc.constantFrom('Heartbeat', 'StatusNotification', 'MeterValues')) }),
    RequestStopTransaction: fc.record({ transactionId: near(fc.string({ maxLength: 36 })) }),
    Reset: fc.record({ type: near(fc.constantFrom('Immediate', 'OnIdle')) }),
    ChangeAvailability: fc.record({ operationalStatus: near(fc.constantFrom('Inoperative', 'Operative')) }),
    DataTransfer: fc.record({ vendorId: near(fc.string({ maxLength: 255 })), data: weird }),
    UnlockConnector: fc.record({ evseId: evse, connectorId: evse }),
  },
  'ocpp1.6': {
    SetChargingProfile: fc.oneof(validSet('ocpp1.6'), withExtra(fc.record({ connectorId: evse, csChargingProfiles: near(profile16) }))),
    ClearChargingProfile: withExtra(
      fc.record(
        { id: near(profileId), connectorId: evse, chargingProfilePurpose: near(purpose), stackLevel: near(stackLevel) },
        { requiredKeys: [] },
      ),
    ),
    GetCompositeSchedule: withExtra(
      fc.record(
        { connectorId: evse, duration: near(fc.nat(86_400)), chargingRateUnit: near(fc.constantFrom('A', 'W')) },
        { requiredKeys: ['connectorId', 'duration'] },
      ),
    ),
    RemoteStartTransaction: withExtra(
      fc.record(
        { idTag: near(fc.string({ maxLength: 20 })), connectorId: evse, chargingProfile: near(profile16) },
        { requiredKeys: ['idTag'] },
      ),
    ),
    GetConfiguration: fc.record({ key: near(fc.array(fc.string({ maxLength: 50 }), { maxLength: 3 })) }, { requiredKeys: [] }),
    ChangeConfiguration: fc.record({
      key: near(fc.constantFrom('AuthorizationKey', 'HeartbeatInterval', 'SecurityProfile')),
      value: near(fc.string({ maxLength: 40 })),
    }),
    TriggerMessage: fc.record({ requestedMessage: near(fc.constantFrom('Heartbeat', 'StatusNotification', 'MeterValues')) }),
    RemoteStopTransaction: fc.record({ transactionId: near(fc.integer()) }),
    Reset: fc.record({ type: near(fc.constantFrom('Hard', 'Soft')) }),
    ChangeAvailability: fc.record({ connectorId: evse, type: near(fc.constantFrom('Inoperative', 'Operative')) }),
    DataTransfer: fc.record({ vendorId: near(fc.string({ maxLength: 255 })), data: weird }),
    UnlockConnector: fc.record({ connectorId: evse }),
  },
};

/** One fuzzed frame and what the CSMS may expect of it. */
export interface RelayCase {
  kind: string;
  action?: string;
  /** Set when the frame is a CALL the agent must answer (id string ≤ 36, action string). */
  id?: string;
  text: string | Buffer;
  binary?: boolean;
  /** CALLs sent together, none waiting for the one before (a CSMS breaking one-outstanding-CALL, OCPP-J §4.1.1). */
  burst?: RelayCase[];
}

let nextId = 0;
export const freshId = (): string => `fz-${++nextId}`;

export function relayCase(protocol: RelayProtocol): fc.Arbitrary<RelayCase> {
  const actions = Object.keys(PAYLOADS[protocol]);
  const weighted = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('SetChargingProfile') },
    { weight: 2, arbitrary: fc.constantFrom('ClearChargingProfile') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('GetCompositeSchedule', protocol === 'ocpp1.6' ? 'RemoteStartTransaction' : 'RequestStartTransaction'),
    },
    { weight: 3, arbitrary: fc.constantFrom(...actions) },
  );
  const call = weighted.chain((action) =>
    fc
      .oneof(
        { weight: 4, arbitrary: PAYLOADS[protocol][action] ?? fc.jsonValue() },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      )
      .map((payload): RelayCase => {
        const id = freshId();
        return { kind: 'call', action, id, text: JSON.stringify([2, id, action, payload]) };
      }),
  );
  const unknownAction = fc
    .tuple(
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Heartbeat')),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([action, payload]): RelayCase => {
      const id = freshId();
      return { kind: 'unknown-action', action, id, text: JSON.stringify([2, id, action, payload]) };
    });
  const malformed = fc
    .oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom('[2,"a","Reset"', '[2,"a",', '{', '[2,"x","Reset",{}]]', '\u0000', ''),
      fc.jsonValue().map((v) => `${JSON.stringify(v)}}`),
    )
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((text): RelayCase => ({ kind: 'malformed-json', text }));
  const wrongType = fc
    .tuple(fc.constantFrom(0, 1, 5, 6, -1, '2', 2.5, null, 3, 4), fc.jsonValue({ maxDepth: 2 }))
    .map(([type, v]): RelayCase => ({ kind: 'wrong-message-type', text: JSON.stringify([type, freshId(), 'Reset', v]) }));
  const badId = fc
    .tuple(
      fc.oneof(fc.integer(), fc.constant(null), fc.string({ minLength: 37, maxLength: 80 }), fc.constant({})),
      fc.constantFrom(...actions),
    )
    .map(([id, action]): RelayCase => ({ kind: 'bad-id', text: JSON.stringify([2, id, action, {}]) }));
  const strayAnswer = fc
    .oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => [3, `nope-${++nextId}`, v]),
      fc.tuple(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 })).map(([code, v]) => [4, `nope-${++nextId}`, code, 'x', v]),
    )
    .map((frame): RelayCase => ({ kind: 'stray-answer', text: JSON.stringify(frame) }));
  const binary = fc.oneof(
    fc.uint8Array({ maxLength: 256 }).map((bytes): RelayCase => ({ kind: 'binary', text: Buffer.from(bytes), binary: true })),
    // A well-formed CALL in a binary frame: OCPP-J is text, but the agent must not trip over it either way.
    fc.constantFrom(...actions).map((action): RelayCase => {
      const id = freshId();
      return { kind: 'binary-call', action, id, text: Buffer.from(JSON.stringify([2, id, action, {}])), binary: true };
    }),
  );
  const deep = fc.integer({ min: 100, max: 20_000 }).map((depth): RelayCase => {
    const id = freshId();
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const payload =
      protocol === 'ocpp1.6' ? `{"connectorId":0,"csChargingProfiles":${nested}}` : `{"evseId":0,"chargingProfile":{"id":1,"x":${nested}}}`;
    return { kind: 'deep-nesting', action: 'SetChargingProfile', id, text: `[2,"${id}","SetChargingProfile",${payload}]` };
  });
  const oversized = fc.integer({ min: 1, max: 3 }).map((megabytes): RelayCase => {
    const id = freshId();
    const payload = { key: 'x', value: 'v'.repeat(megabytes * 1024 * 1024) };
    return { kind: 'oversized', action: 'DataTransfer', id, text: JSON.stringify([2, id, 'DataTransfer', payload]) };
  });
  const burst = fc
    .array(call, { minLength: 2, maxLength: 5 })
    .map((calls): RelayCase => ({ kind: 'burst', text: calls.map((c) => String(c.text)).join('\n'), burst: calls }));
  return fc.oneof(
    { weight: 60, arbitrary: call },
    { weight: 3, arbitrary: burst },
    { weight: 6, arbitrary: unknownAction },
    { weight: 6, arbitrary: malformed },
    { weight: 6, arbitrary: wrongType },
    { weight: 4, arbitrary: badId },
    { weight: 6, arbitrary: strayAnswer },
    { weight: 5, arbitrary: binary },
    { weight: 2, arbitrary: deep },
    { weight: 1, arbitrary: oversized },
  );
}

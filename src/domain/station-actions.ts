// The remote actions an operator may send one station, in one shape for both OCPP versions: the API validates them,
// src/ocpp/remote-actions.ts turns each into the 2.0.1 or 1.6 request its connection speaks.
import { z } from 'zod';

const evseId = z.number().int().min(0);
const connectorId = z.number().int().min(0);

const Component = z.strictObject({
  name: z.string().min(1).max(50),
  instance: z.string().max(50).optional(),
  evse: z.strictObject({ id: z.number().int().min(0), connectorId: z.number().int().min(0).optional() }).optional(),
});
const Variable = z.strictObject({ name: z.string().min(1).max(50), instance: z.string().max(50).optional() });
const AttributeType = z.enum(['Actual', 'Target', 'MinSet', 'MaxSet']);

export const RemoteAction = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('Reset'),
    /** 2.0.1 Immediate/OnIdle, 1.6 Hard/Soft; each is mapped to the other version's counterpart. */
    type: z.enum(['Immediate', 'OnIdle', 'Hard', 'Soft']).default('OnIdle'),
    /** 2.0.1 only: reset one EVSE. */
    evseId: evseId.optional(),
  }),
  z.strictObject({
    action: z.literal('TriggerMessage'),
    requestedMessage: z.string().min(1),
    evseId: evseId.optional(),
    connectorId: connectorId.optional(),
  }),
  z.strictObject({
    action: z.literal('ChangeAvailability'),
    operational: z.boolean(),
    /** Absent or 0: the whole station. 1.6 takes the connector as its EVSE. */
    evseId: evseId.optional(),
    connectorId: connectorId.optional(),
  }),
  z.strictObject({ action: z.literal('UnlockConnector'), evseId: evseId.default(1), connectorId: connectorId.default(1) }),
  z.strictObject({
    action: z.literal('GetVariables'),
    variables: z.array(z.strictObject({ component: Component, variable: Variable, attributeType: AttributeType.optional() })).min(1),
  }),
  z.strictObject({
    action: z.literal('SetVariables'),
    variables: z
      .array(
        z.strictObject({
          component: Component,
          variable: Variable,
          attributeValue: z.string().max(1000),
          attributeType: AttributeType.optional(),
        }),
      )
      .min(1),
  }),
  z.strictObject({ action: z.literal('GetConfiguration'), keys: z.array(z.string().min(1).max(50)).optional() }),
  z.strictObject({ action: z.literal('ChangeConfiguration'), key: z.string().min(1).max(50), value: z.string().max(500) }),
  z.strictObject({
    action: z.literal('GetBaseReport'),
    reportBase: z.enum(['ConfigurationInventory', 'FullInventory', 'SummaryInventory']).default('SummaryInventory'),
  }),
  z.strictObject({ action: z.literal('GetChargingProfiles'), evseId: evseId.optional() }),
  z.strictObject({
    action: z.literal('GetCompositeSchedule'),
    /** 1.6: the connector id (0 = the station). */
    evseId: evseId.default(0),
    durationS: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(3600),
    chargingRateUnit: z.enum(['A', 'W']).default('A'),
  }),
  z.strictObject({
    action: z.literal('ClearChargingProfile'),
    chargingProfileId: z.number().int().optional(),
    evseId: evseId.optional(),
    chargingProfilePurpose: z.enum(['ChargingStationMaxProfile', 'TxDefaultProfile', 'TxProfile', 'ChargePointMaxProfile']).optional(),
    stackLevel: z.number().int().min(0).optional(),
  }),
]);
export type RemoteAction = z.infer<typeof RemoteAction>;
export type RemoteActionName = RemoteAction['action'];
export const REMOTE_ACTION_NAMES = RemoteAction.options.map((o) => o.shape.action.value);

/** How a remote action or raw call ended. */
export type RemoteActionOutcome =
  | { readonly kind: 'result'; readonly action: string; readonly response: unknown }
  | { readonly kind: 'error'; readonly action: string; readonly code: string; readonly message: string }
  | { readonly kind: 'timeout'; readonly action: string }
  | { readonly kind: 'offline'; readonly action: string }
  | { readonly kind: 'backed-off'; readonly action: string; readonly untilMs: number }
  /** Not sent: not for this station's OCPP version, or it would touch flexbridge's own limits. */
  | { readonly kind: 'refused'; readonly action: string; readonly reason: string }
  /** Not sent: the payload does not match the action's schema. */
  | { readonly kind: 'invalid'; readonly action: string; readonly errors: readonly { path: string; message: string }[] };

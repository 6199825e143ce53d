// zod schemas of a station's OCPP side in the operator API: its trace (frames, settings, the live station.frame event)
// and remote actions (the protocol-neutral actions, the raw call, and the station's answer).
import { z } from 'zod';
import { RemoteAction } from '../domain/station-actions';
import { requestSchemas } from './request-schemas';
import { Instant, responseSchemas } from './response-schemas';

export const TraceFrame = z.object({
  at: Instant,
  leg: z.enum(['station', 'csms']).describe('station ↔ flexbridge, or flexbridge ↔ CSMS (Local Controller mode)'),
  direction: z.enum(['in', 'out']).describe('from flexbridge: in = received, out = sent'),
  messageType: z.enum(['CALL', 'CALLRESULT', 'CALLERROR', 'unparseable']),
  messageId: z.string().optional(),
  action: z.string().optional().describe("the CALL's action; for an answer, that of the CALL it answers when still kept"),
  payload: z.unknown().optional().describe('secrets (BasicAuthPassword, AuthorizationKey, certificates, keys) read "[redacted]"'),
  errorCode: z.string().optional(),
  errorDescription: z.string().optional(),
  raw: z.string().optional().describe('an unparseable frame as it came (cut at 2,000 characters)'),
});
export type TraceFrame = z.infer<typeof TraceFrame>;
responseSchemas.add(TraceFrame, { id: 'TraceFrame' });

const TraceSettingsFields = {
  enabled: z.boolean().describe('traced: a large ring, and every frame live as station.frame on /events'),
  capacity: z.number().int().describe('frames kept'),
};

export const StationTrace = z.object({
  stationId: z.string(),
  ...TraceSettingsFields,
  frames: z.array(TraceFrame).describe('oldest first'),
});
responseSchemas.add(StationTrace, { id: 'StationTrace' });
export type StationTrace = z.infer<typeof StationTrace>;

export const TraceSettingsView = z.object({ stationId: z.string(), ...TraceSettingsFields, frames: z.number().int() });
responseSchemas.add(TraceSettingsView, { id: 'TraceSettings' });

export const TraceQuery = z.strictObject({
  format: z.enum(['json', 'ndjson']).default('json').describe('ndjson: one frame per line, as a download'),
});

export const TraceSettingsBody = z.strictObject({
  enabled: z.boolean(),
  capacity: z.number().int().min(1).optional().describe('frames to keep while traced (at most ocpp.trace.maxFrames, the default)'),
});
requestSchemas.add(TraceSettingsBody, { id: 'TraceSettingsBody' });

/** `station.frame` on the event stream: one traced station's frame (no SSE id: frames are not replayed). */
export const FrameEvent = z.intersection(z.object({ stationId: z.string() }), TraceFrame);
responseSchemas.add(FrameEvent, { id: 'FrameEventData' });
export type FrameEvent = z.infer<typeof FrameEvent>;

export const RemoteActionBody = RemoteAction;
requestSchemas.add(RemoteActionBody, { id: 'RemoteAction' });

export const RawCallBody = z.strictObject({
  action: z.string().regex(/^[A-Za-z0-9]{1,40}$/, 'an OCPP action name'),
  payload: z.record(z.string(), z.unknown()).default({}),
});
requestSchemas.add(RawCallBody, { id: 'RawCall' });

export const StationAnswer = z.object({
  stationId: z.string(),
  protocol: z.enum(['2.0.1', '1.6']),
  action: z.string().describe('the OCPP action sent'),
  response: z.unknown().describe("the station's CALLRESULT payload (joined over batches for Get/SetVariables)"),
});
responseSchemas.add(StationAnswer, { id: 'StationAnswer' });
export type StationAnswer = z.infer<typeof StationAnswer>;

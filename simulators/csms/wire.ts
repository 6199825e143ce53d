// OCPP-J framing (2.0.1 Part 4 §4, OCPP-J 1.6 §4): a text frame read as CALL, CALLRESULT or CALLERROR, frames
// written back, and the RPC error codes spelled the way each version spells them (1.6 says "FormationViolation").
import type { OcppVersion } from './options';

export type Payload = Record<string, unknown>;

export type ParsedFrame =
  | { kind: 'call'; messageId: string; action: string; payload: Payload }
  | { kind: 'result'; messageId: string; payload: Payload }
  | { kind: 'error'; messageId: string; errorCode: string; errorDescription: string; errorDetails: Payload }
  /**
   * Not a frame we can act on. `answer` says whether it deserves a CALLERROR: only what was (or may have been)
   * a CALL — answering a broken CALLRESULT could start an error ping-pong. `messageId` is '-1' when unreadable.
   */
  | { kind: 'malformed'; messageId: string; answer: boolean; code: 'format' | 'messageType'; reason: string };

const MESSAGE_ID_MAX = 36;

export function isPayload(value: unknown): value is Payload {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseFrame(raw: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return malformed('-1', true, 'format', 'not JSON');
  }
  if (!Array.isArray(value)) return malformed('-1', true, 'format', 'not a JSON array');
  const [type, id] = value;
  const messageId = typeof id === 'string' && id.length > 0 && id.length <= MESSAGE_ID_MAX ? id : undefined;
  // Only a broken CALLRESULT/CALLERROR stays unanswered: answering it could start an error ping-pong.
  if (messageId === undefined)
    return malformed('-1', type !== 3 && type !== 4, 'format', `message id must be a string of 1–${MESSAGE_ID_MAX} characters`);
  if (type === 2) {
    const [, , action, payload] = value;
    if (value.length !== 4) return malformed(messageId, true, 'format', `a CALL has 4 elements, got ${value.length}`);
    if (typeof action !== 'string' || action.length === 0) return malformed(messageId, true, 'format', 'action must be a string');
    if (!isPayload(payload)) return malformed(messageId, true, 'format', 'payload must be a JSON object');
    return { kind: 'call', messageId, action, payload };
  }
  if (type === 3) {
    const [, , payload] = value;
    if (value.length !== 3 || !isPayload(payload)) return malformed(messageId, false, 'format', 'a CALLRESULT is [3, id, {payload}]');
    return { kind: 'result', messageId, payload };
  }
  if (type === 4) {
    const [, , errorCode, errorDescription, errorDetails] = value;
    if (typeof errorCode !== 'string' || typeof errorDescription !== 'string') {
      return malformed(messageId, false, 'format', 'a CALLERROR is [4, id, code, description, {details}]');
    }
    return { kind: 'error', messageId, errorCode, errorDescription, errorDetails: isPayload(errorDetails) ? errorDetails : {} };
  }
  // 2.0.1 Part 4 §4.3: a type number we do not know is answered MessageTypeNotSupported (1.6: FormationViolation).
  return malformed(messageId, true, typeof type === 'number' ? 'messageType' : 'format', `message type ${String(type)}`);
}

function malformed(messageId: string, answer: boolean, code: 'format' | 'messageType', reason: string): ParsedFrame {
  return { kind: 'malformed', messageId, answer, code, reason };
}

/** RPC framework error codes of the negotiated version (2.0.1 Part 4 §4.3, OCPP-J 1.6 §4.2.3). */
export interface ErrorCodes {
  readonly formatViolation: string;
  readonly messageTypeNotSupported: string;
  readonly occurrenceConstraintViolation: string;
  readonly typeConstraintViolation: string;
  readonly notImplemented: string;
  readonly internalError: string;
}

const V201_CODES: ErrorCodes = {
  formatViolation: 'FormatViolation',
  messageTypeNotSupported: 'MessageTypeNotSupported',
  occurrenceConstraintViolation: 'OccurrenceConstraintViolation',
  typeConstraintViolation: 'TypeConstraintViolation',
  notImplemented: 'NotImplemented',
  internalError: 'InternalError',
};

// 1.6 has no MessageTypeNotSupported and spells two codes its own way; a strict 1.6 peer rejects the 2.0.1 names.
const V16_CODES: ErrorCodes = {
  formatViolation: 'FormationViolation',
  messageTypeNotSupported: 'FormationViolation',
  occurrenceConstraintViolation: 'OccurenceConstraintViolation',
  typeConstraintViolation: 'TypeConstraintViolation',
  notImplemented: 'NotImplemented',
  internalError: 'InternalError',
};

export function errorCodes(version: OcppVersion): ErrorCodes {
  return version === '1.6' ? V16_CODES : V201_CODES;
}

export function callFrame(messageId: string, action: string, payload: Payload): string {
  return JSON.stringify([2, messageId, action, payload]);
}

export function resultFrame(messageId: string, payload: Payload): string {
  return JSON.stringify([3, messageId, payload]);
}

/** errorDescription is at most 255 characters in 2.0.1. */
export function errorFrame(messageId: string, errorCode: string, errorDescription: string, errorDetails: Payload = {}): string {
  return JSON.stringify([4, messageId, errorCode, errorDescription.slice(0, 255), errorDetails]);
}

// CALLERROR codes spelled as the connection's OCPP version defines them, on every error flexbridge sends. OCPP-J 1.6
// §4.2.3 keeps FormationViolation and OccurenceConstraintViolation (errata §5: "do not fix"); ocpp-rpc 2.2.1 turns
// the latter into 2.0.1's double-r spelling on 1.6 connections and sends codes 1.6 does not define (RpcFrameworkError,
// MessageTypeNotSupported). 2.0.1's spelling comes from its validator (v201/validator.ts) and needs nothing here.
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { versionOf } from './protocol';

/** 2.0.1 codes (and ocpp-rpc's) → the OCPP-J 1.6 code for the same failure. */
const CODES_16: Readonly<Record<string, string>> = {
  OccurrenceConstraintViolation: 'OccurenceConstraintViolation',
  FormatViolation: 'FormationViolation',
  // An unparsable frame, a CALL id already in use: 1.6 has no framework error; the frame is malformed.
  RpcFrameworkError: 'FormationViolation',
};

const CALLERROR_PREFIX = '[4,';

/**
 * A CALLERROR frame with its code spelled for OCPP 1.6, `undefined` when it must not be sent at all (1.6 ignores a
 * message type it does not know, J16 §4.1.3, where 2.0.1 answers MessageTypeNotSupported), or the frame unchanged.
 */
export function respellFor16(frame: string): string | undefined {
  if (!frame.startsWith(CALLERROR_PREFIX)) return frame;
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return frame;
  }
  if (!Array.isArray(parsed) || typeof parsed[2] !== 'string') return frame;
  const code = parsed[2];
  if (code === 'MessageTypeNotSupported') return undefined;
  const spelled = CODES_16[code];
  if (spelled === undefined) return frame;
  parsed[2] = spelled;
  return JSON.stringify(parsed);
}

/** On a 1.6 connection, every outbound CALLERROR goes through `respellFor16`; other frames are sent as they are. */
export function respellOutboundErrors(client: RpcServerClient): void {
  if (versionOf(client.protocol) !== '1.6') return;
  const send = client.sendRaw.bind(client);
  client.sendRaw = (message: string): void => {
    // The hot path: only CALLERRORs (rare) are parsed; a CALLRESULT costs one prefix compare.
    const frame = message.startsWith(CALLERROR_PREFIX) ? respellFor16(message) : message;
    if (frame !== undefined) send(frame);
  };
}

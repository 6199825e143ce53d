// What a station→CSMS CALL is answered with: the context an answer may read (boot and authorization settings,
// transaction ids) and `action()`, which checks the few request fields an answer needs and builds the response.
import type { z } from 'zod';
import type { AuthorizationStatus, BootStatus, OcppVersion } from './options';
import { errorCodes, type Payload } from './wire';

export interface AnswerContext {
  readonly identity: string;
  readonly version: OcppVersion;
  nowIso(): string;
  /** Status for this BootNotification (takes the next one of a per-station sequence) and the interval to answer. */
  nextBoot(): { status: BootStatus; intervalS: number };
  authorize(idToken: string): AuthorizationStatus;
  /** 1.6 StartTransaction: a positive integer never handed out before by this simulator, to any station. */
  newTransactionId(): number;
  /** The station's transaction in progress as seen on the wire (undefined = ended), for "$transactionId" in scenarios. */
  transactionSeen(transactionId: string | number, ended: boolean): void;
}

export type Answer =
  { kind: 'result'; payload: Payload } | { kind: 'error'; errorCode: string; errorDescription: string; errorDetails?: Payload };

export interface ActionHandler {
  answer(payload: Payload, context: AnswerContext): Answer;
}

/**
 * A handler that parses the request leniently (unknown fields pass: the simulator is not a validator) and answers
 * OccurrenceConstraintViolation for a missing required field, TypeConstraintViolation for a wrong type.
 */
export function action<S extends z.ZodType>(request: S, respond: (request: z.output<S>, context: AnswerContext) => Payload): ActionHandler {
  return {
    answer(payload, context) {
      const parsed = request.safeParse(payload);
      if (parsed.success) return { kind: 'result', payload: respond(parsed.data, context) };
      const issue = parsed.error.issues[0];
      const path = issue?.path ?? [];
      const codes = errorCodes(context.version);
      const missing = valueAt(payload, path) === undefined;
      return {
        kind: 'error',
        errorCode: missing ? codes.occurrenceConstraintViolation : codes.typeConstraintViolation,
        errorDescription: `${path.map(String).join('.') || 'payload'}: ${missing ? 'required' : (issue?.message ?? 'invalid')}`,
      };
    },
  };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

// One error class per refusal the FP endpoint answers (digest §10), each carrying its HTTP status.
// Handlers throw them before changing any state; the router turns them into `{"message": …}` answers.

export abstract class OscpRequestError extends Error {
  abstract readonly status: number;
}

/** 401: no `Authorization: Token …` header at all. */
export class MissingTokenError extends OscpRequestError {
  readonly status = 401;
  override readonly name = 'MissingTokenError';
}

/** 403: a token we do not know, a wrong scheme, or a peer not (yet) allowed to send this message. */
export class ForbiddenError extends OscpRequestError {
  readonly status = 403;
  override readonly name = 'ForbiddenError';
}

/** 400: missing header, malformed JSON or a body that fails the schema. */
export class BadRequestError extends OscpRequestError {
  readonly status = 400;
  override readonly name = 'BadRequestError';
}

/** 404: a group_id this FP does not serve for that peer. */
export class UnknownGroupError extends OscpRequestError {
  readonly status = 404;
  override readonly name = 'UnknownGroupError';
}

/** 501: Register without a version we speak (SolarNetwork's answer, digest §6.1). */
export class NoCommonVersionError extends OscpRequestError {
  readonly status = 501;
  override readonly name = 'NoCommonVersionError';
}

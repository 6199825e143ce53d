// RFC 9457 problem details for every error the operator API answers: a typed error class per status, zod issues
// turned into `errors: [{ path, message }]` naming the field, and the express error handler that writes them.
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../observability/log';

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const VALIDATION_TYPE = 'urn:flexbridge:problem:validation';
const CONFLICT_TYPE = 'urn:flexbridge:problem:conflict';

/** An error the API answers as problem+json; `type` is about:blank where the status says it all. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly type = 'about:blank',
    readonly errors?: readonly FieldError[],
    readonly headers: Readonly<Record<string, string | string[]>> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

export class ValidationProblem extends ProblemError {
  constructor(detail: string, errors: readonly FieldError[]) {
    super(400, 'Bad Request', detail, VALIDATION_TYPE, errors);
  }
}

export class NotFoundProblem extends ProblemError {
  constructor(detail: string) {
    super(404, 'Not Found', detail);
  }
}

export class ConflictProblem extends ProblemError {
  constructor(detail: string) {
    super(409, 'Conflict', detail, CONFLICT_TYPE);
  }
}

/** `stations[0].groupId` style, as the configuration errors name fields. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** One entry per zod issue; an unknown key is named itself rather than its parent object. */
export function issuesToErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): FieldError[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: fieldPath([...prefix, ...issue.path, key]), message: 'unknown field' }));
    return [{ path: fieldPath([...prefix, ...issue.path]), message: issue.message }];
  });
}

export function problemBody(problem: ProblemError, instance?: string): Record<string, unknown> {
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...(instance !== undefined && { instance }),
    ...(problem.errors !== undefined && { errors: problem.errors }),
  };
}

export function sendProblem(res: Response, problem: ProblemError, instance?: string): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemBody(problem, instance)));
}

/** body-parser's errors carry `status` and `type` (entity.parse.failed, entity.too.large, …). */
function parserProblem(error: unknown): ProblemError | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error) || !('type' in error)) return undefined;
  const { status, type } = error;
  if (typeof status !== 'number' || status < 400 || status >= 500 || typeof type !== 'string') return undefined;
  if (type === 'entity.parse.failed') return new ValidationProblem('the body is not valid JSON', [{ path: '', message: 'malformed JSON' }]);
  if (type === 'entity.too.large') return new ProblemError(413, 'Content Too Large', 'the body is larger than the API accepts');
  return new ProblemError(status, 'Bad Request', `the body was refused (${type})`);
}

/** Last middleware of the API router: known problems as they are, anything else as a logged 500. */
export function problemHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const problem =
      error instanceof ProblemError
        ? error
        : (parserProblem(error) ?? new ProblemError(500, 'Internal Server Error', 'the request failed; see the agent log'));
    if (problem.status >= 500) logger.error('operator API request failed', { method: req.method, path: req.path, error });
    sendProblem(res, problem, req.originalUrl.split('?')[0]);
  };
}

// One table of routes drives both the express handlers and the OpenAPI document: each route names its role,
// the zod schemas of its path, query and body (validated before the handler runs) and of its answers.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { readableNumbers } from '../observability/log';
import { allows, principalOf, type ApiRole, type Principal } from './auth';
import { issuesToErrors, ProblemError, ValidationProblem, type FieldError } from './problems';

export type Method = 'get' | 'put' | 'post' | 'delete';

export interface RouteResponse {
  readonly status: number;
  readonly description: string;
  /** JSON body schema (a registered component); none for 204. */
  readonly schema?: z.ZodType;
  /** Non-JSON content type, e.g. text/event-stream or text/html. */
  readonly contentType?: string;
}

/** What a handler answers; `undefined` when it wrote the response itself (event stream, HTML). */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly principal: Principal;
  readonly req: Request;
  readonly res: Response;
}

interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly method: Method;
  /** Express path below /api/v1, e.g. /groups/:id. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** undefined: public (documentation); otherwise the least role allowed. */
  readonly role?: ApiRole;
  /** `none` where the route takes no input of that kind. */
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly responses: readonly RouteResponse[];
  readonly handler: (context: RouteContext<z.output<P>, z.output<Q>, z.output<B>>) => Promise<Reply | undefined> | Reply | undefined;
}

/** A route with its schemas erased to what mounting and documenting need. */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly role?: ApiRole;
  readonly params: z.ZodType;
  readonly query: z.ZodType;
  /** undefined for a route without a body. */
  readonly body?: z.ZodType;
  readonly responses: readonly RouteResponse[];
  handle(req: Request, res: Response): Promise<void>;
}

/** For `params`, `query` or `body` of a route that takes none: anything goes in, nothing comes out. */
export const none = z.unknown().transform(() => undefined);

const ANONYMOUS: Principal = { name: 'anonymous', role: 'read' };

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): Route {
  const { handler, ...described } = spec;
  const takesBody = !Object.is(spec.body, none);
  return {
    ...described,
    ...(!takesBody && { body: undefined }),
    async handle(req, res) {
      const principal = spec.role === undefined ? ANONYMOUS : principalOf(req);
      if (spec.role !== undefined && !allows(principal, spec.role))
        throw new ProblemError(
          403,
          'Forbidden',
          `"${principal.name}" has the ${principal.role} role; ${spec.method.toUpperCase()} ${spec.path} needs ${spec.role}`,
        );
      const params = spec.params.safeParse(req.params);
      const query = spec.query.safeParse(req.query);
      const body = spec.body.safeParse(req.body);
      const errors: FieldError[] = [];
      if (!params.success) errors.push(...issuesToErrors(params.error.issues));
      if (!query.success) errors.push(...issuesToErrors(query.error.issues));
      if (takesBody && req.body === undefined)
        errors.push({ path: '', message: 'a JSON body is required (Content-Type: application/json)' });
      else if (!body.success) errors.push(...issuesToErrors(body.error.issues));
      if (!params.success || !query.success || !body.success || errors.length > 0)
        throw new ValidationProblem(`${errors.length} field(s) of the request are invalid`, errors);
      const reply = await handler({ params: params.data, query: query.data, body: body.data, principal, req, res });
      if (!reply) return;
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      if (reply.body === undefined) res.status(reply.status).end();
      // Sums of amps carry float noise (385.9999999999997): answered as people read them.
      else res.status(reply.status).type('json').send(JSON.stringify(reply.body, readableNumbers));
    },
  };
}

export function mountRoutes(router: Router, routes: readonly Route[]): void {
  for (const route of routes) {
    const handler = (req: Request, res: Response): Promise<void> => route.handle(req, res);
    if (route.method === 'get') router.get(route.path, handler);
    else if (route.method === 'put') router.put(route.path, handler);
    else if (route.method === 'post') router.post(route.path, handler);
    else router.delete(route.path, handler);
  }
}

// Operator overrides: list those in force, set one (group cap, station pause, session priority, each with an
// expiry; checked against what exists before core sees it), and remove one by its target.
import type { Override } from '../../core/overrides';
import type { ApiContext } from '../context';
import { NotFoundProblem, ValidationProblem, type FieldError } from '../problems';
import { OverrideBody, OverrideTarget } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import { OverrideList, OverrideView } from '../response-schemas';
import { overrideView as view } from '../override-events';

/** What the override names must exist, and it must not have expired already. */
function check(context: ApiContext, o: Override): FieldError[] {
  const errors: FieldError[] = [];
  if (o.expiresAtMs <= context.nowMs()) errors.push({ path: 'expiresAtMs', message: 'must be in the future' });
  if (o.kind === 'group-cap' && !context.groups.some((g) => g.id === o.groupId))
    errors.push({ path: 'groupId', message: `no group "${o.groupId}"` });
  if (o.kind === 'station-pause' && !context.backend.station(o.stationId))
    errors.push({ path: 'stationId', message: `no station "${o.stationId}"` });
  if (o.kind === 'session-priority' && !context.core.fleet.session(o.transactionId))
    errors.push({ path: 'transactionId', message: `no active session "${o.transactionId}"` });
  return errors;
}

export function overrideRoutes(context: ApiContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/overrides',
      tag: 'overrides',
      summary: 'Overrides in force',
      role: 'read',
      params: none,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'overrides not yet expired', schema: OverrideList }],
      handler: () => ({ status: 200, body: context.core.overrides.list().map(view) }),
    }),
    defineRoute({
      method: 'post',
      path: '/overrides',
      tag: 'overrides',
      summary: 'Set an override (replaces the one for the same target); the plan follows at once',
      description: '`expiresAtMs` is epoch milliseconds (the answer also gives it as `expiresAt`, ISO 8601).',
      role: 'admin',
      params: none,
      query: none,
      body: OverrideBody,
      responses: [{ status: 201, description: 'in force', schema: OverrideView }],
      handler: ({ body, principal }) => {
        const errors = check(context, body);
        if (errors.length > 0) throw new ValidationProblem(`${errors.length} field(s) of the override are invalid`, errors);
        context.core.setOverride(body);
        context.overrideEvents.set(body, principal.name);
        context.logger.info('override set through the operator API', {
          kind: body.kind,
          expiresAtMs: body.expiresAtMs,
          by: principal.name,
        });
        return { status: 201, body: view(body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/overrides',
      tag: 'overrides',
      summary: 'Remove the override of a target',
      role: 'admin',
      params: none,
      query: none,
      body: OverrideTarget,
      responses: [{ status: 204, description: 'removed' }],
      handler: ({ body, principal }) => {
        const found = context.core.overrides.list().find((o) => sameTarget(o, body));
        if (!found || !context.core.removeOverride(found)) throw new NotFoundProblem(`no ${body.kind} override for that target`);
        context.overrideEvents.removed(found, principal.name);
        context.logger.info('override removed through the operator API', { kind: body.kind, by: principal.name });
        return { status: 204 };
      },
    }),
  ];
}

function sameTarget(o: Override, target: OverrideTarget): boolean {
  if (o.kind === 'group-cap' && target.kind === 'group-cap') return o.groupId === target.groupId;
  if (o.kind === 'station-pause' && target.kind === 'station-pause') return o.stationId === target.stationId;
  if (o.kind === 'session-priority' && target.kind === 'session-priority') return o.transactionId === target.transactionId;
  return false;
}

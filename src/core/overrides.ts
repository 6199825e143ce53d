// Operator overrides with an expiry: cap a group below its forecast, pause a station, prioritise a session.
// Core applies them on every reallocation; they are kept in the store so a restart keeps them.
import { z } from 'zod';
import type { KeyValueRepository } from './ports';

export const Override = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('group-cap'), groupId: z.string().min(1), limitA: z.number().min(0), expiresAtMs: z.number().int() }),
  z.object({ kind: z.literal('station-pause'), stationId: z.string().min(1), expiresAtMs: z.number().int() }),
  z.object({
    kind: z.literal('session-priority'),
    transactionId: z.string().min(1),
    priority: z.number().int().min(-9).max(9),
    expiresAtMs: z.number().int(),
  }),
]);
export type Override = z.infer<typeof Override>;

const STORE_KEY = 'overrides';

const targetOf = (o: Override): string =>
  o.kind === 'group-cap' ? `group:${o.groupId}` : o.kind === 'station-pause' ? `station:${o.stationId}` : `session:${o.transactionId}`;

/** The set of overrides in force; a new one replaces the previous one for the same target. */
export class Overrides {
  private readonly byTarget = new Map<string, Override>();

  constructor(
    private readonly kv: KeyValueRepository,
    private readonly nowMs: () => number,
  ) {
    const stored = z.array(Override).safeParse(kv.get(STORE_KEY) ?? []);
    if (stored.success) for (const o of stored.data) this.byTarget.set(targetOf(o), o);
  }

  set(override: Override): void {
    this.byTarget.set(targetOf(override), override);
    this.persist();
  }

  remove(override: Pick<Override, 'kind'> & Partial<Record<'groupId' | 'stationId' | 'transactionId', string>>): boolean {
    const key =
      override.kind === 'group-cap'
        ? `group:${override.groupId}`
        : override.kind === 'station-pause'
          ? `station:${override.stationId}`
          : `session:${override.transactionId}`;
    const removed = this.byTarget.delete(key);
    if (removed) this.persist();
    return removed;
  }

  /** Overrides still in force (expired ones are dropped on the way). */
  list(): Override[] {
    const now = this.nowMs();
    let expired = false;
    for (const [key, o] of this.byTarget) {
      if (o.expiresAtMs <= now) {
        this.byTarget.delete(key);
        expired = true;
      }
    }
    if (expired) this.persist();
    return [...this.byTarget.values()];
  }

  groupCapA(groupId: string): number | undefined {
    const o = this.active(`group:${groupId}`);
    return o?.kind === 'group-cap' ? o.limitA : undefined;
  }

  /** The group's cap in force and when it expires (the plan applies it only until then). */
  groupCap(groupId: string): { limitA: number; expiresAtMs: number } | undefined {
    const o = this.active(`group:${groupId}`);
    return o?.kind === 'group-cap' ? { limitA: o.limitA, expiresAtMs: o.expiresAtMs } : undefined;
  }

  stationPaused(stationId: string): boolean {
    return this.active(`station:${stationId}`) !== undefined;
  }

  sessionPriority(transactionId: string): number | undefined {
    const o = this.active(`session:${transactionId}`);
    return o?.kind === 'session-priority' ? o.priority : undefined;
  }

  private active(key: string): Override | undefined {
    const o = this.byTarget.get(key);
    return o && o.expiresAtMs > this.nowMs() ? o : undefined;
  }

  private persist(): void {
    this.kv.set(STORE_KEY, [...this.byTarget.values()]);
  }
}

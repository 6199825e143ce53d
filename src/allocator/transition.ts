// Orders the change from the limits in force to a new plan: every decrease first, increases only after,
// so that at no intermediate step (any subset of decreases applied, then any subset of increases) is a
// phase over what both plans respect.

export interface LimitChange {
  readonly id: string;
  readonly fromA: number;
  readonly toA: number;
}

export interface Transition {
  /** Send these first and wait until they are acknowledged (or count them at their old value). */
  readonly decreases: readonly LimitChange[];
  /** Send these only after every decrease held. */
  readonly increases: readonly LimitChange[];
}

/** Limits missing on one side count as 0 (a session that ended, or one not yet allocated). */
export function planTransition(inForce: ReadonlyMap<string, number>, next: ReadonlyMap<string, number>): Transition {
  const decreases: LimitChange[] = [];
  const increases: LimitChange[] = [];
  const ids = [...new Set([...inForce.keys(), ...next.keys()])].sort();
  for (const id of ids) {
    const fromA = inForce.get(id) ?? 0;
    const toA = next.get(id) ?? 0;
    if (toA < fromA) decreases.push({ id, fromA, toA });
    else if (toA > fromA) increases.push({ id, fromA, toA });
  }
  return { decreases, increases };
}

// Reference copy (src/allocator at 6ca3d73) for test/unit/allocator/equivalence.test.ts; see ./allocate.ts.
// Who gets the minimum first when not everyone fits: higher priority, then urgent EVs, then whoever has been
// served the fewest blocks so far (so paused EVs take turns and none starves), ties in a stable hash order.
// Deterministic, and adding or removing one session moves the choice by one place, not a reshuffle.

/** FNV-1a: a stable, well-spread 32-bit hash of a session id (no randomness, same on every run). */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface AdmissionOrder {
  /** Visits every session once, in admission order for the next block. */
  forEach(visit: (session: number) => void): void;
  /** Records that `session` was served (given its minimum or more) in the block just planned. */
  served(session: number): void;
}

/** Urgency above this (×weight) puts an EV in the urgent tier of its priority level. */
const URGENT = 2;

/**
 * `credit[i]`: blocks a session has already waited before this plan (it goes first among equals), from the
 * caller's pausedSince; within a plan each served block costs one. Turn order is a counting sort by
 * (blocks served − credit) over the hash order, O(n) per block.
 */
export function admissionOrder(
  sessions: readonly { id: string; priority: number }[],
  urgency: Float64Array,
  credit: Int32Array,
): AdmissionOrder {
  const keyed = sessions.map((s, i) => ({
    i,
    priority: s.priority,
    urgent: (urgency[i] ?? 1) >= URGENT ? 1 : 0,
    hash: stableHash(s.id),
    id: s.id,
  }));
  keyed.sort((a, b) => b.priority - a.priority || b.urgent - a.urgent || a.hash - b.hash || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const tiers: Int32Array[] = [];
  let begin = 0;
  for (let k = 1; k <= keyed.length; k++) {
    const a = keyed[begin];
    const b = keyed[k];
    if (!b || !a || b.priority !== a.priority || b.urgent !== a.urgent) {
      tiers.push(Int32Array.from(keyed.slice(begin, k), (x) => x.i));
      begin = k;
    }
  }
  const turns = Int32Array.from(credit, (c) => -c);
  const buckets = new Map<number, number[]>();
  return {
    forEach(visit) {
      for (const tier of tiers) {
        let lowest = Infinity;
        let highest = -Infinity;
        for (const i of tier) {
          const turn = turns[i] as number;
          if (turn < lowest) lowest = turn;
          if (turn > highest) highest = turn;
        }
        if (lowest === highest) {
          for (const i of tier) visit(i);
          continue;
        }
        buckets.clear();
        for (const i of tier) {
          const turn = turns[i] as number;
          const bucket = buckets.get(turn);
          if (bucket) bucket.push(i);
          else buckets.set(turn, [i]);
        }
        for (const turn of [...buckets.keys()].sort((a, b) => a - b)) for (const i of buckets.get(turn) ?? []) visit(i);
      }
    },
    served(session) {
      turns[session] = (turns[session] as number) + 1;
    },
  };
}

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

/** Urgency above this (×weight) puts an EV in the urgent tier of its priority level. */
const URGENT = 2;

/**
 * The sessions admission considers, in admission order for the next block: by tier (priority, then urgency), then
 * by turn (blocks served − `credit`, the blocks a session already waited before this plan), then by hash. Serving a
 * block moves a session back by one turn; the order is kept sorted by merging the served and the unserved
 * sessions, each still in order, O(n) per block instead of a sort.
 */
export class AdmissionOrder {
  /** Eligible sessions in admission order for the next block. */
  readonly order: Int32Array;
  private readonly tierOf: Int32Array;
  private readonly rankOf: Int32Array;
  private readonly turns: Int32Array;
  /** (tier, turn, rank) as one number, when it fits in a double's 53 bits (else the three are compared). */
  private readonly key: Float64Array | undefined;
  private readonly turnStep: number;
  private readonly served: Int32Array;
  private readonly waiting: Int32Array;

  constructor(
    sessions: readonly { id: string; priority: number }[],
    urgency: Float64Array,
    credit: Int32Array,
    eligible: Uint8Array,
    blocks: number,
  ) {
    const S = sessions.length;
    const ranked = rankSessions(sessions, urgency, eligible);
    this.tierOf = new Int32Array(S);
    this.rankOf = new Int32Array(S);
    let tier = 0;
    for (let k = 0; k < ranked.order.length; k++) {
      const i = ranked.order[k] as number;
      const before = ranked.order[k - 1];
      if (before !== undefined && ranked.tierCode[i] !== ranked.tierCode[before]) tier++;
      this.tierOf[i] = tier;
      this.rankOf[i] = k;
    }
    this.turns = new Int32Array(S);
    for (let i = 0; i < S; i++) this.turns[i] = -(credit[i] as number);
    let lowest = 0;
    let highest = 0;
    for (const i of ranked.order) {
      lowest = Math.min(lowest, this.turns[i] as number);
      highest = Math.max(highest, this.turns[i] as number);
    }
    // Turns stay within [lowest, highest + blocks] for the whole plan.
    const span = highest - lowest + blocks + 1;
    this.turnStep = ranked.order.length;
    if ((tier + 1) * span * this.turnStep < Number.MAX_SAFE_INTEGER) {
      const key = new Float64Array(S);
      for (const i of ranked.order)
        key[i] = ((this.tierOf[i] as number) * span + (this.turns[i] as number) - lowest) * this.turnStep + (this.rankOf[i] as number);
      this.key = key;
    }
    this.order = lowest === highest ? ranked.order : Int32Array.from(Array.from(ranked.order).sort((a, b) => (this.before(a, b) ? -1 : 1)));
    this.served = new Int32Array(this.order.length);
    this.waiting = new Int32Array(this.order.length);
  }

  /** Records the block just planned: every session with `admitted[i]` was served (given its minimum or more). */
  advance(admitted: Uint8Array): void {
    const { order, served, waiting, turns, key } = this;
    let s = 0;
    let w = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k] as number;
      if (admitted[i]) served[s++] = i;
      else waiting[w++] = i;
    }
    for (let k = 0; k < s; k++) {
      const i = served[k] as number;
      turns[i] = (turns[i] as number) + 1;
      if (key) key[i] = (key[i] as number) + this.turnStep;
    }
    // Everyone or no one served: every turn moved alike (or none did), the order stands.
    if (s === 0 || w === 0) return;
    let a = 0;
    let b = 0;
    if (key) {
      let nextWaiting = key[waiting[0] as number] as number;
      let nextServed = key[served[0] as number] as number;
      for (let k = 0; k < order.length; k++) {
        if (nextWaiting < nextServed) {
          order[k] = waiting[a++] as number;
          nextWaiting = a < w ? (key[waiting[a] as number] as number) : Infinity;
        } else {
          order[k] = served[b++] as number;
          nextServed = b < s ? (key[served[b] as number] as number) : Infinity;
        }
      }
      return;
    }
    for (let k = 0; k < order.length; k++) {
      const takeWaiting = b >= s || (a < w && this.before(waiting[a] as number, served[b] as number));
      order[k] = takeWaiting ? (waiting[a++] as number) : (served[b++] as number);
    }
  }

  private before(x: number, y: number): boolean {
    const tx = this.tierOf[x] as number;
    const ty = this.tierOf[y] as number;
    if (tx !== ty) return tx < ty;
    const ux = this.turns[x] as number;
    const uy = this.turns[y] as number;
    return ux !== uy ? ux < uy : (this.rankOf[x] as number) < (this.rankOf[y] as number);
  }
}

/**
 * Eligible sessions by priority (high first), urgency (urgent first), hash, id, index. Tiers by counting, each tier
 * by the native sort of hash × 2^k + index; only sessions of equal hash compare their ids.
 */
function rankSessions(
  sessions: readonly { id: string; priority: number }[],
  urgency: Float64Array,
  eligible: Uint8Array,
): { order: Int32Array; tierCode: Int32Array } {
  const S = sessions.length;
  const priorities = [...new Set(sessions.map((s) => s.priority))].sort((a, b) => b - a);
  const priorityRank = new Map(priorities.map((p, r) => [p, r]));
  const tierCode = new Int32Array(S);
  const tierSize = new Int32Array(2 * priorities.length + 1);
  let count = 0;
  for (let i = 0; i < S; i++) {
    const code = 2 * (priorityRank.get((sessions[i] as { priority: number }).priority) ?? 0) + ((urgency[i] as number) >= URGENT ? 0 : 1);
    tierCode[i] = code;
    if (!eligible[i]) continue;
    tierSize[code + 1] = (tierSize[code + 1] as number) + 1;
    count++;
  }
  for (let c = 1; c < tierSize.length; c++) tierSize[c] = (tierSize[c] as number) + (tierSize[c - 1] as number);
  const tierStart = tierSize.slice();
  const indexBits = Math.pow(2, Math.ceil(Math.log2(S + 1)));
  const hash = new Uint32Array(S);
  const keys = new Float64Array(count);
  for (let i = 0; i < S; i++) {
    if (!eligible[i]) continue;
    hash[i] = stableHash((sessions[i] as { id: string }).id);
    const code = tierCode[i] as number;
    keys[tierSize[code] as number] = (hash[i] as number) * indexBits + i;
    tierSize[code] = (tierSize[code] as number) + 1;
  }
  for (let c = 0; c + 1 < tierStart.length; c++) keys.subarray(tierStart[c] as number, tierStart[c + 1] as number).sort();
  const order = new Int32Array(count);
  for (let k = 0; k < count; k++) order[k] = (keys[k] as number) % indexBits;
  // Equal hashes (the same id twice, or a collision): by id, then index.
  for (let k = 1; k < count; k++) {
    if (hash[order[k] as number] !== hash[order[k - 1] as number] || tierCode[order[k] as number] !== tierCode[order[k - 1] as number])
      continue;
    let end = k + 1;
    while (
      end < count &&
      hash[order[end] as number] === hash[order[k] as number] &&
      tierCode[order[end] as number] === tierCode[order[k] as number]
    )
      end++;
    const run = Array.from(order.subarray(k - 1, end)).sort((a, b) => {
      const ia = (sessions[a] as { id: string }).id;
      const ib = (sessions[b] as { id: string }).id;
      return ia < ib ? -1 : ia > ib ? 1 : a - b;
    });
    order.set(run, k - 1);
    k = end - 1;
  }
  return { order, tierCode };
}

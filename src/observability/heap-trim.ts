// Heap trim: one full garbage collection once a burst (a connect or reconnect storm, a fleet-wide forecast) is over.
//
// Why: a storm leaves hundreds of MiB of dead objects in V8's old generation — upgrade requests, boot exchanges,
// first profiles — and V8 collects them only when the heap reaches its next limit, about twice the live size. Its
// memory reducer, which is meant for this, did not start within a minute at 19,000 stations (the heartbeats keep the
// allocation rate above its threshold). So the process held ~800 MiB of heap for ~400 MiB of live state.
// What: every `checkEveryMs` the trim compares the heap in use with what the last collection left (the live size);
// once it has grown by half (and at least `minGrowthBytes`) while the event loop was mostly idle over the last
// interval, it runs one full collection, and up to two more a few seconds apart while the heap stays fragmented.
// Never while busy: each pass stops the loop for 0.3–0.5 s at 19,000 stations, which an idle fleet (heartbeats,
// meter values) does not notice and a storm would.

import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What the trim reads and does; the process's own in production, a fake in unit tests. */
export interface HeapPort {
  /** Bytes of heap in use, live and dead (V8's used_heap_size). */
  usedBytes(): number;
  /** Bytes of heap committed (V8's total_heap_size): the part of RSS the heap holds. */
  committedBytes(): number;
  /** Share of the time since the previous call the event loop was busy, 0..1. */
  busyFraction(): number;
  /** One full, synchronous garbage collection. */
  collect(): void;
}

export interface HeapTrimOptions {
  readonly checkEveryMs: number;
  /** Trim only once the heap has grown by this share of what the last collection left... */
  readonly growthFraction: number;
  /** ...and by at least this much. */
  readonly minGrowthBytes: number;
  /** Trim only if the event loop was busy less than this share of the last interval. */
  readonly busyBelow: number;
  /** At most one trim per this interval, whatever the heap does (follow-up passes excepted). */
  readonly minGapMs: number;
  /**
   * A first pass frees the dead objects but leaves pages half full; each further pass compacts some of them. Up to
   * `maxPasses` in all, `followUpMs` apart (each a pause of its own, not one long one), while more than
   * `fragmentedAbove` × used is committed and the previous pass still gave back at least `minGrowthBytes` / 4.
   */
  readonly maxPasses: number;
  readonly followUpMs: number;
  readonly fragmentedAbove: number;
}

export const DEFAULT_HEAP_TRIM: HeapTrimOptions = {
  checkEveryMs: 10_000,
  growthFraction: 0.5,
  minGrowthBytes: 64 * 2 ** 20,
  busyBelow: 0.5,
  minGapMs: 60_000,
  maxPasses: 3,
  followUpMs: 2_000,
  fragmentedAbove: 1.25,
};

/** Every ending of one check. */
export type TrimCheck =
  | { readonly kind: 'small'; readonly usedBytes: number; readonly thresholdBytes: number }
  | { readonly kind: 'busy'; readonly busyFraction: number }
  | { readonly kind: 'recent'; readonly sinceLastMs: number }
  | {
      readonly kind: 'trimmed';
      /** 1 for the trim itself, 2.. for its follow-up passes. */
      readonly pass: number;
      readonly beforeBytes: number;
      readonly afterBytes: number;
      readonly committedBeforeBytes: number;
      readonly committedAfterBytes: number;
      readonly pauseMs: number;
    };

export class HeapTrim {
  /** What the last collection left: the live size, as far as the trim knows. */
  private liveBytes: number;
  private lastTrimMs = -Infinity;
  /** The pass the next follow-up would be; 0 when none is due. */
  private nextPass = 0;
  /** The last check found a trim or a pass due that it could not run yet (busy, or too soon after the last). */
  private waiting = false;

  constructor(
    private readonly heap: HeapPort,
    private readonly options: HeapTrimOptions = DEFAULT_HEAP_TRIM,
    /** Monotonic milliseconds for the pause measurement (performance.now in production). */
    private readonly pauseClockMs: () => number = () => performance.now(),
  ) {
    this.liveBytes = heap.usedBytes();
  }

  /** The heap size the next trim waits for. */
  get thresholdBytes(): number {
    return this.liveBytes + Math.max(this.options.minGrowthBytes, this.liveBytes * this.options.growthFraction);
  }

  /** A trim or a follow-up pass is due and has not run yet: what a benchmark waits for before it reads RSS. */
  get due(): boolean {
    return this.waiting || this.nextPass > 0;
  }

  /** When the driver should call `check` again: soon while a follow-up pass is due. */
  get nextCheckInMs(): number {
    return this.nextPass > 0 ? this.options.followUpMs : this.options.checkEveryMs;
  }

  check(nowMs: number): TrimCheck {
    const outcome = this.decide(nowMs);
    // Busy only holds a trim back when the heap has grown enough for one (not when it cut follow-up passes short).
    this.waiting = outcome.kind === 'recent' || (outcome.kind === 'busy' && this.heap.usedBytes() >= this.thresholdBytes);
    return outcome;
  }

  private decide(nowMs: number): TrimCheck {
    // Read every time, so the fraction covers exactly the time since the last check.
    const busyFraction = this.heap.busyFraction();
    if (this.nextPass > 0) {
      // A burst began between passes: leave the rest to the next trim.
      if (busyFraction >= this.options.busyBelow) {
        this.nextPass = 0;
        return { kind: 'busy', busyFraction };
      }
      return this.collect(nowMs, this.nextPass);
    }
    const usedBytes = this.heap.usedBytes();
    const thresholdBytes = this.thresholdBytes;
    if (usedBytes < thresholdBytes) return { kind: 'small', usedBytes, thresholdBytes };
    if (busyFraction >= this.options.busyBelow) return { kind: 'busy', busyFraction };
    const sinceLastMs = nowMs - this.lastTrimMs;
    if (sinceLastMs < this.options.minGapMs) return { kind: 'recent', sinceLastMs };
    return this.collect(nowMs, 1);
  }

  private collect(nowMs: number, pass: number): TrimCheck {
    const beforeBytes = this.heap.usedBytes();
    const committedBeforeBytes = this.heap.committedBytes();
    const startedMs = this.pauseClockMs();
    this.heap.collect();
    const pauseMs = this.pauseClockMs() - startedMs;
    const afterBytes = this.heap.usedBytes();
    const committedAfterBytes = this.heap.committedBytes();
    this.liveBytes = afterBytes;
    this.lastTrimMs = nowMs;
    const { maxPasses, fragmentedAbove, minGrowthBytes } = this.options;
    const fragmented = committedAfterBytes > afterBytes * fragmentedAbove;
    const gaveBack = pass === 1 || committedBeforeBytes - committedAfterBytes >= minGrowthBytes / 4;
    this.nextPass = pass < maxPasses && fragmented && gaveBack ? pass + 1 : 0;
    return { kind: 'trimmed', pass, beforeBytes, afterBytes, committedBeforeBytes, committedAfterBytes, pauseMs };
  }
}

/**
 * The process's heap. The collection is V8's `gc()`: exposed by `--expose-gc` when the process was started with it,
 * otherwise switched on here the way jest does it (the flag, then `gc` from a fresh context).
 */
export function processHeap(): HeapPort {
  const gc = exposedGc();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    usedBytes: () => getHeapStatistics().used_heap_size,
    committedBytes: () => getHeapStatistics().total_heap_size,
    busyFraction: () => {
      const now = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(now, last);
      last = now;
      return delta.utilization;
    },
    collect: () => compacting(gc),
  };
}

/** The heap may grow by this much over what the trim left before V8's next full collection. */
const NEXT_LIMIT_GROWTH_PERCENT = 100;

/**
 * One full collection that also compacts every page it can. V8's own full GCs compact only the pages its heuristics
 * pick, so after a storm the survivors stay spread over half-empty pages that remain committed (at 9,500 relayed
 * stations 494 MiB committed for 290 MiB in use). The flag is V8's, on for this collection only.
 *
 * The collection also sets the heap's next limit, from its own speed: a compacting pass is slow (~0.9 s for 290 MiB
 * at 19,000 stations), so V8 left the next full collection only ~15 % above the live size, and the fleet's steady
 * traffic reached it within half a minute (at 14,000 msg/s: a full collection, its marking on the main thread, and
 * the calls queued behind it). The limit this collection sets is twice the live size instead, what V8 gives a heap
 * whose collections are fast (`--heap-growing-percent`, also for this collection only); the next one sets its own.
 * V8's memory reducer, once the process is quiet, may set a tighter one again (docs/architecture.md, heap trim).
 */
function compacting(gc: () => void): void {
  setFlagsFromString('--compact-on-every-full-gc');
  setFlagsFromString(`--heap-growing-percent=${NEXT_LIMIT_GROWTH_PERCENT}`);
  try {
    gc();
  } finally {
    setFlagsFromString('--heap-growing-percent=0');
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

function exposedGc(): () => void {
  const global = globalThis as { gc?: () => void };
  if (typeof global.gc === 'function') return global.gc;
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') throw new Error('V8 did not expose gc() after --expose-gc');
  return gc as () => void;
}

import { constants, PerformanceObserver } from 'node:perf_hooks';
import { DEFAULT_HEAP_TRIM, HeapTrim, processHeap, type HeapPort } from '../../../src/observability/heap-trim';

const MiB = 2 ** 20;

/** A heap the test moves by hand: `collect` leaves `liveBytes` in use and shrinks the committed heap by `compacts`. */
class FakeHeap implements HeapPort {
  used = 0;
  committed = 0;
  busy = 0;
  liveBytes = 0;
  /** Committed bytes each collection gives back, pass by pass (then none). */
  compacts: number[] = [];
  collections = 0;

  constructor(usedMiB: number, committedMiB = usedMiB) {
    this.used = usedMiB * MiB;
    this.committed = committedMiB * MiB;
    this.liveBytes = this.used;
  }

  usedBytes(): number {
    return this.used;
  }
  committedBytes(): number {
    return this.committed;
  }
  busyFraction(): number {
    return this.busy;
  }
  collect(): void {
    this.collections++;
    this.used = this.liveBytes;
    this.committed -= this.compacts.shift() ?? 0;
  }
}

/** A pause clock that advances 300 ms per reading pair: each collection "takes" 300 ms. */
function pauseClock(): () => number {
  let t = 0;
  let odd = false;
  return () => {
    odd = !odd;
    if (odd) return t;
    t += 300;
    return t;
  };
}

/**
 * A heap the agent started on at 40 MiB, then a storm: `usedMiB` in use, `liveMiB` of it live. Unless told otherwise,
 * the first collection gives every dead page back (so no follow-up pass is due).
 */
function afterStorm(
  usedMiB: number,
  liveMiB: number,
  committedMiB = usedMiB,
  compactsMiB: number[] = [committedMiB - liveMiB],
): { heap: FakeHeap; trim: HeapTrim } {
  const heap = new FakeHeap(40);
  const trim = new HeapTrim(heap, DEFAULT_HEAP_TRIM, pauseClock());
  heap.used = usedMiB * MiB;
  heap.committed = committedMiB * MiB;
  heap.liveBytes = liveMiB * MiB;
  heap.compacts = compactsMiB.map((c) => c * MiB);
  return { heap, trim };
}

describe('HeapTrim: one full collection once a burst is over', () => {
  it('waits while the heap has grown by less than half of what the last collection left (and at least 64 MiB)', () => {
    const heap = new FakeHeap(100);
    const trim = new HeapTrim(heap, DEFAULT_HEAP_TRIM, pauseClock());
    expect(trim.thresholdBytes).toBe(164 * MiB); // 100 + max(64, 50)
    heap.used = 163 * MiB;
    expect(trim.check(60_000)).toEqual({ kind: 'small', usedBytes: 163 * MiB, thresholdBytes: 164 * MiB });
    expect(heap.collections).toBe(0);
  });

  it('never collects while the event loop is busy (a storm or a forecast is still under way)', () => {
    const { heap, trim } = afterStorm(900, 400);
    expect(trim.due).toBe(false);
    heap.busy = 0.5;
    expect(trim.check(60_000)).toEqual({ kind: 'busy', busyFraction: 0.5 });
    expect(heap.collections).toBe(0);
    expect(trim.due).toBe(true);
    heap.busy = 0.1;
    expect(trim.check(70_000)).toMatchObject({ kind: 'trimmed', pass: 1, beforeBytes: 900 * MiB, afterBytes: 400 * MiB, pauseMs: 300 });
  });

  it('measures growth from what the last collection left, so the live heap of a connected fleet is not trimmed again', () => {
    const { heap, trim } = afterStorm(900, 400);
    expect(trim.check(60_000).kind).toBe('trimmed');
    expect(trim.thresholdBytes).toBe(600 * MiB);
    heap.used = 599 * MiB;
    expect(trim.check(200_000).kind).toBe('small');
    heap.used = 600 * MiB;
    expect(trim.check(210_000).kind).toBe('trimmed');
    expect(heap.collections).toBe(2);
  });

  it('trims at most once a minute, however fast the heap grows', () => {
    const { heap, trim } = afterStorm(500, 40);
    expect(trim.check(60_000).kind).toBe('trimmed');
    heap.used = 500 * MiB;
    expect(trim.check(119_999)).toEqual({ kind: 'recent', sinceLastMs: 59_999 });
    // Due, and says so: a benchmark reading RSS waits for it.
    expect(trim.due).toBe(true);
    expect(trim.check(120_000).kind).toBe('trimmed');
    expect(trim.due).toBe(false);
  });

  it('follows a pass with up to two more, 2 s apart, while more than 1.25 × used stays committed', () => {
    const { heap, trim } = afterStorm(950, 400, 990, [270, 100, 50, 50]);
    expect(trim.nextCheckInMs).toBe(10_000);
    expect(trim.check(60_000)).toMatchObject({ kind: 'trimmed', pass: 1, committedAfterBytes: 720 * MiB });
    expect(trim.nextCheckInMs).toBe(2_000);
    expect(trim.due).toBe(true);
    expect(trim.check(62_000)).toMatchObject({ kind: 'trimmed', pass: 2, committedAfterBytes: 620 * MiB });
    expect(trim.check(64_000)).toMatchObject({ kind: 'trimmed', pass: 3, committedAfterBytes: 570 * MiB });
    // Three passes in all: the fourth waits for the heap to grow again.
    expect(trim.nextCheckInMs).toBe(10_000);
    expect(trim.due).toBe(false);
    expect(trim.check(74_000).kind).toBe('small');
    expect(heap.collections).toBe(3);
  });

  it('stops following up once the heap is compact, or once a pass gave back less than 16 MiB', () => {
    // 500 MiB committed for 400 used after the first pass: below 1.25 ×.
    const { trim: first } = afterStorm(900, 400, 950, [450]);
    expect(first.check(60_000)).toMatchObject({ kind: 'trimmed', pass: 1 });
    expect(first.nextCheckInMs).toBe(10_000);

    const { trim: second } = afterStorm(900, 400, 950, [200, 15]);
    expect(second.check(60_000)).toMatchObject({ kind: 'trimmed', pass: 1 });
    expect(second.check(62_000)).toMatchObject({ kind: 'trimmed', pass: 2 });
    expect(second.nextCheckInMs).toBe(10_000);
  });

  it('drops the follow-up passes when a burst starts between them', () => {
    const { heap, trim } = afterStorm(950, 400, 990, [270]);
    expect(trim.check(60_000)).toMatchObject({ kind: 'trimmed', pass: 1 });
    heap.busy = 0.9;
    expect(trim.check(62_000)).toEqual({ kind: 'busy', busyFraction: 0.9 });
    expect(trim.nextCheckInMs).toBe(10_000);
    // Nothing is due then: the first pass left the heap at its live size.
    expect(trim.due).toBe(false);
    expect(heap.collections).toBe(1);
  });
});

describe('processHeap: the process’s own heap', () => {
  it('reads the heap and the event loop, and its collection frees what nothing holds', () => {
    const heap = processHeap();
    expect(heap.busyFraction()).toBeGreaterThanOrEqual(0);
    expect(heap.committedBytes()).toBeGreaterThanOrEqual(heap.usedBytes());
    // Built and dropped inside a function, so nothing on this frame holds it.
    const litter = (): number => Array.from({ length: 200_000 }, (_, i) => ({ i, text: `frame ${i}` })).length;
    expect(litter()).toBe(200_000);
    const before = heap.usedBytes();
    heap.collect();
    expect(heap.usedBytes()).toBeLessThan(before - 8 * MiB);
  });

  it('compacts: survivors spread over half-empty pages are moved together and the emptied pages given back', () => {
    const heap = processHeap();
    heap.collect();
    // One object in four survives, the others die between them: every page of the old generation stays part-used.
    const survivors: object[] = [];
    let litter: object[] = [];
    for (let i = 0; i < 400_000; i++) {
      const record = { i, text: `frame ${i} ${'x'.repeat(24)}`, map: new Map([[i, i]]) };
      if (i % 4 === 0) survivors.push(record);
      else litter.push(record);
      if (litter.length > 50_000) litter = [];
    }
    litter = [];
    const committedBefore = heap.committedBytes();
    heap.collect();
    // Compacting gives back ~80 MiB here; without, the same collection gives back ~18: each page still holds a survivor.
    expect(heap.committedBytes()).toBeLessThan(committedBefore - 48 * MiB);
    expect(survivors.length + litter.length).toBe(100_000);
  });

  it('sets the next full collection twice the live size away, whatever V8 would derive from the slow pass', async () => {
    const heap = processHeap();
    const majors: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        if ((Reflect.get(entry, 'detail') as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(1);
    });
    // 120 MiB live, then the trim's collection; then the heap grows by retained records in ~2 MiB steps, a turn of
    // the event loop apart (the observer reports there), until V8 runs its next full collection.
    const live: object[][] = [];
    const records = (count: number): object[] => Array.from({ length: count }, (_, i) => ({ i, text: `reading ${i} ${'x'.repeat(40)}` }));
    while (heap.usedBytes() < 120 * MiB) live.push(records(20_000));
    heap.collect();
    const afterTrim = heap.usedBytes();
    await new Promise((resolve) => setImmediate(resolve));
    observer.observe({ entryTypes: ['gc'] });
    majors.length = 0;
    let grownBytes = 0;
    try {
      while (majors.length === 0 && grownBytes < 3 * afterTrim) {
        const before = heap.usedBytes();
        live.push(records(20_000));
        grownBytes += Math.max(0, heap.usedBytes() - before);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      observer.disconnect();
    }
    // The pass's limit, whatever V8's own heuristics say: they gave ~3 × the live size here (this loop's cap), and
    // ~0.15 × at 19,000 stations after a 0.9 s compacting pass. With it, marking starts at ~1.4 ×.
    expect(grownBytes).toBeGreaterThan(0.7 * afterTrim);
    expect(grownBytes).toBeLessThan(2.2 * afterTrim);
    expect(live.length).toBeGreaterThan(0);
  });
});

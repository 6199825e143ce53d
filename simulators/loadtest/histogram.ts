// Round-trip latencies in log-spaced buckets (2 % wide), cheap enough to record every message in the hot loop;
// workers write their own histogram into shared memory and the driver merges and reads percentiles.

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets cover 1 µs … ~100 s. */
export const HISTOGRAM_BUCKETS = 940;

export function bucketOf(latencyUs: number): number {
  if (!(latencyUs > 1)) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, 1 + Math.floor(Math.log(latencyUs) / LOG_GROWTH));
}

/** Geometric middle of a bucket, µs. */
export function bucketValueUs(bucket: number): number {
  if (bucket <= 0) return 1;
  return GROWTH ** (bucket - 1) * Math.sqrt(GROWTH);
}

export function recordLatency(counts: Uint32Array, latencyUs: number): void {
  const bucket = bucketOf(latencyUs);
  counts[bucket] = (counts[bucket] ?? 0) + 1;
}

/** after − before, bucket by bucket (histograms only ever grow). */
export function difference(after: Uint32Array, before: Uint32Array): Uint32Array {
  return after.map((count, i) => count - (before[i] ?? 0));
}

export function merge(histograms: readonly Uint32Array[]): Uint32Array {
  const sum = new Uint32Array(HISTOGRAM_BUCKETS);
  for (const h of histograms) h.forEach((count, i) => (sum[i] = (sum[i] ?? 0) + count));
  return sum;
}

export function total(counts: Uint32Array): number {
  return counts.reduce((sum, count) => sum + count, 0);
}

/** The latency below which `fraction` of the samples lie, ms; undefined without samples. */
export function percentileMs(counts: Uint32Array, fraction: number): number | undefined {
  const n = total(counts);
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil(fraction * n));
  let seen = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    seen += counts[bucket] ?? 0;
    if (seen >= rank) return bucketValueUs(bucket) / 1000;
  }
  return bucketValueUs(counts.length - 1) / 1000;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

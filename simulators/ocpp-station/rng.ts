// Seeded pseudo-random numbers (mulberry32) so a fleet run with the same --seed plugs in the same EVs
// at the same moments and picks the same misbehaving stations.

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Exponentially distributed wait with the given mean (a Poisson arrival process). */
export function exponentialS(random: () => number, meanS: number): number {
  return -Math.log(1 - random()) * meanS;
}

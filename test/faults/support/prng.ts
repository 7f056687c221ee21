// A seeded PRNG (mulberry32) so a failing kill schedule can be replayed: HEED_FAULTS_SEED=<n> npm run test:faults.
export type Prng = { seed: number; next(): number; int(min: number, max: number): number };

export function faultSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env['HEED_FAULTS_SEED']);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1;
}

export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min)) };
}

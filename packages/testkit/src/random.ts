/**
 * Seeded randomness: every random test or workload takes a seed (QUIRE_SEED overrides it) and
 * names it when it fails, so the failure can be replayed.
 */

/** A deterministic generator of floats in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed to use: QUIRE_SEED if set, else `fallback`. */
export function seedFor(fallback: number): number {
  const fromEnv = process.env.QUIRE_SEED
  return fromEnv ? Number(fromEnv) : fallback
}

/** Run `body` with a seed; a failure is re-thrown with the seed and how to replay it. */
export async function withSeed<T>(fallback: number, body: (seed: number) => Promise<T> | T): Promise<T> {
  const seed = seedFor(fallback)
  try {
    return await body(seed)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`${message}\n(seed ${seed}; replay with QUIRE_SEED=${seed})`, { cause: error })
  }
}

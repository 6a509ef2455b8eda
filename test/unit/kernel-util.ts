/** Helpers shared by kernel tests: seeded random data and error measures. */

/** Sizes that hit SIMD bodies and scalar/masked tails. */
export const TEST_SIZES = [1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 255, 1024, 4097];

/** Deterministic uniform floats in [lo, hi) (mulberry32). */
export function randomFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

/** Normalised mean squared error (ggml's test-backend-ops measure). */
export function nmse(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  let err = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = ref[i]! - got[i]!;
    err += d * d;
    norm += ref[i]! * ref[i]!;
  }
  return norm > 0 ? err / norm : err;
}

/** Largest absolute difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

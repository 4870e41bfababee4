// A counter-based random number generator: Philox4x32-10 (Salmon et al., "Parallel random numbers:
// as easy as 1, 2, 3", SC'11). Element i of a stream is a pure function of (seed, stream, i), so a
// GPU kernel can compute the same values in parallel, and runs reproduce exactly.

const M0 = 0xd2511f53,
  M1 = 0xcd9e8d57,
  W0 = 0x9e3779b9,
  W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32s, exactly, from 16-bit limbs. */
function mulhi(a: number, b: number): number {
  const a0 = a & 0xffff,
    a1 = a >>> 16,
    b0 = b & 0xffff,
    b1 = b >>> 16;
  const p00 = a0 * b0,
    p01 = a0 * b1,
    p10 = a1 * b0,
    p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32-10 of a 4-word counter under a 2-word key: four uniformly random u32s. */
export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((c) => c >>> 0);
  let [k0, k1] = key.map((k) => k >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0),
      lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2),
      lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The key for a seed: its low and high 32 bits (seeds are integers below 2^53). */
export function seedKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`rng: seed ${seed} must be a non-negative safe integer`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** A u32 as a float in [0, 1): its top 24 bits, so every value is exact in float32. */
export const toUnit = (u: number): number => (u >>> 8) * 2 ** -24;

/** n uniform values in [low, high): element i from counter (i, stream, 0, 0). */
export function uniformValues(n: number, seed: number, low = 0, high = 1, stream = 0): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * toUnit(philox4x32([i, stream, 0, 0], key)[0]);
  return out;
}

/** n normal values (Box–Muller on words 0 and 1 of element i's block). */
export function normalValues(n: number, seed: number, mean = 0, std = 1, stream = 0): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [w0, w1] = philox4x32([i, stream, 0, 0], key);
    const u1 = 1 - toUnit(w0); // (0, 1]: log stays finite
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * toUnit(w1));
  }
  return out;
}

/** n values of a Bernoulli(p) mask: 1 where toUnit(word 0 of element i's block) < p, else 0. */
export function bernoulliValues(n: number, seed: number, p: number, stream = 0): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = toUnit(philox4x32([i, stream, 0, 0], key)[0]) < p ? 1 : 0;
  return out;
}

/** A seeded Fisher–Yates shuffle of 0..n−1: step i swaps with j = word mod (i + 1) of Philox block i. */
export function shuffledIndices(n: number, seed: number, stream = 0): Int32Array {
  const key = seedKey(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = philox4x32([i, stream, 0, 0], key)[0] % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Categorical draws from rows of logits: sample s of row r is the first class k whose running weight
 * sum exceeds u·total, with weights w_k = exp((l_k − max)·t⁻¹), t⁻¹ = fround(1/temperature), and u =
 * toUnit(word 0 of Philox block r·numSamples + s). The arithmetic is float32's (Math.fround at each
 * step, in the WGSL kernel's order), so the GPU kernel draws the same classes except where u·total
 * falls within exp's last-bit differences of a class boundary. A row whose weights round to all zero
 * past the draw (u·total ≥ total) takes its last class of positive weight.
 */
export function categoricalValues(
  logits: ArrayLike<number>,
  rows: number,
  classes: number,
  numSamples: number,
  temperature: number,
  seed: number,
  stream = 0,
): Int32Array {
  const key = seedKey(seed);
  const f = Math.fround;
  const inverseTemperature = f(1 / temperature);
  const out = new Int32Array(rows * numSamples);
  const weights = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let top = f(logits[base]);
    for (let k = 1; k < classes; k++) top = Math.max(top, f(logits[base + k]));
    let total = 0;
    let lastPositive = classes - 1;
    for (let k = 0; k < classes; k++) {
      weights[k] = f(Math.exp(f(f(f(logits[base + k]) - top) * inverseTemperature)));
      total = f(total + weights[k]);
      if (weights[k] > 0) lastPositive = k;
    }
    for (let s = 0; s < numSamples; s++) {
      const u = toUnit(philox4x32([r * numSamples + s, stream, 0, 0], key)[0]);
      const target = f(u * total);
      let running = 0;
      let pick = lastPositive;
      for (let k = 0; k < classes; k++) {
        running = f(running + weights[k]);
        if (target < running) {
          pick = k;
          break;
        }
      }
      out[r * numSamples + s] = pick;
    }
  }
  return out;
}

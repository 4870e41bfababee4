// A counter-based random number generator: Philox4x32-10 (Salmon et al., "Parallel random numbers:
// as easy as 1, 2, 3", SC'11). Element i of a stream is a pure function of (seed, stream, i), so a
// GPU kernel can compute the same values in parallel, and runs reproduce exactly.

const M0 = 0xd2511f53,
  M1 = 0xcd9e8d57,
  W0 = 0x9e3779b9,
  W1 = 0xbb67ae85;

/**
 * High 32 bits of the 64-bit product of two u32s, exactly: a·b = a·bHigh·2^16 + a·bLow with both
 * partial products below 2^48, so every double below is an exact integer.
 */
function mulhi(a: number, b: number): number {
  const low = a * (b & 0xffff);
  const high = a * (b >>> 16);
  return Math.floor((high + Math.floor(low / 65536)) / 65536);
}

/** Philox4x32-10 of a 4-word counter under a 2-word key: four uniformly random u32s. */
export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  const words = new Uint32Array(4);
  philoxInto(words, counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
  return [words[0], words[1], words[2], words[3]];
}

/**
 * Philox4x32-10 written into `words`: the loops below draw millions of blocks (a spec's large inputs,
 * the CPU backend's random ops), and arrays made per block or per round would dominate their time.
 */
function philoxInto(
  words: Uint32Array,
  counter0: number,
  counter1: number,
  counter2: number,
  counter3: number,
  key0: number,
  key1: number,
): void {
  let c0 = counter0 >>> 0;
  let c1 = counter1 >>> 0;
  let c2 = counter2 >>> 0;
  let c3 = counter3 >>> 0;
  let k0 = key0 >>> 0;
  let k1 = key1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  words[0] = c0;
  words[1] = c1;
  words[2] = c2;
  words[3] = c3;
}

/** Block (i, stream, 0, 0) of `key` into `words`. */
const philoxBlock = (words: Uint32Array, i: number, stream: number, key: readonly number[]): void =>
  philoxInto(words, i, stream, 0, 0, key[0], key[1]);

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
  const words = new Uint32Array(4);
  for (let i = 0; i < n; i++) {
    philoxBlock(words, i, stream, key);
    out[i] = low + (high - low) * toUnit(words[0]);
  }
  return out;
}

/** n normal values (Box–Muller on words 0 and 1 of element i's block). */
export function normalValues(n: number, seed: number, mean = 0, std = 1, stream = 0): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(n);
  const words = new Uint32Array(4);
  for (let i = 0; i < n; i++) {
    philoxBlock(words, i, stream, key);
    const u1 = 1 - toUnit(words[0]); // (0, 1]: log stays finite
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * toUnit(words[1]));
  }
  return out;
}

/** n values of a Bernoulli(p) mask: 1 where toUnit(word 0 of element i's block) < p, else 0. */
export function bernoulliValues(n: number, seed: number, p: number, stream = 0): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(n);
  const words = new Uint32Array(4);
  for (let i = 0; i < n; i++) {
    philoxBlock(words, i, stream, key);
    out[i] = toUnit(words[0]) < p ? 1 : 0;
  }
  return out;
}

/** A seeded Fisher–Yates shuffle of 0..n−1: step i swaps with j = word mod (i + 1) of Philox block i. */
export function shuffledIndices(n: number, seed: number, stream = 0): Int32Array {
  const key = seedKey(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const words = new Uint32Array(4);
  for (let i = n - 1; i > 0; i--) {
    philoxBlock(words, i, stream, key);
    const j = words[0] % (i + 1);
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
  const words = new Uint32Array(4);
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
      philoxBlock(words, r * numSamples + s, stream, key);
      const u = toUnit(words[0]);
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

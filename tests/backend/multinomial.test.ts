// multinomial: categorical draws from rows of logits. The WebGPU kernel against the CPU reference
// (rng.ts categoricalValues) draw for draw; the reference against a hand computation; the GPU's
// empirical frequencies against softmax(logits / temperature) by a chi-square bound; seeds, streams
// and bad arguments.
import { expect } from 'chai';
import {
  categoricalValues,
  multinomial,
  tensor,
  uniformValues,
  withBackend,
  type MultinomialOptions,
  type Tensor,
} from '@webgrad/core';
import { cpu, gpu, randomValues } from '../helpers.js';

async function drawsOf(t: Tensor): Promise<Int32Array> {
  const data = await t.data();
  t.dispose();
  return data as Int32Array;
}

function draw(
  on: typeof cpu,
  logits: ArrayLike<number>,
  shape: [number, number],
  numSamples: number,
  options: MultinomialOptions,
): Promise<Int32Array> {
  return drawsOf(withBackend(on(), () => multinomial(tensor(Float32Array.from(logits), shape), numSamples, options)));
}

function softmaxRow(logits: ArrayLike<number>, row: number, classes: number, temperature: number): number[] {
  const scaled = Array.from({ length: classes }, (_, k) => logits[row * classes + k] / temperature);
  const top = Math.max(...scaled);
  const weights = scaled.map((z) => Math.exp(z - top));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Pearson's chi-square of the counts of one row's draws against probabilities p. */
function chiSquare(draws: Int32Array, row: number, numSamples: number, p: readonly number[]): number {
  const counts = new Array<number>(p.length).fill(0);
  for (let s = 0; s < numSamples; s++) counts[draws[row * numSamples + s]]++;
  return counts.reduce((chi, observed, k) => chi + (observed - numSamples * p[k]) ** 2 / (numSamples * p[k]), 0);
}

describe('multinomial: categorical draws from logits on the device', () => {
  // Draws differ between backends only where u·Σw falls within exp's last-bit differences of a class
  // boundary (about 1e-7 of the mass per class per draw): well under one in these sizes, seeds fixed.
  const cases: { shape: [number, number]; numSamples: number; temperature: number }[] = [
    { shape: [1, 1], numSamples: 5, temperature: 1 },
    { shape: [37, 11], numSamples: 53, temperature: 0.7 },
    { shape: [3, 97], numSamples: 300, temperature: 1.5 },
    { shape: [2, 5], numSamples: 70, temperature: 0.05 },
  ];
  for (const { shape, numSamples, temperature } of cases) {
    const what = `logits [${shape}], ${numSamples} samples, temperature ${temperature}`;
    it(`draws the same classes on the GPU as the CPU reference: ${what}`, async () => {
      const logits = Float32Array.from(randomValues(shape[0] * shape[1], 'any', 17), (v) => 3 * v);
      const options = { seed: 12345, stream: 2, temperature };
      const expected = categoricalValues(logits, shape[0], shape[1], numSamples, temperature, 12345, 2);
      const onCpu = await draw(cpu, logits, shape, numSamples, options);
      const onGpu = await draw(gpu, logits, shape, numSamples, options);
      expect(Array.from(onCpu), 'cpu op vs categoricalValues').to.deep.equal(Array.from(expected));
      const differing = Array.from(onGpu).flatMap((c, i) =>
        c === expected[i] ? [] : [`${i}: ${c} vs ${expected[i]}`],
      );
      expect(differing, 'gpu draws that differ from the CPU reference').to.deep.equal([]);
      expect(Math.min(...onGpu)).to.be.at.least(0);
      expect(Math.max(...onGpu)).to.be.below(shape[1]);
    });
  }

  it('gives [batch, numSamples] int32 on either backend', () => {
    for (const on of [cpu, gpu]) {
      const t = withBackend(on(), () => multinomial(tensor([0, 1, 2, 3, 4, 5], [2, 3]), 4, { seed: 1 }));
      expect(t.shape).to.deep.equal([2, 4]);
      expect(t.dtype).to.equal('int32');
      t.dispose();
    }
  });

  it('picks class 0 when u < p0 and class 1 otherwise for p = (1/4, 3/4), u from the Philox block of each draw', async () => {
    // logits (0, ln 3): softmax (1/4, 3/4); row 1 repeats row 0 so its draws use blocks numSamples..2·numSamples−1
    const numSamples = 400;
    const logits = [0, Math.log(3), 0, Math.log(3)];
    const u = uniformValues(2 * numSamples, 99, 0, 1, 4);
    const expected = Array.from(u, (value) => (value < 0.25 ? 0 : 1));
    const onCpu = await draw(cpu, logits, [2, 2], numSamples, { seed: 99, stream: 4 });
    expect(Array.from(onCpu)).to.deep.equal(expected);
    expect(expected.filter((c) => c === 0).length).to.be.within(150, 250); // a quarter of 800, give or take
  });

  it('matches softmax(logits / temperature) in frequency over 200,000 draws a row (chi-square, 9 degrees of freedom)', async () => {
    const classes = 10;
    const numSamples = 200_000;
    const logits = Float32Array.from(randomValues(3 * classes, 'any', 5), (v) => 2 * v);
    for (const temperature of [0.5, 1, 2]) {
      const draws = await draw(gpu, logits, [3, classes], numSamples, { seed: 7, temperature });
      for (let row = 0; row < 3; row++) {
        const p = softmaxRow(logits, row, classes, temperature);
        // P(χ²₉ > 33.7) = 1e-4: a correct sampler passes this for all but 1 seed in 10,000
        expect(chiSquare(draws, row, numSamples, p), `row ${row}, temperature ${temperature}`).to.be.below(33.7);
        if (temperature !== 1) {
          // the bound has the power to see a sampler that ignored the temperature
          const untempered = softmaxRow(logits, row, classes, 1);
          expect(chiSquare(draws, row, numSamples, untempered), `row ${row} vs temperature 1`).to.be.above(1000);
        }
      }
    }
  });

  it('draws the argmax at a tiny temperature and keeps zero-probability classes out', async () => {
    const logits = [0.3, 2.5, -1, 2.4, -Infinity, 1, 0, -Infinity];
    const sharp = await draw(gpu, logits, [2, 4], 200, { seed: 3, temperature: 0.001 });
    expect(sharp.slice(0, 200).every((c) => c === 1)).to.equal(true);
    expect(sharp.slice(200).every((c) => c === 1)).to.equal(true);
    const plain = await draw(gpu, logits, [2, 4], 2000, { seed: 3 });
    expect(new Set(plain.slice(0, 2000))).to.deep.equal(new Set([0, 1, 2, 3]));
    expect(new Set(plain.slice(2000))).to.deep.equal(new Set([1, 2])); // never the −∞ classes
  });

  it('gives the same draws for the same seed and stream, and others for another seed or stream', async () => {
    const logits = Float32Array.from(randomValues(20, 'any', 2));
    const a = await draw(gpu, logits, [2, 10], 500, { seed: 10 });
    const again = await draw(gpu, logits, [2, 10], 500, { seed: 10 });
    const otherSeed = await draw(gpu, logits, [2, 10], 500, { seed: 11 });
    const otherStream = await draw(gpu, logits, [2, 10], 500, { seed: 10, stream: 1 });
    expect(Array.from(again)).to.deep.equal(Array.from(a));
    const same = (x: Int32Array) => x.filter((c, i) => c === a[i]).length;
    expect(same(otherSeed)).to.be.below(400);
    expect(same(otherStream)).to.be.below(400);
  });

  it('rejects bad logits, sample counts and temperatures, naming the op and the shapes', () => {
    const row = tensor([1, 2, 3], [3]);
    const logits = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => multinomial(row, 1)).to.throw(
      'multinomial: logits must be [batch, classes] with at least one class, got shape [3]',
    );
    expect(() => multinomial(tensor([1, 2, 3, 4], [1, 2, 2]), 1)).to.throw(
      'multinomial: logits must be [batch, classes] with at least one class, got shape [1,2,2]',
    );
    expect(() => multinomial(tensor([], [2, 0]), 1)).to.throw(
      'multinomial: logits must be [batch, classes] with at least one class, got shape [2,0]',
    );
    expect(() => multinomial(tensor([1, 2], [1, 2], 'int32'), 1)).to.throw(/multinomial.*int32/);
    for (const numSamples of [0, -1, 1.5, NaN]) {
      expect(() => multinomial(logits, numSamples)).to.throw(
        `multinomial: numSamples must be a positive integer, got ${numSamples} (logits of shape [2,3])`,
      );
    }
    for (const temperature of [0, -0.5, NaN, Infinity, 1e-40]) {
      expect(() => multinomial(logits, 1, { seed: 1, temperature })).to.throw(
        `multinomial: temperature must be a positive finite number above 2^-128, got ${temperature} (logits of shape [2,3])`,
      );
    }
    expect(() => multinomial(logits, 1, { seed: -1 })).to.throw(
      'multinomial: seed -1 must be a non-negative safe integer',
    );
    expect(() => multinomial(logits, 2 ** 31 + 1, { seed: 1 })).to.throw(
      `multinomial: 2 rows × ${2 ** 31 + 1} samples exceed the 2^32 draws of one stream`,
    );
  });
});

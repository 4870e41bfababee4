// Random numbers on the device: the WebGPU kernel against the CPU reference (rng.ts) — uniform and
// bernoulli bit for bit, normal within float32 transcendental error — for awkward and large sizes;
// seeds and streams; sample moments against the distributions; bad arguments.
import { expect } from 'chai';
import {
  bernoulli,
  bernoulliValues,
  normalValues,
  randomNormal,
  randomUniform,
  uniformValues,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import { cpu, expectClose, gpu } from '../helpers.js';

const SIZES = [1, 7, 1031, 1 << 20];

async function valuesOf(t: Tensor): Promise<Float32Array> {
  const data = await t.data();
  t.dispose();
  return data as Float32Array;
}
const onGpu = (make: () => Tensor) => valuesOf(withBackend(gpu(), make));
const onCpu = (make: () => Tensor) => valuesOf(withBackend(cpu(), make));

function expectBitIdentical(actual: Float32Array, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  const reference = Float32Array.from(expected);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], reference[i])) {
      expect.fail(`${what}: element ${i} is ${actual[i]}, expected exactly ${reference[i]}`);
    }
  }
}

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0,
    s2 = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i];
    s2 += values[i] * values[i];
  }
  const mean = s / values.length;
  return { mean, variance: s2 / values.length - mean * mean };
}

describe('random on the device (Philox4x32-10)', () => {
  for (const n of SIZES) {
    it(`uniform [0, 1) and [-1, 1) of ${n} match the CPU reference bit for bit`, async () => {
      expectBitIdentical(
        await onGpu(() => randomUniform([n], 0, 1, { seed: 42 })),
        uniformValues(n, 42),
        'uniform [0,1)',
      );
      expectBitIdentical(
        await onGpu(() => randomUniform([n], -1, 1, { seed: 7, stream: 3 })),
        uniformValues(n, 7, -1, 1, 3),
        'uniform [-1,1)',
      );
    });

    it(`bernoulli(0.3) of ${n} matches the CPU reference bit for bit`, async () => {
      expectBitIdentical(
        await onGpu(() => bernoulli([n], 0.3, { seed: 5 })),
        bernoulliValues(n, 5, Math.fround(0.3)),
        'bernoulli',
      );
    });

    it(`normal of ${n} matches the CPU reference within float32 error`, async () => {
      const device = await onGpu(() => randomNormal([n], 0, 1, { seed: 11 }));
      expectClose(device, normalValues(n, 11), { rtol: 1e-5, atol: 1e-6 }, 'normal');
    });
  }

  it('runs through the op on either backend with the same values (shape, mean/std, stream)', async () => {
    const make = () => randomNormal([3, 5, 7], 2, 0.5, { seed: 9, stream: 2 });
    const reference = await onCpu(make);
    expectClose(reference, Float32Array.from(normalValues(105, 9, 2, 0.5, 2)), { rtol: 0, atol: 0 }, 'cpu op');
    expectClose(await onGpu(make), reference, { rtol: 1e-5, atol: 1e-6 }, 'gpu op');
    const t = withBackend(gpu(), make);
    expect(t.shape).to.deep.equal([3, 5, 7]);
    expect(t.dtype).to.equal('float32');
    t.dispose();
  });

  it('gives the same values for the same seed and different ones for another seed or stream', async () => {
    const a = await onGpu(() => randomUniform([1000], 0, 1, { seed: 123 }));
    const again = await onGpu(() => randomUniform([1000], 0, 1, { seed: 123 }));
    const otherSeed = await onGpu(() => randomUniform([1000], 0, 1, { seed: 124 }));
    const otherStream = await onGpu(() => randomUniform([1000], 0, 1, { seed: 123, stream: 1 }));
    expect(Array.from(again)).to.deep.equal(Array.from(a));
    const same = (x: Float32Array) => x.filter((v, i) => v === a[i]).length;
    expect(same(otherSeed)).to.be.below(5);
    expect(same(otherStream)).to.be.below(5);
    // Seeds above 2^32 use the key's high word.
    const big = await onGpu(() => randomUniform([1000], 0, 1, { seed: 2 ** 32 + 123 }));
    expect(same(big)).to.be.below(5);
    expectBitIdentical(big, uniformValues(1000, 2 ** 32 + 123), 'seed 2^32 + 123');
  });

  it('has the moments of its distributions over 1M samples', async () => {
    const n = 1 << 20;
    const uniform = moments(await onGpu(() => randomUniform([n], -2, 4, { seed: 1 })));
    expect(uniform.mean).to.be.closeTo(1, 0.01); // (low + high) / 2
    expect(uniform.variance).to.be.closeTo(3, 0.02); // (high − low)² / 12
    const normal = moments(await onGpu(() => randomNormal([n], 0, 1, { seed: 2 })));
    expect(Math.abs(normal.mean)).to.be.below(0.01);
    expect(normal.variance).to.be.closeTo(1, 0.01);
    const shifted = moments(await onGpu(() => randomNormal([n], -3, 2, { seed: 3 })));
    expect(shifted.mean).to.be.closeTo(-3, 0.02);
    expect(shifted.variance).to.be.closeTo(4, 0.04);
    const mask = await onGpu(() => bernoulli([n], 0.25, { seed: 4 }));
    expect(mask.every((v) => v === 0 || v === 1)).to.equal(true);
    expect(moments(mask).mean).to.be.closeTo(0.25, 0.005);
  });

  it('keeps 0 where the drawn u equals p exactly (1 iff u < p), on either backend', async () => {
    // uniform [0, 1) with the same seed is the bernoulli draw u itself (multiples of 2⁻²⁴, exact in
    // float32), so p can be set to one of them: a tie that a ≤ test would turn into 1
    const n = 64;
    const draws = uniformValues(n, 8);
    const tied = 5;
    const p = draws[tied];
    const expected = Array.from(draws, (u) => (u < p ? 1 : 0));
    expect(expected[tied]).to.equal(0);
    expectBitIdentical(await onGpu(() => bernoulli([n], p, { seed: 8 })), expected, 'gpu bernoulli at a tie');
    expectBitIdentical(await onCpu(() => bernoulli([n], p, { seed: 8 })), expected, 'cpu bernoulli at a tie');
  });

  it('gives all zeros for p = 0 and all ones for p = 1', async () => {
    expect((await onGpu(() => bernoulli([1000], 0, { seed: 1 }))).every((v) => v === 0)).to.equal(true);
    expect((await onGpu(() => bernoulli([1000], 1, { seed: 1 }))).every((v) => v === 1)).to.equal(true);
  });

  it('defaults to seed 0, stream 0, [0, 1) and the standard normal', async () => {
    expectBitIdentical(await onCpu(() => randomUniform([5])), uniformValues(5, 0), 'randomUniform defaults');
    expectBitIdentical(await onCpu(() => randomNormal([5])), normalValues(5, 0), 'randomNormal defaults');
    expectBitIdentical(await onCpu(() => bernoulli([5], 0.5)), bernoulliValues(5, 0, 0.5), 'bernoulli defaults');
  });

  it('accepts the edges of the seed, stream and probability ranges and rejects just past them', async () => {
    expectBitIdentical(await onCpu(() => randomUniform([5], 0, 1, { seed: 0 })), uniformValues(5, 0), 'seed 0');
    const lastStream = 2 ** 32 - 1;
    expectBitIdentical(
      await onCpu(() => randomUniform([5], 0, 1, { seed: 3, stream: lastStream })),
      uniformValues(5, 3, 0, 1, lastStream),
      'stream 2^32 − 1',
    );
    expectBitIdentical(
      await onCpu(() => randomNormal([3], 0, 1, { seed: Number.MAX_SAFE_INTEGER })),
      normalValues(3, Number.MAX_SAFE_INTEGER),
      'the largest safe seed',
    );
    expect(() => randomUniform([2], 0, 1, { seed: 2 ** 53 })).to.throw(
      `randomUniform: seed ${2 ** 53} must be a non-negative safe integer`,
    );
    expect(() => randomUniform([2], 0, 1, { seed: 1, stream: 2 ** 32 })).to.throw(
      `randomUniform: stream ${2 ** 32} must be an integer in [0, 2^32)`,
    );
    expect(() => bernoulli([2], 0.5, { seed: 1, stream: 0.5 })).to.throw(
      'bernoulli: stream 0.5 must be an integer in [0, 2^32)',
    );
    expect(() => bernoulli([2], -0.25, { seed: 1 })).to.throw('bernoulli: probability -0.25 must be in [0, 1]');
    expect(() => bernoulli([2], NaN, { seed: 1 })).to.throw('bernoulli: probability NaN must be in [0, 1]');
    expect(() => randomUniform([1.5], 0, 1, { seed: 1 })).to.throw(
      'randomUniform: shape [1.5] must hold non-negative integers',
    );
  });

  it('rejects bad seeds, streams and probabilities by name', () => {
    expect(() => randomUniform([2], 0, 1, { seed: -1 })).to.throw(
      'randomUniform: seed -1 must be a non-negative safe integer',
    );
    expect(() => randomNormal([2], 0, 1, { seed: 1.5 })).to.throw(
      'randomNormal: seed 1.5 must be a non-negative safe integer',
    );
    expect(() => randomNormal([2], 0, 1, { seed: 1, stream: -2 })).to.throw(
      'randomNormal: stream -2 must be an integer in [0, 2^32)',
    );
    expect(() => bernoulli([2], 1.5, { seed: 1 })).to.throw('bernoulli: probability 1.5 must be in [0, 1]');
    expect(() => bernoulli([2, -1], 0.5, { seed: 1 })).to.throw(
      'bernoulli: shape [2,-1] must hold non-negative integers',
    );
  });
});

// The noise layers: identity at inference; in training the noise drawn on the device from the step's
// seed and the layer's stream (the same numbers as core's randomNormal under that seed, on the CPU
// reference and WebGPU), with the stated spread; a functional model with them fits and round-trips
// through save/load; bad options are refused by name.
import { expect } from 'chai';
import { mean, randomNormal, square, sub, tensor, withBackend } from '@webgrad/core';
import { dense, gaussianNoise, input, model } from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose, randomValues, useBackend } from '../helpers.js';
import { fitsAndRoundTrips } from './roundtrip.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

for (const name of BACKENDS) {
  describe(`noise layers on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('gaussianNoise is the identity at inference and adds randomNormal(0, stddev) of the step seed in training', async () => {
      const values = Float32Array.from(randomValues(4 * 5, 'any', 2));
      const layer = gaussianNoise({ stddev: 0.3, seed: 4 });
      const x = run(() => tensor(values, [4, 5]));
      expect(Array.from(await run(() => layer.apply(x)).data())).to.deep.equal(Array.from(values));
      const noisy = await run(() => sub(layer.apply(x, { training: true, seed: 10 }), x)).data();
      const drawn = await run(() => randomNormal([4, 5], 0, 0.3, { seed: 14, stream: 0 })).data();
      expectClose(noisy, drawn, { rtol: 1e-5, atol: 1e-6 }, 'the added noise');
      const other = await run(() => sub(layer.apply(x, { training: true, seed: 11 }), x)).data();
      expect(Array.from(other)).to.not.deep.equal(Array.from(noisy));
    });

    it('gaussianNoise has mean 0 and the stated standard deviation over 40,000 draws', async () => {
      const x = run(() => tensor(new Float32Array(40_000).fill(1.5), [200, 200]));
      const noise = run(() => sub(gaussianNoise({ stddev: 0.5 }).apply(x, { training: true, seed: 3 }), x));
      const [m] = await run(() => mean(noise)).data();
      const [v] = await run(() => mean(square(noise))).data();
      // the standard error of the mean is 0.5/200 = 0.0025; of the variance about 0.25·√(2/40000) ≈ 0.0018
      expect(Math.abs(m)).to.be.below(0.01);
      expect(Math.abs(v - 0.25)).to.be.below(0.008);
    });
  });
}

describe('noise layers: models, errors', () => {
  useBackend('webgpu');

  it('a functional model with gaussianNoise on its input fits a step and round-trips through save/load', async () => {
    await fitsAndRoundTrips(() => {
      const x0 = input({ shape: [6] });
      const out = dense({ units: 2 }).apply(gaussianNoise({ stddev: 0.2, seed: 1 }).apply(x0));
      return {
        net: model({ inputs: x0, outputs: out, seed: 3 }),
        x: tensor(Float32Array.from(randomValues(8 * 6, 'any', 5)), [8, 6]),
        y: tensor(Float32Array.from(randomValues(8 * 2, 'any', 6)), [8, 2]),
      };
    });
  });

  it('gaussianNoise refuses a negative stddev and a bad seed', () => {
    expect(errorOf(() => gaussianNoise({ stddev: -1 }))).to.equal(
      'gaussianNoise: stddev must be a finite number >= 0, got -1',
    );
    expect(errorOf(() => gaussianNoise({ stddev: 1, seed: 1.5 }))).to.equal(
      'gaussianNoise: seed must be a non-negative integer, got 1.5',
    );
  });
});

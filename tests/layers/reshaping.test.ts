// The reshaping layers: forward on the CPU reference and WebGPU against hand computations (and, for
// bilinear UpSampling2D, against values TF.js 4.22's resizeBilinear with half-pixel centres gives, as
// Keras 3 does), gradients by checkGradients, inside a functional model that fits and round-trips
// through save/load, and the errors for shapes and options they cannot take.
import { expect } from 'chai';
import { checkGradients, tensor, withBackend, type Tensor } from '@webgrad/core';
import { conv2d, dense, flatten, input, model, upSampling2d } from '@webgrad/layers';
import { backendOf, BACKENDS, cpu, expectClose, randomValues, useBackend } from '../helpers.js';
import { fitsAndRoundTrips } from './roundtrip.js';

// TF.js 4.22: tf.image.resizeBilinear(x, size, alignCorners=false, halfPixelCenters=true) on the CPU backend
const TFJS_2x2_TO_4x4 = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
const TFJS_3x2x2_TO_9x4 = [
  0.5, -1, 0.875, 0, 1.625, 2, 2, 3, 0.5, -1, 0.875, 0, 1.625, 2, 2, 3, 0.25, 0.6666666865348816, 0.6041666865348816, 1,
  1.3125, 1.6666666269302368, 1.6666666269302368, 2, 0, 2.3333332538604736, 0.3333333432674408, 2, 1,
  1.3333333730697632, 1.3333333730697632, 1, -0.25, 4, 0.0625, 3, 0.6875, 1, 1, 0, 0.6666666865348816, 2, 1.25,
  1.5833333730697632, 2.4166667461395264, 0.75, 3, 0.3333333432674408, 1.5833333730697632, 0, 2.4375,
  0.1666666716337204, 4.145833492279053, 0.5, 5, 0.6666666865348816, 2.5, -2, 3.625, -1.25, 5.875, 0.25, 7, 1, 2.5, -2,
  3.625, -1.25, 5.875, 0.25, 7, 1,
];

/** The error a call throws, as text. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

for (const name of BACKENDS) {
  describe(`reshaping layers forward on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('upSampling2d nearest repeats each pixel size[0] × size[1] times', async () => {
      const x = randomValues(2 * 3 * 2 * 3, 'any', 11);
      const out = await run(() =>
        upSampling2d({ size: [2, 3] }).apply(tensor(Float32Array.from(x), [2, 3, 2, 3])),
      ).data();
      // output (b, i, j, c) is input (b, ⌊i/2⌋, ⌊j/3⌋, c)
      const expected = Array.from({ length: 2 * 6 * 6 * 3 }, (_, k) => {
        const [c, j, i, b] = [k % 3, Math.floor(k / 3) % 6, Math.floor(k / 18) % 6, Math.floor(k / 108)];
        return Math.fround(x[((b * 3 + Math.floor(i / 2)) * 2 + Math.floor(j / 3)) * 3 + c]);
      });
      expect(Array.from(out)).to.deep.equal(expected);
    });

    it("upSampling2d bilinear gives TF.js's resizeBilinear (half-pixel centres) values", async () => {
      const square = await run(() =>
        upSampling2d({ interpolation: 'bilinear' }).apply(tensor([1, 2, 3, 4], [1, 2, 2, 1])),
      ).data();
      expectClose(square, TFJS_2x2_TO_4x4, { rtol: 1e-6, atol: 1e-6 }, '2x2 → 4x4');
      const image = [0.5, -1, 2, 3, -0.25, 4, 1, 0, 2.5, -2, 7, 1];
      const wide = await run(() =>
        upSampling2d({ size: [3, 2], interpolation: 'bilinear' }).apply(tensor(image, [1, 3, 2, 2])),
      ).data();
      expectClose(wide, TFJS_3x2x2_TO_9x4, { rtol: 1e-6, atol: 1e-6 }, '3x2 (2 channels) → 9x4');
    });
  });
}

describe('reshaping layers: gradients, models, errors', () => {
  useBackend('webgpu');

  it('upSampling2d passes checkGradients, nearest and bilinear, on odd sizes', async () => {
    const x = withBackend(cpu(), () => tensor(Float32Array.from(randomValues(2 * 3 * 5 * 2, 'any', 3)), [2, 3, 5, 2]));
    for (const interpolation of ['nearest', 'bilinear'] as const) {
      const layer = upSampling2d({ size: [2, 3], interpolation });
      const result = await checkGradients((t: Tensor) => layer.apply(t), [x]);
      expect(result.checks).to.equal(60);
    }
  });

  it('a conv → upSampling2d (bilinear) → dense functional model fits a step and round-trips through save/load', async () => {
    await fitsAndRoundTrips(() => {
      const image = input({ shape: [4, 4, 1] });
      const features = conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(image);
      const up = upSampling2d({ size: 2, interpolation: 'bilinear' }).apply(features);
      const near = upSampling2d({ size: [1, 2] }).apply(up);
      expect(near.shape).to.deep.equal([null, 8, 16, 2]);
      return {
        net: model({ inputs: image, outputs: dense({ units: 1 }).apply(flatten().apply(near)), seed: 5 }),
        x: tensor(Float32Array.from(randomValues(6 * 16, 'any', 9)), [6, 4, 4, 1]),
        y: tensor(Float32Array.from(randomValues(6, 'any', 10)), [6, 1]),
      };
    });
  });

  it('upSampling2d refuses a non-image input and bad options, by name', () => {
    const flat = input({ shape: [3, 4], name: 'flat' });
    expect(errorOf(() => upSampling2d({ name: 'up' }).apply(flat))).to.equal(
      "layer 'up' (UpSampling2D) applied to 'flat' [3,4]: upSampling2d: input shape must be [height, width, channels], got [3,4]",
    );
    expect(
      errorOf(() => upSampling2d({ name: 'up2' }).apply(withBackend(cpu(), () => tensor([1, 2], [1, 2])))),
    ).to.equal('upSampling2d: input shape must be [height, width, channels], got [2]');
    expect(errorOf(() => upSampling2d({ size: [0, 2] }))).to.equal(
      'upSampling2d: size must be an integer >= 1 or a pair of them, got [0,2]',
    );
    expect(errorOf(() => upSampling2d({ interpolation: 'bicubic' as 'bilinear' }))).to.equal(
      `upSampling2d: interpolation must be 'nearest' or 'bilinear', got "bicubic"`,
    );
  });
});

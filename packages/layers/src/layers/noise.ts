// Regularisation layers that act only in training: GaussianNoise (adds N(0, stddev²)), drawn on the
// device from the step's seed and the layer's stream like Dropout, so a run is reproducible and no
// two layers draw the same numbers. At inference each is the identity.
import { add, randomNormal, type Shape, type Tensor } from '@webgrad/core';
import type { BaseLayerOptions, Layer } from '../layer.js';
import { defineLayer } from '../symbolic.js';
import { stateless } from './basic.js';

export interface GaussianNoiseOptions extends BaseLayerOptions {
  /** The noise's standard deviation. */
  stddev: number;
  /** Added to the step's seed, so two layers at one position of two models can differ. */
  seed?: number;
}

/** x + N(0, stddev²) in training (a denoising autoencoder's corruption); the identity otherwise. */
export function gaussianNoise(options: GaussianNoiseOptions): Layer {
  const { stddev, seed: ownSeed = 0 } = options;
  if (!(typeof stddev === 'number' && stddev >= 0 && Number.isFinite(stddev))) {
    throw new Error(`gaussianNoise: stddev must be a finite number >= 0, got ${JSON.stringify(stddev)}`);
  }
  if (!Number.isSafeInteger(ownSeed) || ownSeed < 0) {
    throw new Error(`gaussianNoise: seed must be a non-negative integer, got ${JSON.stringify(ownSeed)}`);
  }
  return defineLayer(
    stateless('GaussianNoise', 'gaussian_noise', options, {
      computeOutputShape: (s: Shape) => s,
      call(x: Tensor, { training, seed, stream = 0 }) {
        if (!training || stddev === 0) return x;
        return add(x, randomNormal(x.shape, 0, stddev, { seed: seed + ownSeed, stream }));
      },
      getConfig: () => ({ stddev, seed: ownSeed }),
    }),
  );
}

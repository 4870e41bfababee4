// Regularisation layers. GaussianNoise (adds N(0, stddev²)) and GaussianDropout (multiplies by
// N(1, rate/(1 − rate))) act only in training, their noise drawn on the device from the step's seed and
// the layer's stream like Dropout, so a run is reproducible and no two layers draw the same numbers; at
// inference each is the identity. ActivityRegularization passes its input through and adds
// l1·Σ|x| + l2·Σx² of it to the loss (Keras 3: summed over the batch, not averaged).
import { add, mul, randomNormal, type Shape, type Tensor } from '@webgrad/core';
import type { BaseLayerOptions, Layer } from '../layer.js';
import { l1l2 } from '../regularizers.js';
import { defineLayer } from '../symbolic.js';
import { stateless } from './basic.js';

function requireSeed(op: string, seed: unknown): void {
  if (!Number.isSafeInteger(seed) || (seed as number) < 0) {
    throw new Error(`${op}: seed must be a non-negative integer, got ${JSON.stringify(seed)}`);
  }
}

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
  requireSeed('gaussianNoise', ownSeed);
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

export interface GaussianDropoutOptions extends BaseLayerOptions {
  /** The drop probability of the Bernoulli dropout it stands in for: the noise's variance is rate/(1 − rate). */
  rate: number;
  seed?: number;
}

/** x · N(1, rate/(1 − rate)) in training (Srivastava et al. 2014's Gaussian dropout); the identity otherwise. */
export function gaussianDropout(options: GaussianDropoutOptions): Layer {
  const { rate, seed: ownSeed = 0 } = options;
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new Error(`gaussianDropout: rate must be in [0, 1), got ${JSON.stringify(rate)}`);
  }
  requireSeed('gaussianDropout', ownSeed);
  const stddev = Math.sqrt(rate / (1 - rate));
  return defineLayer(
    stateless('GaussianDropout', 'gaussian_dropout', options, {
      computeOutputShape: (s: Shape) => s,
      call(x: Tensor, { training, seed, stream = 0 }) {
        if (!training || rate === 0) return x;
        return mul(x, randomNormal(x.shape, 1, stddev, { seed: seed + ownSeed, stream }));
      },
      getConfig: () => ({ rate, seed: ownSeed }),
    }),
  );
}

export interface ActivityRegularizationOptions extends BaseLayerOptions {
  /** The factor of Σ|x| (Keras: 0). */
  l1?: number;
  /** The factor of Σx² (Keras: 0). */
  l2?: number;
}

/** The identity that adds l1·Σ|x| + l2·Σx² of its input to the loss, in every call a loss is taken of. */
export function activityRegularization(options: ActivityRegularizationOptions = {}): Layer {
  const { l1 = 0, l2 = 0 } = options;
  for (const [what, v] of [
    ['l1', l1],
    ['l2', l2],
  ] as const) {
    if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) {
      throw new Error(`activityRegularization: ${what} must be a finite number >= 0, got ${JSON.stringify(v)}`);
    }
  }
  const regularizer = l1l2({ l1, l2 });
  const layer = defineLayer(
    stateless('ActivityRegularization', 'activity_regularization', options, {
      computeOutputShape: (s: Shape) => s,
      call(x: Tensor) {
        if (l1 !== 0 || l2 !== 0) layer.addLoss(regularizer.penalty(x));
        return x;
      },
      getConfig: () => ({ l1, l2 }),
    }),
  );
  return layer;
}

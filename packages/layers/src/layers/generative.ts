// The sampling layer of a variational autoencoder (Kingma & Welling 2014's reparameterisation):
// [zMean, zLogVar] → zMean + exp(zLogVar/2)·ε, ε ~ N(0, 1) drawn on the device from the step's seed and
// the layer's stream (as Dropout draws its mask), so a run is reproducible and the gradient flows into
// both inputs. Every call adds the KL divergence of N(zMean, exp(zLogVar)) from N(0, 1), averaged over
// the batch, through addLoss, so a VAE trains with plain fit and evaluate reports the same objective.
// At inference it returns zMean (the code's most likely value).
import { add, exp, mean, mul, randomNormal, square, sub, sum, type Shape, type Tensor } from '@webgrad/core';
import { uniqueName, type BaseLayerOptions, type ListLayer } from '../layer.js';
import { defineListLayer, describeLayer } from '../symbolic.js';

export interface SamplingOptions extends BaseLayerOptions {
  /** The factor of the KL term added to the loss (1: the ELBO; 1/pixels with a per-pixel mean reconstruction). */
  klWeight?: number;
  /** Added to the step's seed, so two sampling layers at one position of two models can differ. */
  seed?: number;
}

/** −½ · mean over the batch of Σ(1 + logVar − mean² − exp(logVar)): KL(N(mean, exp(logVar)) ‖ N(0, 1)) per sample. */
export function gaussianKl(zMean: Tensor, zLogVar: Tensor): Tensor {
  const terms = sub(sub(add(zLogVar, 1), square(zMean)), exp(zLogVar));
  const perSample = sum(terms, zMean.rank > 1 ? zMean.shape.slice(1).map((_, i) => i + 1) : undefined);
  return mul(mean(perSample), -0.5);
}

/** The sampling layer: [zMean, zLogVar] → a draw of z (training) or zMean (inference), adding the KL term. */
export function sampling(options: SamplingOptions = {}): ListLayer {
  const { klWeight = 1, seed: ownSeed = 0 } = options;
  if (!(typeof klWeight === 'number' && klWeight >= 0 && Number.isFinite(klWeight))) {
    throw new Error(`sampling: klWeight must be a finite number >= 0, got ${JSON.stringify(klWeight)}`);
  }
  if (!Number.isSafeInteger(ownSeed) || ownSeed < 0) {
    throw new Error(`sampling: seed must be a non-negative integer, got ${JSON.stringify(ownSeed)}`);
  }
  const computeOutputShape = (shapes: Shape[]): Shape => {
    const [meanShape, logVarShape] = shapes;
    if (shapes.length !== 2 || meanShape.join() !== logVarShape.join()) {
      throw new Error(
        `sampling takes [zMean, zLogVar] of one shape, got ${shapes.map((s) => `[${s.join(',')}]`).join(' ')}`,
      );
    }
    return [...meanShape];
  };
  const layer = defineListLayer({
    className: 'Sampling',
    name: options.name ?? uniqueName('sampling'),
    inputShape: options.inputShape,
    weights: [],
    built: true,
    build: () => {},
    computeOutputShape,
    call(xs: Tensor[], { training, seed, stream = 0 }) {
      try {
        computeOutputShape(xs.map((t) => t.shape.slice(1)));
      } catch (error) {
        throw new Error(`${describeLayer(layer)}: ${(error as Error).message}`, { cause: error });
      }
      const [zMean, zLogVar] = xs;
      if (klWeight !== 0) layer.addLoss(mul(gaussianKl(zMean, zLogVar), klWeight));
      if (!training) return zMean;
      const epsilon = randomNormal(zMean.shape, 0, 1, { seed: seed + ownSeed, stream });
      return add(zMean, mul(exp(mul(zLogVar, 0.5)), epsilon));
    },
    getConfig: () => ({ klWeight, seed: ownSeed }),
  });
  return layer;
}

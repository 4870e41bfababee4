// The adversarial losses of a GAN, from the discriminator's logits (one per sample), each a pair: the
// discriminator's loss on real and generated samples, and the generator's on generated ones. Built of
// core's differentiable ops (softplus, relu, square, mean), so they need no kernels of their own and
// run on every backend:
//   nonSaturating (Goodfellow et al. 2014, the BCE form): D: softplus(−real) + softplus(fake); G: softplus(−fake)
//   hinge (Lim & Ye 2017; SAGAN): D: relu(1 − real) + relu(1 + fake); G: −fake
//   leastSquares (Mao et al. 2017, targets 0/1): D: ½(real − 1)² + ½fake²; G: ½(fake − 1)²
//   wasserstein (Arjovsky et al. 2017): D: −real + fake; G: −fake — with gradientPenalty, WGAN-GP
// each averaged over its batch.
import {
  add,
  grad,
  mean,
  mul,
  neg,
  randomUniform,
  relu,
  reshape,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
} from '@webgrad/core';

export type GanLossName = 'nonSaturating' | 'hinge' | 'leastSquares' | 'wasserstein';

export interface GanLoss {
  readonly name: GanLossName;
  /** The discriminator's loss: real samples' logits pushed up, generated ones' down. */
  discriminator(realLogits: Tensor, fakeLogits: Tensor): Tensor;
  /** The generator's loss on the discriminator's logits of its samples. */
  generator(fakeLogits: Tensor): Tensor;
}

/** Refuses anything but one logit per sample ([batch] or [batch, 1]), naming the loss and the argument. */
function checkLogits(where: string, what: string, logits: Tensor): void {
  const perSample = logits.rank === 1 || (logits.rank === 2 && logits.shape[1] === 1);
  if (!perSample || logits.dtype !== 'float32') {
    throw new Error(
      `${where}: ${what} must be float32 logits of shape [batch] or [batch, 1], got ${logits.dtype} [${logits.shape.join(',')}]`,
    );
  }
}

function define(
  name: GanLossName,
  real: (logits: Tensor) => Tensor,
  fake: (logits: Tensor) => Tensor,
  generator: (logits: Tensor) => Tensor,
): GanLoss {
  return {
    name,
    discriminator(realLogits, fakeLogits) {
      checkLogits(`ganLoss('${name}').discriminator`, 'realLogits', realLogits);
      checkLogits(`ganLoss('${name}').discriminator`, 'fakeLogits', fakeLogits);
      return add(mean(real(realLogits)), mean(fake(fakeLogits)));
    },
    generator(fakeLogits) {
      checkLogits(`ganLoss('${name}').generator`, 'fakeLogits', fakeLogits);
      return mean(generator(fakeLogits));
    },
  };
}

const ganLosses: { [N in GanLossName]: () => GanLoss } = {
  nonSaturating: () =>
    define(
      'nonSaturating',
      (r) => softplus(neg(r)),
      (f) => softplus(f),
      (f) => softplus(neg(f)),
    ),
  hinge: () =>
    define(
      'hinge',
      (r) => relu(sub(1, r)),
      (f) => relu(add(f, 1)),
      (f) => neg(f),
    ),
  leastSquares: () =>
    define(
      'leastSquares',
      (r) => mul(square(sub(r, 1)), 0.5),
      (f) => mul(square(f), 0.5),
      (f) => mul(square(sub(f, 1)), 0.5),
    ),
  wasserstein: () =>
    define(
      'wasserstein',
      (r) => neg(r),
      (f) => f,
      (f) => neg(f),
    ),
};

/** A GAN loss by name: ganLoss('hinge').discriminator(realLogits, fakeLogits). */
export function ganLoss(name: GanLossName): GanLoss {
  const make = ganLosses[name];
  if (!make) {
    throw new Error(`ganLoss: unknown loss ${JSON.stringify(name)}; expected ${Object.keys(ganLosses).join(', ')}`);
  }
  return make();
}

export interface GradientPenaltyOptions {
  /** λ, the penalty's weight (Gulrajani et al.: 10). */
  weight?: number;
  /** Seed of the interpolation points: vary it per step. */
  seed?: number;
}

/**
 * WGAN-GP's gradient penalty, λ·mean((‖∂D(x̂)/∂x̂‖ − 1)²) at x̂ = ε·real + (1 − ε)·fake, ε ~ U(0, 1) per
 * sample (drawn on the device). A gradient of a gradient: differentiate it with respect to the
 * critic's weights inside the discriminator's step.
 */
export function gradientPenalty(
  critic: (x: Tensor) => Tensor,
  real: Tensor,
  fake: Tensor,
  { weight = 10, seed = 0 }: GradientPenaltyOptions = {},
): Tensor {
  if (real.shape.join() !== fake.shape.join()) {
    throw new Error(
      `gradientPenalty: real [${real.shape.join(',')}] and fake [${fake.shape.join(',')}] differ in shape`,
    );
  }
  const batch = real.shape[0];
  const epsilon = randomUniform([batch, ...real.shape.slice(1).map(() => 1)], 0, 1, { seed });
  const mixed = add(mul(epsilon, real), mul(sub(1, epsilon), fake));
  const [slopes] = grad((x) => sum(critic(x)))(mixed);
  const norms = sqrt(sum(square(reshape(slopes, [batch, -1])), 1));
  return mul(mean(square(sub(norms, 1))), weight);
}

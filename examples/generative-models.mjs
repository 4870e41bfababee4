// The generative labs' models and steps, shared by the labs (vae.mjs, gan.mjs), their tests and the
// bench: a dense VAE (encoder → zMean, zLogVar → sampling → decoder) with its held-out ELBO, a DCGAN's
// generator and discriminator, and one adversarial training step two ways — the custom step
// (valueAndGrad over each model's trainableWeights, then applyGradients) and Keras's route
// (trainOnBatch on the discriminator, then on a combined model with the discriminator frozen) — and
// WGAN-GP's critic (no batch norm, no dropout) with its critic and generator steps.
import {
  add,
  exp,
  fill,
  keep,
  log,
  maximum,
  minimum,
  mean,
  mul,
  neg,
  randomNormal,
  reshape as reshapeTensor,
  softplus,
  sub,
  sum,
  tidy,
  valueAndGrad,
} from '@webgrad/core';
import {
  batchNormalization,
  ganLoss,
  gradientPenalty,
  binaryCrossentropy,
  conv2d,
  conv2dTranspose,
  dense,
  dropout,
  flatten,
  gaussianKl,
  input,
  leakyReLU,
  model,
  relu,
  reshape,
  sampling,
} from '@webgrad/layers';

export const PIXELS = 784;

/**
 * The VAE of the lab: 784 → hidden (relu) → zMean, zLogVar (latent each) → sampling → hidden (relu) →
 * 784 (sigmoid). The KL term is weighted 1/784, so fit's loss (binary cross-entropy averaged over the
 * pixels, plus KL/784) is the negative ELBO per pixel. Returns the trainable VAE and, sharing its
 * layers, the encoder (digits → [zMean, zLogVar]) and the decoder (z → pixel probabilities).
 */
export function buildVae({ latent = 16, hidden = 256, seed = 1 } = {}) {
  const digits = input({ shape: [PIXELS] });
  const h = dense({ units: hidden, activation: 'relu' }).apply(digits);
  const zMean = dense({ units: latent }).apply(h);
  const zLogVar = dense({ units: latent }).apply(h);
  const z = sampling({ klWeight: 1 / PIXELS }).apply([zMean, zLogVar]);
  const decoderHidden = dense({ units: hidden, activation: 'relu' });
  const decoderOut = dense({ units: PIXELS, activation: 'sigmoid' });
  const vae = model({ inputs: digits, outputs: decoderOut.apply(decoderHidden.apply(z)), name: 'vae', seed });
  const encoder = model({ inputs: digits, outputs: [zMean, zLogVar], name: 'vae_encoder' });
  const code = input({ shape: [latent] });
  const decoder = model({ inputs: code, outputs: decoderOut.apply(decoderHidden.apply(code)), name: 'vae_decoder' });
  return { vae, encoder, decoder };
}

/**
 * The negative ELBO per digit in nats on x (binary pixels), with one draw of z per digit at a fixed
 * seed: −E[log p(x|z)] (Bernoulli cross-entropy summed over the pixels) + KL(q(z|x) ‖ N(0, 1)).
 * Resolves with its two parts and their sum.
 */
export async function negativeElbo({ encoder, decoder }, x, { seed = 12345 } = {}) {
  const [reconstruction, kl] = tidy(() => {
    const [zMean, zLogVar] = encoder.predict(x, { batchSize: 500 });
    const epsilon = randomNormal(zMean.shape, 0, 1, { seed });
    const z = add(zMean, mul(exp(mul(zLogVar, 0.5)), epsilon));
    const p = minimum(maximum(decoder.predict(z, { batchSize: 500 }), 1e-7), 1 - 1e-7);
    const logLikelihood = add(mul(x, log(p)), mul(sub(1, x), log(sub(1, p))));
    return [mul(mean(sum(logLikelihood, 1)), -1), gaussianKl(zMean, zLogVar)];
  });
  const [r] = await reconstruction.data();
  const [k] = await kl.data();
  reconstruction.dispose();
  kl.dispose();
  return { reconstruction: r, kl: k, negativeElbo: r + k };
}

/**
 * The DCGAN generator: z → dense(7·7·2w) → reshape → batchNorm → relu → conv2dTranspose(w, 4, stride 2)
 * → batchNorm → relu → conv2dTranspose(1, 4, stride 2, tanh): 28×28×1 in [−1, 1].
 */
export function buildGenerator({ latent = 64, width = 32, seed = 1 } = {}) {
  const z = input({ shape: [latent] });
  let h = dense({ units: 7 * 7 * 2 * width, useBias: false }).apply(z);
  h = reshape({ targetShape: [7, 7, 2 * width] }).apply(h);
  h = relu().apply(batchNormalization().apply(h));
  h = conv2dTranspose({ filters: width, kernelSize: 4, strides: 2, padding: 'same', useBias: false }).apply(h);
  h = relu().apply(batchNormalization().apply(h));
  const image = conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }).apply(
    h,
  );
  return model({ inputs: z, outputs: image, name: 'generator', seed });
}

/**
 * The DCGAN discriminator: 28×28×1 → conv(w, 4, stride 2) → leakyReLU(0.2) → dropout → conv(2w, 4,
 * stride 2) → leakyReLU(0.2) → dropout → flatten → dense(1): one logit per image (no sigmoid: the
 * losses take logits).
 */
export function buildDiscriminator({ width = 32, rate = 0.3, seed = 2 } = {}) {
  const image = input({ shape: [28, 28, 1] });
  let h = conv2d({ filters: width, kernelSize: 4, strides: 2, padding: 'same' }).apply(image);
  h = dropout({ rate }).apply(leakyReLU({ negativeSlope: 0.2 }).apply(h));
  h = conv2d({ filters: 2 * width, kernelSize: 4, strides: 2, padding: 'same' }).apply(h);
  h = dropout({ rate }).apply(leakyReLU({ negativeSlope: 0.2 }).apply(h));
  const logit = dense({ units: 1 }).apply(flatten().apply(h));
  return model({ inputs: image, outputs: logit, name: 'discriminator', seed });
}

/**
 * n generated digits in [0, 1] as [n, 784] from fixed codes (batch statistics, as in training), for the
 * evaluator; `seed` draws the codes (the reported figures use 4242, settings are chosen on others).
 */
export function ganSamples(generator, latent, n, seed = 4242) {
  return tidy(() => {
    const images = generator.apply(randomNormal([n, latent], 0, 1, { seed }), { training: true, seed: 0 });
    return reshapeTensor(mul(add(images, 1), 0.5), [n, PIXELS]);
  });
}

/** The batch of latent codes of a step: N(0, 1), seeded by step and role so the two updates draw apart. */
export const latentBatch = (n, latent, step, role) => randomNormal([n, latent], 0, 1, { seed: step, stream: role });

/**
 * One adversarial step, the custom way: the discriminator's update on real and generated images
 * (the generator's output held fixed), then the generator's through the discriminator, each by
 * valueAndGrad over that model's trainableWeights alone and its own optimizer. Returns both losses
 * (tensors the caller disposes).
 */
export function customGanStep({ generator, discriminator, loss, dOptimizer, gOptimizer, real, latent, step }) {
  const n = real.shape[0];
  return tidy(() => {
    const run = { training: true, seed: step };
    const fake = generator.apply(latentBatch(n, latent, step, 1), run);
    const dWeights = discriminator.trainableWeights;
    const d = valueAndGrad(() =>
      loss.discriminator(discriminator.apply(real, run), discriminator.apply(fake, { training: true, seed: step + 1 })),
    )(...dWeights);
    dOptimizer.applyGradients(dWeights, d.grads);
    const gWeights = generator.trainableWeights;
    const g = valueAndGrad(() =>
      loss.generator(
        discriminator.apply(generator.apply(latentBatch(n, latent, step, 2), run), { training: true, seed: step + 2 }),
      ),
    )(...gWeights);
    gOptimizer.applyGradients(gWeights, g.grads);
    return [keep(d.value), keep(g.value)];
  });
}

/**
 * A wall-clock budget for a lab's epochs: `stopNow()`, called at the end of each epoch, is true when one
 * more epoch as long as the last would end past `minutes` from the budget's creation (0: no budget).
 */
export function epochBudget(minutes) {
  const started = Date.now();
  let epochEnd = started;
  return {
    stopNow() {
      const now = Date.now();
      const lastEpoch = now - epochEnd;
      epochEnd = now;
      return minutes > 0 && now - started + lastEpoch > minutes * 60_000;
    },
  };
}

/**
 * Moves an averaged copy of a model toward it: w̄ ← d·w̄ + (1 − d)·w for every trainable weight
 * (Yazıcı et al. 2019 found the exponential moving average of a GAN's generator sampling better than
 * its last iterate, which circles the equilibrium). The decay ramps up as TensorFlow's
 * ExponentialMovingAverage does with num_updates, d = min(decay, (1 + step)/(10 + step)), so the
 * initial weights leave the average within the first few hundred updates of a short run.
 */
export function updateAverage(average, source, decay, step) {
  const d = Math.min(decay, (1 + step) / (10 + step));
  const from = source.trainableWeights;
  tidy(() => average.trainableWeights.forEach((w, i) => w.assign(add(mul(w, d), mul(from[i], 1 - d)))));
}

/**
 * One-sided label smoothing (Salimans et al. 2016) of the non-saturating loss: the discriminator's
 * target for real digits is 1 − s, so its loss on them is (1 − s)·softplus(−r) + s·softplus(r); fake
 * digits keep target 0 and the generator's loss is unchanged.
 */
export function smoothedLoss(base, s) {
  if (base.name !== 'nonSaturating') {
    throw new Error(`smoothedLoss: label smoothing takes the nonSaturating loss, got ${base.name}`);
  }
  return {
    name: base.name,
    discriminator: (realLogits, fakeLogits) =>
      add(mean(add(mul(softplus(neg(realLogits)), 1 - s), mul(softplus(realLogits), s))), mean(softplus(fakeLogits))),
    generator: (fakeLogits) => base.generator(fakeLogits),
  };
}

/**
 * The other route (Keras's classic one), for the non-saturating loss: the discriminator compiled on its
 * own with BCE from logits; a combined model z → generator → discriminator compiled with the
 * discriminator frozen (trainable = false), so its trainOnBatch against "real" labels moves the
 * generator alone. Here trainable is read at every step, not at compile, so the flag is set before
 * each call rather than between two compiles. The discriminator takes real and generated images in two
 * calls (two optimizer steps a round, where the custom step takes one on the sum of both losses).
 */
export function trainOnBatchGan({ generator, discriminator, dOptimizer, gOptimizer }) {
  const bce = binaryCrossentropy({ fromLogits: true });
  discriminator.compile({ optimizer: dOptimizer, loss: bce });
  const z = input({ shape: generator.inputs[0].sampleShape });
  const combined = model({ inputs: z, outputs: discriminator.apply(generator.apply(z)), name: 'combined' });
  combined.compile({ optimizer: gOptimizer, loss: bce });
  const latent = generator.inputs[0].sampleShape[0];
  return async function step(real, stepIndex) {
    const n = real.shape[0];
    const fake = tidy(() => generator.apply(latentBatch(n, latent, stepIndex, 1), { training: true, seed: stepIndex }));
    const ones = fill([n, 1], 1);
    const zeros = fill([n, 1], 0);
    discriminator.trainable = true;
    const dReal = await discriminator.trainOnBatch(real, ones);
    const dFake = await discriminator.trainOnBatch(fake, zeros);
    discriminator.trainable = false;
    const codes = latentBatch(n, latent, stepIndex, 2);
    const g = await combined.trainOnBatch(codes, ones);
    discriminator.trainable = true;
    [fake, ones, zeros, codes].forEach((t) => t.dispose());
    return { dLoss: dReal.loss + dFake.loss, gLoss: g.loss };
  };
}

/**
 * WGAN-GP's critic (Gulrajani et al. 2017): the discriminator's convolutions without dropout or batch
 * norm — the penalty constrains the gradient per input, which batch statistics would couple across
 * the batch: 28×28×1 → conv(w, 4, /2) → leakyReLU(0.2) → conv(2w, 4, /2) → leakyReLU(0.2) → dense(1).
 */
export function buildCritic({ width = 32, seed = 2 } = {}) {
  const image = input({ shape: [28, 28, 1] });
  let h = conv2d({ filters: width, kernelSize: 4, strides: 2, padding: 'same' }).apply(image);
  h = leakyReLU({ negativeSlope: 0.2 }).apply(h);
  h = conv2d({ filters: 2 * width, kernelSize: 4, strides: 2, padding: 'same' }).apply(h);
  h = leakyReLU({ negativeSlope: 0.2 }).apply(h);
  const score = dense({ units: 1 }).apply(flatten().apply(h));
  return model({ inputs: image, outputs: score, name: 'critic', seed });
}

const wasserstein = ganLoss('wasserstein');

/**
 * One critic update of WGAN-GP: loss mean(D(fake)) − mean(D(real)) + λ·penalty at random interpolates,
 * differentiated over the critic's weights (the penalty is a gradient, so this is a gradient of a
 * gradient). Returns [the Wasserstein estimate mean(D(real)) − mean(D(fake)), the penalty], tensors
 * the caller disposes.
 */
export function wganGpCriticStep({ generator, critic, optimizer, real, latent, step, penaltyWeight = 10 }) {
  const n = real.shape[0];
  return tidy(() => {
    const fake = generator.apply(latentBatch(n, latent, step, 1), { training: true, seed: step });
    const weights = critic.trainableWeights;
    let estimate, penalty;
    const { grads } = valueAndGrad(() => {
      const criticLoss = wasserstein.discriminator(critic.apply(real), critic.apply(fake));
      penalty = keep(gradientPenalty((x) => critic.apply(x), real, fake, { weight: penaltyWeight, seed: step }));
      estimate = keep(mul(criticLoss, -1));
      return add(criticLoss, penalty);
    })(...weights);
    optimizer.applyGradients(weights, grads);
    return [estimate, penalty];
  });
}

/** One generator update of WGAN-GP: −mean(D(G(z))) over the generator's weights. Returns the loss. */
export function wganGpGeneratorStep({ generator, critic, optimizer, n, latent, step }) {
  return tidy(() => {
    const weights = generator.trainableWeights;
    const g = valueAndGrad(() =>
      wasserstein.generator(
        critic.apply(generator.apply(latentBatch(n, latent, step, 2), { training: true, seed: step })),
      ),
    )(...weights);
    optimizer.applyGradients(weights, g.grads);
    return keep(g.value);
  });
}

// The two ways the DCGAN lab trains (examples/generative-models.mjs) are the same algorithm: Keras's
// route — trainOnBatch on the discriminator for real then generated images, then on a combined model
// with the discriminator frozen — must move the weights exactly as the same three updates written out
// with valueAndGrad over each model's trainable weights. Ten steps from one seed on each backend;
// dropout off, so no random draw can tell the routes apart.
import { expect } from 'chai';
import { fill, mean, randomNormal, randomUniform, tidy, valueAndGrad, type Tensor } from '@webgrad/core';
import { adam, binaryCrossentropy, input } from '@webgrad/layers';
import { buildDiscriminator, buildGenerator, latentBatch, trainOnBatchGan } from '../../examples/generative-models.mjs';
import { BACKENDS, useBackend } from '../helpers.js';

const LATENT = 6;
const BATCH = 8;
const STEPS = 10;

const pair = () => ({
  generator: buildGenerator({ latent: LATENT, width: 2, seed: 5 }),
  discriminator: buildDiscriminator({ width: 2, rate: 0, seed: 6 }),
});
const realBatch = (step: number) => randomUniform([BATCH, 28, 28, 1], -1, 1, { seed: 100 + step });

for (const name of BACKENDS) {
  describe(`DCGAN: trainOnBatch with a frozen discriminator equals the written-out custom step (${name})`, function () {
    this.timeout(300_000);
    useBackend(name);

    it(`gives the same weights, moving statistics included, over ${STEPS} steps from one seed`, async () => {
      const keras = pair();
      const kerasStep = trainOnBatchGan({
        ...keras,
        dOptimizer: adam({ learningRate: 0.002 }),
        gOptimizer: adam({ learningRate: 0.002 }),
      });
      const custom = pair();
      const dOptimizer = adam({ learningRate: 0.002 });
      const gOptimizer = adam({ learningRate: 0.002 });
      const bce = binaryCrossentropy({ fromLogits: true });
      const lossOf = (logits: Tensor, label: number) => mean(bce.compute(fill([BATCH, 1], label), logits));
      const { generator, discriminator } = custom;
      for (let step = 0; step < STEPS; step++) {
        const real = realBatch(step);
        await kerasStep(real, step);
        tidy(() => {
          const fake = generator.apply(latentBatch(BATCH, LATENT, step, 1), { training: true, seed: step });
          const dWeights = discriminator.trainableWeights;
          for (const [images, label] of [
            [real, 1],
            [fake, 0],
          ] as const) {
            const d = valueAndGrad(() => lossOf(discriminator.apply(images, { training: true }), label))(...dWeights);
            dOptimizer.applyGradients(dWeights, d.grads);
          }
          const codes = latentBatch(BATCH, LATENT, step, 2);
          const gWeights = generator.trainableWeights;
          const g = valueAndGrad(() =>
            lossOf(discriminator.apply(generator.apply(codes, { training: true }), { training: true }), 1),
          )(...gWeights);
          gOptimizer.applyGradients(gWeights, g.grads);
        });
        real.dispose();
      }
      const weightsOf = (p: ReturnType<typeof pair>) => [...p.generator.weights, ...p.discriminator.weights];
      const expected = weightsOf(custom);
      const got = weightsOf(keras);
      const kind = (w: { name: string }) => w.name.replace(/_\d+\//, '/'); // layer names carry a global counter
      expect(got.map(kind)).to.deep.equal(expected.map(kind));
      let moved = 0;
      for (let i = 0; i < got.length; i++) {
        const [a, b] = [await got[i].data(), await expected[i].data()];
        const worst = Array.from(a).reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0);
        expect(worst, `${got[i].name}: max |trainOnBatch − custom|`).to.be.below(1e-5);
        moved += got[i].trainable ? 1 : 0;
      }
      expect(moved, 'trainable weights compared').to.be.greaterThan(6);
    });
  });
}

describe('DCGAN: a latent of the wrong size is refused, naming the generator and both sizes', () => {
  it('in predict, trainOnBatch, apply and when wiring a combined model', async () => {
    const generator = buildGenerator({ latent: LATENT, width: 2, seed: 5 });
    const codes = randomNormal([4, LATENT - 1]);
    const errorOf = async (run: () => unknown) => {
      try {
        await run();
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(await errorOf(() => generator.predict(codes))).to.equal(
      `predict: input of shape [4,${LATENT - 1}] does not match the input shape (None, ${LATENT}) of model 'generator'; ` +
        `expected [batch, ${LATENT}]`,
    );
    generator.compile({ optimizer: adam(), loss: 'meanSquaredError' });
    expect(await errorOf(() => generator.trainOnBatch(codes, randomNormal([4, 28, 28, 1])))).to.match(
      /^trainOnBatch: input of shape \[4,5\] does not match the input shape \(None, 6\) of model 'generator'/,
    );
    expect(await errorOf(() => generator.apply(codes))).to.equal(
      `apply: model 'generator' takes inputs (None, ${LATENT}), got (None, ${LATENT - 1})`,
    );
    expect(await errorOf(() => generator.apply(input({ shape: [LATENT - 1], name: 'short_code' })))).to.equal(
      `layer 'generator' (Model) applied to 'short_code' [${LATENT - 1}]: model 'generator' takes inputs ` +
        `(None, ${LATENT}), got (None, ${LATENT - 1})`,
    );
    codes.dispose();
  });
});

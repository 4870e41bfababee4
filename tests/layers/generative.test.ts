// The generative pieces. The sampling layer: zMean at inference; in training zMean + exp(zLogVar/2)·ε
// with ε the very numbers core's randomNormal draws under the step's seed and the layer's stream, with
// the stated mean and variance over 40,000 draws; its KL term against a float64 hand computation,
// added to the loss of fit, evaluate and computeLoss (a VAE at near-zero variance against the hand
// value of reconstruction + weighted KL). The GAN losses' values and gradients against their closed
// forms. On the GPU: a Sampling model round-trips through save/load, a tiny DCGAN's custom step lowers
// its discriminator's loss on a fixed batch, a frozen discriminator stays bit-identical through the
// combined model's trainOnBatch, and the two labs run at a tiny size and write their PNGs.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mean, randomNormal, square, sub, tensor, valueAndGrad, withBackend, type Tensor } from '@webgrad/core';
import {
  adam,
  binaryCrossentropy,
  dense,
  ganLoss,
  gaussianKl,
  input,
  model,
  sampling,
  sgd,
  type GanLossName,
} from '@webgrad/layers';
import { buildDiscriminator, buildGenerator, customGanStep, latentBatch } from '../../examples/generative-models.mjs';
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

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/** KL(N(m, exp(lv)) ‖ N(0, 1)) summed over the row, averaged over `rows`, in float64. */
function handKl(m: ArrayLike<number>, lv: ArrayLike<number>, rows: number): number {
  let total = 0;
  for (let i = 0; i < m.length; i++) total += -0.5 * (1 + lv[i] - m[i] * m[i] - Math.exp(lv[i]));
  return total / rows;
}

/** Each loss's per-sample terms and their derivatives: D on real, D on fake, G on fake. */
const closedForms: {
  [N in GanLossName]: { [K in 'real' | 'fake' | 'gen']: [(v: number) => number, (v: number) => number] };
} = {
  nonSaturating: {
    real: [(r) => softplus(-r), (r) => -sigmoid(-r)],
    fake: [(f) => softplus(f), (f) => sigmoid(f)],
    gen: [(f) => softplus(-f), (f) => -sigmoid(-f)],
  },
  hinge: {
    real: [(r) => Math.max(0, 1 - r), (r) => (r < 1 ? -1 : 0)],
    fake: [(f) => Math.max(0, 1 + f), (f) => (f > -1 ? 1 : 0)],
    gen: [(f) => -f, () => -1],
  },
  leastSquares: {
    real: [(r) => 0.5 * (r - 1) ** 2, (r) => r - 1],
    fake: [(f) => 0.5 * f * f, (f) => f],
    gen: [(f) => 0.5 * (f - 1) ** 2, (f) => f - 1],
  },
  wasserstein: {
    real: [(r) => -r, () => -1],
    fake: [(f) => f, () => 1],
    gen: [(f) => -f, () => -1],
  },
};

for (const name of BACKENDS) {
  describe(`generative pieces on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);

    it('sampling gives zMean at inference and zMean + exp(zLogVar/2)·randomNormal(step seed, stream) in training', async () => {
      const m = Float32Array.from(randomValues(3 * 4, 'any', 1));
      const lv = Float32Array.from(randomValues(3 * 4, 'any', 2));
      const layer = sampling({ seed: 5 });
      const [zMean, zLogVar] = run(() => [tensor(m, [3, 4]), tensor(lv, [3, 4])]);
      expect(Array.from(await run(() => layer.apply([zMean, zLogVar])).data())).to.deep.equal(Array.from(m));
      const z = await run(() => layer.apply([zMean, zLogVar], { training: true, seed: 10 })).data();
      const epsilon = await run(() => randomNormal([3, 4], 0, 1, { seed: 15, stream: 0 })).data();
      const expected = Array.from(m, (v, i) => v + Math.exp(lv[i] / 2) * epsilon[i]);
      expectClose(z, expected, { rtol: 1e-5, atol: 1e-6 }, 'the drawn z');
      const other = await run(() => layer.apply([zMean, zLogVar], { training: true, seed: 11 })).data();
      expect(Array.from(other)).to.not.deep.equal(Array.from(z));
    });

    it('sampling has mean zMean and variance exp(zLogVar) over 40,000 draws', async () => {
      const zMean = run(() => tensor(new Float32Array(40_000).fill(0.7), [200, 200]));
      const zLogVar = run(() => tensor(new Float32Array(40_000).fill(Math.log(0.25)), [200, 200]));
      const z = run(() => sampling().apply([zMean, zLogVar], { training: true, seed: 3 }));
      const [m] = await run(() => mean(z)).data();
      const [v] = await run(() => mean(square(sub(z, 0.7)))).data();
      // standard errors: 0.5/200 = 0.0025 for the mean, 0.25·√(2/40000) ≈ 0.0018 for the variance
      expect(Math.abs(m - 0.7)).to.be.below(0.01);
      expect(Math.abs(v - 0.25)).to.be.below(0.008);
    });

    it('gaussianKl and the loss sampling adds (klWeight) match a float64 hand computation', async () => {
      const m = Float32Array.from(randomValues(5 * 3, 'any', 3));
      const lv = Float32Array.from(randomValues(5 * 3, 'any', 4));
      const expected = handKl(m, lv, 5);
      const [kl] = await run(() => gaussianKl(tensor(m, [5, 3]), tensor(lv, [5, 3]))).data();
      expectClose([kl], [expected], { rtol: 1e-5, atol: 1e-6 }, 'gaussianKl');
      // a model whose output is the sampling layer's: at inference its output is zMean, so an MSE against
      // zMean is 0 and the loss is the added klWeight·KL alone
      const meanIn = input({ shape: [3] });
      const logVarIn = input({ shape: [3] });
      const net = model({ inputs: [meanIn, logVarIn], outputs: sampling({ klWeight: 0.3 }).apply([meanIn, logVarIn]) });
      const [loss] = await run(() => {
        net.compile({ optimizer: sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
        const zMean = tensor(m, [5, 3]);
        return net.computeLoss([zMean, tensor(lv, [5, 3])], zMean, { training: false });
      }).data();
      expectClose([loss], [0.3 * expected], { rtol: 1e-5, atol: 1e-6 }, 'the added loss');
    });

    it("a VAE's fit, evaluate and computeLoss count the KL term (near-zero variance: hand reconstruction + KL)", async () => {
      const n = 6,
        features = 4,
        latent = 2;
      const x = Float32Array.from(randomValues(n * features, 'positive', 5), (v) => (v > 0.5 ? 1 : 0));
      const w1 = Float32Array.from(randomValues(features * latent, 'any', 6));
      const b1 = Float32Array.from(randomValues(latent, 'any', 7));
      const w3 = Float32Array.from(randomValues(latent * features, 'any', 8));
      const b3 = Float32Array.from(randomValues(features, 'any', 9));
      const logVar = -30; // exp(−15) ≈ 3e-7: the drawn z is zMean to float32 precision
      // the model builds its weights where it is made: on this backend
      const vae = run(() => {
        const digits = input({ shape: [features] });
        const zMean = dense({ units: latent }).apply(digits);
        const zLogVar = dense({ units: latent }).apply(digits);
        const z = sampling({ klWeight: 0.5 }).apply([zMean, zLogVar]);
        return model({ inputs: digits, outputs: dense({ units: features, activation: 'sigmoid' }).apply(z) });
      });
      const xs = run(() => {
        vae.setWeights([
          tensor(w1, [features, latent]),
          tensor(b1, [latent]),
          tensor(new Float32Array(features * latent), [features, latent]),
          tensor(new Float32Array(latent).fill(logVar), [latent]),
          tensor(w3, [latent, features]),
          tensor(b3, [features]),
        ]);
        vae.compile({ optimizer: sgd({ learningRate: 0 }), loss: 'binaryCrossentropy' });
        return tensor(x, [n, features]);
      });
      // the hand computation in float64: codes, decoded probabilities, mean BCE, KL at logVar
      let bce = 0;
      const codes: number[] = [];
      for (let s = 0; s < n; s++) {
        for (let j = 0; j < latent; j++) {
          let acc = b1[j];
          for (let i = 0; i < features; i++) acc += x[s * features + i] * w1[i * latent + j];
          codes.push(acc);
        }
        for (let k = 0; k < features; k++) {
          let logit = b3[k];
          for (let j = 0; j < latent; j++) logit += codes[s * latent + j] * w3[j * features + k];
          const t = x[s * features + k];
          bce += (softplus(logit) - t * logit) / (n * features);
        }
      }
      const expected = bce + 0.5 * handKl(codes, new Array(codes.length).fill(logVar), n);
      const [computed] = await run(() => vae.computeLoss(xs, xs)).data();
      expectClose([computed], [expected], { rtol: 1e-5, atol: 1e-5 }, 'computeLoss in training');
      const history = await run(() => vae.fit(xs, xs, { epochs: 1, batchSize: n, verbose: 0 }));
      expectClose(history.history.loss, [expected], { rtol: 1e-5, atol: 1e-5 }, "fit's logged loss");
      const logs = await run(() => vae.evaluate(xs, xs));
      expectClose([logs.loss], [expected], { rtol: 1e-5, atol: 1e-5 }, "evaluate's loss");
      // without the KL the loss would be the reconstruction alone: the term is there and is large
      expect(expected - bce).to.be.above(10);
    });

    for (const lossName of ['nonSaturating', 'hinge', 'leastSquares'] as const) {
      it(`ganLoss('${lossName}'): values and gradients of both sides against the closed forms`, async () => {
        // logits spread across hinge's kinks at ±1, none on them
        const real = [-2.3, -0.6, 0.4, 1.7, 0.05];
        const fake = [-1.6, -0.3, 0.8, 2.2];
        const form = closedForms[lossName];
        const loss = ganLoss(lossName);
        const [r, f] = run(() => [tensor(Float32Array.from(real), [5, 1]), tensor(Float32Array.from(fake), [4])]);
        const d = run(() => valueAndGrad((a: Tensor, b: Tensor) => loss.discriminator(a, b))(r, f));
        const dValue =
          real.reduce((s, v) => s + form.real[0](v), 0) / 5 + fake.reduce((s, v) => s + form.fake[0](v), 0) / 4;
        expectClose(await d.value.data(), [dValue], { rtol: 1e-5, atol: 1e-6 }, 'discriminator loss');
        expectClose(
          await d.grads[0].data(),
          real.map((v) => form.real[1](v) / 5),
          { rtol: 1e-5, atol: 1e-6 },
          'd/d real',
        );
        expectClose(
          await d.grads[1].data(),
          fake.map((v) => form.fake[1](v) / 4),
          { rtol: 1e-5, atol: 1e-6 },
          'd/d fake',
        );
        const g = run(() => valueAndGrad((b: Tensor) => loss.generator(b))(f));
        const gValue = fake.reduce((s, v) => s + form.gen[0](v), 0) / 4;
        expectClose(await g.value.data(), [gValue], { rtol: 1e-5, atol: 1e-6 }, 'generator loss');
        expectClose(
          await g.grads[0].data(),
          fake.map((v) => form.gen[1](v) / 4),
          { rtol: 1e-5, atol: 1e-6 },
          'dG/d fake',
        );
      });
    }

    it('bad input is refused by name: logits not one per sample, an unknown loss, [zMean, zLogVar] of two shapes', () => {
      const wide = run(() => tensor(new Float32Array(8), [4, 2]));
      expect(errorOf(() => run(() => ganLoss('hinge').discriminator(wide, wide)))).to.equal(
        "ganLoss('hinge').discriminator: realLogits must be float32 logits of shape [batch] or [batch, 1], got float32 [4,2]",
      );
      expect(errorOf(() => ganLoss('wgan' as GanLossName))).to.equal(
        'ganLoss: unknown loss "wgan"; expected nonSaturating, hinge, leastSquares, wasserstein',
      );
      const layer = sampling({ name: 'z' });
      const [a, b] = run(() => [tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(4), [2, 2])]);
      expect(errorOf(() => run(() => layer.apply([a, b])))).to.equal(
        "layer 'z' (Sampling): sampling takes [zMean, zLogVar] of one shape, got [3] [2]",
      );
      expect(errorOf(() => sampling({ klWeight: -1 }))).to.equal(
        'sampling: klWeight must be a finite number >= 0, got -1',
      );
    });
  });
}

describe('generative models on webgpu', () => {
  useBackend('webgpu');

  it('a model with a sampling layer fits and round-trips through save/load', async () => {
    await fitsAndRoundTrips(() => {
      const x = input({ shape: [4] });
      const z = sampling({ klWeight: 0.1, seed: 3 }).apply([
        dense({ units: 2 }).apply(x),
        dense({ units: 2 }).apply(x),
      ]);
      const net = model({ inputs: x, outputs: dense({ units: 3 }).apply(z) });
      return {
        net,
        x: tensor(Float32Array.from(randomValues(8 * 4, 'any', 11)), [8, 4]),
        y: tensor(Float32Array.from(randomValues(8 * 3, 'any', 12)), [8, 3]),
      };
    });
  });

  it("a tiny DCGAN's custom steps lower the discriminator's loss on a fixed batch", async () => {
    const latent = 8;
    const generator = buildGenerator({ latent, width: 4, seed: 3 });
    const discriminator = buildDiscriminator({ width: 4, seed: 4 });
    const loss = ganLoss('nonSaturating');
    const real = tensor(
      Float32Array.from(randomValues(8 * 784, 'positive', 13), (v) => 2 * v - 1),
      [8, 28, 28, 1],
    );
    const fake = generator.apply(latentBatch(8, latent, 999, 1));
    // dropout off: the fixed batch's loss depends on the discriminator's weights alone
    const dLoss = async () =>
      (await loss.discriminator(discriminator.apply(real), discriminator.apply(fake)).data())[0];
    const before = await dLoss();
    const dOptimizer = adam({ learningRate: 0.005, beta1: 0.5 });
    const gOptimizer = adam({ learningRate: 0.005, beta1: 0.5 });
    const generatorBefore = await generator.trainableWeights[0].data();
    for (let step = 0; step < 3; step++) {
      const [d, g] = customGanStep({ generator, discriminator, loss, dOptimizer, gOptimizer, real, latent, step });
      expect(Number.isFinite((await d.data())[0]) && Number.isFinite((await g.data())[0])).to.equal(true);
      d.dispose();
      g.dispose();
    }
    const after = await dLoss();
    expect(after, `discriminator loss ${before} → ${after}`).to.be.below(before - 0.01);
    const generatorAfter = await generator.trainableWeights[0].data();
    expect(Array.from(generatorAfter)).to.not.deep.equal(Array.from(generatorBefore));
  });

  it("a generator whose output does not fit the discriminator's input is refused, naming both", () => {
    const discriminator = buildDiscriminator({ width: 2, seed: 7 });
    const z = input({ shape: [8] });
    const flat = model({ inputs: z, outputs: dense({ units: 10 }).apply(z), name: 'flat_generator' });
    expect(errorOf(() => discriminator.apply(flat.apply(z)))).to.equal(
      "layer 'discriminator' (Model) applied to 'flat_generator' [10]: model 'discriminator' takes inputs " +
        '(None, 28, 28, 1), got (None, 10)',
    );
  });

  it("a frozen discriminator is bit-identical across the combined model's trainOnBatch; the generator moves", async () => {
    const latent = 8;
    const generator = buildGenerator({ latent, width: 4, seed: 5 });
    const discriminator = buildDiscriminator({ width: 4, seed: 6 });
    const z = input({ shape: [latent] });
    const combined = model({ inputs: z, outputs: discriminator.apply(generator.apply(z)) });
    combined.compile({ optimizer: adam({ learningRate: 0.01 }), loss: binaryCrossentropy({ fromLogits: true }) });
    discriminator.trainable = false;
    const dBefore = await Promise.all(discriminator.weights.map((w) => w.data()));
    const gBefore = await Promise.all(generator.trainableWeights.map((w) => w.data()));
    await combined.trainOnBatch(latentBatch(8, latent, 1, 2), tensor(new Float32Array(8).fill(1), [8, 1]));
    const dAfter = await Promise.all(discriminator.weights.map((w) => w.data()));
    dAfter.forEach((w, i) => expect(Array.from(w), `discriminator weight ${i}`).to.deep.equal(Array.from(dBefore[i])));
    const gAfter = await Promise.all(generator.trainableWeights.map((w) => w.data()));
    expect(
      gAfter.some((w, i) => w.some((v, k) => v !== gBefore[i][k])),
      'the generator moved',
    ).to.equal(true);
  });
});

describe('the generative labs (examples/vae.mjs, examples/gan.mjs, examples/wgan-gp.mjs) at a tiny size', function () {
  this.timeout(240_000);
  const require = createRequire(new URL('../../examples/', import.meta.url).pathname);
  const { PNG } = require('pngjs') as {
    PNG: { sync: { read(b: Buffer): { width: number; height: number; data: Buffer } } };
  };
  const lab = (script: string, args: string[]) => {
    const out = mkdtempSync(join(tmpdir(), `webgrad-${script}-`));
    const child = spawnSync(process.execPath, [`examples/${script}.mjs`, ...args, '--out', out, '--verbose', '2'], {
      encoding: 'utf8',
      timeout: 230_000,
    });
    expect(child.status, `${script} exited with ${child.status}:\n${child.stderr}`).to.equal(0);
    return { out, stdout: child.stdout };
  };
  /** The PNG's size and the spread of the gray levels inside its first digit (a blank digit has none). */
  const pngSpread = (path: string) => {
    const png = PNG.sync.read(readFileSync(path));
    let lo = 255,
      hi = 0;
    // the first cell: 56×56 pixels after the 2-pixel gap; pngjs reads gray as RGBA
    for (let y = 2; y < 58; y++) {
      for (let x = 2; x < 58; x++) {
        const level = png.data[4 * (y * png.width + x)];
        lo = Math.min(lo, level);
        hi = Math.max(hi, level);
      }
    }
    return { width: png.width, height: png.height, spread: hi - lo };
  };

  it('vae with a 2-D latent: one epoch on 1,000 digits prints the held-out ELBO and writes the sample grid and the manifold', () => {
    const { out, stdout } = lab('vae', ['--latent', '2', '--epochs', '1', '--train-size', '1000', '--evaluate', '0']);
    expect(stdout).to.match(/held-out −ELBO \d+\.\d\d nats\/digit \(reconstruction \d+\.\d\d \+ KL \d+\.\d\d\)/);
    expect(readdirSync(out).sort()).to.deep.equal(['elbo.json', 'manifold.png', 'samples-epoch-01.png']);
    // 8×8 digits of 56 pixels with 2-pixel gaps; the manifold 15×15
    const samples = pngSpread(join(out, 'samples-epoch-01.png'));
    expect(samples).to.include({ width: 8 * 56 + 9 * 2, height: 8 * 56 + 9 * 2 });
    // one epoch of 1,000 digits draws a faint blob, not yet a digit; a constant decoder would draw none
    expect(samples.spread, 'gray levels in the first sample').to.be.above(8);
    expect(pngSpread(join(out, 'manifold.png'))).to.include({ width: 15 * 56 + 16 * 2 });
    const { perEpoch } = JSON.parse(readFileSync(join(out, 'elbo.json'), 'utf8')) as {
      perEpoch: { reconstruction: number; kl: number; negativeElbo: number }[];
    };
    expect(perEpoch).to.have.length(1);
    const [e] = perEpoch;
    expectClose([e.negativeElbo], [e.reconstruction + e.kl], { rtol: 1e-9, atol: 1e-9 }, '−ELBO = reconstruction + KL');
    // a decoder at 0.5 everywhere scores 784·ln 2 ≈ 543 nats; one epoch already does better
    expect(e.negativeElbo).to.be.within(50, 543);
  });

  it('dcgan: one epoch of 128 digits (custom step, hinge loss) writes a sample grid with more than one gray level', () => {
    const { out, stdout } = lab('gan', [
      '--loss',
      'hinge',
      '--epochs',
      '1',
      '--train-size',
      '128',
      '--width',
      '4',
      '--evaluate',
      '0',
    ]);
    expect(stdout).to.match(/2 rounds \(one discriminator and one generator update each, batch 64\)/);
    const grid = pngSpread(join(out, 'samples-epoch-01.png'));
    expect(grid).to.include({ width: 8 * 56 + 9 * 2, height: 8 * 56 + 9 * 2 });
    expect(grid.spread).to.be.above(16);
    const { perEpoch } = JSON.parse(readFileSync(join(out, 'losses.json'), 'utf8')) as {
      perEpoch: { dLoss: number; gLoss: number }[];
    };
    expect(perEpoch.every((l) => Number.isFinite(l.dLoss) && Number.isFinite(l.gLoss))).to.equal(true);
  });

  it("dcgan --step trainOnBatch (Keras's frozen-discriminator route) runs and writes its grid", () => {
    const { out, stdout } = lab('gan', [
      '--step',
      'trainOnBatch',
      '--epochs',
      '1',
      '--train-size',
      '128',
      '--width',
      '4',
      '--evaluate',
      '0',
    ]);
    expect(stdout).to.match(/nonSaturating loss, trainOnBatch step/);
    expect(pngSpread(join(out, 'samples-epoch-01.png')).spread).to.be.above(16);
  });

  it('dcgan --loss wgan-gp runs the WGAN-GP lab', () => {
    const args = ['--loss', 'wgan-gp', '--epochs', '1', '--train-size', '128', '--width', '4', '--evaluate', '0'];
    const { out, stdout } = lab('gan', args);
    expect(stdout).to.match(/2 critic and 2 generator updates \(batch 64\)/);
    expect(readdirSync(out)).to.include('wasserstein.svg');
  });

  it('wgan-gp: two epochs of 320 digits print the Wasserstein estimate, the evaluator figures and the real reference', () => {
    const evaluatorDir = mkdtempSync(join(tmpdir(), 'webgrad-evaluator-'));
    const args = [
      '--epochs',
      '2',
      '--train-size',
      '320',
      '--width',
      '4',
      '--n-critic',
      '2',
      '--evaluator',
      evaluatorDir,
    ];
    const { out, stdout } = lab('wgan-gp', args);
    // 5 critic steps an epoch, a generator step after every second
    expect(stdout).to.match(/10 critic and 5 generator updates \(batch 64\)/);
    expect(stdout).to.match(
      /real held-out digits \(reference\): confidence 0\.9\d\d, classes 10, class entropy 2\.2\d\d nats/,
    );
    expect(readdirSync(out).sort()).to.deep.equal([
      'figures.json',
      'samples-epoch-01.png',
      'samples-epoch-02.png',
      'wasserstein.svg',
    ]);
    const { perEpoch, reference } = JSON.parse(readFileSync(join(out, 'figures.json'), 'utf8')) as {
      perEpoch: {
        wasserstein: number;
        penalty: number;
        quality: { frechetDistance: number; classesPresent: number };
      }[];
      reference: { frechetDistance: number; classifierScore: number };
    };
    expect(perEpoch).to.have.length(2);
    expect(perEpoch.every((e) => Number.isFinite(e.wasserstein) && e.penalty >= 0)).to.equal(true);
    // untrained samples are far from real digits; two real samples are close
    expect(perEpoch[1].quality.frechetDistance).to.be.above(10 * reference.frechetDistance);
    expect(reference.classifierScore).to.be.above(8);
    // the cached classifier is loaded, not retrained, on the next run
    expect(readdirSync(evaluatorDir)).to.include('model.json');
    const again = lab('wgan-gp', [...args, '--epochs', '1']);
    expect(again.stdout).not.to.match(/training the MNIST classifier/);
    expect(again.stdout).to.include(stdout.match(/real held-out digits \(reference\).*/)![0]);
  });
});

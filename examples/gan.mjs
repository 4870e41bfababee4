// The DCGAN lab: a generator and a discriminator (generative-models.mjs) trained in turns on MNIST
// digits scaled to [−1, 1], with the non-saturating, hinge or least-squares loss from the
// discriminator's logits. Each round is one custom step: valueAndGrad over the discriminator's
// trainableWeights and its optimizer, then over the generator's (--step trainOnBatch runs Keras's route
// instead: trainOnBatch on the discriminator, then on a combined model with the discriminator frozen;
// non-saturating loss only). After every epoch it writes a PNG grid of 64 samples from one fixed batch
// of codes, so progress shows from grid to grid, prints both losses and the sample-quality figures of
// 1,000 samples (sample-quality.mjs) beside those of real held-out digits (--evaluate 0 skips them).
// The samples come from an exponential moving average of the generator (--ema; 0 draws them from the
// last generator), whose figures are printed beside.
//   npm run demo -- --model dcgan [--loss nonSaturating|hinge|leastSquares|wgan-gp] [--epochs 100] [--minutes 19] [--train-size 8000]
//                                 [--batch-size 64] [--width 16] [--discriminator-width 16] [--latent 64]
//                                 [--learning-rate 0.0005] [--decay none|linear] [--dropout 0.3]
//                                 [--label-smoothing 0] [--ema 0.999] [--step custom|trainOnBatch]
//                                 [--evaluate 1|0] [--evaluator DIR] [--sample-seed 4242] [--seed 1]
//                                 [--out out/dcgan-<loss>] [--backend webgpu]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { add, currentBackend, mul, randomNormal, setBackend, slice, tensor, tidy } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, ganLoss, linearDecay, progressBar } from '@webgrad/layers';
import { digitGridPng } from './digit-grid.mjs';
import {
  buildDiscriminator,
  buildGenerator,
  customGanStep,
  epochBudget,
  smoothedLoss,
  trainOnBatchGan,
  updateAverage,
} from './generative-models.mjs';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';
import { loadEvaluator, scoreGenerators, scoreLine } from './sample-quality.mjs';

const LOSSES = ['nonSaturating', 'hinge', 'leastSquares'];

/** Runs the lab with command-line flags; resolves with the per-epoch losses and the files written. */
export async function main(argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      // `npm run demo -- --model dcgan` passes its --model on
      model: { type: 'string' },
      loss: { type: 'string', default: 'nonSaturating' },
      epochs: { type: 'string', default: '100' },
      // a wall-clock budget: no epoch starts that would end past it (the last epoch's length ahead); 0: none
      minutes: { type: 'string', default: '19' },
      'train-size': { type: 'string', default: '8000' },
      'batch-size': { type: 'string', default: '64' },
      width: { type: 'string', default: '16' },
      // the discriminator's first layer's filters (--width when not given)
      'discriminator-width': { type: 'string' },
      latent: { type: 'string', default: '64' },
      'learning-rate': { type: 'string', default: '0.0005' },
      // 'linear': both rates fall linearly to 0 over --epochs (a run the budget stops early ends above 0)
      decay: { type: 'string', default: 'none' },
      dropout: { type: 'string', default: '0.3' },
      // one-sided: the discriminator's target for real digits is 1 − s
      'label-smoothing': { type: 'string', default: '0' },
      // the decay of the generator's moving average, which draws the samples (0: the last generator)
      ema: { type: 'string', default: '0.999' },
      step: { type: 'string', default: 'custom' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'webgpu' },
      verbose: { type: 'string', default: '1' },
      evaluate: { type: 'string', default: '1' },
      evaluator: { type: 'string' },
      // the codes of the 1,000 scored samples: 4242 for reported figures, another seed while choosing settings
      'sample-seed': { type: 'string', default: '4242' },
    },
  });
  // WGAN-GP has its own lab (a critic, n_critic updates a round): --loss wgan-gp runs it with the same flags
  if (flags.loss === 'wgan-gp') return (await import('./wgan-gp.mjs')).main(argv);
  if (!LOSSES.includes(flags.loss)) {
    throw new Error(`--loss ${flags.loss}: expected one of ${LOSSES.join(', ')} or wgan-gp`);
  }
  if (flags.decay !== 'none' && flags.decay !== 'linear') {
    throw new Error(`--decay ${flags.decay}: expected 'none' or 'linear'`);
  }
  if (flags.step !== 'custom' && flags.step !== 'trainOnBatch') {
    throw new Error(`--step ${flags.step}: expected 'custom' or 'trainOnBatch'`);
  }
  if (flags.step === 'trainOnBatch' && flags.loss !== 'nonSaturating') {
    throw new Error(`--step trainOnBatch compiles binary cross-entropy: it takes only --loss nonSaturating`);
  }
  const epochs = Number(flags.epochs),
    batchSize = Number(flags['batch-size']),
    latent = Number(flags.latent),
    width = Number(flags.width),
    seed = Number(flags.seed);
  const outDir = flags.out ?? `out/dcgan-${flags.loss}`;
  await mkdir(outDir, { recursive: true });
  await setBackend(flags.backend);
  console.log(`backend: ${currentBackend().describe()}`);
  const evaluator =
    flags.evaluate === '1'
      ? await loadEvaluator({ seed, dir: flags.evaluator, verbose: Number(flags.verbose) })
      : undefined;
  if (evaluator) {
    console.log(`evaluator: the classifier's held-out accuracy ${(evaluator.accuracy * 100).toFixed(2)}%`);
    console.log(scoreLine('  real held-out digits (reference)', evaluator.reference));
  }

  const { train } = mnistSplit({ seed });
  const n = Math.min(Number(flags['train-size']), train.n);
  // pixels in [0, 1] → [−1, 1], the range of the generator's tanh
  const images = tidy(() => add(mul(tensor(train.images.subarray(0, n * IMAGE_SIZE), [n, 28, 28, 1]), 2), -1));
  console.log(`MNIST digits: ${n} to train on (split seed ${seed}); ${flags.loss} loss, ${flags.step} step`);

  const generator = buildGenerator({ latent, width, seed });
  const discriminator = buildDiscriminator({
    width: Number(flags['discriminator-width'] ?? width),
    rate: Number(flags.dropout),
    seed: seed + 1,
  });
  generator.summary();
  discriminator.summary();
  // adam with Radford et al.'s β₁ = 0.5; the rate 2.5× their 2e-4, which was far behind after the first
  // epoch (the settings' runs: bench/RESULTS.md, round ten)
  const steps = Math.floor(n / batchSize);
  const rate = Number(flags['learning-rate']);
  const learningRate = () =>
    flags.decay === 'linear'
      ? linearDecay({ initialLearningRate: rate, finalLearningRate: 0, decaySteps: epochs * steps })
      : rate;
  const dOptimizer = adam({ learningRate: learningRate(), beta1: 0.5 });
  const gOptimizer = adam({ learningRate: learningRate(), beta1: 0.5 });
  const smoothing = Number(flags['label-smoothing']);
  const loss = smoothing > 0 ? smoothedLoss(ganLoss(flags.loss), smoothing) : ganLoss(flags.loss);
  const onBatch =
    flags.step === 'trainOnBatch' ? trainOnBatchGan({ generator, discriminator, dOptimizer, gOptimizer }) : undefined;
  const emaDecay = Number(flags.ema);
  // the averaged generator starts as a copy of the generator
  const average = emaDecay > 0 ? buildGenerator({ latent, width, seed }) : undefined;
  average?.setWeights(generator.weights);
  const sampler = average ?? generator;
  const fixedCodes = randomNormal([64, latent], 0, 1, { seed: 777 });
  const progress = progressBar({ epochs, steps, verbose: Number(flags.verbose), metricNames: ['dLoss', 'gLoss'] });
  const perEpoch = [];
  const files = [];
  const started = Date.now();
  const budget = epochBudget(Number(flags.minutes));
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    progress.onEpochBegin?.(epoch, {});
    let dSum = 0,
      gSum = 0;
    for (let b = 0; b < steps; b++) {
      const real = slice(images, [b * batchSize], [batchSize, 28, 28, 1]);
      let logs;
      if (onBatch) {
        const { dLoss, gLoss } = await onBatch(real, step);
        logs = { dLoss, gLoss };
      } else {
        const [d, g] = customGanStep({
          generator,
          discriminator,
          loss,
          dOptimizer,
          gOptimizer,
          real,
          latent,
          step,
        });
        logs = { dLoss: (await d.data())[0], gLoss: (await g.data())[0] };
        d.dispose();
        g.dispose();
      }
      real.dispose();
      if (average) updateAverage(average, generator, emaDecay, step);
      dSum += logs.dLoss;
      gSum += logs.gLoss;
      step++;
      progress.onBatchEnd?.(b, { dLoss: dSum / (b + 1), gLoss: gSum / (b + 1) });
    }
    const logs = { dLoss: dSum / steps, gLoss: gSum / steps };
    progress.onEpochEnd?.(epoch, logs);
    perEpoch.push(logs);
    // samples with batch statistics, as in training: the generator's BN moving averages lag early on
    const samples = tidy(() => mul(add(sampler.apply(fixedCodes, { training: true, seed: 0 }), 1), 0.5));
    const path = join(outDir, `samples-epoch-${String(epoch + 1).padStart(2, '0')}.png`);
    await writeFile(path, digitGridPng(await samples.data(), { columns: 8 }));
    samples.dispose();
    files.push(path);
    console.log(`  samples: ${path}`);
    if (evaluator) {
      const sampleSeed = Number(flags['sample-seed']);
      const scores = await scoreGenerators({
        evaluator,
        sampler,
        generator,
        averaged: Boolean(average),
        latent,
        sampleSeed,
      });
      Object.assign(logs, scores);
    }
    if (epoch + 1 < epochs && budget.stopNow()) {
      console.log(`stopped after ${epoch + 1} epochs: another would pass the --minutes ${flags.minutes} budget`);
      break;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${step} rounds (one discriminator and one generator update each, batch ${batchSize}) in ${seconds.toFixed(1)} s: ` +
      `${((step * batchSize) / seconds).toFixed(0)} samples/s`,
  );
  await writeFile(
    join(outDir, 'losses.json'),
    JSON.stringify({ loss: flags.loss, perEpoch, reference: evaluator?.reference, seconds }, null, 2),
  );
  [images, fixedCodes].forEach((t) => t.dispose());
  generator.dispose();
  average?.dispose();
  discriminator.dispose();
  dOptimizer.dispose();
  gOptimizer.dispose();
  evaluator?.dispose();
  return { perEpoch, files, reference: evaluator?.reference };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

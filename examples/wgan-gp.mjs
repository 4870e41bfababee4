// The WGAN-GP lab (Gulrajani et al. 2017): the DCGAN lab's generator against a critic without batch
// norm or dropout (generative-models.mjs), trained on the Wasserstein loss plus the gradient penalty
// (λ = 10, a gradient of a gradient) with the paper's Adam β₁ = 0, β₂ = 0.9. The paper's n_critic = 5
// and rate 1e-4 are flags: on this lab's wall-clock budget they leave the generator too few updates, so
// the defaults are one critic update per generator update at 5e-4 (bench/RESULTS.md, round ten). An
// epoch is one pass of the critic over the training digits. After each it writes a PNG grid from one
// fixed batch of codes, the critic's Wasserstein estimate mean D(real) − mean D(fake) (averaged over
// the epoch's critic steps) with its plot, and the sample-quality figures of 1,000 samples
// (sample-quality.mjs) of the generator's moving average (and of the last generator), beside those of
// real held-out digits.
//   npm run demo -- --model wgan-gp [--epochs 100] [--minutes 19] [--train-size 8000] [--batch-size 64]
//                                   [--n-critic 1] [--width 16] [--latent 64] [--learning-rate 0.0005]
//                                   [--beta1 0] [--beta2 0.9] [--decay none|linear] [--penalty 10]
//                                   [--ema 0.999] [--evaluate 1|0] [--evaluator out/mnist-evaluator-seed1]
//                                   [--sample-seed 4242] [--seed 1] [--out out/wgan-gp] [--backend webgpu]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { add, currentBackend, mul, randomNormal, setBackend, slice, tensor, tidy } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam, chartsSvg, linearDecay, progressBar } from '@webgrad/layers';
import { digitGridPng } from './digit-grid.mjs';
import {
  buildCritic,
  buildGenerator,
  epochBudget,
  updateAverage,
  wganGpCriticStep,
  wganGpGeneratorStep,
} from './generative-models.mjs';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';
import { loadEvaluator, scoreGenerators, scoreLine } from './sample-quality.mjs';

/** Runs the lab with command-line flags; resolves with the per-epoch figures and the files written. */
export async function main(argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      // `--model dcgan --loss wgan-gp` arrives here with its --loss
      loss: { type: 'string' },
      epochs: { type: 'string', default: '100' },
      // a wall-clock budget: no epoch starts that would end past it (the last epoch's length ahead); 0: none
      minutes: { type: 'string', default: '19' },
      'train-size': { type: 'string', default: '8000' },
      'batch-size': { type: 'string', default: '64' },
      'n-critic': { type: 'string', default: '1' },
      width: { type: 'string', default: '16' },
      latent: { type: 'string', default: '64' },
      'learning-rate': { type: 'string', default: '0.0005' },
      penalty: { type: 'string', default: '10' },
      // Adam's moment decays for both models (the paper's 0 and 0.9)
      beta1: { type: 'string', default: '0' },
      beta2: { type: 'string', default: '0.9' },
      // 'linear': both rates fall linearly to 0 over --epochs (a run the budget stops early ends above 0)
      decay: { type: 'string', default: 'none' },
      // the decay of the generator's moving average, which draws the samples (0: the last generator)
      ema: { type: 'string', default: '0.999' },
      evaluate: { type: 'string', default: '1' },
      evaluator: { type: 'string' },
      // the codes of the 1,000 scored samples: 4242 for reported figures, another seed while choosing settings
      'sample-seed': { type: 'string', default: '4242' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'out/wgan-gp' },
      backend: { type: 'string', default: 'webgpu' },
      verbose: { type: 'string', default: '1' },
    },
  });
  const epochs = Number(flags.epochs),
    batchSize = Number(flags['batch-size']),
    nCritic = Number(flags['n-critic']),
    latent = Number(flags.latent),
    width = Number(flags.width),
    seed = Number(flags.seed),
    penaltyWeight = Number(flags.penalty);
  if (!Number.isInteger(nCritic) || nCritic < 1) {
    throw new Error(`--n-critic ${flags['n-critic']}: expected an integer ≥ 1`);
  }
  if (flags.decay !== 'none' && flags.decay !== 'linear') {
    throw new Error(`--decay ${flags.decay}: expected 'none' or 'linear'`);
  }
  const outDir = flags.out;
  await mkdir(outDir, { recursive: true });
  await setBackend(flags.backend);
  console.log(`backend: ${currentBackend().describe()}`);
  const evaluator =
    flags.evaluate === '1'
      ? await loadEvaluator({ seed, dir: flags.evaluator, verbose: Number(flags.verbose) })
      : undefined;
  if (evaluator) {
    console.log(`evaluator: the classifier's held-out accuracy ${(evaluator.accuracy * 100).toFixed(2)}%`);
    console.log(scoreLine(`  real held-out digits (reference)`, evaluator.reference));
  }

  const { train } = mnistSplit({ seed });
  const n = Math.min(Number(flags['train-size']), train.n);
  const images = tidy(() => add(mul(tensor(train.images.subarray(0, n * IMAGE_SIZE), [n, 28, 28, 1]), 2), -1));
  console.log(`MNIST digits: ${n} to train on (split seed ${seed}); n_critic ${nCritic}, λ ${penaltyWeight}`);

  const generator = buildGenerator({ latent, width, seed });
  const critic = buildCritic({ width, seed: seed + 1 });
  generator.summary();
  critic.summary();
  const steps = Math.floor(n / batchSize);
  const rate = Number(flags['learning-rate']);
  const learningRate = (updates) =>
    flags.decay === 'linear'
      ? linearDecay({ initialLearningRate: rate, finalLearningRate: 0, decaySteps: Math.max(updates, 1) })
      : rate;
  const betas = { beta1: Number(flags.beta1), beta2: Number(flags.beta2) };
  const cOptimizer = adam({ learningRate: learningRate(epochs * steps), ...betas });
  const gOptimizer = adam({ learningRate: learningRate(Math.floor((epochs * steps) / nCritic)), ...betas });
  const emaDecay = Number(flags.ema);
  // the averaged generator starts as a copy of the generator
  const average = emaDecay > 0 ? buildGenerator({ latent, width, seed }) : undefined;
  average?.setWeights(generator.weights);
  const sampler = average ?? generator;
  const fixedCodes = randomNormal([64, latent], 0, 1, { seed: 777 });
  const progress = progressBar({
    epochs,
    steps,
    verbose: Number(flags.verbose),
    metricNames: ['wasserstein', 'penalty', 'gLoss'],
  });
  const perEpoch = [];
  const files = [];
  const started = Date.now();
  const budget = epochBudget(Number(flags.minutes));
  let criticSteps = 0,
    generatorSteps = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    progress.onEpochBegin?.(epoch, {});
    let wSum = 0,
      pSum = 0,
      gSum = 0,
      gCount = 0;
    for (let b = 0; b < steps; b++) {
      const real = slice(images, [b * batchSize], [batchSize, 28, 28, 1]);
      const [w, p] = wganGpCriticStep({
        generator,
        critic,
        optimizer: cOptimizer,
        real,
        latent,
        step: criticSteps,
        penaltyWeight,
      });
      real.dispose();
      wSum += (await w.data())[0];
      pSum += (await p.data())[0];
      w.dispose();
      p.dispose();
      criticSteps++;
      if (criticSteps % nCritic === 0) {
        const g = wganGpGeneratorStep({
          generator,
          critic,
          optimizer: gOptimizer,
          n: batchSize,
          latent,
          step: generatorSteps,
        });
        gSum += (await g.data())[0];
        g.dispose();
        gCount++;
        if (average) updateAverage(average, generator, emaDecay, generatorSteps);
        generatorSteps++;
      }
      progress.onBatchEnd?.(b, {
        wasserstein: wSum / (b + 1),
        penalty: pSum / (b + 1),
        gLoss: gSum / Math.max(gCount, 1),
      });
    }
    const logs = { wasserstein: wSum / steps, penalty: pSum / steps, gLoss: gSum / Math.max(gCount, 1) };
    progress.onEpochEnd?.(epoch, logs);
    const samples = tidy(() => mul(add(sampler.apply(fixedCodes, { training: true, seed: 0 }), 1), 0.5));
    const path = join(outDir, `samples-epoch-${String(epoch + 1).padStart(2, '0')}.png`);
    await writeFile(path, digitGridPng(await samples.data(), { columns: 8 }));
    samples.dispose();
    files.push(path);
    console.log(
      `  samples: ${path}; Wasserstein estimate ${logs.wasserstein.toFixed(4)}, penalty ${logs.penalty.toFixed(4)}`,
    );
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
    perEpoch.push(logs);
    if (epoch + 1 < epochs && budget.stopNow()) {
      console.log(`stopped after ${epoch + 1} epochs: another would pass the --minutes ${flags.minutes} budget`);
      break;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${criticSteps} critic and ${generatorSteps} generator updates (batch ${batchSize}) in ${seconds.toFixed(1)} s`,
  );
  const plot = join(outDir, 'wasserstein.svg');
  await writeFile(
    plot,
    chartsSvg(
      [
        {
          title: "The critic's Wasserstein estimate",
          series: [{ name: 'mean D(real) − mean D(fake)', points: perEpoch.map((e, i) => [i + 1, e.wasserstein]) }],
          xLabel: 'epoch (critic passes over the digits)',
          yLabel: 'estimate',
        },
        {
          title: 'Gradient penalty (λ·mean((‖∇D‖ − 1)²))',
          series: [{ name: 'penalty', points: perEpoch.map((e, i) => [i + 1, e.penalty]) }],
          xLabel: 'epoch',
          yLabel: 'penalty',
        },
      ],
      2,
    ),
  );
  files.push(plot);
  console.log(`Wasserstein estimate per epoch: ${plot}`);
  await writeFile(
    join(outDir, 'figures.json'),
    JSON.stringify({ perEpoch, reference: evaluator?.reference, seconds }, null, 2),
  );
  [images, fixedCodes].forEach((t) => t.dispose());
  generator.dispose();
  average?.dispose();
  critic.dispose();
  cOptimizer.dispose();
  gOptimizer.dispose();
  evaluator?.dispose();
  return { perEpoch, files, reference: evaluator?.reference };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

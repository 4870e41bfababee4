// The VAE lab: a variational autoencoder learns the 8,000 training MNIST digits (binarised: pixel > 0.5)
// with plain fit — the sampling layer adds the KL term through addLoss — and after each epoch reports
// the held-out negative ELBO in nats per digit (its reconstruction and KL parts) on the 2,000 other
// digits, writing a PNG grid of digits decoded from the prior N(0, 1) with a fixed batch of codes; for a
// 2-D latent also the decoded manifold over a grid of z, and the sample-quality figures of 1,000 digits
// decoded from the prior (sample-quality.mjs; --evaluate 0 skips them). Everything goes to --out.
//   npm run demo -- --model vae [--latent 16|2] [--epochs 15] [--batch-size 100] [--learning-rate 0.001]
//                               [--train-size 8000] [--evaluate 1|0] [--seed 1] [--out out/vae-<latent>d] [--backend webgpu]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cast, currentBackend, greater, randomNormal, setBackend, tensor, tidy } from '@webgrad/core';
import '@webgrad/webgpu';
import { adam } from '@webgrad/layers';
import { digitGridPng } from './digit-grid.mjs';
import { buildVae, negativeElbo, PIXELS } from './generative-models.mjs';
import { IMAGE_SIZE, mnistSplit } from './mnist-data.mjs';
import { EVALUATION_SAMPLES, loadEvaluator, scoreLine } from './sample-quality.mjs';

/** z values of a side×side grid over [−2, 2]² (the prior's bulk), row by row, top row z₂ = 2. */
function latentGrid(side) {
  const at = (i) => -2 + (4 * i) / (side - 1);
  return Float32Array.from({ length: side * side * 2 }, (_, k) => {
    const cell = k >> 1;
    return k % 2 === 0 ? at(cell % side) : -at(Math.floor(cell / side));
  });
}

async function decodedPng(decoder, codes, columns) {
  const decoded = decoder.predict(codes);
  const pixels = await decoded.data();
  decoded.dispose();
  return digitGridPng(pixels, { columns });
}

/** Runs the lab with command-line flags; resolves with the per-epoch figures and the files written. */
export async function main(argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      // `npm run demo -- --model vae` passes its --model on
      model: { type: 'string' },
      latent: { type: 'string', default: '16' },
      epochs: { type: 'string', default: '15' },
      'batch-size': { type: 'string', default: '100' },
      'learning-rate': { type: 'string', default: '0.001' },
      'train-size': { type: 'string', default: '8000' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'webgpu' },
      verbose: { type: 'string', default: '1' },
      evaluate: { type: 'string', default: '1' },
      evaluator: { type: 'string' },
    },
  });
  const latent = Number(flags.latent),
    epochs = Number(flags.epochs),
    seed = Number(flags.seed);
  const batchSize = Number(flags['batch-size']),
    learningRate = Number(flags['learning-rate']);
  const outDir = flags.out ?? `out/vae-${latent}d`;
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

  const { train, test } = mnistSplit({ seed });
  const n = Math.min(Number(flags['train-size']), train.n);
  const binarise = (images, count) => tidy(() => cast(greater(tensor(images, [count, IMAGE_SIZE]), 0.5), 'float32'));
  const xTrain = binarise(train.images.subarray(0, n * IMAGE_SIZE), n);
  const xTest = binarise(test.images, test.n);
  console.log(`binarised MNIST digits: ${n} to train, ${test.n} held out (split seed ${seed}); latent ${latent}-D`);

  const { vae, encoder, decoder } = buildVae({ latent, seed });
  vae.summary();
  vae.compile({ optimizer: adam({ learningRate }), loss: 'binaryCrossentropy' });
  // one fixed batch of prior codes, so the grids of successive epochs show the same digits improving
  const priorCodes = randomNormal([64, latent], 0, 1, { seed: 2024 });
  const evaluationCodes = randomNormal([EVALUATION_SAMPLES, latent], 0, 1, { seed: 4242 });
  const manifoldCodes = latent === 2 ? tensor(latentGrid(15), [225, 2]) : undefined;
  const perEpoch = [];
  const files = [];
  const report = {
    onEpochEnd: async (epoch) => {
      const elbo = await negativeElbo({ encoder, decoder }, xTest);
      if (evaluator) {
        const digits = decoder.predict(evaluationCodes);
        elbo.quality = await evaluator.score(digits);
        digits.dispose();
        console.log(scoreLine(`  ${EVALUATION_SAMPLES} samples from the prior`, elbo.quality));
      }
      perEpoch.push(elbo);
      console.log(
        `  held-out −ELBO ${elbo.negativeElbo.toFixed(2)} nats/digit ` +
          `(reconstruction ${elbo.reconstruction.toFixed(2)} + KL ${elbo.kl.toFixed(2)})`,
      );
      const path = join(outDir, `samples-epoch-${String(epoch + 1).padStart(2, '0')}.png`);
      await writeFile(path, await decodedPng(decoder, priorCodes, 8));
      files.push(path);
    },
  };
  const started = Date.now();
  await vae.fit(xTrain, xTrain, { epochs, batchSize, callbacks: [report], verbose: Number(flags.verbose) });
  const seconds = (Date.now() - started) / 1000;
  const last = perEpoch[perEpoch.length - 1];
  console.log(
    `after ${epochs} epochs (${seconds.toFixed(1)} s): held-out −ELBO ${last.negativeElbo.toFixed(2)} nats per digit ` +
      `(reconstruction ${last.reconstruction.toFixed(2)}, KL ${last.kl.toFixed(2)}); samples from the prior: ${files.at(-1)}`,
  );
  if (manifoldCodes) {
    const path = join(outDir, 'manifold.png');
    await writeFile(path, await decodedPng(decoder, manifoldCodes, 15));
    files.push(path);
    console.log(`decoded manifold over z ∈ [−2, 2]²: ${path}`);
  }
  await writeFile(
    join(outDir, 'elbo.json'),
    JSON.stringify({ latent, epochs, perEpoch, reference: evaluator?.reference }, null, 2),
  );
  [xTrain, xTest, priorCodes, manifoldCodes, evaluationCodes].forEach((t) => t?.dispose());
  vae.dispose();
  evaluator?.dispose();
  return { perEpoch, files, pixels: PIXELS };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

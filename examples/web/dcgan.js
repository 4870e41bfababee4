// The demo's DCGAN: the generator and discriminator of examples/generative-models.mjs (the gan.mjs lab's),
// trained in turns on the page's training digits scaled to [−1, 1] with the lab's custom step and its
// non-saturating loss from logits, adam with β₁ = 0.5. Each round reads both losses back for the
// progress view and the two loss charts; after each epoch (and once before training) the grid shows the
// generator's digits for one fixed batch of codes, so the same samples are seen improving.
// Imports the webgrad packages (through the page's import map) and the lab's model builders.
import { add, mul, randomNormal, slice, tensor, tidy } from '@webgrad/core';
import { adam, ganLoss } from '@webgrad/layers';
import { buildDiscriminator, buildGenerator, customGanStep } from './examples/generative-models.mjs';

/** The lab's sizes for a short run: 16 filters in the first layer, a 64-D latent. */
export const DCGAN = { width: 16, latent: 64 };

/** Runs the training loop; `page` is demo.js's (state, progress, charts, grid). Resolves to { stopped, summary }. */
export async function trainDcgan(page, { epochs, batchSize, trainSize, learningRate }) {
  const { $, state, progress, GRID } = page;
  const { latent, width } = DCGAN;
  const steps = Math.floor(trainSize / batchSize);
  if (steps < 1) throw new Error(`DCGAN: ${trainSize} training digits make no batch of ${batchSize}`);
  // pixels in [0, 1] → [−1, 1], the range of the generator's tanh
  const images = tidy(() =>
    add(mul(tensor(state.data.train.images.subarray(0, trainSize * 784), [trainSize, 28, 28, 1]), 2), -1),
  );
  const generator = buildGenerator({ latent, width, seed: 1 });
  const discriminator = buildDiscriminator({ width, seed: 2 });
  const dOptimizer = adam({ learningRate, beta1: 0.5 });
  const gOptimizer = adam({ learningRate, beta1: 0.5 });
  const fixedCodes = randomNormal([GRID, latent], 0, 1, { seed: 777 });
  state.model = generator;
  state.parts = { discriminator };
  page.keep(discriminator, dOptimizer, gOptimizer, fixedCodes);
  const loss = ganLoss('nonSaturating');
  const series = ['train', 'this epoch'];
  const { lossChart, metricChart } = page.newCharts(
    epochs,
    { title: 'discriminator loss', series },
    { title: 'generator loss', series },
  );
  $('status').textContent =
    `Training the DCGAN on ${steps * batchSize} digits, ${steps} rounds an epoch ` +
    `(one discriminator and one generator update each) — ${state.backend}`;

  // samples with batch statistics, as in training (the lab's choice: BN's moving averages lag early on)
  const showSamples = async (caption) => {
    const samples = tidy(() => mul(add(generator.apply(fixedCodes, { training: true, seed: 0 }), 1), 0.5));
    const pixels = await samples.data();
    samples.dispose();
    page.showSamples(pixels, caption);
  };
  state.sampleCodes = Array.from(await fixedCodes.data());
  await showSamples('— the untrained generator on one fixed batch of codes');
  let stopped = false;
  state.stop = () => {
    stopped = true;
  };
  // per epoch, and the discriminator's loss each round (it learns first: its loss falls from 2 ln 2)
  const history = { dLoss: [], gLoss: [], dRounds: [] };
  let round = 0;
  try {
    for (let epoch = 0; epoch < epochs && !stopped; epoch++) {
      progress.epochBegin(epoch, epochs, steps);
      lossChart.restartRunning();
      metricChart.restartRunning();
      let dSum = 0,
        gSum = 0;
      for (let b = 0; b < steps && !stopped; b++) {
        const real = slice(images, [b * batchSize], [batchSize, 28, 28, 1]);
        const [d, g] = customGanStep({
          generator,
          discriminator,
          loss,
          dOptimizer,
          gOptimizer,
          real,
          latent,
          step: round,
        });
        real.dispose();
        const [dLoss] = await d.data();
        const [gLoss] = await g.data();
        history.dRounds.push(dLoss);
        dSum += dLoss;
        gSum += gLoss;
        d.dispose();
        g.dispose();
        round++;
        const running = { dLoss: dSum / (b + 1), gLoss: gSum / (b + 1) };
        progress.step(b + 1, running);
        lossChart.add('this epoch', epoch + (b + 1) / steps, running.dLoss);
        metricChart.add('this epoch', epoch + (b + 1) / steps, running.gLoss);
        await page.yieldToPage();
      }
      if (stopped) break;
      const logs = { dLoss: dSum / steps, gLoss: gSum / steps };
      progress.epochEnd(epoch, logs);
      lossChart.add('train', epoch + 1, logs.dLoss);
      metricChart.add('train', epoch + 1, logs.gLoss);
      history.dLoss.push(logs.dLoss);
      history.gLoss.push(logs.gLoss);
      state.history = history;
      state.epochsDone = epoch + 1;
      await showSamples(`— after epoch ${epoch + 1}: the generator on the same codes`);
    }
  } finally {
    images.dispose();
  }
  state.history = history;
  const last = history.dLoss.length - 1;
  const summary =
    last < 0
      ? ''
      : `${round} rounds; discriminator loss ${history.dLoss[last].toFixed(3)}, generator loss ${history.gLoss[last].toFixed(3)}`;
  return { stopped, summary };
}

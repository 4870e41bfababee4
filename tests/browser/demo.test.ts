// The browser end to end: headless Chromium (tests/browser/chromium.ts) loads the pages that
// examples/web/serve.mjs serves on 127.0.0.1, from the library's browser build (dist/web/). It runs the
// GPU kernel suite's small cases in the page against the CPU reference, trains the demo's MLP for a few
// steps on a small subset (the loss must fall, and beat guessing: ln 10), saves a screenshot mid-training
// (out/browser/demo.png), draws a digit on the pad with the mouse and checks the page's class
// probabilities against the same weights run in Node on the CPU backend, trains the autoencoder (its
// grid's reconstructions improve each epoch, and match Node's CPU backend), trains the labs' other models
// a few steps each — the LSTM (its accuracy beats chance, and is what Node computes with its weights),
// the VAE and the DCGAN (the sample grid, read back from the canvas, is drawn, changes between epochs, and
// shows what the same weights and codes give on Node's CPU backend), the char model (the corpus the page
// got is the installed package's, and its generated text has the asked length and only the corpus's
// characters) — loads Keras-written .keras files through the Load control (the page predicts as Node
// does), and checks the page's message when WebGPU is unavailable. A missing adapter fails, as every GPU
// test here does.
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { add, mul, tensor, tidy, withBackend, type Tensor } from '@webgrad/core';
import { dense, dropout, input, loadModel, model, sequential } from '@webgrad/layers';
import { loadFortunes, VOCABULARY } from '../../examples/charlm-data.mjs';
import { buildGenerator, buildVae } from '../../examples/generative-models.mjs';
import { buildRowsLstm } from '../../examples/sequence-models.mjs';
import { mnistBinary, startServer } from '../../examples/web/serve.mjs';
import { cpu } from '../helpers.js';
import { launchChromium } from './chromium.js';
import type { CheckResult } from './kernel-checks.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const shotDir = join(root, 'out/browser');

interface PageState {
  phase: string;
  error: string;
  backend: string;
  epochsDone?: number;
  history: Record<string, number[]> | null;
  gridPredictions?: number[];
  drawn: { pixels: number[]; probabilities: number[]; prediction: number } | null;
  reconstructionMse: number[];
  samples: { epoch: number; temperature: number; prompt: string; text: string }[];
  sampleCodes?: number[];
}
// the state's small fields, picked in the page (its digits, corpus and grids stay there)
const pageState = (page: Page): Promise<PageState> =>
  page.evaluate(() => {
    const s = (window as unknown as { demo: { state: PageState } }).demo.state;
    const { phase, error, backend, epochsDone, history, gridPredictions, drawn, reconstructionMse, samples } = s;
    return { phase, error, backend, epochsDone, history, gridPredictions, drawn, reconstructionMse, samples };
  });
/** The generative models' grids as the page drew them: the canvas in grey levels, and the 36 digits' values. */
const sampleGrids = (page: Page) =>
  page.evaluate(
    () =>
      (window as unknown as { demo: { state: { sampleGrids: { grey: number[]; pixels: number[] }[] } } }).demo.state
        .sampleGrids,
  );
const pageWeights = (page: Page, part?: string) =>
  page.evaluate(
    (p) =>
      (
        window as unknown as { demo: { weights(part?: string): Promise<{ shape: number[]; values: number[] }[]> } }
      ).demo.weights(p),
    part,
  );
const waitForRun = (page: Page, timeout: number) =>
  page.waitForFunction(
    () => ['done', 'error'].includes((window as unknown as { demo?: { state: PageState } }).demo?.state.phase ?? ''),
    null,
    { polling: 250, timeout },
  );

// The demo's MLP (examples/web/demo.js), rebuilt in Node; setWeights fails loudly if the two drift apart.
const mlp = () =>
  sequential([
    dropout({ rate: 0.1, inputShape: [784] }),
    dense({ units: 256, activation: 'relu' }),
    dropout({ rate: 0.3 }),
    dense({ units: 128, activation: 'relu' }),
    dropout({ rate: 0.3 }),
    dense({ units: 10, activation: 'softmax' }),
  ]);

describe('browser: the demo page in headless Chromium on WebGPU', function () {
  this.timeout(150_000);
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;

  before(async () => {
    if (!existsSync(join(root, 'dist/web/core.js'))) {
      throw new Error('no browser build in dist/web/: run `node scripts/build-web.mjs` (scripts/setup.mjs does)');
    }
    server = await startServer({ port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const pageErrors = new WeakMap<Page, string[]>();
  async function openPage(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    // the page's event loop must keep turning while it loads and trains: a ticker records its longest gap
    await page.addInitScript(() => {
      const w = window as unknown as { maxGap: number };
      let last = performance.now();
      w.maxGap = 0;
      setInterval(() => {
        const now = performance.now();
        w.maxGap = Math.max(w.maxGap, now - last);
        last = now;
      }, 20);
    });
    const errors: string[] = [];
    pageErrors.set(page, errors);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url + path);
    return page;
  }

  it("runs the kernel suite's small cases on the browser's WebGPU adapter, matching the CPU reference", async () => {
    const page = await openPage('tests/kernels.html');
    await page.waitForFunction(() => 'runKernelChecks' in window);
    const { adapter, results, startMs, gemmSource } = await page.evaluate(() =>
      (
        window as unknown as {
          runKernelChecks(): Promise<{ adapter: string; results: CheckResult[]; startMs: number; gemmSource: string }>;
        }
      ).runKernelChecks(),
    );
    console.log(`      browser adapter: ${adapter}; ${results.length} kernel cases`);
    // a fresh page (a new browser context: empty localStorage, so no cached GEMM choice) starts on the
    // adapter class's default GEMM without timing anything; how long that start took is printed
    console.log(`      first setBackend('webgpu') in a fresh profile: ${Math.round(startMs)} ms (GEMM: ${gemmSource})`);
    expect(gemmSource).to.equal('default');
    expect(adapter).to.match(/^WebGPU: /);
    const failed = results.filter((r) => !r.ok).map((r) => `${r.name} ${r.shapes}: ${r.error}`);
    expect(failed, failed.join('\n')).to.deep.equal([]);
    expect(results.length).to.be.greaterThan(40);
    await page.close();
  });

  it("trains the MLP in the page (the loss falls), shows progress, and predicts a drawn digit as Node's CPU backend does", async () => {
    const page = await openPage('?model=mlp&epochs=2&batch=64&train=512&val=256&autostart=1');
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { demo?: { state: PageState } }).demo?.state;
        return s && (s.phase === 'error' || (s.epochsDone ?? 0) >= 1);
      },
      null,
      { polling: 200, timeout: 120_000 },
    );
    // the ticker's longest gap through loading, kernel compiles and epoch 1, read before the screenshot: a
    // screenshot (or mouse input) makes Chromium draw a frame, which waits for the GPU process, busy
    // here with SwiftShader's compute, and stalls the page's thread for seconds; no user causes that
    const loadAndEpoch1Gap = await page.evaluate(() => (window as unknown as { maxGap: number }).maxGap);
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'demo.png'), fullPage: true });
    const mid = await pageState(page);
    expect(mid.error).to.equal('');
    expect(mid.backend).to.match(/^WebGPU: /);
    expect(await page.textContent('#epoch-log')).to.match(
      /^Epoch 1\/2 - .*ms\/step - loss: [\d.]+ - accuracy: [\d.]+ - val_loss: /,
    );

    await page.waitForFunction(
      () => ['done', 'error'].includes((window as unknown as { demo: { state: PageState } }).demo.state.phase),
      null,
      { polling: 250, timeout: 120_000 },
    );
    const done = await pageState(page);
    expect(done.error).to.equal('');
    // every kernel of the training run was compiled asynchronously, none on the page's thread
    const compiles = await page.evaluate(() =>
      (window as unknown as { demo: { compiles(): { sync: number; async: number } } }).demo.compiles(),
    );
    console.log(`      kernel compiles in the page: ${JSON.stringify(compiles)}`);
    expect(compiles.sync).to.equal(0);
    expect(compiles.async).to.be.greaterThan(10);
    const { loss, val_loss } = done.history!;
    console.log(
      `      loss by epoch ${loss.map((v) => v.toFixed(4)).join(' → ')}; val_loss ${val_loss.map((v) => v.toFixed(4)).join(' → ')}; ` +
        `the page's longest event-loop gap through loading, kernel compiles and epoch 1: ${Math.round(loadAndEpoch1Gap)} ms`,
    );
    expect(loss[1]).to.be.lessThan(loss[0]);
    expect(val_loss[1]).to.be.lessThan(Math.log(10)); // better than guessing uniformly among 10 classes

    // draw a 7 with the mouse: a bar across the top, then a stroke down to the lower left
    const box = (await page.locator('#pad').boundingBox())!;
    const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
    await page.mouse.move(...at(0.3, 0.25));
    await page.mouse.down();
    for (const [fx, fy] of [
      [0.7, 0.25],
      [0.6, 0.5],
      [0.45, 0.8],
    ]) {
      await page.mouse.move(...at(fx, fy), { steps: 8 });
    }
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { demo: { state: PageState } }).demo.state.drawn !== null);
    const { drawn, gridPredictions } = await pageState(page);
    const weights = await page.evaluate(() =>
      (window as unknown as { demo: { weights(): Promise<{ shape: number[]; values: number[] }[]> } }).demo.weights(),
    );
    expect(pageErrors.get(page)).to.deep.equal([]);
    await page.close();

    expect(drawn!.pixels.filter((v) => v > 0.5).length).to.be.greaterThan(20);
    const total = drawn!.probabilities.reduce((a, b) => a + b, 0);
    expect(total).to.be.closeTo(1, 1e-5);
    expect(drawn!.prediction).to.equal(drawn!.probabilities.indexOf(Math.max(...drawn!.probabilities)));

    // the same weights on the CPU reference backend, in Node
    const test = testDigits();
    const [single, grid] = withBackend(cpu(), () => {
      const model = mlp();
      model.build();
      const outputs = tidy(() => {
        model.setWeights(weights.map((w) => tensor(w.values, w.shape)));
        return [
          model.predict(tensor(drawn!.pixels, [1, 784])),
          model.predict(tensor(test.images.subarray(0, 36 * 784), [36, 784])),
        ];
      });
      model.dispose();
      return outputs;
    });
    const probabilities = await single.data(),
      gridProbabilities = await grid.data();
    [single, grid].forEach((t) => t.dispose());
    drawn!.probabilities.forEach((p, k) => expect(p, `class ${k}`).to.be.closeTo(probabilities[k], 1e-4));
    // the grid's classes, wherever the CPU's top two are not a near-tie that float32 rounding could flip
    for (let i = 0; i < 36; i++) {
      const row = Array.from(gridProbabilities.subarray(i * 10, i * 10 + 10));
      const sorted = [...row].sort((a, b) => b - a);
      if (sorted[0] - sorted[1] > 1e-3) expect(gridPredictions![i], `grid digit ${i}`).to.equal(row.indexOf(sorted[0]));
    }
  });

  it("trains the autoencoder in the page: its grid's reconstructions redrawn each epoch, their MSE as on Node's CPU", async function () {
    this.timeout(260_000); // page load, kernel compiles and 32 steps on SwiftShader: slow on 2 shared cores
    const page = await openPage('?model=autoencoder&epochs=2&batch=16&train=256&val=128&autostart=1');
    await page.waitForFunction(
      () => ['done', 'error'].includes((window as unknown as { demo: { state: PageState } }).demo.state.phase),
      null,
      { polling: 250, timeout: 200_000 },
    );
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'demo-autoencoder.png'), fullPage: true });
    const done = await pageState(page);
    const weights = await page.evaluate(() =>
      (window as unknown as { demo: { weights(): Promise<{ shape: number[]; values: number[] }[]> } }).demo.weights(),
    );
    expect(pageErrors.get(page)).to.deep.equal([]);
    await page.close();
    expect(done.error).to.equal('');
    const { loss, val_mse } = done.history!;
    console.log(
      `      autoencoder loss by epoch ${loss.map((v) => v.toFixed(4)).join(' → ')}; ` +
        `the grid's MSE/pixel before training and after each epoch ${done.reconstructionMse.map((v) => v.toFixed(4)).join(' → ')}`,
    );
    expect(val_mse).to.have.length(2);
    // redrawn before training and after each of the two epochs, better each time
    expect(done.reconstructionMse).to.have.length(3);
    expect(done.reconstructionMse[1]).to.be.lessThan(done.reconstructionMse[0] * 0.8);
    expect(done.reconstructionMse[2]).to.be.lessThan(done.reconstructionMse[1]);

    // the grid's 18 digits through the same weights (getWeights order) on the CPU reference backend
    const test = testDigits();
    const originals = test.images.subarray(0, 18 * 784);
    const reconstructed = await withBackend(cpu(), async () => {
      const pixels = input({ shape: [784] });
      let x = pixels;
      for (const [units, activation] of [
        [128, 'relu'],
        [32, 'relu'],
        [128, 'relu'],
        [784, 'sigmoid'],
      ] as const) {
        x = dense({ units, activation }).apply(x);
      }
      const autoencoder = model({ inputs: pixels, outputs: x });
      autoencoder.setWeights(weights.map((w) => tensor(w.values, w.shape)));
      const out = autoencoder.predict(tensor(originals, [18, 784]));
      const values = await out.data();
      out.dispose();
      autoencoder.dispose();
      return values;
    });
    let squared = 0;
    originals.forEach((v, p) => {
      squared += (reconstructed[p] - v) ** 2;
    });
    expect(done.reconstructionMse[2]).to.be.closeTo(squared / originals.length, 1e-6);
  });

  it("trains the LSTM on digits as 28 rows: the loss falls, its accuracy beats chance, as Node's CPU finds", async function () {
    this.timeout(300_000); // page load, kernel compiles and 8 steps of a 28-step LSTM on SwiftShader
    const valSize = 128;
    const page = await openPage(`?model=lstm&epochs=2&batch=64&train=256&val=${valSize}&autostart=1`);
    await waitForRun(page, 280_000);
    const done = await pageState(page);
    const weights = await pageWeights(page);
    expect(pageErrors.get(page)).to.deep.equal([]);
    await page.close();
    expect(done.error).to.equal('');
    const { loss, val_accuracy } = done.history!;
    console.log(
      `      LSTM loss by epoch ${loss.map((v) => v.toFixed(4)).join(' → ')}; ` +
        `held-out accuracy ${val_accuracy.map((v) => `${(v * 100).toFixed(1)}%`).join(' → ')} (chance: 10%)`,
    );
    expect(loss[1]).to.be.lessThan(loss[0]);
    expect(val_accuracy[1]).to.be.greaterThan(0.2);
    // the same weights on the CPU reference: the held-out digits' accuracy is the page's
    const test = testDigits();
    const probabilities = withBackend(cpu(), () => {
      const lstm = buildRowsLstm({ units: 128, shift: 1, seed: 1 });
      lstm.setWeights(weights.map((w) => tensor(w.values, w.shape)));
      const out = lstm.predict(tensor(test.images.subarray(0, valSize * 784), [valSize, 28, 28]));
      lstm.dispose();
      return out;
    });
    const values = await probabilities.data();
    probabilities.dispose();
    let right = 0;
    for (let i = 0; i < valSize; i++) {
      const row = Array.from(values.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === test.labels[i]) right++;
    }
    // one digit's top two classes may swap under float32 rounding
    expect(right / valSize).to.be.closeTo(val_accuracy[1], 1.5 / valSize);
  });

  it('trains the VAE: held-out −ELBO falls, the prior samples redrawn each epoch as the CPU decodes them', async function () {
    this.timeout(300_000);
    const page = await openPage('?model=vae&epochs=2&batch=32&train=1024&val=128&autostart=1');
    await waitForRun(page, 280_000);
    const done = await pageState(page);
    const grids = await sampleGrids(page);
    const decoderWeights = await pageWeights(page, 'decoder');
    const codes = await page.evaluate(
      () => (window as unknown as { demo: { state: PageState } }).demo.state.sampleCodes!,
    );
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'demo-vae.png'), fullPage: true });
    expect(pageErrors.get(page)).to.deep.equal([]);
    await page.close();
    expect(done.error).to.equal('');
    const { loss, val_negative_elbo } = done.history!;
    console.log(
      `      VAE loss by epoch ${loss.map((v) => v.toFixed(4)).join(' → ')}; held-out −ELBO ` +
        `${val_negative_elbo.map((v) => v.toFixed(1)).join(' → ')} nats/digit; ${gridSummary(grids)}`,
    );
    expect(loss[1]).to.be.lessThan(loss[0]);
    expect(val_negative_elbo[1]).to.be.lessThan(val_negative_elbo[0]);
    checkSampleGrids(grids);
    const decoded = withBackend(cpu(), () => {
      const { vae, decoder } = buildVae({ latent: 16, seed: 1 });
      decoder.setWeights(decoderWeights.map((w) => tensor(w.values, w.shape)));
      const out = decoder.predict(tensor(codes, [36, 16]));
      vae.dispose();
      return out;
    });
    expect(maxDiff(grids[2].pixels, await valuesOf(decoded))).to.be.below(1e-4);
  });

  it("trains the DCGAN: the discriminator's loss falls, samples redrawn each epoch as the CPU makes them", async function () {
    this.timeout(300_000);
    const page = await openPage('?model=dcgan&epochs=2&batch=16&train=48&autostart=1');
    await waitForRun(page, 280_000);
    const done = await pageState(page);
    const grids = await sampleGrids(page);
    const generatorWeights = await pageWeights(page);
    const codes = await page.evaluate(
      () => (window as unknown as { demo: { state: PageState } }).demo.state.sampleCodes!,
    );
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'demo-dcgan.png'), fullPage: true });
    expect(pageErrors.get(page)).to.deep.equal([]);
    await page.close();
    expect(done.error).to.equal('');
    const { dLoss, gLoss, dRounds } = done.history!;
    console.log(
      `      DCGAN discriminator loss by round ${dRounds.map((v) => v.toFixed(3)).join(' → ')}; by epoch ` +
        `${dLoss.map((v) => v.toFixed(3)).join(' → ')} (generator ${gLoss.map((v) => v.toFixed(3)).join(' → ')}); ${gridSummary(grids)}`,
    );
    // from 2 ln 2 (it cannot tell real from generated) down, as the discriminator learns first
    expect(dRounds[0]).to.be.closeTo(2 * Math.log(2), 0.25);
    expect(dRounds.at(-1)).to.be.lessThan(dRounds[0]);
    expect(dLoss[1]).to.be.lessThan(dLoss[0]);
    checkSampleGrids(grids);
    // the samples use batch statistics, as in training (examples/gan.mjs)
    const generated = withBackend(cpu(), () => {
      const generator = buildGenerator({ latent: 64, width: 16, seed: 1 });
      generator.setWeights(generatorWeights.map((w) => tensor(w.values, w.shape)));
      const out = tidy(() => {
        const images = generator.apply(tensor(codes, [36, 64]), { training: true, seed: 0 }) as Tensor;
        return mul(add(images, 1), 0.5);
      });
      generator.dispose();
      return out;
    });
    expect(maxDiff(grids[2].pixels, await valuesOf(generated))).to.be.below(1e-4);
  });

  it('trains the char model on the installed fortunes: the loss falls, the text fits the ask and the corpus', async function () {
    this.timeout(300_000);
    const length = 30;
    const page = await openPage(`?model=charlm&epochs=2&batch=32&train=64&val=16&sample=${length}&autostart=1`);
    await waitForRun(page, 280_000);
    const done = await pageState(page);
    const served = await page.evaluate(() => {
      const { corpus } = (window as unknown as { demo: { state: { corpus: Record<string, Int32Array> } } }).demo.state;
      return Object.fromEntries(
        Object.entries(corpus).map(([part, ids]) => [part, ids.reduce((h, id) => (h * 31 + id) >>> 0, ids.length)]),
      );
    });
    const shown = await page.textContent('#generated');
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'demo-charlm.png'), fullPage: true });
    expect(pageErrors.get(page)).to.deep.equal([]);
    await page.close();
    expect(done.error).to.equal('');
    // the page's corpus is the one Node reads from the installed package, id for id
    const corpus = loadFortunes();
    const hash = (ids: Int32Array) => ids.reduce((h, id) => (h * 31 + id) >>> 0, ids.length);
    expect(served).to.deep.equal({
      train: hash(corpus.train),
      validation: hash(corpus.validation),
      test: hash(corpus.test),
    });
    const { loss, val_perplexity } = done.history!;
    console.log(
      `      char model loss by epoch ${loss.map((v) => v.toFixed(4)).join(' → ')} (uniform: ln 96 = 4.56); ` +
        `validation perplexity ${val_perplexity.map((v) => v.toFixed(2)).join(' → ')}; ` +
        `last sample ${JSON.stringify(done.samples.at(-1)!.text)}`,
    );
    expect(loss[1]).to.be.lessThan(loss[0]);
    expect(loss[1]).to.be.lessThan(Math.log(96)); // better than guessing uniformly among 96 symbols
    const alphabet = new Set(
      [corpus.train, corpus.validation, corpus.test].flatMap((ids) => Array.from(ids, (id) => VOCABULARY[id])),
    );
    expect(done.samples.map((s) => [s.epoch, s.temperature])).to.deep.equal([
      [1, 0.5],
      [1, 1],
      [2, 0.5],
      [2, 1],
    ]);
    for (const { text } of done.samples) {
      expect(text).to.have.length(length);
      const foreign = [...text].filter((c) => !alphabet.has(c));
      expect(foreign, `characters outside the corpus in ${JSON.stringify(text)}`).to.deep.equal([]);
      expect(shown).to.include(`The ${text}`);
    }
  });

  it('loads Keras-written .keras files picked in the Load control, predicting in the page as Node does', async function () {
    this.timeout(200_000);
    const page = await openPage('');
    await page.waitForFunction(
      () => (window as unknown as { demo?: { state: PageState } }).demo?.state.phase === 'ready',
      null,
      { timeout: 120_000 },
    );
    const expected = JSON.parse(readFileSync(join(KERAS_FIXTURES, 'expected.json'), 'utf8')) as {
      models: Record<string, { x: unknown[]; dtype: string; outputs: unknown[] }>;
    };
    for (const name of ['mlp', 'recurrent']) {
      const file = join(KERAS_FIXTURES, `${name}.keras`);
      await page.setInputFiles('#load-files', file);
      await page.waitForFunction(
        (n) =>
          /^Loaded .*\.keras|failed/.test(document.getElementById('save-status')!.textContent!) &&
          document.getElementById('save-status')!.textContent!.includes(n),
        `${name}.keras`,
        { timeout: 120_000 },
      );
      expect(await page.textContent('#save-status')).to.equal(`Loaded ${name}.keras.`);
      expect(await page.textContent('#status')).to.match(
        new RegExp(`^Using ${name} loaded from ${name}\\.keras: input `),
      );
      const { x, dtype, outputs } = expected.models[name];
      const shape = shapeOf(x);
      const inPage = await page.evaluate(
        ([values, sampleShape, type]) =>
          (
            window as unknown as {
              demo: { predict(v: number[], s: number[], d: string): Promise<number[][]> };
            }
          ).demo.predict(values, sampleShape, type),
        [x.flat(Infinity) as number[], shape, dtype] as const,
      );
      // Node reads the same file (on the CPU reference backend, the tests' default)
      const net = await loadModel(file);
      const out = net.predict(tensor(x.flat(Infinity) as number[], shape, dtype === 'int32' ? 'int32' : 'float32'));
      const node = await valuesOf(out as Tensor);
      net.dispose();
      console.log(
        `      ${name}.keras in the page vs Node: largest difference ${maxDiff(inPage[0], node).toExponential(2)}`,
      );
      expect(inPage).to.have.length(1);
      expect(maxDiff(inPage[0], node)).to.be.below(1e-5);
      expect(maxDiff(inPage[0], (outputs[0] as unknown[]).flat(Infinity) as number[])).to.be.below(1e-5);
    }
    expect(pageErrors.get(page)).to.deep.equal([]);
    await page.close();
  });

  it('says which browsers and flags work when WebGPU is unavailable, and falls back to the CPU backend', async () => {
    const plain = await launchChromium({ webgpu: false }); // without --enable-unsafe-webgpu, Chromium offers no CPU adapter
    try {
      const page = await plain.newPage();
      await page.goto(server.url);
      await page.waitForFunction(
        () =>
          ['ready', 'error'].includes((window as unknown as { demo?: { state: PageState } }).demo?.state.phase ?? ''),
        null,
        { timeout: 60_000 },
      );
      const warning = page.locator('#no-webgpu');
      expect(await warning.isVisible()).to.equal(true);
      const text = await warning.innerText();
      expect(text).to.match(/no WebGPU adapter/);
      expect(text).to.match(/Chrome and Edge 113\+/);
      expect(text).to.match(/--enable-unsafe-webgpu/);
      expect((await pageState(page)).backend).to.match(/^CPU reference backend/);
    } finally {
      await plain.close();
    }
  });
});

/** The held-out digits as the page gets them: mnist.bin's test part, bytes / 255, and their labels. */
function testDigits() {
  const bytes = mnistBinary();
  const view = new DataView(bytes.buffer);
  const nTrain = view.getUint32(4, true),
    nTest = view.getUint32(8, true);
  const start = 16 + nTrain * 785;
  return {
    images: Float32Array.from(bytes.subarray(start, start + nTest * 784), (v) => v / 255),
    labels: bytes.subarray(start + nTest * 784, start + nTest * 785),
    n: nTest,
  };
}

const KERAS_FIXTURES = join(root, 'tests/fixtures/keras');

const shapeOf = (x: unknown): number[] => (Array.isArray(x) ? [x.length, ...shapeOf(x[0])] : []);

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length, 'lengths').to.equal(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

/** A tensor's values, then the tensor disposed. */
async function valuesOf(t: Tensor): Promise<Float32Array> {
  const values = Float32Array.from(await t.data());
  t.dispose();
  return values;
}

// The grid canvas's layout (views.js drawDigitGrid: 9 columns of 2×-scaled digits, 4 px apart, 18 px label rows)
const GRID_WIDTH = 536,
  COLUMN_PITCH = 60,
  ROW_PITCH = 76;

/** Grey levels of the grid's 36 digit cells, as the canvas shows them. */
function cellGreys(grey: number[]): number[] {
  const cells: number[] = [];
  for (let i = 0; i < 36; i++) {
    for (let y = 0; y < 56; y++) {
      const row = (Math.floor(i / 9) * ROW_PITCH + y) * GRID_WIDTH + (i % 9) * COLUMN_PITCH;
      cells.push(...grey.slice(row, row + 56));
    }
  }
  return cells;
}

const spread = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
};
const meanChange = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

const gridSummary = (grids: { grey: number[] }[]) => {
  const cells = grids.map((g) => cellGreys(g.grey));
  return (
    `the grid's grey-level spread ${cells.map((c) => spread(c).toFixed(1)).join(' → ')}, ` +
    `mean change per redraw ${cells
      .slice(1)
      .map((c, k) => meanChange(c, cells[k]).toFixed(1))
      .join(', ')}`
  );
};

/**
 * The grids drawn before training and after each of two epochs: each shows its digits' values (dark on
 * white, one canvas pixel per value off by at most one grey level), the last is not blank (its grey
 * levels spread out; a blank canvas has one level), and each redraw changed the picture.
 */
function checkSampleGrids(grids: { grey: number[]; pixels: number[] }[]) {
  expect(grids).to.have.length(3);
  grids.forEach(({ grey, pixels }, k) => {
    let worst = 0;
    for (let i = 0; i < 36; i++) {
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          const v = Math.min(1, Math.max(0, pixels[i * 784 + r * 28 + c]));
          const at = (Math.floor(i / 9) * ROW_PITCH + 2 * r) * GRID_WIDTH + (i % 9) * COLUMN_PITCH + 2 * c;
          worst = Math.max(worst, Math.abs(grey[at] - (255 - Math.round(v * 255))));
        }
      }
    }
    expect(worst, `grid ${k}: the canvas against the sample values`).to.be.at.most(1);
  });
  const cells = grids.map((g) => cellGreys(g.grey));
  expect(spread(cells[2]), 'the last grid is not blank').to.be.greaterThan(10);
  expect(meanChange(cells[1], cells[0]), 'the grid changed in epoch 1').to.be.greaterThan(1);
  expect(meanChange(cells[2], cells[1]), 'the grid changed in epoch 2').to.be.greaterThan(1);
}

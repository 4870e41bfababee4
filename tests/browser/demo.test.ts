// The browser end to end: headless Chromium (tests/browser/chromium.ts) loads the pages that
// examples/web/serve.mjs serves on 127.0.0.1, from the library's browser build (dist/web/). It runs the
// GPU kernel suite's small cases in the page against the CPU reference, trains the demo's MLP for a few
// steps on a small subset (the loss must fall, and beat guessing: ln 10), saves a screenshot mid-training
// (out/browser/demo.png), draws a digit on the pad with the mouse and checks the page's class
// probabilities against the same weights run in Node on the CPU backend, trains the autoencoder (its
// grid's reconstructions improve each epoch, and match Node's CPU backend), and checks the page's message
// when WebGPU is unavailable. A missing adapter fails, as every GPU test here does.
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { tensor, tidy, withBackend } from '@webgrad/core';
import { dense, dropout, input, model, sequential } from '@webgrad/layers';
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
}
const pageState = (page: Page) =>
  page
    .evaluate(() => (window as unknown as { demo: { state: PageState } }).demo.state)
    .then(({ phase, error, backend, epochsDone, history, gridPredictions, drawn, reconstructionMse }) => ({
      phase,
      error,
      backend,
      epochsDone,
      history,
      gridPredictions,
      drawn,
      reconstructionMse,
    }));

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

/** The held-out digits as the page gets them: mnist.bin's test part, bytes / 255. */
function testDigits() {
  const bytes = mnistBinary();
  const view = new DataView(bytes.buffer);
  const nTrain = view.getUint32(4, true),
    nTest = view.getUint32(8, true);
  const start = 16 + nTrain * 785;
  return { images: Float32Array.from(bytes.subarray(start, start + nTest * 784), (v) => v / 255), n: nTest };
}

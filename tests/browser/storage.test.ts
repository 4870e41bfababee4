// Saving and loading in a real browser (headless Chromium, WebGPU on its SwiftShader adapter): a model
// trained in one page is saved to indexeddb:// with its optimizer state and loaded in a second page of
// the same origin with identical weights and predictions, and resumes training exactly; listModels and
// removeModel; downloads:// hands over two files that Node's loadModel reads on the CPU backend with
// the same weights and predictions; those files, picked in an <input type=file>, load back in the
// page through browserFiles; a folder Node saved loads in the page over http (relative path and URL);
// and the demo page's Save / Load buttons bring a trained model back after a reload.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { tensor, tidy, withBackend } from '@webgrad/core';
import { loadModel, saveModel } from '@webgrad/layers';
import { startServer } from '../../examples/web/serve.mjs';
import { cpu, expectClose } from '../helpers.js';
import { launchChromium } from './chromium.js';
import type { SavedState } from './storage-checks.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface StoragePage {
  trainAndSave(name: string): Promise<SavedState>;
  loadAndResume(name: string): Promise<{ loaded: SavedState; resumedEqual: boolean; listed: string[] }>;
  removeAndLoad(name: string): Promise<{ listed: string[]; error: string }>;
  download(name: string, file: string): Promise<void>;
  loadPicked(): Promise<SavedState>;
  loadServed(path: string): Promise<SavedState>;
  loadServedError(path: string): Promise<string>;
}
type Call = { [K in keyof StoragePage]: [K, ...Parameters<StoragePage[K]>] }[keyof StoragePage];
const call = <K extends keyof StoragePage>(page: Page, ...[method, ...args]: Extract<Call, [K, ...unknown[]]>) =>
  page.evaluate(
    ([m, a]) =>
      (window as unknown as { storage: Record<string, (...args: unknown[]) => unknown> }).storage[m as string](
        ...(a as unknown[]),
      ),
    [method, args] as const,
  ) as ReturnType<StoragePage[K]>;

describe('browser: saving and loading models in headless Chromium', function () {
  this.timeout(120_000);
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser, context: BrowserContext;
  let saved: SavedState;

  before(async () => {
    if (!existsSync(join(root, 'dist/web/tests/storage-checks.js'))) {
      throw new Error('no browser build in dist/web/: run `node scripts/build-web.mjs` (scripts/setup.mjs does)');
    }
    server = await startServer({ port: 0 });
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true }); // one origin's IndexedDB, shared by its pages
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(): Promise<Page> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('close', () => expect(errors, 'page errors').to.deep.equal([]));
    await page.goto(server.url + 'tests/storage.html');
    await page.waitForFunction(() => 'storage' in window);
    return page;
  }

  it('indexeddb://: a second page loads identical weights and predictions, and training resumes exactly', async () => {
    const first = await open();
    saved = await call(first, 'trainAndSave', 'storage-test');
    await first.close();
    expect(saved.backend).to.match(/^WebGPU: /);
    expect(saved.iterations).to.equal(12); // 3 epochs of 64 samples in batches of 16

    const second = await open();
    const { loaded, resumedEqual, listed } = await call(second, 'loadAndResume', 'storage-test');
    expect(loaded.weights).to.deep.equal(saved.weights);
    expect(loaded.predictions).to.deep.equal(saved.predictions); // same weights, same kernels: bit for bit
    expect(loaded.iterations).to.equal(saved.iterations);
    expect(resumedEqual, 'two loaded copies train to the same weights, the step count carried on').to.equal(true);
    expect(listed).to.include('indexeddb://storage-test');
    await second.close();
  });

  it('downloads:// gives two files that Node loads with the same weights, and browserFiles loads them back in the page', async () => {
    const page = await open();
    const downloads: Promise<string>[] = [];
    const folder = mkdtempSync(join(tmpdir(), 'webgrad-downloads-'));
    page.on('download', (d) =>
      downloads.push(d.saveAs(join(folder, d.suggestedFilename())).then(() => d.suggestedFilename())),
    );
    await call(page, 'download', 'storage-test', 'digits-model');
    for (let waited = 0; downloads.length < 2 && waited < 30_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await Promise.all(downloads)).sort()).to.deep.equal(['digits-model.json', 'digits-model.weights.bin']);

    // Node, CPU backend: the same weights exactly, the same predictions to float32 rounding
    await withBackend(cpu(), async () => {
      const model = await loadModel(join(folder, 'digits-model.json'));
      const weights = await Promise.all(model.weights.map(async (w) => Array.from(await w.data())));
      expect(weights).to.deep.equal(saved.weights);
      const out = tidy(() => model.predict(tensor(saved.x, [saved.x.length / 8, 8])));
      expectClose(
        await out.data(),
        saved.predictions,
        { rtol: 1e-5, atol: 1e-6 },
        'predictions, page (WebGPU) vs Node (CPU)',
      );
      out.dispose();
    });

    await page.setInputFiles('#files', [join(folder, 'digits-model.json'), join(folder, 'digits-model.weights.bin')]);
    const picked = await call(page, 'loadPicked');
    expect(picked.weights).to.deep.equal(saved.weights);
    expect(picked.predictions).to.deep.equal(saved.predictions);

    // and back: saved by Node into a folder the server serves, loaded in the page over http by a
    // relative path and by a full URL
    await withBackend(cpu(), async () =>
      saveModel(await loadModel(join(folder, 'digits-model.json')), join(root, 'dist/web/tests/served-model')),
    );
    for (const path of ['served-model/model.json', `${server.url}tests/served-model/`]) {
      const served = await call(page, 'loadServed', path);
      expect(served.weights, path).to.deep.equal(saved.weights);
      expect(served.predictions, path).to.deep.equal(saved.predictions);
    }
    // a served model.json naming weights on another origin, or beside its folder, is refused in the page too
    const json = JSON.parse(readFileSync(join(root, 'dist/web/tests/served-model/model.json'), 'utf8'));
    for (const [name, weightsPath, why] of [
      ['other-origin', 'http://127.0.0.1:9/steal.bin', 'is an absolute URL (or has a drive letter)'],
      [
        'dot-dot',
        `../served-model/${json.weightsManifest[0].paths[0]}`,
        "has a '..' segment (it leaves the folder or names none)",
      ],
    ]) {
      const folder = join(root, 'dist/web/tests', `hostile-${name}`);
      mkdirSync(folder, { recursive: true });
      json.weightsManifest[0].paths = [weightsPath];
      writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
      const error = await call(page, 'loadServedError', `hostile-${name}/model.json`);
      expect(error).to.equal(
        `loadModel: weights path '${weightsPath}' in ${server.url}tests/hostile-${name}/model.json ` +
          `(weightsManifest[0].paths[0]) ${why}; ` +
          "a weights file must be named by a relative path inside the model's folder",
      );
    }
    await page.close();
  });

  it('the demo page saves its trained model in the browser and, after a reload, loads it back with the same predictions', async () => {
    type Demo = {
      demo: {
        state: { phase: string; error: string; gridPredictions?: number[] };
        weights(): Promise<{ values: number[] }[]>;
      };
    };
    const demo = await context.newPage();
    await demo.goto(server.url + '?model=mlp&epochs=1&batch=64&train=256&val=256&autostart=1');
    await demo.waitForFunction(() => ['done', 'error'].includes((window as unknown as Demo).demo.state.phase), null, {
      polling: 250,
      timeout: 90_000,
    });
    const trained = await demo.evaluate(async () => ({
      ...(window as unknown as Demo).demo.state,
      weights: await (window as unknown as Demo).demo.weights(),
    }));
    expect(trained.error).to.equal('');
    await demo.click('#save');
    await demo.waitForFunction(() =>
      /^Saved to indexeddb:\/\/webgrad-mnist-mlp/.test(document.getElementById('save-status')!.textContent!),
    );
    await demo.goto(server.url + '?model=mlp'); // a fresh load of the page, without training
    await demo.waitForFunction(
      () =>
        (window as unknown as Demo).demo.state.phase === 'ready' &&
        !(document.getElementById('load') as HTMLButtonElement).disabled,
    );
    expect(await demo.textContent('#load')).to.match(/^Load saved MLP \(/);
    await demo.click('#load');
    await demo.waitForFunction(() =>
      /^Loaded indexeddb:\/\/webgrad-mnist-mlp/.test(document.getElementById('save-status')!.textContent!),
    );
    const loaded = await demo.evaluate(async () => ({
      ...(window as unknown as Demo).demo.state,
      weights: await (window as unknown as Demo).demo.weights(),
    }));
    expect(loaded.weights.map((w) => w.values)).to.deep.equal(trained.weights.map((w) => w.values));
    expect(loaded.gridPredictions).to.deep.equal(trained.gridPredictions);
    await demo.close();
  });

  it('removeModel deletes it: listModels no longer has it, and loading says so', async () => {
    const page = await open();
    const { listed, error } = await call(page, 'removeAndLoad', 'storage-test');
    expect(listed).to.not.include('indexeddb://storage-test');
    expect(error).to.match(/^loadModel: no model saved as indexeddb:\/\/storage-test; saved: /);
    await page.close();
  });
});

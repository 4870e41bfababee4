// Model stores in Node: loading from an http:// server (a model.json URL or its folder), from a
// .json path with the weights file it names (the layout downloads:// gives), from File objects
// (browserFiles, as an <input type=file> hands them over), loadWeights/loadCheckpoint through a store,
// and the errors for schemes that need a browser, save-only and load-only stores, and bad targets.
// IndexedDB and downloads run in the real browser test (tests/browser/storage.test.ts). CPU backend:
// the stores move bytes, the same on every backend.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, tidy, withBackend } from '@webgrad/core';
import {
  browserFiles,
  dense,
  l2,
  loadCheckpoint,
  loadModel,
  loadWeights,
  modelArtifacts,
  saveModel,
  sequential,
  type Model,
} from '@webgrad/layers';
import { cpu } from '../helpers.js';

const model = (seed: number) =>
  sequential([dense({ units: 5, activation: 'tanh', inputShape: [3] }), dense({ units: 2 })], { seed });
const valuesOf = async (m: Model) => Promise.all(m.weights.map(async (w) => Array.from(await w.data())));
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );
const x = () =>
  tensor(
    [
      [0.5, -1, 2],
      [1, 0.25, -0.75],
    ],
    [2, 3],
  );
const predictions = async (m: Model) => Array.from(await tidy(() => m.predict(x())).data());

describe('model stores: http(s)://, .json paths, browserFiles, and their errors', () => {
  let dir: string, saved: Model, server: Server, base: string;
  const onCpu = <T>(fn: () => Promise<T>) => withBackend(cpu(), fn);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgrad-stores-'));
    saved = model(7);
    saved.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await onCpu(() =>
      saved.fit(
        x(),
        tensor(
          [
            [1, 0],
            [0, 1],
          ],
          [2, 2],
        ),
        { epochs: 2, verbose: 0 },
      ),
    ); // optimizer state worth restoring
    await onCpu(() => saveModel(saved, join(dir, 'folder'), { includeOptimizer: true, epochsCompleted: 3 }));
    // a static server over dir, as a page's server would serve a saved model
    server = createServer(async (req, res) => {
      try {
        const body = await readFile(join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
        res.writeHead(200).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('loads from http:// — the model.json URL or its folder — with identical weights and predictions', () =>
    onCpu(async () => {
      const expected = await valuesOf(saved);
      const fromFolder = await predictions(await loadModel(join(dir, 'folder'))); // the CPU computes in float64: compare loaded with loaded
      for (const url of [`${base}folder/model.json`, `${base}folder`, `${base}folder/`]) {
        const loaded = await loadModel(url);
        expect(await valuesOf(loaded), url).to.deep.equal(expected);
        expect(await predictions(loaded)).to.deep.equal(fromFolder);
        expect(loaded.compiled?.optimizer.iterations, 'optimizer state restored').to.equal(
          saved.compiled!.optimizer.iterations,
        );
      }
      const { model: resumed, epoch } = await loadCheckpoint(`${base}folder/`);
      expect(epoch).to.equal(3);
      expect(await valuesOf(resumed)).to.deep.equal(expected);
      const target = model(8);
      await loadWeights(target, `${base}folder/model.json`);
      expect(await valuesOf(target)).to.deep.equal(expected);
      expect(await errorOf(loadModel(`${base}nowhere/model.json`))).to.equal(
        `loadModel: GET ${base}nowhere/model.json answered 404 Not Found`,
      );
      expect(await errorOf(saveModel(saved, `${base}folder`))).to.match(
        /^saveModel: http:\/\/.* can only be loaded from; save to a folder, 'indexeddb:\/\/name' or 'downloads:\/\/name'$/,
      );
    }));

  it('loads a .json path whose manifest names its weights file beside it (the files downloads:// gives)', () =>
    onCpu(async () => {
      const { json, weights } = await modelArtifacts(saved);
      json.weightsManifest[0].paths = ['digits.weights.bin'];
      await writeFile(join(dir, 'digits.json'), JSON.stringify(json));
      await writeFile(join(dir, 'digits.weights.bin'), weights);
      const loaded = await loadModel(join(dir, 'digits.json'));
      expect(await valuesOf(loaded)).to.deep.equal(await valuesOf(saved));
      expect(await errorOf(saveModel(saved, join(dir, 'digits.json')))).to.match(
        /^saveModel: '.*digits\.json' names a file; save into a folder/,
      );
      const fileUrl = `file://${join(dir, 'digits.json')}`;
      expect(await valuesOf(await loadModel(fileUrl))).to.deep.equal(await valuesOf(saved));
    }));

  it('loads from File objects (browserFiles), finding the weights file by the name the manifest gives', () =>
    onCpu(async () => {
      const { json, weights } = await modelArtifacts(saved, { includeOptimizer: true });
      json.weightsManifest[0].paths = ['m.weights.bin'];
      const jsonFile = new File([JSON.stringify(json)], 'm.json'),
        weightsFile = new File([new Uint8Array(weights)], 'm.weights.bin');
      const decoy = new File([new Uint8Array(8)], 'other.bin');
      for (const files of [
        [jsonFile, weightsFile],
        [weightsFile, decoy, jsonFile],
      ]) {
        const loaded = await loadModel(browserFiles(files));
        expect(await valuesOf(loaded)).to.deep.equal(await valuesOf(saved));
        expect(loaded.compiled?.optimizer.kind).to.equal('adam');
      }
      // a browser that renamed a second download ('m.weights (1).bin') still pairs up when it is the only other file
      expect(
        await valuesOf(
          await loadModel(browserFiles([jsonFile, new File([new Uint8Array(weights)], 'm.weights (1).bin')])),
        ),
      ).to.deep.equal(await valuesOf(saved));
      expect(await errorOf(loadModel(browserFiles([weightsFile])))).to.equal(
        'loadModel: browserFiles needs exactly one .json file among 1 (m.weights.bin)',
      );
      expect(await errorOf(loadModel(browserFiles([jsonFile, decoy, new File([], 'x.bin')])))).to.equal(
        "loadModel: m.json names weights file 'm.weights.bin', which is not among the files given (other.bin, x.bin)",
      );
      expect(await errorOf(loadModel(browserFiles([new File(['{"format"'], 'bad.json'), weightsFile])))).to.match(
        /^loadModel: bad\.json is not JSON: /,
      );
      // a truncated weights file is refused as from a folder
      expect(
        await errorOf(loadModel(browserFiles([jsonFile, new File([weights.slice(0, 40)], 'm.weights.bin')]))),
      ).to.match(/^loadModel: m\.weights\.bin holds 40 bytes but model\.json describes \d+; the file is truncated/);
      expect(await errorOf(saveModel(saved, browserFiles([jsonFile])))).to.match(
        /^saveModel: browserFiles\(m\.json\) can only be loaded from/,
      );
    }));

  it('a regularizer comes back with its factor', () =>
    onCpu(async () => {
      const regularized = sequential([dense({ units: 2, inputShape: [3], kernelRegularizer: l2({ l2: 1e-4 }) })], {
        seed: 3,
      });
      regularized.build();
      await saveModel(regularized, join(dir, 'regularized'));
      const loaded = await loadModel(join(dir, 'regularized'));
      const penalty = async (m: Model) => (await tidy(() => m.layers[0].regularizationLoss!()!).data())[0];
      const kernel = await regularized.weights[0].data();
      const expected = 1e-4 * Array.from(kernel).reduce((a, w) => a + w * w, 0); // λ·Σw²
      expect(await penalty(loaded)).to.be.closeTo(expected, 1e-9);
    }));

  it('says what works where: browser-only schemes in Node, save-only downloads://, unknown schemes, bad targets', () =>
    onCpu(async () => {
      expect(await errorOf(saveModel(saved, 'indexeddb://digits'))).to.equal(
        "saveModel: indexeddb:// needs a browser's IndexedDB (there is none here); in Node, save to a folder path",
      );
      expect(await errorOf(loadModel('indexeddb://digits'))).to.equal(
        "loadModel: indexeddb:// needs a browser's IndexedDB (there is none here); in Node, save to a folder path",
      );
      expect(await errorOf(saveModel(saved, 'downloads://digits'))).to.equal(
        'saveModel: downloads:// needs a browser page (there is no document here); in Node, save to a folder path',
      );
      expect(await errorOf(loadModel('downloads://digits'))).to.match(
        /^loadModel: downloads:\/\/digits only saves; load the two files with loadModel\(browserFiles/,
      );
      expect(await errorOf(loadModel('ftp://host/model.json'))).to.equal(
        "loadModel: unknown scheme 'ftp://' in 'ftp://host/model.json'; known: a path, file://, indexeddb://, downloads://, http(s)://",
      );
      expect(await errorOf(saveModel(saved, 'indexeddb://'))).to.equal(
        "saveModel: 'indexeddb://' names no model; expected e.g. 'indexeddb://my-model'",
      );
      expect(await errorOf(loadModel(42 as unknown as string))).to.equal(
        'loadModel: expected a path, a URL (indexeddb://, downloads://, http(s)://, file://) or a ModelStore, got number 42',
      );
      expect(await errorOf(loadModel(join(dir, 'missing')))).to.match(
        /^loadModel: cannot read .*missing\/model\.json: ENOENT/,
      );
    }));
});

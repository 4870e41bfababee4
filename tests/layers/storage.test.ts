// Model stores in Node: loading from an http:// server (a model.json URL or its folder), from a
// .json path with the weights file it names (the layout downloads:// gives), from File objects
// (browserFiles, as an <input type=file> hands them over), loadWeights/loadCheckpoint through a store,
// and the errors for schemes that need a browser, save-only and load-only stores, and bad targets.
// IndexedDB and downloads run in the real browser test (tests/browser/storage.test.ts). CPU backend:
// the stores move bytes, the same on every backend.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tensor, tidy, withBackend } from '@webgrad/core';
import {
  browserFiles,
  dense,
  l2,
  loadCheckpoint,
  loadModel,
  loadWeights,
  modelArtifacts,
  randomNormal,
  saveModel,
  sequential,
  setLoadLimits,
  type Model,
  type ModelJson,
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

describe('model stores: a loaded model file cannot reach other hosts or read without bounds', () => {
  let dir: string, server: Server, other: Server, base: string, otherBase: string;
  const requests: string[] = [];
  let otherRequests = 0;
  const onCpu = <T>(fn: () => Promise<T>) => withBackend(cpu(), fn);
  const listen = async (s: Server) => {
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(s.address() as { port: number }).port}/`;
  };

  /** model.json of a small model saved under dir/name, its manifest naming `path`. */
  async function publish(name: string, path: string, edit: (json: ModelJson) => void = () => undefined) {
    const folder = join(dir, name);
    await onCpu(() => saveModel(model(1), folder));
    const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as ModelJson;
    json.weightsManifest[0].paths = [path];
    delete json.weightsChecksum;
    edit(json);
    await writeFile(join(folder, 'model.json'), JSON.stringify(json));
    return `${base}${name}/model.json`;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgrad-http-'));
    await writeFile(join(dir, 'secret.bin'), new Uint8Array(5 * 4 * 4 + 2 * 4 * 4)); // what ../secret.bin would reach
    server = createServer(async (req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      requests.push(path);
      if (path.endsWith('/endless.bin')) {
        // a body that never ends, without a Content-Length
        const chunk = new Uint8Array(64 * 1024);
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        req.on('close', () => res.off('drain', pump));
        pump();
        return;
      }
      if (path.endsWith('/liar.bin')) {
        res.writeHead(200, { 'content-length': String(10 ** 9) });
        res.write(new Uint8Array(16));
        return; // and never sends the rest
      }
      let body: Buffer;
      try {
        body = await readFile(join(dir, decodeURIComponent(path)));
      } catch {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(body);
    });
    other = createServer((_req, res) => {
      otherRequests++;
      res.writeHead(200).end(new Uint8Array(112));
    });
    base = await listen(server);
    otherBase = await listen(other);
  });
  after(async () => {
    server.closeAllConnections();
    other.closeAllConnections();
    await Promise.all([server, other].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('weights paths to another origin or outside the model folder are refused before any request', () =>
    onCpu(async () => {
      const hostile: [string, string, RegExp][] = [
        ['other-origin', `${otherBase}steal.bin`, /is an absolute URL/],
        ['protocol-relative', `//${otherBase.slice(7)}steal.bin`, /is an absolute path/],
        ['dot-dot', '../secret.bin', /has a '\.\.' segment/],
        ['encoded-dot-dot', '%2e%2e/secret.bin', /has a '%2e%2e' segment/],
        ['encoded-slash', '..%2fsecret.bin', /has an encoded separator in '\.\.%2fsecret\.bin'/],
        ['backslash', '..\\secret.bin', /holds a backslash/],
      ];
      for (const [name, path, why] of hostile) {
        const url = await publish(name, path);
        for (const [op, load] of [
          ['loadModel', () => loadModel(url)],
          ['loadCheckpoint', () => loadCheckpoint(url)],
          ['loadWeights', () => loadWeights(model(2), url)],
        ] as const) {
          requests.length = 0;
          const message = await errorOf(load());
          expect(message, `${name} ${op}`).to.match(
            new RegExp(
              `^${op}: weights path '.*' in ${url.replaceAll('.', '\\.')} \\(weightsManifest\\[0\\]\\.paths\\[0\\]\\) ${why.source}`,
            ),
          );
          expect(requests, `${name} ${op}: only model.json was requested`).to.deep.equal([`/${name}/model.json`]);
        }
      }
      expect(otherRequests, 'requests the other origin received').to.equal(0);
      // a plain relative name still loads, and a missing one is a 404
      const good = await publish('good', 'weights.bin');
      const saved = model(1);
      const { weights } = await modelArtifacts(saved);
      expect(await errorOf(loadModel(good))).to.equal(`loadModel: GET ${base}good/weights.bin answered 404 Not Found`);
      await writeFile(join(dir, 'good', 'weights.bin'), weights);
      expect(await valuesOf(await loadModel(good))).to.deep.equal(await valuesOf(saved));
    }));

  it('a weights body longer than model.json describes is cut off; a lying Content-Length is refused unread', () =>
    onCpu(async () => {
      const endless = await publish('endless', 'endless.bin');
      const started = performance.now();
      expect(await errorOf(loadModel(endless))).to.equal(
        `loadModel: ${base}endless/endless.bin holds more than 128 bytes but model.json describes 128; ` +
          'the file is truncated or does not belong to this model',
      );
      const liar = await publish('liar', 'liar.bin');
      expect(await errorOf(loadModel(liar))).to.equal(
        `loadModel: ${base}liar/liar.bin holds 1000000000 bytes but model.json describes 128; ` +
          'the file is truncated or does not belong to this model',
      );
      expect(performance.now() - started, 'ms to refuse both').to.be.below(1000);
      // an endless model.json is cut at the ceiling
      const previous = setLoadLimits({ maxJsonBytes: 4096 });
      try {
        expect(await errorOf(loadModel(`${base}x/endless.bin?.json`))).to.equal(
          `loadModel: ${base}x/endless.bin?.json holds more than 4096 bytes, above the 4096-byte ceiling for model.json`,
        );
      } finally {
        setLoadLimits(previous);
      }
    }));

  it('browserFiles checks the weights file size before reading it', () =>
    onCpu(async () => {
      const { json, weights } = await modelArtifacts(model(1));
      json.weightsManifest[0].paths = ['m.weights.bin'];
      let read = false;
      const big = new File([new Uint8Array(1000)], 'm.weights.bin');
      big.arrayBuffer = () => {
        read = true;
        return Promise.reject(new Error('read'));
      };
      expect(await errorOf(loadModel(browserFiles([new File([JSON.stringify(json)], 'm.json'), big])))).to.equal(
        `loadModel: m.weights.bin holds 1000 bytes but model.json describes ${weights.length}; ` +
          'the file is truncated or does not belong to this model',
      );
      expect(read, 'the oversized file was read').to.equal(false);
      json.weightsManifest[0].paths = ['../m.weights.bin'];
      expect(await errorOf(loadModel(browserFiles([new File([JSON.stringify(json)], 'm.json'), big])))).to.match(
        /^loadModel: weights path '\.\.\/m\.weights\.bin' in m\.json \(weightsManifest\[0\]\.paths\[0\]\) has a '\.\.' segment/,
      );
    }));

  it("file:// URLs name what follows file:// (TF.js's meaning); nothing lands in the filesystem root", () =>
    onCpu(async () => {
      const m = model(3);
      expect(await errorOf(saveModel(m, 'file://'))).to.equal(
        "saveModel: 'file://' names no folder; what follows file:// is the path, e.g. 'file://./my-model' or 'file:///home/me/my-model'",
      );
      for (const target of ['file:///', '/', 'file://']) {
        expect(await errorOf(saveModel(m, target)), target).to.match(
          /^saveModel: '.*' (is the filesystem root|names no folder)/,
        );
      }
      expect(await errorOf(saveModel(m, 'file:///'))).to.equal(
        "saveModel: '/' is the filesystem root (/); save into a folder of its own, e.g. './my-model'",
      );
      expect(await errorOf(saveModel(m, ''))).to.equal('saveModel: an empty path names no folder');
      // file://./dir is ./dir, relative to the working directory, not /dir
      const cwd = process.cwd();
      const work = await mkdtemp(join(tmpdir(), 'webgrad-cwd-'));
      const rootDir = '/webgrad-file-url-check';
      expect(existsSync(rootDir), `${rootDir} exists before the test`).to.equal(false);
      process.chdir(work);
      try {
        await saveModel(m, `file://.${rootDir}`);
        await saveModel(m, `file://webgrad-relative`);
      } finally {
        process.chdir(cwd);
      }
      expect(existsSync(join(work, rootDir, 'model.json')), 'saved under the working directory').to.equal(true);
      expect(existsSync(join(work, 'webgrad-relative', 'model.json'))).to.equal(true);
      expect(existsSync(rootDir), 'nothing written at the root').to.equal(false);
      // file:///abs is /abs, with %-escapes decoded as pathToFileURL writes them
      const spaced = join(work, 'my model');
      await saveModel(m, pathToFileURL(spaced).href);
      expect(await valuesOf(await loadModel(join(spaced, 'model.json')))).to.deep.equal(await valuesOf(m));
      expect(await valuesOf(await loadModel(`file://${spaced}`))).to.deep.equal(await valuesOf(m));
    }));
});

describe('model stores: save → load → save', () => {
  it('writes the same model.json, initializers included (only the weights file name is per save)', () =>
    withBackend(cpu(), async () => {
      const original = sequential(
        [
          dense({ units: 6, activation: 'relu', inputShape: [4], kernelInitializer: 'heNormal' }),
          dense({ units: 5, kernelInitializer: randomNormal({ stddev: 0.1 }), biasInitializer: 'ones' }),
          dense({ units: 3, activation: 'softmax', kernelRegularizer: l2({ l2: 1e-3 }) }),
        ],
        { seed: 9 },
      );
      original.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      original.build();
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-roundtrip-'));
      // webgrad's own layout, whose initializer descriptions this test reads (the default's: save-format.test.ts)
      await saveModel(original, join(dir, 'a'), { includeOptimizer: true, format: 'webgrad' });
      const loaded = await loadModel(join(dir, 'a'));
      await saveModel(loaded, join(dir, 'b'), { includeOptimizer: true, format: 'webgrad' });
      const [a, b] = await Promise.all(['a', 'b'].map((f) => readFile(join(dir, f, 'model.json'), 'utf8')));
      const withoutPath = (text: string) => text.replace(/"weights-[a-z0-9-]+\.bin"/, '"weights.bin"');
      expect(withoutPath(b)).to.equal(withoutPath(a));
      expect(JSON.parse(a).modelTopology.config.layers[1].config.kernelInitializer).to.deep.equal({
        name: 'randomNormal',
        config: { mean: 0, stddev: 0.1 },
      });
      const [first, second] = await Promise.all([modelArtifacts(original), modelArtifacts(loaded)]);
      expect(JSON.stringify(second.json)).to.equal(JSON.stringify(first.json));
      expect(Buffer.from(second.weights).equals(Buffer.from(first.weights))).to.equal(true);
    }));
});

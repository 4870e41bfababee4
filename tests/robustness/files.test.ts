// Files: a truncated or corrupted weights file, a model.json whose shapes do not match its weights,
// a malformed manifest — each refused with a clear error, leaving the model untouched; and a save
// killed (SIGKILL) at random moments never destroys the previous checkpoint. Runs on the CPU backend:
// the file handling is the same on every backend.
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memory, tensor, tidy } from '@webgrad/core';
import {
  dense,
  loadCheckpoint,
  loadModel,
  loadWeights,
  saveModel,
  sequential,
  setLoadLimits,
  type ModelJson,
  type Model,
} from '@webgrad/layers';

const model = (seed: number) =>
  sequential([dense({ units: 4, activation: 'relu', inputShape: [3] }), dense({ units: 2 })], { seed });
const valuesOf = async (m: Model) => Promise.all(m.weights.map(async (w) => Array.from(await w.data())));
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );
/** The weights file the model.json in dir names (saves give each its own name). */
const weightsIn = async (dir: string) =>
  join(dir, JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0] as string);

describe('files: damaged checkpoints are refused, the model is left untouched', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webgrad-files-'));
    // webgrad's own layout, whose fields these tests damage (the TF.js layout's: tests/layers/save-format.test.ts)
    await saveModel(model(1), dir, { format: 'webgrad' });
  });

  /** loadModel and loadWeights both refuse dir with `expected`, and the target model keeps its weights. */
  async function refused(expected: RegExp) {
    expect(await errorOf(loadModel(dir))).to.match(expected);
    const target = model(2);
    target.build();
    const before = await valuesOf(target);
    expect(await errorOf(loadWeights(target, dir))).to.match(
      new RegExp(expected.source.replace('loadModel', 'loadWeights')),
    );
    expect(await valuesOf(target), 'the model is untouched').to.deep.equal(before);
  }

  it('a good checkpoint loads into an existing model exactly', async () => {
    const target = model(2);
    await loadWeights(target, dir);
    expect(await valuesOf(target)).to.deep.equal(await valuesOf(await loadModel(dir)));
    const saved = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(saved.weightsChecksum).to.match(/^[0-9a-f]{8}$/);
  });

  it('a truncated weights file', async () => {
    const file = await weightsIn(dir);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 12));
    await refused(/loadModel: \S*weights-\S+\.bin holds \d+ bytes but model.json describes \d+; the file is truncated/);
  });

  it('a corrupted weights file (one byte changed)', async () => {
    const file = await weightsIn(dir);
    const bytes = await readFile(file);
    bytes[17] ^= 0x40;
    await writeFile(file, bytes);
    await refused(
      /loadModel: weights-\S+\.bin is corrupted: its checksum is [0-9a-f]{8} but model.json recorded [0-9a-f]{8}/,
    );
  });

  it('model.json shapes that do not match its weights or its layers', async () => {
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].weights[0].shape = [3, 5]; // 15 floats where 12 were saved
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await refused(/loadModel: \S*weights-\S+\.bin holds \d+ bytes but model.json describes \d+/);
    json.weightsManifest[0].weights[0].shape = [4, 3]; // the same size, the wrong shape for Dense(3 → 4)
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await errorOf(loadModel(dir))).to.match(
      /loadModel: the weights in model.json \(\[4,3\] \[4\] \[4,2\] \[2\]\) do not match the layers it describes \(\[3,4\]/,
    );
    const target = model(2);
    target.build();
    const before = await valuesOf(target);
    expect(await errorOf(loadWeights(target, dir))).to.match(
      /loadWeights: .* holds weights \[4,3\] .* but the model has \[3,4\] .*; the model was left unchanged/,
    );
    expect(await valuesOf(target)).to.deep.equal(before);
  });

  it('a malformed manifest or model.json', async () => {
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        ...json,
        weightsManifest: [
          { paths: json.weightsManifest[0].paths, weights: [{ name: 'k', shape: [-1, 3], dtype: 'float32' }] },
        ],
      }),
    );
    await refused(
      /loadModel: weight 'k' in weightsManifest\[0\]\.weights has shape \[-1,3\]; expected a list of non-negative integers/,
    );
    await writeFile(join(dir, 'model.json'), JSON.stringify({ ...json, weightsManifest: [] }));
    await refused(/loadModel: \S*model\.json names no weights file/);
    await writeFile(join(dir, 'model.json'), JSON.stringify(json).slice(0, 100));
    await refused(/loadModel: cannot read .*model.json: .*JSON/);
  });
});

describe('files: a save killed mid-way never destroys the previous checkpoint', () => {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'save-loop.mjs');
  const crashPoints = ['weights-write', 'weights-rename', 'json-write', 'json-rename', 'none'] as const;

  it('a process killed (SIGKILL) at each point of a save leaves a checkpoint that loads whole', async function () {
    this.timeout(120_000);
    const outcomes: string[] = [];
    for (const point of crashPoints) {
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-crash-'));
      const proc = spawn(process.execPath, [child, dir, point], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const signal = await new Promise((resolve) => proc.once('exit', (_code, sig) => resolve(sig)));
      expect(signal, point).to.equal(point === 'none' ? null : 'SIGKILL');
      const loaded = await loadModel(dir);
      const values = (await valuesOf(loaded)).flat();
      const version = values[0];
      expect(
        values.every((v) => v === version),
        `${point}: weights from two saves mixed`,
      ).to.equal(true);
      // until model.json is renamed into place the previous save stands; after it, the new one
      expect(version, point).to.equal(point === 'none' ? 2 : 1);
      if (point === 'none') expect(output).to.equal('saved 2\n');
      const files = (await readdir(dir)).sort();
      outcomes.push(
        `${point}: version ${version} loads (files: ${files.map((f) => f.replace(/\.tmp-.*/, '.tmp-…')).join(', ')})`,
      );
      tidy(() => loaded.dispose());
      // and the next save over the debris works
      const next = model(3);
      await saveModel(next, dir);
      expect(await valuesOf(await loadModel(dir))).to.deep.equal(await valuesOf(next));
      expect(
        (await readdir(dir)).sort(),
        'the debris is cleared: model.json and the one weights file it names',
      ).to.deep.equal(['model.json', (await weightsIn(dir)).split('/').pop()].sort());
    }
    console.log(outcomes.map((o) => `      ${o}`).join('\n'));
  });
});

describe('files: a model file is untrusted input', () => {
  // the victim's secret, beside the model folders; as many bytes as the model's weights, so a loader
  // that followed a path to it would load it as weights
  let root: string, secret: string;
  const secretBytes = new TextEncoder().encode('SECRET-'.repeat(20)).slice(0, 104);
  const opened: string[] = [];
  let unwatch: () => void;
  let tried = 0;
  let rssBefore: number;

  before(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'webgrad-hostile-')));
    secret = join(root, 'secret.bin');
    await writeFile(secret, secretBytes);
    await writeFile(join(root, 'odd.bin'), new Uint8Array(777)); // a size no message may reveal
    // watch every file the stores open (they import node:fs/promises; syncBuiltinESMExports reaches it)
    const fsp = createRequire(import.meta.url)('node:fs').promises as typeof import('node:fs/promises');
    const { open, readFile: read } = fsp;
    fsp.open = ((file: string, ...rest: []) => {
      opened.push(String(file));
      return open(file, ...rest);
    }) as typeof open;
    fsp.readFile = ((file: string, ...rest: []) => {
      opened.push(String(file));
      return read(file, ...rest);
    }) as typeof read;
    syncBuiltinESMExports();
    unwatch = () => {
      fsp.open = open;
      fsp.readFile = read;
      syncBuiltinESMExports();
    };
    rssBefore = process.memoryUsage().rss;
  });
  after(() => {
    unwatch();
    const growth = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    console.log(`      ${tried} hostile loads tried, each refused; RSS grew ${growth.toFixed(1)} MB over them`);
    expect(growth, 'RSS growth (MB) over the hostile loads').to.be.below(50);
  });

  /** A folder holding a good model, its model.json then edited by `edit`. */
  async function craft(edit: (json: ModelJson, dir: string) => unknown = () => undefined, compiled = false) {
    const dir = await mkdtemp(join(root, 'model-'));
    const m = model(1);
    if (compiled) {
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      await m.fit(tensor([[1, 2, 3]], [1, 3]), tensor([[1, 0]], [1, 2]), { epochs: 1, verbose: 0 });
    }
    // webgrad's own layout, whose fields these tests edit
    await saveModel(m, dir, { includeOptimizer: compiled, format: 'webgrad' });
    m.dispose();
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
    const replaced = await edit(json, dir);
    await writeFile(join(dir, 'model.json'), JSON.stringify(replaced ?? json));
    return dir;
  }

  type Entry = 'loadModel' | 'loadCheckpoint' | 'loadWeights' | 'json' | 'file://';
  const everyEntry: Entry[] = ['loadModel', 'loadCheckpoint', 'loadWeights', 'json', 'file://'];

  /**
   * Each entry point refuses the folder: an Error (no TypeError) matching `expected` with OP the
   * caller's name, within a second, having opened nothing outside the folder, not saying `hidden`
   * (the size of a file outside), leaking no tensor and leaving loadWeights's target untouched.
   */
  async function refusedEverywhere(dir: string, expected: RegExp, entries = everyEntry, hidden?: string) {
    const inside = await realpath(dir);
    for (const entry of entries) {
      const op = entry === 'loadCheckpoint' || entry === 'loadWeights' ? entry : 'loadModel';
      const target = model(2);
      target.build();
      const before = await valuesOf(target);
      const tensorsBefore = memory().tensors;
      opened.length = 0;
      const started = performance.now();
      const source = entry === 'json' ? join(dir, 'model.json') : entry === 'file://' ? `file://${dir}` : dir;
      const attempt =
        entry === 'loadCheckpoint'
          ? loadCheckpoint(source)
          : entry === 'loadWeights'
            ? loadWeights(target, source)
            : loadModel(source);
      const error = await attempt.then(
        () => new Error('no error'),
        (e: Error) => e,
      );
      const took = performance.now() - started;
      tried++;
      expect(error.message, entry).to.match(new RegExp(expected.source.replaceAll('OP', op)));
      expect(error, `${entry}: a clear Error, not a TypeError`).to.not.be.instanceOf(TypeError);
      if (hidden) expect(error.message, `${entry}: the message reveals the target's size`).to.not.include(hidden);
      expect(took, `${entry}: refused within a second`).to.be.below(1000);
      const outside = opened.filter((file) => !file.startsWith(inside + sep));
      expect(outside, `${entry}: files opened outside the model folder`).to.deep.equal([]);
      expect(memory().tensors, `${entry}: tensors leaked`).to.equal(tensorsBefore);
      expect(await valuesOf(target), `${entry}: loadWeights's target is untouched`).to.deep.equal(before);
      target.dispose();
    }
  }

  const pointAt = (path: string) => (json: ModelJson) => {
    json.weightsManifest[0].paths = [path];
    delete json.weightsChecksum; // the attacker's file carries no checksum
  };

  describe('no read outside the model folder', () => {
    const traversals: [string, (root: string, file: string) => string, RegExp][] = [
      ['../', (_, f) => `../${f}`, /'\.\.' segment/],
      ['%2e%2e/', (_, f) => `%2e%2e/${f}`, /'%2e%2e' segment/],
      ['..%2f (an encoded slash)', (_, f) => `x/..%2f..%2f${f}`, /encoded separator in '\.\.%2f\.\.%2f/],
      ['an absolute path', (r, f) => join(r, f), /is an absolute path/],
      ['a backslash', (_, f) => `..\\${f}`, /holds a backslash/],
      ['a file:// URL', (r, f) => `file://${join(r, f)}`, /is an absolute URL/],
    ];
    for (const [name, path, why] of traversals) {
      it(`a weights path with ${name} is refused by every entry point, revealing nothing of its target`, async () => {
        const expected = new RegExp(
          `^OP: weights path '.*' in \\S+ \\(weightsManifest\\[0\\]\\.paths\\[0\\]\\) .*${why.source}`,
        );
        // a target as large as the model's weights (an old loader took it for them), then one of another size
        await refusedEverywhere(await craft(pointAt(path(root, 'secret.bin'))), expected);
        await refusedEverywhere(await craft(pointAt(path(root, 'odd.bin'))), expected, everyEntry, '777');
      });
    }

    it('a weights file that is a link to a file outside, or inside a linked folder, is refused', async () => {
      const linked = await craft(pointAt('link.bin'));
      await symlink(secret, join(linked, 'link.bin'));
      await refusedEverywhere(
        linked,
        /^OP: weights path 'link\.bin' in \S+model\.json is a link to a place outside the model folder; files a model names must lie inside the model's folder$/,
      );
      const throughFolder = await craft(pointAt('up/secret.bin'));
      await symlink(root, join(throughFolder, 'up'));
      await refusedEverywhere(throughFolder, /^OP: weights path 'up\/secret\.bin' in \S+ is a link to a place outside/);
      // model.json itself a link out of its folder, when a folder is loaded
      const jsonLinked = await craft();
      const elsewhere = await craft();
      await rm(join(jsonLinked, 'model.json'));
      await symlink(join(elsewhere, 'model.json'), join(jsonLinked, 'model.json'));
      await refusedEverywhere(jsonLinked, /^OP: \S+model\.json is a link to a place outside the model folder/, [
        'loadModel',
        'loadCheckpoint',
        'loadWeights',
        'file://',
      ]);
    });
  });

  describe('checked before reading: only regular files, of the size model.json describes', () => {
    it('a FIFO is refused at once, and the file system stays usable', async () => {
      const dir = await craft(pointAt('fifo.bin'));
      execFileSync('mkfifo', [join(dir, 'fifo.bin')]);
      await refusedEverywhere(dir, /^OP: \S+fifo\.bin is a FIFO, not a regular file; it was not read$/);
      expect((await readFile(secret)).length, 'unrelated reads still complete').to.equal(secretBytes.length);
    });

    it('a directory, and a device (named directly or through a link), are refused unread', async () => {
      const dir = await craft(pointAt('sub'));
      await mkdir(join(dir, 'sub'));
      await refusedEverywhere(dir, /^OP: \S+sub is a directory, not a regular file; it was not read$/);
      const zero = await craft(pointAt('zero.bin'));
      await symlink('/dev/zero', join(zero, 'zero.bin'));
      await refusedEverywhere(zero, /^OP: weights path 'zero\.bin' in \S+ is a link to a place outside/);
      // a .json path the caller names may be a link; what it reaches must still be a regular file
      await symlink('/dev/zero', join(zero, 'zero.json'));
      const tensorsBefore = memory().tensors;
      expect(await errorOf(loadModel(join(zero, 'zero.json')))).to.equal(
        'loadModel: /dev/zero is a device, not a regular file; it was not read',
      );
      expect(memory().tensors).to.equal(tensorsBefore);
      tried++;
    });

    it('a 200 MB weights file for a 104-byte model is refused by its size, unread', async () => {
      const dir = await craft(pointAt('big.bin'));
      await writeFile(join(dir, 'big.bin'), '');
      await truncate(join(dir, 'big.bin'), 200 * 2 ** 20);
      const rss = process.memoryUsage().rss;
      await refusedEverywhere(
        dir,
        /^OP: \S+big\.bin holds 209715200 bytes but model\.json describes 104; the file is truncated or does not belong to this model$/,
      );
      expect((process.memoryUsage().rss - rss) / 2 ** 20, 'MB read').to.be.below(50);
    });

    it('a manifest above the weight ceiling is refused before anything is read', async () => {
      const dir = await craft((json) => {
        json.weightsManifest[0].weights[0].shape = [2 ** 30, 4];
      });
      await refusedEverywhere(
        dir,
        /^OP: \S+model\.json describes 17179869240 bytes of weights, above the 2147483648-byte ceiling; raise it with setLoadLimits\(\{ maxWeightBytes \}\)/,
      );
      const previous = setLoadLimits({ maxWeightBytes: 64 });
      try {
        await refusedEverywhere(await craft(), /^OP: \S+ describes 104 bytes of weights, above the 64-byte ceiling/);
      } finally {
        setLoadLimits(previous);
      }
    });
  });

  describe('layer configs are checked against the manifest before any allocation', () => {
    for (const units of [2 ** 26, 2 ** 31 - 1]) {
      it(`Dense with ${units} units is refused at once`, async () => {
        const dir = await craft((json) => {
          json.modelTopology.config.layers[1].config.units = units;
        });
        await refusedEverywhere(
          dir,
          new RegExp(
            `^OP: \\S+ is malformed: modelTopology\\.config\\.layers\\[1\\]\\.config\\.units is ${units}; ` +
              'expected a positive integer up to 16777216',
          ),
          ['loadModel', 'loadCheckpoint', 'json'],
        );
      });
    }

    it('a layer within the size bound but larger than the manifest is refused by the weight budget, naming it', async () => {
      const dir = await craft((json) => {
        json.modelTopology.config.layers[1].config.units = 2 ** 24;
      });
      // the first layer's weights are made before the second is refused: they are freed (no leak)
      await refusedEverywhere(
        dir,
        /^OP: weight '\S+\/kernel' of shape \[4,16777216\] \(67108864 values\) exceeds what the weights in \S+ hold \(26 values, 10 not yet used\); the layer config does not match its weights and nothing was allocated for it$/,
        ['loadModel', 'loadCheckpoint', 'json'],
      );
    });
  });

  describe('malformed model.json: errors name the field', () => {
    const malformed: [string, (json: ModelJson) => unknown, RegExp][] = [
      ['an array', () => [], /is not a model\.json object \(it holds \[\]\)/],
      [
        'modelTopology null',
        (j) => ({ ...j, modelTopology: null }),
        /not a Sequential or Model layers-model|modelTopology is null/,
      ],
      ['format a number', (j) => ({ ...j, format: 3 }), /format is 3; expected a string|not a Sequential or Model/],
      [
        'layers a string',
        (j) => void ((j.modelTopology.config as Record<string, unknown>).layers = 'x'),
        /modelTopology\.config\.layers is "x"; expected a list of layers/,
      ],
      [
        'a layer null',
        (j) => void ((j.modelTopology.config.layers as unknown[])[0] = null),
        /modelTopology\.config\.layers\[0\] is null; expected an object/,
      ],
      [
        'a layer config null',
        (j) => void ((j.modelTopology.config.layers[0] as unknown as Record<string, unknown>).config = null),
        /modelTopology\.config\.layers\[0\]\.config is null; expected an object/,
      ],
      [
        'a class name a number',
        (j) => void ((j.modelTopology.config.layers[0] as unknown as Record<string, unknown>).class_name = 7),
        /modelTopology\.config\.layers\[0\]\.class_name is 7; expected a string/,
      ],
      [
        'inputShape negative',
        (j) => void (j.modelTopology.config.layers[0].config.inputShape = [-3]),
        /layers\[0\]\.config\.inputShape is \[-3\]; expected a positive integer/,
      ],
      [
        'a kernelSize a string',
        (j) => void (j.modelTopology.config.layers[0].config.kernelSize = '3'),
        /layers\[0\]\.config\.kernelSize is "3"; expected a positive integer/,
      ],
      ['weightsManifest an object', (j) => ({ ...j, weightsManifest: {} }), /names no weights file/],
      [
        'a manifest group null',
        (j) => void ((j.weightsManifest as unknown[])[0] = null),
        /weightsManifest\[0\] is null; expected an object \{paths, weights\}/,
      ],
      [
        'paths a string',
        (j) => void ((j.weightsManifest[0] as Record<string, unknown>).paths = 'w.bin'),
        /weightsManifest\[0\]\.paths is "w\.bin"; expected a list of file names/,
      ],
      [
        // replaces 'two weights files' (refused while webgrad read one file): shards are read in order now
        'two weights files, the second missing',
        (j) => void j.weightsManifest[0].paths.push('more.bin'),
        /cannot read \S+more\.bin: ENOENT$/,
      ],
      [
        'a weight spec null',
        (j) => void ((j.weightsManifest[0].weights as unknown[])[0] = null),
        /weightsManifest\[0\]\.weights\[0\] is null; expected an object \{name, shape, dtype\}/,
      ],
      [
        'a weight name a number',
        (j) => void ((j.weightsManifest[0].weights[0] as unknown as Record<string, unknown>).name = 5),
        /weightsManifest\[0\]\.weights\[0\]\.name is 5; expected a string/,
      ],
      [
        'a shape a string',
        (j) => void ((j.weightsManifest[0].weights[0] as unknown as Record<string, unknown>).shape = 'big'),
        /has shape "big"; expected a list of non-negative integers/,
      ],
      [
        'a dtype int64',
        (j) => void ((j.weightsManifest[0].weights[0] as unknown as Record<string, unknown>).dtype = 'int64'),
        /has dtype "int64"; expected 'float32'/,
      ],
      [
        'a checksum a number',
        (j) => void ((j as unknown as Record<string, unknown>).weightsChecksum = 5),
        /weightsChecksum is 5; expected 8 hex digits/,
      ],
      [
        'epochsCompleted negative',
        (j) => void (j.epochsCompleted = -2),
        /epochsCompleted is -2; expected a non-negative integer/,
      ],
    ];
    for (const [name, edit, expected] of malformed) {
      it(`${name}`, async () => {
        await refusedEverywhere(await craft(edit), new RegExp(`^OP: .*${expected.source}`));
      });
    }
  });

  describe('names looked up as own entries only, training configs and optimizer state checked', () => {
    const layerConfig = (j: ModelJson) => j.modelTopology.config.layers[0].config;
    const training = (j: ModelJson) => j.trainingConfig!;
    const bad: [string, (json: ModelJson) => unknown, RegExp][] = [
      [
        'layer class constructor',
        (j) => void (j.modelTopology.config.layers[0].class_name = 'constructor'),
        /^OP: unknown layer class 'constructor'/,
      ],
      [
        'activation toString',
        (j) => void (layerConfig(j).activation = 'toString'),
        /^OP: \S+ describes a model webgrad cannot build: unknown activation 'toString'; expected one of linear/,
      ],
      [
        'regularizer constructor',
        (j) => void (layerConfig(j).kernelRegularizer = { name: 'constructor', config: {} }),
        /^OP: .*unknown regularizer 'constructor'/,
      ],
      [
        'a regularizer factor of the wrong type',
        (j) => void (layerConfig(j).kernelRegularizer = { name: 'l2', config: { l2: '0.01' } }),
        /^OP: \S+ describes a model webgrad cannot build: l2: l2 must be a finite non-negative number, got "0\.01"$/,
      ],
      [
        'loss constructor',
        (j) => void (training(j).loss = 'constructor'),
        /^OP: \S+ describes a model webgrad cannot build: unknown loss 'constructor'; expected one of/,
      ],
      [
        'optimizer toString',
        (j) => void (training(j).optimizer_config.class_name = 'toString'),
        /^OP: \S+ is malformed: trainingConfig\.optimizer_config\.class_name is "toString"; expected one of sgd/,
      ],
      [
        'a learning rate a string',
        (j) => void (training(j).optimizer_config.config.learningRate = 'fast'),
        /^OP: \S+ is malformed: trainingConfig\.optimizer_config\.config\.learningRate is "fast"; expected a finite number/,
      ],
      [
        'metrics a string',
        (j) => void ((training(j) as Record<string, unknown>).metrics = 'acc'),
        /^OP: \S+ is malformed: trainingConfig\.metrics is "acc"; expected a list of metric names/,
      ],
      [
        'iterations negative',
        (j) => void (j.optimizerState!.iterations = -1),
        /^OP: \S+ is malformed: optimizerState\.iterations is -1; expected a non-negative integer/,
      ],
      [
        'iterations a string',
        (j) => void ((j.optimizerState as Record<string, unknown>).iterations = '5'),
        /^OP: \S+ is malformed: optimizerState\.iterations is "5"; expected a non-negative integer/,
      ],
      ['iterations fractional', (j) => void (j.optimizerState!.iterations = 1.5), /optimizerState\.iterations is 1\.5/],
      [
        'state of another optimizer',
        (j) => void (j.optimizerState!.kind = 'sgd'),
        /^OP: \S+ is malformed: optimizerState\.kind is "sgd"; expected 'adam', the optimizer trainingConfig names$/,
      ],
      [
        'state slots with the wrong shapes',
        (j) => void (j.optimizerState!.weights[0].shape = [4, 3]),
        /^OP: the optimizer state in \S+ \(\[4,3\] \[3,4\] \[4\] .*\) does not fit a 'adam' optimizer on this model, which keeps 2 slot\(s\) per trainable weight \(\[3,4\] \[3,4\] \[4\]/,
      ],
    ];
    for (const [name, edit, expected] of bad) {
      it(name, async () => {
        const dir = await craft(edit, true);
        await refusedEverywhere(dir, expected, ['loadModel', 'loadCheckpoint', 'json', 'file://']);
      });
    }

    it('state with too few slots (its bytes cut to match) is refused, not partly restored', async () => {
      const dir = await craft(async (json, folder) => {
        const state = json.optimizerState!;
        const dropped = state.weights.splice(-2);
        const cut = dropped.reduce((n, w) => n + 4 * w.shape.reduce((a, d) => a * d, 1), 0);
        const file = join(folder, json.weightsManifest[0].paths[0]);
        const bytes = await readFile(file);
        await writeFile(file, bytes.subarray(0, bytes.length - cut));
        delete json.weightsChecksum;
      }, true);
      await refusedEverywhere(
        dir,
        /^OP: the optimizer state in \S+ \(.*\) does not fit a 'adam' optimizer on this model/,
        ['loadModel', 'loadCheckpoint'],
      );
    });
  });
});

describe('files: concurrent saves into one folder', () => {
  /** A model whose every weight is `k`, so a load shows whose save it got, and whether whole. */
  const constant = (k: number) => {
    const m = model(k);
    m.build();
    tidy(() => m.setWeights(m.weights.map((w) => tensor(new Float32Array(w.size).fill(k), w.shape))));
    return m;
  };
  const whoseIs = async (m: Model) => {
    const values = (await valuesOf(m)).flat();
    return values.every((v) => v === values[0]) ? values[0] : NaN;
  };

  it('saves and loads at once in one process: every load gives one save whole, the folder ends with one model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-concurrent-'));
    await saveModel(constant(100), dir); // a folder that already holds a model
    const models = Array.from({ length: 12 }, (_, i) => constant(i + 1));
    const seen = await Promise.all(
      models.flatMap((m, i) => [
        saveModel(m, dir).then(() => -1),
        loadModel(dir).then(whoseIs),
        ...(i % 3 === 0 ? [loadWeights(constant(0), dir).then(() => -1)] : []),
      ]),
    );
    const loads = seen.filter((k) => k !== -1);
    expect(
      loads.every((k) => k === 100 || (k >= 1 && k <= 12)),
      `loads saw ${loads}`,
    ).to.equal(true);
    const last = await whoseIs(await loadModel(dir));
    expect(last >= 1 && last <= 12, `the final model is one of the saves (${last})`).to.equal(true);
    expect((await readdir(dir)).sort(), 'model.json and the one weights file it names').to.deep.equal(
      ['model.json', (await weightsIn(dir)).split('/').pop()].sort(),
    );
  });

  it('50 rounds of two processes saving into a folder that holds a model, each save followed by a load', async function () {
    this.timeout(300_000);
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-race-'));
    await saveModel(constant(100), dir);
    const child = join(dirname(fileURLToPath(import.meta.url)), 'save-race.mjs');
    const run = (value: number) =>
      new Promise<{ loads: number; own: number; other: number; mixed: number; errors: string[] }>((resolve, reject) => {
        const proc = spawn(process.execPath, [child, dir, String(value), '50'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let output = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        proc.once('exit', (code) =>
          code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`child exited ${code}`)),
        );
      });
    const tallies = await Promise.all([run(1), run(2)]);
    for (const tally of tallies) {
      expect(tally.errors, 'loads that failed').to.deep.equal([]);
      expect(tally.mixed, 'loads that mixed two saves').to.equal(0);
      expect(tally.loads).to.equal(50);
    }
    const whose = await whoseIs(await loadModel(dir));
    expect([1, 2]).to.include(whose);
    console.log(
      `      100 saves and loads by 2 processes: ${tallies.map((t) => `${t.own} own + ${t.other} the other's`).join(', ')}; ` +
        `0 failed, 0 mixed; the folder holds ${(await readdir(dir)).length} files`,
    );
  });
});

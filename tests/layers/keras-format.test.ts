// Keras 3 `.keras` files both ways, without Python at test time: the fixtures in tests/fixtures/keras
// were made by Keras 3.15.1 on JAX (make_fixtures.py beside them, with Keras's predictions in
// expected.json), and webgrad must load each and predict what Keras predicted; a fixture webgrad loads
// and saves again must hold the same datasets at the same HDF5 paths, so webgrad writes the layout
// Keras reads (scripts/keras-interop checks that with Keras itself). Hostile files are refused by name.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { strToU8, unzipSync, zipSync } from 'fflate';
import h5wasm from 'h5wasm';
import { tensor, type Tensor } from '@webgrad/core';
import {
  adam,
  sgd,
  add as addLayer,
  averagePooling2d,
  batchNormalization,
  concatenate,
  conv2d,
  dense,
  dropout,
  embedding,
  flatten,
  fromKerasBytes,
  gru,
  input,
  kerasBytes,
  loadModel,
  lstm,
  maxout,
  maxPooling2d,
  model,
  modelArtifacts,
  sequential,
  setLoadLimits,
  simpleRNN,
  toKerasBytes,
  type Model,
  type SymbolicTensor,
} from '@webgrad/layers';

type AnyModel = Model<SymbolicTensor | SymbolicTensor[]>;

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'keras');

interface Expected {
  keras_version: string;
  models: Record<string, { x: unknown[]; dtype: string; outputs: unknown[][] }>;
}

const shapeOf = (a: unknown): number[] => (Array.isArray(a) ? [a.length, ...shapeOf(a[0])] : []);
const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

async function outputsOf(net: AnyModel, x: Tensor): Promise<Float32Array[]> {
  const y = net.predict(x) as Tensor | Tensor[];
  return Promise.all((Array.isArray(y) ? y : [y]).map((t) => t.data() as Promise<Float32Array>));
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length, 'element count').to.equal(b.length);
  return Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

/** A .keras file's members and its HDF5 datasets (path → shape, values), read with fflate and h5wasm directly. */
async function openKeras(bytes: Uint8Array) {
  const members = unzipSync(bytes);
  const { FS } = await h5wasm.ready;
  const name = `/test-${Math.random().toString(36).slice(2)}.h5`;
  FS.writeFile(name, members['model.weights.h5']);
  const file = new h5wasm.File(name, 'r');
  const datasets = new Map<string, { shape: number[]; values: number[] }>();
  const groupNames = new Map<string, unknown>();
  const walk = (group: InstanceType<typeof h5wasm.Group>, prefix: string) => {
    for (const key of group.keys()) {
      const entity = group.get(key);
      if (entity instanceof h5wasm.Group) {
        if ('name' in entity.attrs) groupNames.set(prefix + key, entity.attrs.name.value);
        walk(entity, `${prefix}${key}/`);
      } else if (entity instanceof h5wasm.Dataset) {
        const value = entity.value as number | Float32Array;
        datasets.set(prefix + key, {
          shape: entity.shape ?? [],
          values: typeof value === 'number' ? [value] : Array.from(value),
        });
      }
    }
  };
  walk(file, '');
  file.close();
  FS.unlink(name);
  const json = (m: string) => JSON.parse(new TextDecoder().decode(members[m])) as Record<string, unknown>;
  return { members, datasets, groupNames, config: json('config.json'), metadata: json('metadata.json') };
}

/** The model datasets (optimizer variables left out) of an opened .keras file. */
const layerDatasets = (opened: Awaited<ReturnType<typeof openKeras>>) =>
  new Map([...opened.datasets].filter(([path]) => path.startsWith('layers/')));

describe('Keras 3 .keras format', function () {
  this.timeout(300_000);
  let expected: Expected;
  let dir: string;

  before(async () => {
    expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
    dir = await mkdtemp(join(tmpdir(), 'webgrad-keras-'));
  });

  describe('webgrad loads the files Keras 3.15.1 wrote and predicts what Keras predicted', () => {
    for (const name of ['mlp', 'cnn', 'functional', 'recurrent', 'generator', 'tagger', 'critic', 'assorted']) {
      it(name, async () => {
        const c = expected.models[name];
        const net = await loadModel(join(FIXTURES, `${name}.keras`));
        const x = tensor(flat(c.x), shapeOf(c.x), c.dtype === 'int32' ? 'int32' : 'float32');
        const got = await outputsOf(net, x);
        expect(got.length, 'outputs').to.equal(c.outputs.length);
        got.forEach((values, i) => expect(maxDiff(values, flat(c.outputs[i])), `output ${i}`).to.be.below(1e-5));
      });
    }

    it("keeps Keras's layer names, classes and frozen flags, and nests the functional fixture's Sequential", async () => {
      const net = await loadModel(join(FIXTURES, 'functional.keras'));
      expect(net.layers.map((l) => `${l.className}:${l.name}`)).to.deep.equal([
        'InputLayer:features',
        'Dense:left',
        'Dense:right',
        'Add:sum',
        'Concatenate:joined',
        'Sequential:head',
      ]);
      const cnn = await loadModel(join(FIXTURES, 'cnn.keras'));
      expect(cnn.layers.map((l) => l.className)).to.deep.equal([
        'Conv2D',
        'BatchNormalization',
        'MaxPooling2D',
        'Conv2D',
        'AveragePooling2D',
        'Flatten',
        'Dense',
      ]);
    });
  });

  describe("webgrad writes Keras's layout", () => {
    for (const name of ['mlp', 'cnn', 'functional', 'recurrent', 'generator', 'tagger', 'critic', 'assorted']) {
      it(`${name}: loaded and saved again, every layer variable is at Keras's path with Keras's values`, async () => {
        const original = await openKeras(await readFile(join(FIXTURES, `${name}.keras`)));
        const net = await loadModel(join(FIXTURES, `${name}.keras`));
        const path = join(dir, `${name}-again.keras`);
        await net.save(path);
        const again = await openKeras(await readFile(path));
        const want = layerDatasets(original);
        const got = layerDatasets(again);
        expect([...got.keys()].sort()).to.deep.equal([...want.keys()].sort());
        for (const [key, { shape, values }] of want) {
          expect(got.get(key)!.shape, key).to.deep.equal(shape);
          expect(maxDiff(got.get(key)!.values, values), key).to.equal(0);
        }
        expect(again.metadata.keras_version).to.equal('3.15.1');
        // the classes and names Keras wrote, layer by layer, in Keras's order
        const summary = (config: Record<string, unknown>): unknown =>
          ((config.config as { layers: Record<string, unknown>[] }).layers ?? []).map((l) => [
            l.class_name,
            (l.config as { name: string }).name,
            ...(l.class_name === 'Sequential' || l.class_name === 'Functional' ? [summary(l)] : []),
          ]);
        const ignoreInputName = (s: unknown) => JSON.stringify(s).replace(/"InputLayer","[^"]*"/g, '"InputLayer"');
        // Keras records Masking's compute_mask as ops (NotEqual, Any) feeding only a mask argument; webgrad
        // writes none of them and Keras reads the graph without them (tests/interop checks that)
        const withoutMaskOps = (s: unknown) =>
          (s as unknown[][]).filter(([className]) => className !== 'NotEqual' && className !== 'Any');
        expect(ignoreInputName(summary(again.config))).to.equal(
          ignoreInputName(withoutMaskOps(summary(original.config))),
        );
        expect(again.config.class_name).to.equal(original.config.class_name);
        // a functional model's calls in Keras 3's form, {args, kwargs} of __keras_tensor__s, as Keras wrote them
        const calls = (config: Record<string, unknown>) =>
          (config.config as { layers: Record<string, unknown>[] }).layers.map((l) => [l.name, l.inbound_nodes]);
        if (name === 'functional') expect(calls(again.config)).to.deep.equal(calls(original.config));
      });
    }

    it("writes the option keys Keras writes, with Keras's values, for each layer of the fixtures", async () => {
      for (const name of ['mlp', 'cnn', 'functional', 'recurrent', 'generator', 'tagger', 'critic', 'assorted']) {
        const original = await openKeras(await readFile(join(FIXTURES, `${name}.keras`)));
        const net = await loadModel(join(FIXTURES, `${name}.keras`));
        const again = await openKeras(await toKerasBytes(await modelArtifacts(net)));
        const layersOf = (c: Record<string, unknown>) =>
          (c.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers;
        const theirs = layersOf(original.config).filter((l) => l.class_name !== 'NotEqual' && l.class_name !== 'Any');
        type Written = { class_name: string; config: Record<string, unknown> };
        // a wrapper's inner layer is compared as a layer, key by key (Keras adds its build_config)
        const sameLayer = (layer: Written, keras: Record<string, unknown>) => {
          for (const [key, value] of Object.entries(layer.config)) {
            if (key === 'dtype' || key.endsWith('_initializer')) continue;
            expect(Object.hasOwn(keras, key), `${name}: ${layer.class_name}.${key} is a key Keras writes`).to.equal(
              true,
            );
            if (key === 'layer') sameLayer(value as Written, (keras[key] as Written).config);
            else expect(value, `${name}: ${layer.class_name}.${key}`).to.deep.equal(keras[key]);
          }
        };
        layersOf(again.config).forEach((layer, i) => {
          if (layer.class_name === 'Sequential' || layer.class_name === 'InputLayer') return;
          sameLayer(layer, theirs[i].config);
        });
      }
    });
  });

  describe('webgrad saves .keras and loads it back, predicting the same', () => {
    const cases: { name: string; make: () => { net: AnyModel; x: Tensor } }[] = [
      {
        name: 'Sequential MLP: dense, batch norm, dropout',
        make: () => ({
          net: sequential([
            dense({ units: 5, activation: 'relu', inputShape: [4] }),
            batchNormalization(),
            dropout({ rate: 0.3 }),
            dense({ units: 2, activation: 'softmax' }),
          ]),
          x: tensor(flat([0.1, 0.2, -0.3, 0.4, 1, -1, 0.5, 0.25]), [2, 4]),
        }),
      },
      {
        name: 'Sequential CNN: conv2d, max and average pooling, flatten',
        make: () => ({
          net: sequential([
            conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 2] }),
            maxPooling2d({ poolSize: 2 }),
            averagePooling2d({ poolSize: 3 }),
            flatten(),
            dense({ units: 2 }),
          ]),
          x: tensor(
            Array.from({ length: 144 }, (_, i) => Math.sin(i)),
            [2, 6, 6, 2],
          ),
        }),
      },
      {
        name: 'functional: two branches, add, concatenate, two outputs',
        make: () => {
          const x = input({ shape: [4], name: 'x' });
          const a = dense({ units: 3, name: 'hidden' }).apply(x) as SymbolicTensor;
          const b = dense({ units: 3, activation: 'tanh', name: 'aaa' }).apply(x) as SymbolicTensor;
          const s = addLayer({ name: 'sum' }).apply([a, b]) as SymbolicTensor;
          const j = concatenate({ name: 'joined' }).apply([s, b]) as SymbolicTensor;
          const out = dense({ units: 2, name: 'out' }).apply(j) as SymbolicTensor;
          return {
            net: model({ inputs: x, outputs: [out, s], name: 'two' }) as unknown as AnyModel,
            x: tensor(flat([0.1, 0.2, -0.3, 0.4, 1, -1, 0.5, 0.25]), [2, 4]),
          };
        },
      },
      {
        name: 'embedding + LSTM + GRU (reset_after) + SimpleRNN',
        make: () => {
          const t = input({ shape: [5], dtype: 'int32', name: 'tokens' });
          const e = embedding({ inputDim: 10, outputDim: 4 }).apply(t) as SymbolicTensor;
          const seq = lstm({ units: 3, returnSequences: true }).apply(e) as SymbolicTensor;
          const g = gru({ units: 3 }).apply(seq) as SymbolicTensor;
          const r = simpleRNN({ units: 2 }).apply(seq) as SymbolicTensor;
          const out = dense({ units: 1 }).apply(concatenate().apply([g, r]) as SymbolicTensor) as SymbolicTensor;
          return {
            net: model({ inputs: t, outputs: out }) as unknown as AnyModel,
            x: tensor([1, 2, 3, 4, 5, 9, 8, 7, 0, 1], [2, 5], 'int32'),
          };
        },
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const { net, x } = c.make();
        const path = join(dir, `${c.name.split(':')[0].replace(/\W+/g, '-')}.keras`);
        await net.save(path);
        const loaded = await loadModel(path);
        const want = await outputsOf(net, x);
        const got = await outputsOf(loaded, x);
        got.forEach((values, i) => expect(maxDiff(values, want[i]), `output ${i}`).to.be.below(1e-6));
        expect(loaded.layers.map((l) => l.name)).to.deep.equal(net.layers.map((l) => l.name));
      });
    }

    it("names H5 groups as Keras does: class keys numbered in Keras's functional order, recurrent cells apart", async () => {
      // webgrad lists x, b, a, c, sum (its walk from the output); Keras 3.15.1 lists x, a, b, c, sum
      // (by depth, then traversal: printed by Keras itself for this graph), and numbers dense keys so
      const x = input({ shape: [4], name: 'x' });
      const b = dense({ units: 3, name: 'b' }).apply(x) as SymbolicTensor;
      const a = dense({ units: 2, name: 'a' }).apply(x) as SymbolicTensor;
      const c = dense({ units: 3, name: 'c' }).apply(a) as SymbolicTensor;
      const sum = addLayer({ name: 'sum' }).apply([b, c]) as SymbolicTensor;
      const net = model({ inputs: x, outputs: [sum, c], name: 'two' }) as unknown as AnyModel;
      expect(net.layers.map((l) => l.name)).to.deep.equal(['x', 'b', 'a', 'c', 'sum']);
      const opened = await openKeras(await toKerasBytes(await modelArtifacts(net)));
      expect([...opened.groupNames].filter(([k]) => k.endsWith('/vars'))).to.deep.equal([
        ['layers/add/vars', 'sum'],
        ['layers/dense/vars', 'a'],
        ['layers/dense_1/vars', 'b'],
        ['layers/dense_2/vars', 'c'],
        ['layers/input_layer/vars', 'x'],
      ]);
      expect(opened.datasets.get('layers/dense/vars/0')!.shape).to.deep.equal([4, 2]);
      expect(opened.datasets.get('layers/dense_2/vars/0')!.shape).to.deep.equal([2, 3]);
      expect(opened.groupNames.get('vars')).to.equal('two');
      const config = opened.config as { class_name: string; config: Record<string, unknown> };
      expect(config.class_name).to.equal('Functional');
      expect((config.config.layers as { name: string }[]).map((l) => l.name)).to.deep.equal([
        'x',
        'a',
        'b',
        'c',
        'sum',
      ]);
      expect(config.config.input_layers).to.deep.equal(['x', 0, 0]);
      expect(config.config.output_layers).to.deep.equal([
        ['sum', 0, 0],
        ['c', 0, 0],
      ]);
      // and the file, read back, fills each layer with its own weights
      const back = await loadModel(kerasBytes(await toKerasBytes(await modelArtifacts(net))));
      const xs = tensor([0.5, -1, 2, 0.25], [1, 4]);
      const [want, got] = [await outputsOf(net, xs), await outputsOf(back, xs)];
      got.forEach((v, i) => expect(maxDiff(v, want[i])).to.be.below(1e-6));
      const rnn = await openKeras(await toKerasBytes(await modelArtifacts(cases[3].make().net)));
      expect([...rnn.datasets.keys()].filter((k) => k.includes('/cell/')).sort()).to.deep.equal([
        'layers/gru/cell/vars/0',
        'layers/gru/cell/vars/1',
        'layers/gru/cell/vars/2',
        'layers/lstm/cell/vars/0',
        'layers/lstm/cell/vars/1',
        'layers/lstm/cell/vars/2',
        'layers/simple_rnn/cell/vars/0',
        'layers/simple_rnn/cell/vars/1',
        'layers/simple_rnn/cell/vars/2',
      ]);
      expect(rnn.datasets.get('layers/gru/cell/vars/2')!.shape).to.deep.equal([2, 9]);
    });

    it('a Sequential is written with a leading InputLayer of batch_shape, as Keras 3 writes one', async () => {
      const opened = await openKeras(await toKerasBytes(await modelArtifacts(cases[0].make().net)));
      const layers = (opened.config.config as { layers: { class_name: string; config: Record<string, unknown> }[] })
        .layers;
      expect(layers[0].class_name).to.equal('InputLayer');
      expect(layers[0].config.batch_shape).to.deep.equal([null, 4]);
      expect(layers.slice(1).every((l) => !('batch_input_shape' in l.config))).to.equal(true);
      expect([...opened.datasets.keys()].sort()).to.deep.equal([
        'layers/batch_normalization/vars/0',
        'layers/batch_normalization/vars/1',
        'layers/batch_normalization/vars/2',
        'layers/batch_normalization/vars/3',
        'layers/dense/vars/0',
        'layers/dense/vars/1',
        'layers/dense_1/vars/0',
        'layers/dense_1/vars/1',
      ]);
    });

    it("a layer Keras lacks is written under a registered 'webgrad>' name, and refused by strict", async () => {
      const net = sequential([maxout({ units: 2, pieces: 2, inputShape: [3] }), dense({ units: 1 })]);
      const opened = await openKeras(await toKerasBytes(await modelArtifacts(net)));
      const layers = (opened.config.config as { layers: Record<string, unknown>[] }).layers;
      expect(layers.map((l) => l.class_name)).to.deep.equal(['InputLayer', 'Maxout', 'Dense']);
      expect(layers[1].registered_name).to.equal('webgrad>Maxout');
      // webgrad reads its registered class back exactly (this replaces the earlier refusal of Maxout on load)
      const loaded = await loadModel(kerasBytes(await toKerasBytes(await modelArtifacts(net))));
      expect(loaded.layers.map((l) => l.getConfig())).to.deep.equal(net.layers.map((l) => l.getConfig()));
      const x = tensor([0.5, -1, 2, 1.5, 0.25, -0.75], [2, 3]);
      const expected = await (net.predict(x) as Tensor).data();
      (await (loaded.predict(x) as Tensor).data()).forEach((v, i) => expect(v).to.be.closeTo(expected[i], 1e-5));
      let error: Error | undefined;
      await net.save(join(dir, 'maxout.keras'), { strict: true }).catch((e: Error) => (error = e));
      expect(error?.message).to.match(/^saveModel: Keras 3 has no layer class for Maxout 'maxout/);
    });

    it("includeOptimizer writes Keras's compile_config and optimizer/vars, and training resumes exactly", async () => {
      // replaces the earlier refusal of includeOptimizer with .keras
      const net = sequential([dense({ units: 4, activation: 'tanh', inputShape: [3] }), dense({ units: 2 })]);
      net.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      const x = tensor(
        Array.from({ length: 15 }, (_, i) => Math.sin(i)),
        [5, 3],
      );
      const y = tensor(
        Array.from({ length: 10 }, (_, i) => Math.cos(i)),
        [5, 2],
      );
      for (let step = 0; step < 3; step++) await net.trainOnBatch(x, y);
      const path = join(dir, 'resume-webgrad.keras');
      await net.save(path, { includeOptimizer: true });
      const opened = await openKeras(await readFile(path));
      const compile = opened.config.compile_config as {
        optimizer: { class_name: string; config: Record<string, unknown> };
        loss: unknown;
      };
      expect(compile.optimizer.class_name).to.equal('Adam');
      expect(compile.optimizer.config).to.include({ learning_rate: 0.05, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 });
      expect(compile.loss).to.equal('mean_squared_error');
      expect(opened.groupNames.get('optimizer/vars')).to.equal('adam');
      expect(opened.datasets.get('optimizer/vars/0')).to.deep.equal({ shape: [], values: [3] });
      // Keras's layout: step, learning rate, then [m, v] per trainable variable
      expect([2, 3, 4, 5, 6, 7, 8, 9].map((i) => opened.datasets.get(`optimizer/vars/${i}`)!.shape)).to.deep.equal([
        [3, 4],
        [3, 4],
        [4],
        [4],
        [4, 2],
        [4, 2],
        [2],
        [2],
      ]);
      const back = await loadModel(path);
      await net.trainOnBatch(x, y);
      await back.trainOnBatch(x, y);
      const [want, got] = [await outputsOf(net, x), await outputsOf(back, x)];
      expect(maxDiff(got[0], want[0])).to.be.below(1e-6);
    });

    it('an optimizer Keras and webgrad do not resume alike is refused by name when saved with its state', async () => {
      const { net } = cases[0].make();
      net.compile({ optimizer: sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'meanSquaredError' });
      const error = await net.save(join(dir, 'momentum.keras'), { includeOptimizer: true }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.match(
        /^saveModel: format 'keras' carries the state of adam and sgd optimizers, which Keras and webgrad keep alike; this model's is 'momentum'/,
      );
    });

    for (const name of ['resume', 'resume_wrapped']) {
      it(`${name}: resumes Keras's training: its step count and Adam's moments, one more step landing where Keras's did`, async () => {
        const c = expected.models[name] as Expected['models'][string] & {
          y: unknown[];
          iterations: number;
          after_one_more_step: unknown[];
        };
        const net = await loadModel(join(FIXTURES, `${name}.keras`));
        expect(net.compiled?.optimizer.iterations).to.equal(c.iterations);
        const x = tensor(flat(c.x), shapeOf(c.x));
        expect(maxDiff((await outputsOf(net, x))[0], flat(c.outputs[0]))).to.be.below(1e-5);
        await net.trainOnBatch(x, tensor(flat(c.y), shapeOf(c.y)));
        expect(maxDiff((await outputsOf(net, x))[0], flat(c.after_one_more_step))).to.be.below(1e-5);
      });
    }
  });

  describe('hostile or malformed .keras files are refused by name, before allocating', () => {
    let good: Uint8Array;
    before(async () => {
      good = new Uint8Array(await readFile(join(FIXTURES, 'mlp.keras')));
    });

    const refusal = async (bytes: Uint8Array) => {
      let error: Error | undefined;
      await loadModel(kerasBytes(bytes, 'bad.keras')).catch((e: Error) => (error = e));
      expect(error, 'an error').to.not.equal(undefined);
      return error!.message;
    };
    const rezip = (replace: Record<string, Uint8Array>) => zipSync({ ...unzipSync(good), ...replace }, { level: 0 });
    /** The fixture's config.json, to spoil one field of its first Dense (layers[1]). */
    const config = () =>
      JSON.parse(new TextDecoder().decode(unzipSync(good)['config.json'])) as {
        config: { layers: { class_name: string; config: Record<string, unknown> }[] };
      };

    it('an entry whose path leaves the archive', async () => {
      expect(await refusal(rezip({ '../../etc/evil': strToU8('x') }))).to.equal(
        "loadModel: bad.keras: zip entry '../../etc/evil' has an empty, '.' or '..' segment; a .keras file's entries stay inside it",
      );
      expect(await refusal(rezip({ '/abs/path': strToU8('x') }))).to.match(
        /zip entry '\/abs\/path' is an absolute path/,
      );
    });

    it('a zip bomb: a member inflating past its ceiling is cut off', async () => {
      const previous = setLoadLimits({ maxJsonBytes: 1 << 16 });
      try {
        const bomb = zipSync({ ...unzipSync(good), 'config.json': new Uint8Array(50 << 20) }, { level: 9 });
        expect(bomb.length, 'the bomb is small').to.be.below(1 << 20);
        expect(await refusal(bomb)).to.match(
          /^loadModel: bad\.keras: zip entry 'config\.json' declares 52428800 bytes, above its 65536-byte ceiling; it was not inflated$/,
        );
        // headers that lie about the size: the inflation itself is stopped at the ceiling
        const lying = new Uint8Array(bomb);
        patchSizes(lying, 'config.json', 100);
        expect(await refusal(lying)).to.match(/zip entry 'config\.json' inflates past its 65536-byte ceiling/);
      } finally {
        setLoadLimits(previous);
      }
    });

    it('not a zip, or a zip without the Keras members', async () => {
      expect(await refusal(strToU8('{"not": "a zip"}'))).to.equal(
        'loadModel: bad.keras is not a zip archive; a Keras 3 .keras file is a zip of config.json, metadata.json, model.weights.h5',
      );
      const members = unzipSync(good);
      delete members['model.weights.h5'];
      expect(await refusal(zipSync(members))).to.equal(
        'loadModel: bad.keras lacks model.weights.h5; a Keras 3 .keras file is a zip of config.json, metadata.json and model.weights.h5',
      );
    });

    it('an unknown layer class', async () => {
      const c = config();
      c.config.layers[1].class_name = 'FancyLayer';
      expect(await refusal(rezip({ 'config.json': strToU8(JSON.stringify(c)) }))).to.match(
        /^loadModel: bad\.keras holds layer class\(es\) webgrad lacks: FancyLayer/,
      );
    });

    it('a config value of the wrong type or a Keras option webgrad cannot honour', async () => {
      const c = config();
      c.config.layers[1].config.units = 'many';
      expect(await refusal(rezip({ 'config.json': strToU8(JSON.stringify(c)) }))).to.match(
        /config\.units is "many"; expected a positive integer/,
      );
      const d = config();
      d.config.layers[1].config.dtype = 'mixed_float16';
      expect(await refusal(rezip({ 'config.json': strToU8(JSON.stringify(d)) }))).to.equal(
        'loadModel: Dense layer \'dense\' in bad.keras sets dtype to "mixed_float16"; webgrad reads only "float32" there',
      );
    });

    it('weights whose shapes do not match the layers, and a dataset of the wrong dtype', async () => {
      const c = config();
      c.config.layers[1].config.units = 6; // the file holds a 4x5 kernel: the next layer's would overdraw the weights held
      expect(await refusal(rezip({ 'config.json': strToU8(JSON.stringify(c)) }))).to.match(
        /^loadModel: weight 'dense_1\/kernel' of shape \[6,3\] \(18 values\) exceeds what the weights in bad\.keras hold \(43 values, 13 not yet used\)/,
      );
      const d = config();
      d.config.layers[1].config.units = 4;
      expect(await refusal(rezip({ 'config.json': strToU8(JSON.stringify(d)) }))).to.equal(
        'loadModel: the weights in model.json ([4,5] [5] [5,3] [3]) do not match the layers it describes ([4,4] [4] [4,3] [3])',
      );
      const h5 = await rewriteH5(unzipSync(good)['model.weights.h5'], 'layers/dense/vars/1', new Int32Array(5));
      expect(await refusal(rezip({ 'model.weights.h5': h5 }))).to.equal(
        "loadModel: bad.keras: model.weights.h5 entry 'layers/dense/vars/1' (layer 'dense') has dtype '<i'; expected float32 ('<f4')",
      );
    });

    it('optimizer variables of the wrong dtype or count are refused, naming the entry', async () => {
      const resume = new Uint8Array(await readFile(join(FIXTURES, 'resume.keras')));
      const members = unzipSync(resume);
      const h5 = await rewriteH5(members['model.weights.h5'], 'optimizer/vars/3', new Int32Array(12));
      let error: Error | undefined;
      await loadModel(kerasBytes(zipSync({ ...members, 'model.weights.h5': h5 }), 'bad.keras')).catch(
        (e: Error) => (error = e),
      );
      expect(error?.message).to.match(
        /^loadModel: bad\.keras: model\.weights\.h5 entry 'optimizer\/vars\/3' \(optimizer slot dense_\d+\/0\/v\) is '<i' of shape \[12\]; expected float32 of shape \[3,4\]$/,
      );
    });

    it('an HDF5 external link is refused (it could name a file outside the model)', async () => {
      const h5 = await rewriteH5(unzipSync(good)['model.weights.h5'], 'layers/dense/vars/1', '/etc/passwd');
      expect(await refusal(rezip({ 'model.weights.h5': h5 }))).to.equal(
        "loadModel: bad.keras: model.weights.h5 entry 'layers/dense/vars/1' is a ExternalLink; only groups and datasets are read",
      );
    });

    it('a .keras path that is not a regular file, or is above the ceiling', async () => {
      let error: Error | undefined;
      await loadModel(dir + '/missing.keras').catch((e: Error) => (error = e));
      expect(error?.message).to.match(/^loadModel: cannot read .*missing\.keras: ENOENT$/);
      const file = join(dir, 'big.keras');
      await writeFile(file, good);
      const previous = setLoadLimits({ maxWeightBytes: 100, maxJsonBytes: 100 });
      try {
        const big = await loadModel(file).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(big?.message).to.match(
          /^loadModel: .*big\.keras holds \d+ bytes, above the 300-byte ceiling for a \.keras file/,
        );
      } finally {
        setLoadLimits(previous);
      }
    });

    it('fromKerasBytes gives artifacts the loader checks like any other', async () => {
      const artifacts = await fromKerasBytes(good, 'mlp.keras', 'loadModel');
      expect(artifacts.json.weightsManifest[0].weights.map((w) => w.shape)).to.deep.equal([[4, 5], [5], [5, 3], [3]]);
    });
  });
});

/** Sets a zip's local and central sizes of one member to `size` (a header that lies). */
function patchSizes(zip: Uint8Array, member: string, size: number): void {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const name = strToU8(member);
  for (let at = 0; at + 46 < zip.length; at++) {
    const signature = view.getUint32(at, true);
    const local = signature === 0x04034b50;
    const central = signature === 0x02014b50;
    if (!local && !central) continue;
    const nameAt = at + (local ? 30 : 46);
    const nameLength = view.getUint16(at + (local ? 26 : 28), true);
    const same = nameLength === name.length && name.every((c, i) => zip[nameAt + i] === c);
    if (same) view.setUint32(at + (local ? 22 : 24), size, true);
  }
}

/** model.weights.h5 copied with one dataset replaced by other values, or (a string) by an external link to that file. */
async function rewriteH5(bytes: Uint8Array, path: string, replacement: Int32Array | string): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const id = Math.random().toString(36).slice(2);
  FS.writeFile(`/in-${id}.h5`, bytes);
  const source = new h5wasm.File(`/in-${id}.h5`, 'r');
  const copy = new h5wasm.File(`/out-${id}.h5`, 'w');
  const walk = (group: InstanceType<typeof h5wasm.Group>, prefix: string) => {
    for (const key of group.keys()) {
      const entity = group.get(key);
      const at = prefix + key;
      if (entity instanceof h5wasm.Group) {
        copy.create_group(at);
        walk(entity, `${at}/`);
      } else if (entity instanceof h5wasm.Dataset && at !== path) {
        const integer = entity.metadata.type === 0;
        const value = entity.value as number | ArrayLike<number>;
        const list = typeof value === 'number' ? [value] : Array.from(value);
        const data = integer ? Int32Array.from(list) : Float32Array.from(list);
        copy.create_dataset({ name: at, data, shape: entity.shape, dtype: integer ? '<i4' : '<f4' });
      }
    }
  };
  walk(source, '');
  const slash = path.lastIndexOf('/');
  const parent = copy.get(path.slice(0, slash)) as InstanceType<typeof h5wasm.Group>;
  const key = path.slice(slash + 1);
  if (typeof replacement === 'string') parent.create_external_link(replacement, '/', key);
  else parent.create_dataset({ name: key, data: replacement, shape: [replacement.length], dtype: '<i4' });
  source.close();
  copy.close();
  const out = FS.readFile(`/out-${id}.h5`);
  FS.unlink(`/in-${id}.h5`);
  FS.unlink(`/out-${id}.h5`);
  return out;
}

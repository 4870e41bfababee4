// TF.js Layers' file format both ways, against TF.js 4.22 itself (the bench's dependency): models webgrad
// saves with format 'tfjs' are loaded by tf.loadLayersModel and predict what webgrad predicts, and models
// TF.js builds and saves are loaded by webgrad's loadModel and predict what TF.js predicts; Sequential and
// functional, dense, conv, pooling, batch norm, merges and embedding + LSTM. Also what is refused, by name.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { tensor, type Tensor } from '@webgrad/core';
import {
  adam,
  adamw,
  add as addLayer,
  batchNormalization,
  concatenate,
  conv2d,
  dense,
  dropout,
  embedding,
  flatten,
  gru,
  input,
  loadModel,
  lstm,
  maxout,
  maxPooling2d,
  model,
  saveModel,
  sequential,
  simpleRNN,
  type ModelArtifacts,
  type ModelStore,
  type SymbolicTensor,
} from '@webgrad/layers';

/** The slice of TF.js these tests call (loaded untyped from the bench's node_modules). */
interface TfTensor {
  shape: number[];
  dataSync(): Float32Array;
}
interface TfVariable {
  name: string;
  shape: number[];
}
interface TfArtifacts {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}
interface TfModel {
  weights: TfVariable[];
  predict(x: TfTensor): TfTensor;
  setWeights(values: TfTensor[]): void;
  save(handler: unknown): Promise<unknown>;
}
type LayerFactory = (args: Record<string, unknown>) => unknown;
interface Tf {
  enableProdMode(): void;
  setBackend(name: string): Promise<boolean>;
  tensor(values: ArrayLike<number>, shape: number[], dtype?: string): TfTensor;
  input(args: Record<string, unknown>): unknown;
  model(args: { inputs: unknown; outputs: unknown; name?: string }): TfModel;
  sequential(args: { layers: unknown[]; name?: string }): TfModel;
  loadLayersModel(handler: unknown): Promise<TfModel>;
  layers: Record<string, LayerFactory>;
  io: {
    fromMemory(artifacts: Omit<TfArtifacts, 'format' | 'generatedBy' | 'convertedBy'>): unknown;
    withSaveHandler(save: (artifacts: TfArtifacts) => Promise<unknown>): unknown;
  };
}

let tf: Tf;

/** Deterministic values in [lo, hi), so a failure reproduces. */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/** Weights far from their initial values (a BatchNormalization's variance kept positive), so a mix-up shows. */
const weightValues = (name: string, shape: readonly number[], seed: number): Float32Array =>
  name.includes('variance') ? values(size(shape), seed, 0.5, 1.5) : values(size(shape), seed);

/** A ModelStore in memory: it keeps what was saved and gives it back. */
function memoryStore(initial?: ModelArtifacts): ModelStore & { artifacts?: ModelArtifacts } {
  const store: ModelStore & { artifacts?: ModelArtifacts } = {
    url: 'memory://tfjs-format',
    artifacts: initial,
    save: async (artifacts) => {
      store.artifacts = artifacts;
    },
    load: async () => store.artifacts!,
  };
  return store;
}

/** TF.js's saved artifacts as the model.json and weights file tf.io's file:// writer makes of them. */
const tfjsFiles = (a: TfArtifacts): ModelArtifacts => ({
  json: {
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }],
  } as unknown as ModelArtifacts['json'],
  weights: new Uint8Array(a.weightData),
});

const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tolerance = 1e-5 * Math.abs(expected[i]) + 1e-6;
    expect(Math.abs(actual[i] - expected[i]), `element ${i}: ${actual[i]} vs ${expected[i]}`).to.be.at.most(tolerance);
  }
};

/** What TF.js's model.save hands a save handler. */
const tfSave = async (m: TfModel): Promise<TfArtifacts> => {
  let saved: TfArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
};

interface WebgradCase {
  name: string;
  build(): ReturnType<typeof sequential> | ReturnType<typeof model>;
  inputShape: number[];
  ids?: number;
}

const webgradCases: WebgradCase[] = [
  {
    name: 'Sequential MLP: dense, dropout, batch norm, softmax',
    inputShape: [3, 4],
    build: () =>
      sequential([
        dense({ units: 5, activation: 'relu', inputShape: [4] }),
        dropout({ rate: 0.3 }),
        batchNormalization(),
        dense({ units: 3, activation: 'softmax' }),
      ]),
  },
  {
    name: 'Sequential CNN: conv2d, max pooling, flatten, dense',
    inputShape: [2, 6, 6, 2],
    build: () =>
      sequential([
        conv2d({ filters: 3, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [6, 6, 2] }),
        maxPooling2d({ poolSize: 2 }),
        conv2d({ filters: 2, kernelSize: [2, 2], strides: 1 }),
        flatten(),
        dense({ units: 2 }),
      ]),
  },
  {
    name: 'functional: two branches joined by concatenate and add',
    inputShape: [3, 4],
    build: () => {
      const x = input({ shape: [4] });
      const a = dense({ units: 3, activation: 'tanh' }).apply(x) as SymbolicTensor;
      const b = dense({ units: 3 }).apply(x) as SymbolicTensor;
      const sum = addLayer().apply([a, b]) as SymbolicTensor;
      const joined = concatenate().apply([sum, a]) as SymbolicTensor;
      const normed = batchNormalization().apply(joined) as SymbolicTensor;
      return model({ inputs: x, outputs: dense({ units: 2, activation: 'sigmoid' }).apply(normed) as SymbolicTensor });
    },
  },
  {
    name: 'Sequential embedding + LSTM',
    inputShape: [2, 5],
    ids: 10,
    build: () =>
      sequential([embedding({ inputDim: 10, outputDim: 4, inputShape: [5] }), lstm({ units: 3 }), dense({ units: 2 })]),
  },
  {
    name: 'Sequential embedding + SimpleRNN + GRU (resetAfter false)',
    inputShape: [2, 5],
    ids: 10,
    build: () =>
      sequential([
        embedding({ inputDim: 10, outputDim: 4, inputShape: [5] }),
        simpleRNN({ units: 3, returnSequences: true }),
        gru({ units: 2, resetAfter: false }),
      ]),
  },
];

const inputFor = (c: { inputShape: number[]; ids?: number }) =>
  c.ids ? Float32Array.from(values(size(c.inputShape), 7, 0, c.ids), Math.floor) : values(size(c.inputShape), 7);

describe('TF.js Layers format', function () {
  before(async () => {
    const fromBench = createRequire(new URL('../../bench/package.json', import.meta.url));
    tf = fromBench('@tensorflow/tfjs') as Tf;
    tf.enableProdMode(); // silences the banner that suggests tfjs-node
    await tf.setBackend('cpu');
  });

  describe('webgrad saves, TF.js 4.22 loads and predicts the same', () => {
    for (const c of webgradCases) {
      it(c.name, async () => {
        const m = c.build();
        m.build();
        m.setWeights(m.weights.map((w, i) => tensor(weightValues(w.name, w.shape, 11 + i), w.shape)));
        const store = memoryStore();
        const json = await saveModel(m, store, { format: 'tfjs' });
        const topology = json.modelTopology as unknown as Record<string, unknown>;
        expect(topology.keras_version).to.equal('tfjs-layers 4.22.0');
        expect(topology.backend).to.equal('tensor_flow.js');
        const { weights } = store.artifacts!;
        const tfModel = await tf.loadLayersModel(
          tf.io.fromMemory({
            modelTopology: json.modelTopology,
            weightSpecs: json.weightsManifest[0].weights,
            weightData: new Uint8Array(weights).buffer,
          }),
        );
        const x = inputFor(c);
        const ours = (await (
          m.predict(c.ids ? tensor(Int32Array.from(x), c.inputShape, 'int32') : tensor(x, c.inputShape)) as Tensor
        ).data()) as Float32Array;
        expectClose(tfModel.predict(tf.tensor(x, c.inputShape)).dataSync(), ours);
      });
    }

    it('writes the Keras forms TF.js writes: VarianceScaling, L1L2, batch_input_shape, inbound_nodes', async () => {
      const x = input({ shape: [4], name: 'features' });
      const y = dense({ units: 2, name: 'head', kernelRegularizer: 'l2' as never }).apply(x) as SymbolicTensor;
      const m = model({ inputs: x, outputs: y, name: 'tiny' });
      const json = await saveModel(m, memoryStore(), { format: 'tfjs' });
      const config = (json.modelTopology as unknown as { config: Record<string, unknown> }).config;
      const [inputLayer, head] = config.layers as Record<string, Record<string, unknown>>[];
      expect(inputLayer.config).to.deep.equal({
        batch_input_shape: [null, 4],
        dtype: 'float32',
        sparse: false,
        name: 'features',
      });
      expect(head.class_name).to.equal('Dense');
      expect(head.inbound_nodes).to.deep.equal([[['features', 0, 0, {}]]]);
      expect(head.config.kernel_initializer).to.deep.equal({
        class_name: 'VarianceScaling',
        config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null },
      });
      expect(head.config.bias_initializer).to.deep.equal({ class_name: 'Zeros', config: {} });
      expect(head.config.kernel_regularizer).to.deep.equal({ class_name: 'L1L2', config: { l1: 0, l2: 0.01 } });
      expect(head.config.activation).to.equal('linear');
      expect(config.input_layers).to.deep.equal([['features', 0, 0]]);
      expect(config.output_layers).to.deep.equal([['head', 0, 0]]);
      expect(json.weightsManifest[0].weights.map((w) => w.name)).to.deep.equal(['head/kernel', 'head/bias']);
    });

    it('writes, for the same model, the very topology TF.js 4.22 writes (Sequential, CNN, LSTM, functional)', async () => {
      const glorot = { kernelInitializer: 'glorotUniform' };
      const lstmArgs = { name: 'l', units: 3, recurrentActivation: 'sigmoid', unitForgetBias: true };
      const x = tf.input({ shape: [4], name: 'in' });
      const apply = (layer: unknown, t: unknown) => (layer as { apply(t: unknown): unknown }).apply(t);
      const a = apply(tf.layers.dense({ name: 'a', units: 3, ...glorot }), x);
      const b = apply(tf.layers.dense({ name: 'b', units: 3, ...glorot }), x);
      const sum = apply(tf.layers.add({ name: 'sum' }), [a, b]);
      const wx = input({ shape: [4], name: 'in' });
      const wa = dense({ name: 'a', units: 3 }).apply(wx) as SymbolicTensor;
      const wb = dense({ name: 'b', units: 3 }).apply(wx) as SymbolicTensor;
      const wsum = addLayer({ name: 'sum' }).apply([wa, wb]) as SymbolicTensor;
      const pairs: [TfModel, ReturnType<typeof sequential> | ReturnType<typeof model>][] = [
        [
          tf.sequential({
            name: 's1',
            layers: [
              tf.layers.dense({ name: 'd1', units: 5, activation: 'relu', inputShape: [4], ...glorot }),
              tf.layers.dropout({ name: 'dr', rate: 0.3 }),
              tf.layers.batchNormalization({ name: 'bn' }),
              tf.layers.dense({ name: 'd2', units: 3, activation: 'softmax', kernelInitializer: 'heNormal' }),
            ],
          }),
          sequential(
            [
              dense({ name: 'd1', units: 5, activation: 'relu', inputShape: [4] }),
              dropout({ name: 'dr', rate: 0.3 }),
              batchNormalization({ name: 'bn' }),
              dense({ name: 'd2', units: 3, activation: 'softmax', kernelInitializer: 'heNormal' }),
            ],
            { name: 's1' },
          ),
        ],
        [
          tf.sequential({
            name: 's2',
            layers: [
              tf.layers.conv2d({
                name: 'c',
                filters: 3,
                kernelSize: 3,
                padding: 'same',
                inputShape: [6, 6, 2],
                ...glorot,
              }),
              tf.layers.maxPooling2d({ name: 'p', poolSize: 2 }),
              tf.layers.flatten({ name: 'f' }),
            ],
          }),
          sequential(
            [
              conv2d({ name: 'c', filters: 3, kernelSize: 3, padding: 'same', inputShape: [6, 6, 2] }),
              maxPooling2d({ name: 'p', poolSize: 2 }),
              flatten({ name: 'f' }),
            ],
            { name: 's2' },
          ),
        ],
        [
          tf.sequential({
            name: 's3',
            layers: [
              tf.layers.embedding({ name: 'e', inputDim: 10, outputDim: 4, inputShape: [5] }),
              tf.layers.lstm({ ...lstmArgs, ...glorot }),
            ],
          }),
          sequential([embedding({ name: 'e', inputDim: 10, outputDim: 4, inputShape: [5] }), lstm(lstmArgs as never)], {
            name: 's3',
          }),
        ],
        [
          tf.model({ name: 'f1', inputs: x, outputs: apply(tf.layers.concatenate({ name: 'cat' }), [sum, a]) }),
          model({ name: 'f1', inputs: wx, outputs: concatenate({ name: 'cat' }).apply([wsum, wa]) as SymbolicTensor }),
        ],
      ];
      for (const [tfModel, ours] of pairs) {
        ours.build();
        const theirs = await tfSave(tfModel);
        const json = await saveModel(ours, memoryStore(), { format: 'tfjs' });
        expect(json.modelTopology).to.deep.equal(theirs.modelTopology);
        // the same weights by name; TF.js lists all trainable weights before the moving statistics
        const names = (specs: { name: string }[]) => specs.map((w) => w.name).sort();
        expect(names(json.weightsManifest[0].weights)).to.deep.equal(names(theirs.weightSpecs));
      }
    });

    it('webgrad loads its own TF.js-format files back, from memory and from a folder, predicting the same', async () => {
      const c = webgradCases[2];
      const m = c.build();
      m.build();
      m.setWeights(m.weights.map((w, i) => tensor(weightValues(w.name, w.shape, 51 + i), w.shape)));
      const x = tensor(inputFor(c), c.inputShape);
      const expected = (await (m.predict(x) as Tensor).data()) as Float32Array;
      const store = memoryStore();
      await saveModel(m, store, { format: 'tfjs' });
      const fromMemory = await loadModel(store);
      expectClose((await (fromMemory.predict(x) as Tensor).data()) as Float32Array, expected);
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-tfjs-'));
      try {
        await saveModel(m, dir, { format: 'tfjs' });
        const written = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
        expect((written.modelTopology as Record<string, unknown>).keras_version).to.equal('tfjs-layers 4.22.0');
        const fromFolder = await loadModel(dir);
        expectClose((await (fromFolder.predict(x) as Tensor).data()) as Float32Array, expected);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("strict names a GRU with reset_after: true, which TF.js's GRUCell refuses", async () => {
      const m = sequential([gru({ units: 2, inputShape: [3, 2], name: 'keras_gru' })]);
      m.build();
      let message = '';
      try {
        await saveModel(m, memoryStore(), { format: 'tfjs', strict: true });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.equal(
        "saveModel: TF.js Layers cannot read GRU 'keras_gru' (reset_after: true); save without strict to write " +
          "them under registered 'webgrad>' class names (only webgrad, or a TF.js that registers them, reads those back)",
      );
    });

    it("includeOptimizer writes TF.js's trainingConfig and Adam's weights, and TF.js resumes the training exactly", async () => {
      // replaces the earlier refusal of includeOptimizer with format 'tfjs'
      const m = sequential([dense({ units: 4, activation: 'tanh', inputShape: [3] }), dense({ units: 2 })]);
      m.build();
      m.setWeights(m.weights.map((w, i) => tensor(weightValues(w.name, w.shape, 31 + i), w.shape)));
      m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      const x = tensor(values(15, 3), [5, 3]);
      const y = tensor(values(10, 4), [5, 2]);
      for (let step = 0; step < 3; step++) await m.trainOnBatch(x, y);
      const store = memoryStore();
      const json = (await saveModel(m, store, { format: 'tfjs', includeOptimizer: true })) as unknown as {
        trainingConfig: Record<string, unknown>;
        weightsManifest: { weights: { name: string; shape: number[]; dtype: string; group?: string }[] }[];
        modelTopology: object;
      };
      expect(json.trainingConfig).to.deep.equal({
        loss: 'mean_squared_error',
        metrics: [],
        optimizer_config: {
          class_name: 'Adam',
          config: { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
        },
      });
      const specs = json.weightsManifest[0].weights;
      expect(specs.filter((w) => w.group === 'optimizer').map((w) => `${w.name}:${w.dtype}`)).to.deep.equal([
        'iter:int32',
        ...m.trainableWeights.map((w) => `${w.name}/m:float32`),
        ...m.trainableWeights.map((w) => `${w.name}/v:float32`),
      ]);
      const tfModel = (await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: specs,
          weightData: new Uint8Array(store.artifacts!.weights).buffer,
          trainingConfig: json.trainingConfig,
        } as never),
      )) as TfModel & { trainOnBatch(x: TfTensor, y: TfTensor): Promise<unknown> };
      // one more step each: equal only if TF.js restored the step count and both moments
      await tfModel.trainOnBatch(tf.tensor(await x.data(), [5, 3]), tf.tensor(await y.data(), [5, 2]));
      await m.trainOnBatch(x, y);
      const ours = await Promise.all(m.weights.map((w) => w.data() as Promise<Float32Array>));
      tfModel.weights.forEach((w, i) => expectClose((w as unknown as { read(): TfTensor }).read().dataSync(), ours[i]));
    });

    it('webgrad resumes the training TF.js saved with includeOptimizer, with its step count and moments', async () => {
      const tfModel = tf.sequential({
        layers: [tf.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), tf.layers.dense({ units: 2 })],
      }) as TfModel & {
        compile(args: unknown): void;
        trainOnBatch(x: TfTensor, y: TfTensor): Promise<unknown>;
      };
      const { train } = tf as unknown as { train: { adam(lr: number): unknown } };
      tfModel.compile({ optimizer: train.adam(0.05), loss: 'meanSquaredError' });
      const xs = values(15, 5);
      const ys = values(10, 6);
      for (let step = 0; step < 3; step++) await tfModel.trainOnBatch(tf.tensor(xs, [5, 3]), tf.tensor(ys, [5, 2]));
      let saved: (TfArtifacts & { trainingConfig?: object }) | undefined;
      await (tfModel as unknown as { save(h: unknown, o: unknown): Promise<unknown> }).save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
        { includeOptimizer: true },
      );
      const files = tfjsFiles(saved!);
      (files.json as unknown as { trainingConfig?: object }).trainingConfig = saved!.trainingConfig;
      const m = await loadModel(memoryStore(files));
      await tfModel.trainOnBatch(tf.tensor(xs, [5, 3]), tf.tensor(ys, [5, 2]));
      await m.trainOnBatch(tensor(xs, [5, 3]), tensor(ys, [5, 2]));
      const ours = await Promise.all(m.weights.map((w) => w.data() as Promise<Float32Array>));
      tfModel.weights.forEach((w, i) => expectClose((w as unknown as { read(): TfTensor }).read().dataSync(), ours[i]));
    });

    it('a TF.js file whose optimizer weights do not fit is refused, naming the weight; other optimizers by name', async () => {
      const m = sequential([dense({ units: 2, inputShape: [3] })]);
      m.compile({ optimizer: adam(), loss: 'meanSquaredError' });
      await m.trainOnBatch(tensor(values(6, 1), [2, 3]), tensor(values(4, 2), [2, 2]));
      const store = memoryStore();
      await saveModel(m, store, { format: 'tfjs', includeOptimizer: true });
      const json = structuredClone(store.artifacts!.json) as unknown as {
        weightsManifest: { weights: { name: string }[] }[];
      };
      const specs = json.weightsManifest[0].weights;
      specs[specs.length - 1].name = 'elsewhere/v';
      let message = '';
      await loadModel(memoryStore({ ...store.artifacts!, json: json as never })).catch(
        (e: Error) => (message = e.message),
      );
      expect(message).to.equal(
        "loadModel: memory://tfjs-format: optimizer weight 'dense_1/bias/v' is missing or shaped [], not [2] as weight 'dense_1/bias'".replace(
          /dense_1/g,
          m.layers[0].name,
        ),
      );
      // AdamW has no TF.js class: strict names it (without strict it is written as 'webgrad>adamw')
      m.compile({ optimizer: adamw({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      await m.trainOnBatch(tensor(values(6, 1), [2, 3]), tensor(values(4, 2), [2, 2]));
      message = '';
      await saveModel(m, memoryStore(), { format: 'tfjs', includeOptimizer: true, strict: true }).catch(
        (e: Error) => (message = e.message),
      );
      expect(message).to.match(
        /^saveModel: TF\.js Layers cannot read optimizer 'adamw' \(TF\.js has no such optimizer\)/,
      );
    });

    it("a layer or option TF.js lacks goes under a 'webgrad>' name, reads back exactly, is named by TF.js and strict", async () => {
      // replaces the earlier test that wrote Maxout under webgrad's bare class name
      const m = sequential([
        maxout({ units: 3, pieces: 2, inputShape: [4], name: 'mx' }),
        dense({ units: 2, activation: 'leakyRelu', name: 'leaky' }),
        dense({ units: 2, activation: 'tanh', name: 'plain' }),
      ]);
      m.build();
      m.setWeights(m.weights.map((w, i) => tensor(weightValues(w.name, w.shape, 61 + i), w.shape)));
      const store = memoryStore();
      const json = await saveModel(m, store);
      const layers = (json.modelTopology.config as unknown as { layers: { class_name: string; config: object }[] })
        .layers;
      expect(layers.map((l) => l.class_name)).to.deep.equal(['webgrad>Maxout', 'webgrad>Dense', 'Dense']);
      // a registered class keeps webgrad's own config, so it reads back as it was
      expect(layers[1].config).to.include({ activation: 'leakyRelu', useBias: true, units: 2 });
      const x = tensor(values(12, 9), [3, 4]);
      const loaded = await loadModel(store);
      expect(loaded.layers.map((l) => l.getConfig())).to.deep.equal(m.layers.map((l) => l.getConfig()));
      expectClose(
        (await (loaded.predict(x) as Tensor).data()) as Float32Array,
        (await (m.predict(x) as Tensor).data()) as Float32Array,
      );
      // TF.js 4.22 names the class it lacks rather than loading something else
      let tfMessage = '';
      await tf
        .loadLayersModel(
          tf.io.fromMemory({
            modelTopology: json.modelTopology,
            weightSpecs: json.weightsManifest[0].weights,
            weightData: new Uint8Array(store.artifacts!.weights).buffer,
          }),
        )
        .catch((e: Error) => (tfMessage = e.message));
      expect(tfMessage).to.match(/^Unknown layer: webgrad>Maxout\. /);
      let message = '';
      await saveModel(m, memoryStore(), { strict: true }).catch((e: Error) => (message = e.message));
      expect(message).to.equal(
        "saveModel: TF.js Layers cannot read Maxout 'mx' (no such class); Dense 'leaky' (activation 'leakyRelu'); " +
          "save without strict to write them under registered 'webgrad>' class names " +
          '(only webgrad, or a TF.js that registers them, reads those back)',
      );
    });
  });

  describe('TF.js 4.22 builds and saves, webgrad loads and predicts the same', () => {
    interface TfCase {
      name: string;
      inputShape: number[];
      ids?: number;
      build(): TfModel;
    }
    const tfCases: TfCase[] = [
      {
        name: 'Sequential MLP: dense, dropout, batch norm',
        inputShape: [3, 4],
        build: () =>
          tf.sequential({
            layers: [
              tf.layers.dense({ units: 5, activation: 'relu', inputShape: [4] }),
              tf.layers.dropout({ rate: 0.2 }),
              tf.layers.batchNormalization({}),
              tf.layers.dense({ units: 3, activation: 'softmax' }),
            ],
          }),
      },
      {
        name: 'Sequential CNN: conv2d, max pooling, flatten, dense',
        inputShape: [2, 6, 6, 2],
        build: () =>
          tf.sequential({
            layers: [
              tf.layers.conv2d({
                filters: 3,
                kernelSize: 3,
                activation: 'relu',
                padding: 'same',
                inputShape: [6, 6, 2],
              }),
              tf.layers.maxPooling2d({ poolSize: 2 }),
              tf.layers.flatten({}),
              tf.layers.dense({ units: 2 }),
            ],
          }),
      },
      {
        name: 'functional: concatenate, add, batch norm',
        inputShape: [3, 4],
        build: () => {
          const x = tf.input({ shape: [4] });
          const apply = (layer: unknown, t: unknown) => (layer as { apply(t: unknown): unknown }).apply(t);
          const a = apply(tf.layers.dense({ units: 3, activation: 'tanh' }), x);
          const b = apply(tf.layers.dense({ units: 3 }), x);
          const sum = apply(tf.layers.add({}), [a, b]);
          const joined = apply(tf.layers.concatenate({}), [sum, a]);
          const normed = apply(tf.layers.batchNormalization({}), joined);
          return tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 2, activation: 'sigmoid' }), normed) });
        },
      },
      {
        name: 'Sequential embedding + LSTM',
        inputShape: [2, 5],
        ids: 10,
        build: () =>
          tf.sequential({
            layers: [
              tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 }),
              // TF.js's default recurrent activation is hard_sigmoid, which webgrad lacks (tested below)
              tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid' }),
              tf.layers.dense({ units: 2 }),
            ],
          }),
      },
      {
        name: 'Sequential embedding + SimpleRNN + GRU',
        inputShape: [2, 5],
        ids: 10,
        build: () =>
          tf.sequential({
            layers: [
              tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 }),
              tf.layers.simpleRNN({ units: 3, returnSequences: true }),
              tf.layers.gru({ units: 2, recurrentActivation: 'sigmoid' }),
            ],
          }),
      },
    ];

    for (const c of tfCases) {
      it(c.name, async () => {
        const m = c.build();
        m.setWeights(m.weights.map((w, i) => tf.tensor(weightValues(w.name, w.shape, 31 + i), w.shape)));
        const x = inputFor(c);
        const expected = m.predict(tf.tensor(x, c.inputShape)).dataSync();
        const ours = await loadModel(memoryStore(tfjsFiles(await tfSave(m))));
        const xs = c.ids ? tensor(Int32Array.from(x), c.inputShape, 'int32') : tensor(x, c.inputShape);
        expectClose((await (ours.predict(xs) as Tensor).data()) as Float32Array, expected);
      });
    }

    it('reads sharded weights (group1-shard1of3.bin, ...) in order, as tensorflowjs_converter writes them', async () => {
      const tfModel = tf.sequential({
        layers: [tf.layers.dense({ units: 7, activation: 'relu', inputShape: [5] }), tf.layers.dense({ units: 3 })],
      });
      const saved = await tfSave(tfModel);
      const bytes = new Uint8Array(saved.weightData);
      const dir = await mkdtemp(join(tmpdir(), 'webgrad-shards-'));
      // three shards cut at byte offsets that split weights, as 4 MB shards do in a large model
      const cuts = [0, 37, 101, bytes.length];
      const paths = [1, 2, 3].map((k) => `group1-shard${k}of3.bin`);
      for (const [k, path] of paths.entries()) await writeFile(join(dir, path), bytes.subarray(cuts[k], cuts[k + 1]));
      const json = { ...tfjsFiles(saved).json, weightsManifest: [{ paths, weights: saved.weightSpecs }] };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      const loaded = await loadModel(dir);
      const x = values(10, 9);
      const ours = (await (loaded.predict(tensor(x, [2, 5])) as Tensor).data()) as Float32Array;
      expectClose(tfModel.predict(tf.tensor(x, [2, 5])).dataSync(), ours);
      // a shard longer than what the manifest has left is refused before it is read
      await writeFile(join(dir, paths[1]), new Uint8Array(bytes.length));
      let message = '';
      await loadModel(dir).catch((e: Error) => (message = e.message));
      expect(message).to.match(
        /^loadModel: \S+group1-shard2of3\.bin holds \d+ bytes, above the \d+-byte ceiling for the weights model\.json describes; it was not read$/,
      );
    });

    it('a Sequential that starts with an explicit InputLayer loads, its shape given to the next layer', async () => {
      const m = tf.sequential({
        layers: [tf.layers.inputLayer({ inputShape: [3] }), tf.layers.dense({ units: 2, activation: 'relu' })],
      });
      m.setWeights(m.weights.map((w, i) => tf.tensor(weightValues(w.name, w.shape, 71 + i), w.shape)));
      const saved = await tfSave(m);
      const layers = (saved.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers;
      expect(layers.map((l) => l.class_name)).to.deep.equal(['InputLayer', 'Dense']);
      const x = values(6, 5);
      const ours = await loadModel(memoryStore(tfjsFiles(saved)));
      expectClose(
        (await (ours.predict(tensor(x, [2, 3])) as Tensor).data()) as Float32Array,
        m.predict(tf.tensor(x, [2, 3])).dataSync(),
      );
    });

    it("a TF.js LSTM with TF.js's default hard_sigmoid is refused, naming the activation", async () => {
      const m = tf.sequential({
        layers: [tf.layers.lstm({ units: 2, inputShape: [3, 2] })],
      });
      let message = '';
      try {
        await loadModel(memoryStore(tfjsFiles(await tfSave(m))));
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.match(
        /^loadModel: memory:\/\/tfjs-format describes a model webgrad cannot build: unknown activation 'hardSigmoid'/,
      );
    });

    it('a TF.js option webgrad cannot honour is refused, naming the layer and the key', async () => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({
            name: 'cf',
            filters: 2,
            kernelSize: 1,
            inputShape: [2, 3, 3],
            dataFormat: 'channelsFirst',
          }),
        ],
      });
      let message = '';
      try {
        await loadModel(memoryStore(tfjsFiles(await tfSave(m))));
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.equal(
        'loadModel: Conv2D layer \'cf\' in memory://tfjs-format sets data_format to "channels_first"; ' +
          "webgrad's Conv2D supports only 'channels_last'",
      );
    });

    it('a TF.js model with a layer webgrad lacks is refused, naming the class', async () => {
      const m = tf.sequential({
        layers: [tf.layers.dense({ units: 2, inputShape: [3] }), tf.layers.thresholdedReLU({ theta: 0.5 })],
      });
      let message = '';
      try {
        await loadModel(memoryStore(tfjsFiles(await tfSave(m))));
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.equal(
        'loadModel: memory://tfjs-format holds layer class(es) webgrad lacks: ThresholdedReLU; ' +
          'webgrad reads TF.js models built of the layers it has',
      );
    });
  });
});

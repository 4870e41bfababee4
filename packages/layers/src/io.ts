// Saving and loading in Node: model.json (the topology, the training config and a weights manifest,
// laid out as TF.js Layers' model.json is) beside weights.bin (float32, little-endian, in manifest
// order). Saves are atomic: files are written under temporary names and renamed into place, and
// the weights alternate between weights.bin and weights-b.bin (model.json names the one in use), so
// a crash mid-save leaves the previous checkpoint whole. Loading checks the manifest against the
// weights file before touching any model. Node built-ins are imported only when called.
// Imports @webgrad/core and this package's modules.
import { Optimizer, tensor, tidy, type OptimizerKind, type Tensor } from '@webgrad/core';
import type { Callback } from './callbacks.js';
import type { Layer } from './layer.js';
import { dense } from './layers/dense.js';
import { activation, dropout, flatten, reshapeLayer } from './layers/basic.js';
import { batchNormalization, maxout, prelu } from './layers/advanced.js';
import { averagePooling2d, conv1d, conv2d, globalAveragePooling2d, maxPooling2d, randomTranslation } from './layers/conv.js';
import { Sequential, type CompileArgs } from './model.js';
import { checkWeightsFile, fnv1a } from './checkpoint.js';

interface WeightSpec { name: string; shape: number[]; dtype: 'float32' }
export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  modelTopology: { class_name: 'Sequential'; config: { name: string; seed: number; layers: { class_name: string; config: Record<string, unknown> }[] } };
  trainingConfig?: { loss: string; metrics: string[]; optimizer_config: { class_name: string; config: Record<string, unknown> } };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  /** Optimizer state for resuming exactly: step count and, per variable, its state tensors (in weights.bin after the model's). */
  optimizerState?: { kind: string; iterations: number; weights: WeightSpec[] };
  /** FNV-1a of weights.bin, so a corrupted file is refused (checkpoint.ts). */
  weightsChecksum?: string;
  /** Epochs completed when a modelCheckpoint saved it: where a resumed fit starts (loadCheckpoint). */
  epochsCompleted?: number;
}

const layerFactories: Record<string, (config: Record<string, any>) => Layer> = {
  Dense: (c) => dense({ ...c, units: c.units, kernelInitializer: 'zeros', biasInitializer: 'zeros', kernelRegularizer: c.kernelRegularizer?.name, biasRegularizer: c.biasRegularizer?.name }),
  Dropout: (c) => dropout({ ...c, rate: c.rate }),
  Flatten: (c) => flatten(c),
  Reshape: (c) => reshapeLayer({ ...c, targetShape: c.targetShape }),
  Activation: (c) => activation({ ...c, activation: c.activation }),
  BatchNormalization: (c) => batchNormalization(c),
  PReLU: (c) => prelu({ ...c, alphaInitializer: 'zeros' }),
  Maxout: (c) => maxout({ ...c, units: c.units, pieces: c.pieces, kernelInitializer: 'zeros' }),
  Conv2D: (c) => conv2d({ ...c, filters: c.filters, kernelSize: c.kernelSize, kernelInitializer: 'zeros', biasInitializer: 'zeros' }),
  Conv1D: (c) => conv1d({ ...c, filters: c.filters, kernelSize: c.kernelSize, kernelInitializer: 'zeros', biasInitializer: 'zeros' }),
  MaxPooling2D: (c) => maxPooling2d(c),
  AveragePooling2D: (c) => averagePooling2d(c),
  GlobalAveragePooling2D: (c) => globalAveragePooling2d(c),
  RandomTranslation: (c) => randomTranslation({ ...c, heightFactor: c.heightFactor }),
};

// The specifiers are variables so that browser bundlers leave Node's built-ins out (as device.ts does
// with 'webgpu'); in a browser the import fails and the error says so.
const fsModule = 'node:fs/promises', pathModule = 'node:path';
/** node:fs/promises and node:path, imported by variable names so browser bundles leave them out. */
export async function nodeFs() {
  try {
    const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
    const path: typeof import('node:path') = await import(/* @vite-ignore */ pathModule);
    return { fs, path };
  } catch (cause) {
    throw new Error('saveModel/loadModel/csvLogger: files need Node (node:fs); in a browser, read the weights with model.getWeights() and store them yourself', { cause });
  }
}

/** Writes model.json and weights.bin into dir (created if needed), atomically. */
export async function saveModel(model: Sequential, dir: string, { includeOptimizer = false, epochsCompleted }: { includeOptimizer?: boolean; epochsCompleted?: number } = {}): Promise<ModelJson> {
  model.build();
  const { fs, path } = await nodeFs();
  const weights = model.weights;
  const compiled = model.compiled;
  const optimizerTensors = includeOptimizer && compiled ? compiled.optimizer.getState(model.trainableWeights).flat() : [];
  const values = await Promise.all([...weights, ...optimizerTensors].map((w) => w.data() as Promise<Float32Array>));
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: 'webgrad 0.1.0',
    modelTopology: {
      class_name: 'Sequential',
      config: { name: model.name, seed: model.seed, layers: model.layers.map((l) => ({ class_name: l.className, config: { name: l.name, inputShape: l.inputShape, ...l.getConfig() } })) },
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })) }],
  };
  if (compiled) {
    const args = compiled.args;
    json.trainingConfig = {
      loss: compiled.loss.name,
      metrics: (args.metrics ?? []).map((m) => (typeof m === 'string' ? m : m.name)),
      optimizer_config: { class_name: compiled.optimizer.kind, config: { ...compiled.optimizer.options, learningRate: compiled.optimizer.currentLearningRate() } },
    };
    if (includeOptimizer) {
      json.optimizerState = {
        kind: compiled.optimizer.kind, iterations: compiled.optimizer.iterations,
        weights: optimizerTensors.map((t, i) => ({ name: `optimizer/${i}`, shape: [...t.shape], dtype: 'float32' })),
      };
    }
  }
  const bytes = new Uint8Array(values.reduce((n, v) => n + v.byteLength, 0));
  let at = 0;
  for (const v of values) { bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at); at += v.byteLength; }
  json.weightsChecksum = fnv1a(bytes);
  if (epochsCompleted !== undefined) json.epochsCompleted = epochsCompleted;
  await fs.mkdir(dir, { recursive: true });
  // model.json is the commit point. The weights go to the one of two names the current model.json
  // does not use, so a crash at any moment leaves a model.json whose weights file is whole.
  const current = await fs.readFile(path.join(dir, 'model.json'), 'utf8').then((text) => (JSON.parse(text) as ModelJson).weightsManifest?.[0]?.paths?.[0], () => undefined);
  const weightsFile = current === 'weights.bin' ? 'weights-b.bin' : 'weights.bin';
  json.weightsManifest[0].paths = [weightsFile];
  const stamp = `.tmp-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const write = async (name: string, data: string | Uint8Array) => {
    await fs.writeFile(path.join(dir, name + stamp), data);
    await fs.rename(path.join(dir, name + stamp), path.join(dir, name)); // atomic: the old file or the new, never half
  };
  await write(weightsFile, bytes);
  await write('model.json', JSON.stringify(json, null, 1));
  if (current && current !== weightsFile && /^weights(-b)?\.bin$/.test(current)) await fs.rm(path.join(dir, current), { force: true });
  // temporaries a crashed save left behind (ours were renamed away)
  const debris = (await fs.readdir(dir)).filter((f) => /^(model\.json|weights(-b)?\.bin)\.tmp-/.test(f));
  for (const f of debris) await fs.rm(path.join(dir, f), { force: true });
  return json;
}

/** dir/model.json, parsed; `op` names the caller in the error when it cannot be read. */
export async function readModelJson(dir: string, op: string): Promise<{ json: ModelJson; jsonPath: string }> {
  const { fs, path } = await nodeFs();
  const jsonPath = path.join(dir, 'model.json');
  try {
    return { json: JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJson, jsonPath };
  } catch (cause) {
    throw new Error(`${op}: cannot read ${jsonPath}: ${(cause as Error).message}`, { cause });
  }
}

/** Rebuilds a Sequential model from dir/model.json and dir/weights.bin, compiled if it was saved compiled. */
export async function loadModel(dir: string): Promise<Sequential> {
  const { json, jsonPath } = await readModelJson(dir, 'loadModel');
  if (json.format !== 'layers-model' || json.modelTopology?.class_name !== 'Sequential') {
    throw new Error(`loadModel: ${jsonPath} is not a Sequential layers-model`);
  }
  const { specs, stateSpecs, floats } = await checkWeightsFile(json, dir, 'loadModel');
  const { config } = json.modelTopology;
  const layers = config.layers.map(({ class_name, config: c }) => {
    const factory = layerFactories[class_name];
    if (!factory) throw new Error(`loadModel: unknown layer class '${class_name}'; known: ${Object.keys(layerFactories).join(', ')}`);
    return factory(c);
  });
  const model = new Sequential(layers, { name: config.name, seed: config.seed });
  model.build();
  const shapes = model.weights.map((w) => w.shape.join(','));
  if (shapes.length !== specs.length || specs.some((s, i) => s.shape.join(',') !== shapes[i])) {
    model.dispose();
    throw new Error(`loadModel: the weights in model.json (${specs.map((s) => `[${s.shape}]`).join(' ')}) do not match the layers it describes (${shapes.map((s) => `[${s}]`).join(' ')})`);
  }
  let at = 0;
  const take = (spec: WeightSpec): Tensor => {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    const t = tensor(floats.subarray(at, at + n), spec.shape);
    at += n;
    return t;
  };
  tidy(() => model.setWeights(specs.map(take)));
  if (json.trainingConfig) {
    const { loss, metrics, optimizer_config } = json.trainingConfig;
    const optimizer = new Optimizer(optimizer_config.class_name as OptimizerKind, optimizer_config.config);
    model.compile({ loss: loss as CompileArgs['loss'], metrics, optimizer });
    if (json.optimizerState) {
      // the state tensors are written in place, so training resumes exactly where it was saved
      optimizer.iterations = json.optimizerState.iterations;
      const states = optimizer.getState(model.trainableWeights).flat();
      tidy(() => states.forEach((state, i) => state.backend.assign(state.info('loadModel'), take(stateSpecs[i]).info('loadModel'))));
    }
  }
  return model;
}

export interface ModelCheckpointOptions {
  /** Directory to save into; `{epoch}` is replaced by the 1-based epoch number. */
  filepath: string;
  monitor?: string;
  /** Save only when `monitor` improves. */
  saveBestOnly?: boolean;
  mode?: 'auto' | 'min' | 'max';
  /** Include the optimizer state, so training can resume exactly. */
  includeOptimizer?: boolean;
}

/** Saves the model at the end of each epoch (or only on improvement), atomically. */
export function modelCheckpoint(model: Sequential, options: ModelCheckpointOptions): Callback {
  const { filepath, monitor = 'val_loss', saveBestOnly = false, includeOptimizer = true } = options;
  const max = options.mode === 'max' || (options.mode !== 'min' && /acc/.test(monitor));
  let best = max ? -Infinity : Infinity;
  return {
    async onEpochEnd(epoch, logs) {
      if (saveBestOnly) {
        const value = logs[monitor];
        if (value === undefined) throw new Error(`modelCheckpoint: monitor '${monitor}' is not among the logs (${Object.keys(logs).join(', ')})`);
        if (!(max ? value > best : value < best)) return;
        best = value;
      }
      await saveModel(model, filepath.replace('{epoch}', String(epoch + 1)), { includeOptimizer, epochsCompleted: epoch + 1 });
    },
  };
}

/** Appends one CSV row of epoch logs per epoch to `path` (a header first). */
export function csvLogger(path: string, { append = false }: { append?: boolean } = {}): Callback {
  let columns: string[] | undefined;
  return {
    async onTrainBegin() {
      const { fs } = await nodeFs();
      if (!append) await fs.writeFile(path, '');
      columns = undefined;
    },
    async onEpochEnd(epoch, logs) {
      const { fs } = await nodeFs();
      if (!columns) {
        columns = Object.keys(logs).filter((k) => k !== 'size');
        await fs.appendFile(path, `epoch,${columns.join(',')}\n`);
      }
      await fs.appendFile(path, `${epoch},${columns.map((c) => logs[c]).join(',')}\n`);
    },
  };
}

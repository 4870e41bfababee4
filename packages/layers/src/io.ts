// Saving and loading models: model.json (the topology, the training config and a weights manifest,
// laid out as TF.js Layers' model.json is) and one weights file (float32, little-endian, in manifest
// order, then the optimizer state when included). This module turns a model into those artifacts and
// back; storage.ts and storage-browser.ts move them (a folder in Node, atomically; indexeddb://,
// downloads://, http(s)://, browserFiles); checkpoint.ts checks them before any model is touched.
// Imports @webgrad/core and this package's modules.
import { Optimizer, tensor, tidy, type OptimizerKind, type Tensor } from '@webgrad/core';
import type { Callback } from './callbacks.js';
import type { Layer } from './layer.js';
import { dense } from './layers/dense.js';
import { activation, dropout, flatten, reshapeLayer } from './layers/basic.js';
import { batchNormalization, maxout, prelu } from './layers/advanced.js';
import { averagePooling2d, conv1d, conv2d, globalAveragePooling2d, maxPooling2d, randomTranslation } from './layers/conv.js';
import { Sequential, type CompileArgs } from './model.js';
import { regularizerFactories, type Regularizer } from './regularizers.js';
import { checkArtifacts, fnv1a } from './checkpoint.js';
import { modelStore, nodeFs, type ModelArtifacts, type ModelStore } from './storage.js';

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

/** A saved { name, config } regularizer, rebuilt with its factors (l2(1e-4) stays l2(1e-4)). */
function regularizerFrom(saved: { name: keyof typeof regularizerFactories; config: Record<string, number> } | undefined): Regularizer | undefined {
  if (!saved) return undefined;
  const factory = regularizerFactories[saved.name];
  if (!factory) throw new Error(`loadModel: unknown regularizer '${saved.name}'; known: ${Object.keys(regularizerFactories).join(', ')}`);
  return factory(saved.config);
}

const layerFactories: Record<string, (config: Record<string, any>) => Layer> = {
  Dense: (c) => dense({ ...c, units: c.units, kernelInitializer: 'zeros', biasInitializer: 'zeros', kernelRegularizer: regularizerFrom(c.kernelRegularizer), biasRegularizer: regularizerFrom(c.biasRegularizer) }),
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

/** The model as artifacts: model.json's object and the weights bytes (optimizer state appended when asked). */
export async function modelArtifacts(model: Sequential, { includeOptimizer = false, epochsCompleted }: SaveOptions = {}): Promise<ModelArtifacts> {
  model.build();
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
  return { json, weights: bytes };
}

export interface SaveOptions {
  /** Include the optimizer state, so training resumes exactly. */
  includeOptimizer?: boolean;
  /** Recorded for loadCheckpoint (modelCheckpoint sets it). */
  epochsCompleted?: number;
}

/**
 * Saves the model to a folder (Node; atomic), 'indexeddb://name' or 'downloads://name' (browsers), or
 * any ModelStore. Resolves to the model.json object written.
 */
export async function saveModel(model: Sequential, target: string | ModelStore, options: SaveOptions = {}): Promise<ModelJson> {
  const store = modelStore(target, 'saveModel');
  if (!store.save) throw new Error(`saveModel: ${store.url} can only be loaded from; save to a folder, 'indexeddb://name' or 'downloads://name'`);
  const artifacts = await modelArtifacts(model, options);
  await store.save(artifacts, 'saveModel');
  return artifacts.json;
}

/** Reads a store's artifacts; `op` names the caller in errors. */
export async function loadArtifacts(store: ModelStore, op: string): Promise<ModelArtifacts> {
  if (!store.load) throw new Error(`${op}: ${store.url} can only be saved to`);
  return store.load(op);
}

/**
 * Loads a model saved by saveModel: from a folder or its model.json (Node), 'indexeddb://name',
 * an http(s):// URL of a model.json (or its folder), or a ModelStore such as browserFiles(files).
 * The model comes back compiled if it was saved compiled, with its optimizer state if saved.
 */
export async function loadModel(source: string | ModelStore): Promise<Sequential> {
  const store = modelStore(source, 'loadModel');
  return modelFromArtifacts(await loadArtifacts(store, 'loadModel'), store.url, 'loadModel');
}

/** Rebuilds the model artifacts describe; everything is checked before a tensor is made. */
export function modelFromArtifacts(artifacts: ModelArtifacts, where: string, op: string): Sequential {
  const { specs, stateSpecs, floats } = checkArtifacts(artifacts, where, op);
  const { json } = artifacts;
  const { config } = json.modelTopology;
  const layers = config.layers.map(({ class_name, config: c }) => {
    const factory = layerFactories[class_name];
    if (!factory) throw new Error(`${op}: unknown layer class '${class_name}' in ${where}; known: ${Object.keys(layerFactories).join(', ')}`);
    return factory(c);
  });
  const model = new Sequential(layers, { name: config.name, seed: config.seed });
  model.build();
  const shapes = model.weights.map((w) => w.shape.join(','));
  if (shapes.length !== specs.length || specs.some((s, i) => s.shape.join(',') !== shapes[i])) {
    model.dispose();
    throw new Error(`${op}: the weights in model.json (${specs.map((s) => `[${s.shape}]`).join(' ')}) do not match the layers it describes (${shapes.map((s) => `[${s}]`).join(' ')})`);
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
      tidy(() => states.forEach((state, i) => state.backend.assign(state.info(op), take(stateSpecs[i]).info(op))));
    }
  }
  return model;
}

export interface ModelCheckpointOptions {
  /** Where to save (a folder, or 'indexeddb://name' in a browser); `{epoch}` is replaced by the 1-based epoch number. */
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
      const { fs } = await nodeFs('csvLogger');
      if (!append) await fs.writeFile(path, '');
      columns = undefined;
    },
    async onEpochEnd(epoch, logs) {
      const { fs } = await nodeFs('csvLogger');
      if (!columns) {
        columns = Object.keys(logs).filter((k) => k !== 'size');
        await fs.appendFile(path, `epoch,${columns.join(',')}\n`);
      }
      await fs.appendFile(path, `${epoch},${columns.map((c) => logs[c]).join(',')}\n`);
    },
  };
}

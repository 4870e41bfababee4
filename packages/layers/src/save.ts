// Saving: a model becomes its artifacts (model.json's object and the weights file's bytes, format.ts)
// and a store writes them. Save sits below the model, so it names what it reads of one by the
// SavableModel shape (Sequential has it) and the model's save method can call it directly.
import type { Variable } from '@webgrad/core';
import type { Compiled } from './compile.js';
import {
  checkShardBytes,
  fnv1a,
  packWeights,
  type ModelArtifacts,
  type ModelJson,
  type ModelStore,
  type SavedModelTopology,
} from './format.js';
import type { TensorOf } from './keras-config.js';
import { toKerasBytes, writeKerasFile } from './keras-format.js';
import { modelStore } from './storage.js';
import { toTfjsArtifacts } from './tfjs-format.js';
import { toTfjsTraining } from './tfjs-training.js';

/** What saving reads of a model. */
export interface SavableModel {
  readonly name: string;
  readonly weights: Variable[];
  readonly trainableWeights: Variable[];
  readonly compiled?: Compiled;
  /** The model's graph or stack as model.json records it. */
  topology(): SavedModelTopology;
}

export interface SaveOptions {
  /** Include the optimizer state, so training resumes exactly. */
  includeOptimizer?: boolean;
  /** Recorded for loadCheckpoint (modelCheckpoint sets it). */
  epochsCompleted?: number;
  /**
   * The layout written. 'tfjs', the default for folders, browser stores and ModelStores: TF.js Layers'
   * model.json (Keras class names, snake_case configs, its trainingConfig and optimizer weights), which
   * tf.loadLayersModel reads; layers, optimizers and options TF.js lacks are written under registered
   * 'webgrad>' class names, so webgrad reads them back exactly. 'webgrad': webgrad's own layout
   * (camelCase configs), which older webgrad releases wrote. 'keras': a Keras 3 .keras file, which
   * keras.saving.load_model reads (a target path ending in .keras picks it too).
   */
  format?: 'webgrad' | 'tfjs' | 'keras';
  /**
   * With format 'tfjs' or 'keras': refuse, naming them, the layers, options, optimizers, losses and
   * metrics the reader lacks, instead of writing them under webgrad's registered names.
   */
  strict?: boolean;
  /**
   * Folder and downloads:// saves cut the weights into files of at most this many bytes, read back in
   * order (group1-shard1of3.bin, ...), as tensorflowjs_converter writes them. TF.js's layout defaults to
   * the converter's 4 MB; webgrad's to one file. indexeddb:// keeps the weights in one record whatever it is.
   */
  shardBytes?: number;
}

/** The model as artifacts: model.json's object and the weights bytes (optimizer state appended when asked). */
export async function modelArtifacts(model: SavableModel, options: SaveOptions = {}): Promise<ModelArtifacts> {
  const { includeOptimizer = false, epochsCompleted } = options;
  const topology = model.topology();
  const weights = model.weights;
  const compiled = model.compiled;
  const optimizerTensors =
    includeOptimizer && compiled ? compiled.optimizer.getState(model.trainableWeights).flat() : [];
  const values = await Promise.all([...weights, ...optimizerTensors].map((w) => w.data() as Promise<Float32Array>));
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: 'webgrad 0.1.0',
    modelTopology: topology,
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })),
      },
    ],
  };
  if (compiled) {
    const { optimizer } = compiled;
    const metricNames = compiled.metrics.map((list) => list.map((m) => m.name));
    json.trainingConfig = {
      loss: compiled.losses.length === 1 ? compiled.losses[0].name : compiled.losses.map((l) => l.name),
      metrics: metricNames.length === 1 ? metricNames[0] : metricNames,
      ...(compiled.lossWeights.some((w) => w !== 1) && { loss_weights: [...compiled.lossWeights] }),
      optimizer_config: {
        class_name: optimizer.kind,
        config: { ...optimizer.options, learningRate: optimizer.currentLearningRate() },
      },
    };
    if (includeOptimizer) {
      json.optimizerState = {
        kind: optimizer.kind,
        iterations: optimizer.iterations,
        weights: optimizerTensors.map((t, i) => ({ name: `optimizer/${i}`, shape: [...t.shape], dtype: 'float32' })),
      };
    }
  }
  const bytes = packWeights(values);
  json.weightsChecksum = fnv1a(bytes);
  if (epochsCompleted !== undefined) json.epochsCompleted = epochsCompleted;
  return { json, weights: bytes };
}

/**
 * Saves the model to a folder (Node; atomic), 'indexeddb://name' or 'downloads://name' (browsers), or
 * any ModelStore. Resolves to the model.json object written.
 */
export async function saveModel(
  model: SavableModel,
  target: string | ModelStore,
  options: SaveOptions = {},
): Promise<ModelJson> {
  const keras = options.format === 'keras' || (typeof target === 'string' && /\.keras$/i.test(target));
  if (keras) return saveKeras(model, target, options);
  const store = modelStore(target, 'saveModel');
  if (!store.save) {
    throw new Error(
      `saveModel: ${store.url} can only be loaded from; save to a folder, 'indexeddb://name' or 'downloads://name'`,
    );
  }
  const shardBytes = checkShardBytes(options.shardBytes, 'saveModel');
  const own = await modelArtifacts(model, options);
  const artifacts =
    options.format === 'webgrad'
      ? { ...own, shardBytes }
      : { ...tfjsArtifacts(model, own, options), shardBytes: shardBytes ?? TFJS_SHARD_BYTES };
  await store.save(artifacts, 'saveModel');
  return artifacts.json;
}

/**
 * The shard bound of TF.js's sharded layout: tensorflowjs_converter's default (write_weights'
 * shard_size_bytes); tf.io's own save handlers write one file, which TF.js reads the same way.
 */
const TFJS_SHARD_BYTES = 4 * 1024 * 1024;

/**
 * The artifacts as TF.js writes them: its topology, its trainingConfig when the model is compiled and,
 * with includeOptimizer, the optimizer's weights after the model's (tfjs-training.ts), the checksum
 * taken over the bytes written.
 */
function tfjsArtifacts(model: SavableModel, own: ModelArtifacts, options: SaveOptions): ModelArtifacts {
  const json = toTfjsArtifacts(own.json, { strict: options.strict });
  if (!own.json.trainingConfig) return { ...own, json: json as unknown as ModelJson };
  const names = model.trainableWeights.map((w) => w.name);
  const includeOptimizer = own.json.optimizerState !== undefined;
  const training = toTfjsTraining(own.json, own.weights, names, { includeOptimizer, strict: options.strict });
  const modelBytes = own.weights.subarray(0, own.weights.byteLength - stateBytes(own.json));
  const weights = new Uint8Array(modelBytes.byteLength + training.bytes.byteLength);
  weights.set(modelBytes);
  weights.set(training.bytes, modelBytes.byteLength);
  const [group] = json.weightsManifest;
  const tfjs = {
    ...json,
    trainingConfig: training.trainingConfig,
    weightsManifest: [{ ...group, weights: [...group.weights, ...training.specs] }],
    weightsChecksum: fnv1a(weights),
  };
  return { json: tfjs as unknown as ModelJson, weights };
}

const stateBytes = (json: ModelJson) =>
  4 * (json.optimizerState?.weights ?? []).reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1), 0);

const describeTarget = (target: string | ModelStore) => (typeof target === 'string' ? `'${target}'` : 'a ModelStore');

/** Saves a Keras 3 .keras file (Node: the path, written atomically); resolves to the webgrad model.json it maps. */
async function saveKeras(model: SavableModel, target: string | ModelStore, options: SaveOptions): Promise<ModelJson> {
  if (typeof target !== 'string' || !/\.keras$/i.test(target)) {
    throw new Error(
      `saveModel: format 'keras' writes a file whose path ends in .keras (got ${describeTarget(target)}); ` +
        'in a browser, toKerasBytes(await modelArtifacts(model)) gives the bytes to offer as a download',
    );
  }
  const own = await modelArtifacts(model, options);
  const trainableNames = model.trainableWeights.map((w) => w.name);
  const tensorOf = tensorsOf(model);
  await writeKerasFile(
    target,
    await toKerasBytes(own, { strict: options.strict, trainableNames, tensorOf }),
    'saveModel',
  );
  return own.json;
}

/** What tensorsOf reads of a model's layers (a nested model's too): their calls' outputs. */
interface CalledLayer {
  readonly name: string;
  readonly nodes?: readonly { readonly outputs: readonly { sampleShape: readonly number[]; dtype: string }[] }[];
  readonly layers?: readonly CalledLayer[];
}

/**
 * The shape and dtype of each layer call's outputs, by layer name, node and output, as Keras 3's
 * inbound nodes record them; a layer's node index in the file is its call's place among its calls.
 */
function tensorsOf(model: SavableModel): TensorOf {
  const byName = new Map<string, CalledLayer>();
  const visit = (layers: readonly CalledLayer[] | undefined) =>
    layers?.forEach((layer) => {
      if (!byName.has(layer.name)) byName.set(layer.name, layer);
      visit(layer.layers);
    });
  visit((model as unknown as CalledLayer).layers);
  return (name, node, index) => {
    const output = byName.get(name)?.nodes?.[node]?.outputs[index];
    return output && { shape: [null, ...output.sampleShape], dtype: output.dtype };
  };
}

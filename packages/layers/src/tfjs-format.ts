// TF.js Layers' model.json, both ways: webgrad's saved topology (camelCase configs, webgrad's
// initializer and regularizer descriptions) becomes the topology tfjs-layers 4.22 writes (Keras class
// names, snake_case keys and string values as its convertTsToPythonic makes them, initializers as
// {class_name, config}), and a TF.js model.json becomes webgrad's, so the loader and TF.js read each
// other's files. Only configs are mapped here; layers are built by the registry as for webgrad's files.
import {
  fnv1a,
  isTfjsLayout,
  sizeMismatch,
  type ModelArtifacts,
  type ModelJson,
  type SavedLayer,
  type SavedModelTopology,
  type WeightSpec,
} from './format.js';
import {
  convertPythonicToTs,
  convertTsToPythonic,
  CUSTOM_PREFIX,
  isDict,
  tfjsInitializer,
  tfjsRegularizer,
  toSnakeCase,
  webgradInitializer,
  webgradRegularizer,
} from './tfjs-names.js';
import { fromTfjsTraining, type TfjsWeightSpec } from './tfjs-training.js';

type Dict = Record<string, unknown>;

/** The keras_version and backend tfjs-layers 4.22 writes into a saved topology. */
export const TFJS_KERAS_VERSION = 'tfjs-layers 4.22.0';
export const TFJS_BACKEND = 'tensor_flow.js';

/** TF.js Layers' model.json as webgrad writes it: TF.js's topology, webgrad's manifest. */
export interface TfjsModelJson extends Omit<ModelJson, 'modelTopology' | 'trainingConfig' | 'optimizerState'> {
  modelTopology: { class_name: string; config: Dict; keras_version: string; backend: string };
  convertedBy: null;
  userDefinedMetadata?: { webgrad: { models: ModelOptions } };
}

export interface ToTfjsOptions {
  /** Refuse a model holding layers TF.js lacks (they are otherwise written under webgrad's class name). */
  strict?: boolean;
  /** The reader the form is for: Keras 3 (keras-format.ts) takes what only TF.js's GRUCell refuses. */
  reader?: 'tfjs' | 'keras';
}

// ---- layer configs ----

const pair = (v: unknown): unknown => (typeof v === 'number' ? [v, v] : v);
const NONE = { activityRegularizer: null, kernelConstraint: null, biasConstraint: null };

/** Each class's own options as TF.js's getConfig writes them (camelCase, before convertTsToPythonic). */
const toTfjsConfig: Record<string, (c: Dict) => Dict> = {
  Dense: (c) => ({
    units: c.units,
    activation: c.activation ?? 'linear',
    useBias: c.useBias ?? true,
    kernelInitializer: tfjsInitializer(c.kernelInitializer ?? 'glorotUniform'),
    biasInitializer: tfjsInitializer(c.biasInitializer ?? 'zeros'),
    kernelRegularizer: tfjsRegularizer(c.kernelRegularizer),
    biasRegularizer: tfjsRegularizer(c.biasRegularizer),
    ...NONE,
  }),
  Conv2D: (c) => ({
    filters: c.filters,
    kernelSize: pair(c.kernelSize),
    strides: pair(c.strides ?? 1),
    padding: c.padding ?? 'valid',
    dataFormat: 'channelsLast',
    dilationRate: pair(c.dilationRate ?? 1),
    activation: c.activation ?? 'linear',
    useBias: c.useBias ?? true,
    kernelInitializer: tfjsInitializer(c.kernelInitializer ?? 'glorotUniform'),
    biasInitializer: tfjsInitializer(c.biasInitializer ?? 'zeros'),
    kernelRegularizer: tfjsRegularizer(c.kernelRegularizer),
    biasRegularizer: null,
    ...NONE,
  }),
  MaxPooling2D: (c) => pool(c),
  AveragePooling2D: (c) => pool(c),
  GlobalAveragePooling2D: () => ({ dataFormat: 'channelsLast' }),
  Flatten: () => ({}),
  Dropout: (c) => ({ rate: c.rate, noiseShape: null, seed: null }),
  Activation: (c) => ({ activation: c.activation }),
  Reshape: (c) => ({ targetShape: c.targetShape }),
  BatchNormalization: (c) => ({
    axis: -1,
    momentum: c.momentum ?? 0.99,
    epsilon: c.epsilon ?? 1e-3,
    center: true,
    scale: true,
    betaInitializer: { className: 'Zeros', config: {} },
    gammaInitializer: { className: 'Ones', config: {} },
    movingMeanInitializer: { className: 'Zeros', config: {} },
    movingVarianceInitializer: { className: 'Ones', config: {} },
    betaRegularizer: null,
    gammaRegularizer: null,
    betaConstraint: null,
    gammaConstraint: null,
  }),
  Add: () => ({}),
  Subtract: () => ({}),
  Multiply: () => ({}),
  Average: () => ({}),
  Maximum: () => ({}),
  Minimum: () => ({}),
  Concatenate: (c) => ({ axis: c.axis ?? -1 }),
  Embedding: (c) => ({
    inputDim: c.inputDim,
    outputDim: c.outputDim,
    embeddingsInitializer: tfjsInitializer(c.embeddingsInitializer ?? 'randomUniform'),
    embeddingsRegularizer: null,
    activityRegularizer: null,
    embeddingsConstraint: null,
    // TF.js writes null for an unset maskZero
    maskZero: c.maskZero === true ? true : null,
    inputLength: c.inputLength ?? null,
  }),
  SimpleRNN: (c) => recurrent(c),
  LSTM: (c) => ({ ...recurrent(c), unitForgetBias: c.unitForgetBias ?? true, implementation: null }),
  GRU: (c) => ({ ...recurrent(c), implementation: null, resetAfter: c.resetAfter ?? false }),
};

function pool(c: Dict): Dict {
  const poolSize = pair(c.poolSize ?? 2);
  return { poolSize, padding: c.padding ?? 'valid', strides: pair(c.strides ?? poolSize), dataFormat: 'channelsLast' };
}

function recurrent(c: Dict): Dict {
  return {
    units: c.units,
    activation: c.activation ?? 'tanh',
    ...(c.recurrentActivation !== undefined && { recurrentActivation: c.recurrentActivation }),
    useBias: c.useBias ?? true,
    kernelInitializer: tfjsInitializer(c.kernelInitializer ?? 'glorotUniform'),
    recurrentInitializer: tfjsInitializer(c.recurrentInitializer ?? 'orthogonal'),
    biasInitializer: tfjsInitializer(c.biasInitializer ?? 'zeros'),
    kernelRegularizer: null,
    recurrentRegularizer: null,
    biasRegularizer: null,
    activityRegularizer: null,
    kernelConstraint: null,
    recurrentConstraint: null,
    biasConstraint: null,
    dropout: c.dropout ?? 0,
    recurrentDropout: c.recurrentDropout ?? 0,
    returnSequences: c.returnSequences ?? false,
    returnState: c.returnState ?? false,
    goBackwards: c.goBackwards ?? false,
    stateful: c.stateful ?? false,
    unroll: false,
  };
}

/** TF.js's base Layer config: name, trainable, then the input shape and dtype when the layer declares one. */
function baseConfig(c: Dict, dtype: string): Dict {
  const config: Dict = { name: c.name, trainable: c.trainable ?? true };
  // TF.js gives a layer a dtype only when it declares the input
  if (Array.isArray(c.inputShape)) {
    config.batchInputShape = [null, ...c.inputShape];
    config.dtype = dtype;
  }
  return config;
}

// the activations TF.js 4.22 has under the same name and function (its gelu is the exact, erf one, as webgrad's)
const TFJS_ACTIVATIONS = new Set(['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'gelu']);

/** A regularizer description as the factors it applies, so l2(0.01) and L1L2 {l1: 0, l2: 0.01} compare equal. */
const factors = (value: unknown): unknown => {
  if (!isDict(value) || !isDict(value.config)) return value;
  return { l1: Number(value.config.l1 ?? 0), l2: Number(value.config.l2 ?? 0) };
};

/** An option as what it does, so two spellings of one value compare equal (2 and [2, 2]; an initializer's defaults). */
function meaning(key: string, value: unknown): unknown {
  if (key.endsWith('Regularizer')) return factors(value);
  if (key.endsWith('Initializer')) return tfjsInitializer(value);
  if (['kernelSize', 'strides', 'poolSize', 'dilationRate'].includes(key)) return pair(value);
  return value;
}

const sameValue = (key: string, a: unknown, b: unknown): boolean =>
  JSON.stringify(meaning(key, a)) === JSON.stringify(meaning(key, b));

/**
 * A layer of a class TF.js has, in TF.js's TS form, or why TF.js could not hold it: an option or value
 * its class lacks. The check is the round trip itself: what webgrad would read back from the TF.js
 * form must be every option webgrad wrote, so nothing TF.js lacks is dropped on the way.
 */
function tfjsLayer(saved: SavedLayer, reader: 'tfjs' | 'keras'): { config: Dict } | { missing: string } {
  const c = saved.config;
  const mapper = Object.hasOwn(toTfjsConfig, saved.class_name) ? toTfjsConfig[saved.class_name] : undefined;
  if (!mapper) return { missing: 'no such class' };
  let config: Dict;
  try {
    config = { ...baseConfig(c, 'float32'), ...mapper(c) };
  } catch (error) {
    return { missing: (error as Error).message.replace(/^toTfjsArtifacts: /, '') };
  }
  for (const key of ['activation', 'recurrentActivation']) {
    if (config[key] !== undefined && !TFJS_ACTIVATIONS.has(String(config[key]))) {
      return { missing: `${toSnakeCase(key)} '${String(config[key])}'` };
    }
  }
  // TF.js's GRUCell refuses reset_after: true (Keras's default, and webgrad's)
  if (reader === 'tfjs' && saved.class_name === 'GRU' && config.resetAfter === true) {
    return { missing: 'reset_after: true' };
  }
  let back: Dict;
  try {
    const pythonic = convertTsToPythonic({ className: saved.class_name, config });
    const ctx = { where: 'the round-trip check', lacking: [], extras: {} };
    back = layerFromTfjs(convertPythonicToTs(pythonic) as Dict, ctx, false).config;
  } catch (error) {
    return { missing: (error as Error).message };
  }
  let lost: string[];
  try {
    lost = Object.keys(c).filter((key) => c[key] !== undefined && !sameValue(key, c[key], back[key]));
  } catch (error) {
    return { missing: (error as Error).message.replace(/^toTfjsArtifacts: /, '') };
  }
  if (lost.length) return { missing: lost.map((key) => `${toSnakeCase(key)}: ${JSON.stringify(c[key])}`).join(', ') };
  return { config };
}

/**
 * One webgrad layer as TF.js writes it (TS form); a layer whose class or options TF.js lacks keeps
 * webgrad's config under its registered name ('webgrad>Maxout'), and is listed in `lacking`.
 */
function layerToTfjs(saved: SavedLayer, graph: boolean, ctx: WriteContext): Dict {
  const { lacking } = ctx;
  const c = saved.config;
  if (saved.class_name === 'InputLayer') {
    return {
      className: 'InputLayer',
      config: { batchInputShape: c.batchInputShape, dtype: c.dtype ?? 'float32', sparse: false, name: c.name },
      ...(graph && { name: saved.name ?? c.name, inboundNodes: [] }),
    };
  }
  let className = saved.class_name;
  let config: Dict;
  if (saved.class_name === 'Sequential' || saved.class_name === 'Model') {
    config = topologyToTs({ class_name: saved.class_name, config: c } as SavedModelTopology, ctx);
    // a frozen nested model says so, as Keras's does (TF.js's own nested models write no trainable)
    if (c.trainable === false) config.trainable = false;
  } else {
    const mapped = tfjsLayer(saved, ctx.reader);
    if ('config' in mapped) {
      config = mapped.config;
    } else {
      lacking.push(`${saved.class_name} '${String(c.name)}' (${mapped.missing})`);
      className = CUSTOM_PREFIX + saved.class_name;
      // as model.json will hold it (no undefined fields), which is also what a TF.js reader in memory gets
      config = JSON.parse(JSON.stringify(c)) as Dict;
    }
  }
  if (!graph) return { className, config };
  return { name: saved.name ?? c.name, className, config, inboundNodes: saved.inbound_nodes ?? [] };
}

/**
 * webgrad's model-level options TF.js's topology has no key for (a model's seed; one output made as a
 * list), by model name: they travel in model.json's userDefinedMetadata, which TF.js keeps aside.
 */
type ModelOptions = Record<string, { seed?: number; outputsAsList?: boolean }>;

/** What a write carries down the topology: the reader, what it lacks, the models' own options. */
interface WriteContext {
  reader: 'tfjs' | 'keras';
  lacking: string[];
  extras: ModelOptions;
}

function topologyToTs(topology: SavedModelTopology, ctx: WriteContext): Dict {
  const { class_name, config } = topology;
  const outputs = config.output_layers ?? [];
  const own = {
    ...(config.seed !== undefined && { seed: config.seed }),
    ...(config.outputs_as_list === true && outputs.length === 1 && { outputsAsList: true }),
  };
  if (Object.keys(own).length) ctx.extras[config.name] = own;
  if (class_name === 'Sequential') {
    return { name: config.name, layers: config.layers.map((l) => layerToTfjs(l, false, ctx)) };
  }
  return {
    name: config.name,
    layers: config.layers.map((l) => layerToTfjs(l, true, ctx)),
    inputLayers: config.input_layers ?? [],
    outputLayers: config.output_layers ?? [],
  };
}

/**
 * webgrad's model.json as TF.js Layers' model.json: the topology in TF.js's form, the weights manifest
 * as it is (webgrad's weight names are TF.js's `layer/kernel`). The training config and optimizer
 * state are tfjs-training.ts's. Layers TF.js lacks are written under their registered 'webgrad>'
 * names, or refused by name when `strict`.
 */
export function toTfjsArtifacts(json: ModelJson, options: ToTfjsOptions = {}): TfjsModelJson {
  const lacking: string[] = [];
  const extras: ModelOptions = {};
  const tsTopology = {
    className: json.modelTopology.class_name,
    config: topologyToTs(json.modelTopology, { reader: options.reader ?? 'tfjs', lacking, extras }),
    kerasVersion: TFJS_KERAS_VERSION,
    backend: 'TensorFlow.js',
  };
  if (lacking.length && options.strict) {
    throw new Error(
      `saveModel: TF.js Layers cannot read ${lacking.join('; ')}; save without strict to write ` +
        `them under registered '${CUSTOM_PREFIX}' class names (only webgrad, or a TF.js that registers them, reads those back)`,
    );
  }
  const modelTopology = convertTsToPythonic(tsTopology) as TfjsModelJson['modelTopology'];
  const { format, generatedBy, weightsManifest, weightsChecksum, epochsCompleted } = json;
  return {
    modelTopology,
    format,
    generatedBy,
    convertedBy: null,
    weightsManifest,
    ...(weightsChecksum !== undefined && { weightsChecksum }),
    ...(epochsCompleted !== undefined && { epochsCompleted }),
    ...(Object.keys(extras).length && { userDefinedMetadata: { webgrad: { models: extras } } }),
  };
}

// ---- TF.js → webgrad ----

/**
 * Whether a model.json is TF.js Layers' (its topology says which Keras wrote it, or wraps a Keras
 * model_config as tensorflowjs_converter does) rather than webgrad's own; TF.js's files also say
 * format 'layers-model', so the format field cannot tell them apart.
 */
export const isTfjsModelJson = isTfjsLayout;

// TS option keys webgrad's layers cannot honour, refused when set rather than dropped
const UNSUPPORTED: Record<string, unknown> = {
  activityRegularizer: null,
  kernelConstraint: null,
  biasConstraint: null,
  recurrentConstraint: null,
  embeddingsConstraint: null,
  embeddingsRegularizer: null,
  recurrentRegularizer: null,
  // a stateful layer's batch size lives in TF.js's batchInputShape, which this reader does not map
  stateful: false,
  noiseShape: null,
};

/** Each class's TF.js config (TS form) as webgrad's getConfig writes it. */
const toWebgradConfig: Record<string, (c: Dict, where: string) => Dict> = {
  Dense: (c, w) => ({
    units: c.units,
    activation: c.activation,
    useBias: c.useBias,
    kernelInitializer: webgradInitializer(c.kernelInitializer, w),
    biasInitializer: webgradInitializer(c.biasInitializer, w),
    kernelRegularizer: webgradRegularizer(c.kernelRegularizer, w),
    biasRegularizer: webgradRegularizer(c.biasRegularizer, w),
  }),
  Conv2D: (c, w) => ({
    filters: c.filters,
    kernelSize: c.kernelSize,
    strides: c.strides,
    padding: c.padding,
    dilationRate: c.dilationRate,
    activation: c.activation,
    useBias: c.useBias,
    kernelInitializer: webgradInitializer(c.kernelInitializer, w),
    biasInitializer: webgradInitializer(c.biasInitializer, w),
    kernelRegularizer: webgradRegularizer(c.kernelRegularizer, w),
  }),
  MaxPooling2D: (c) => ({ poolSize: c.poolSize, strides: c.strides ?? undefined, padding: c.padding }),
  AveragePooling2D: (c) => ({ poolSize: c.poolSize, strides: c.strides ?? undefined, padding: c.padding }),
  GlobalAveragePooling2D: () => ({}),
  Flatten: () => ({}),
  Dropout: (c) => ({ rate: c.rate }),
  Activation: (c) => ({ activation: c.activation }),
  Reshape: (c) => ({ targetShape: c.targetShape }),
  BatchNormalization: (c) => ({ momentum: c.momentum, epsilon: c.epsilon }),
  Add: () => ({}),
  Subtract: () => ({}),
  Multiply: () => ({}),
  Average: () => ({}),
  Maximum: () => ({}),
  Minimum: () => ({}),
  Concatenate: (c) => ({ axis: c.axis }),
  Embedding: (c, w) => ({
    inputDim: c.inputDim,
    outputDim: c.outputDim,
    // TF.js writes null for an unset maskZero
    maskZero: c.maskZero === true,
    ...(c.inputLength !== null && c.inputLength !== undefined && { inputLength: c.inputLength }),
    embeddingsInitializer: webgradInitializer(c.embeddingsInitializer, w),
  }),
  SimpleRNN: (c, w) => recurrentToWebgrad(c, w),
  LSTM: (c, w) => ({ ...recurrentToWebgrad(c, w), unitForgetBias: c.unitForgetBias }),
  GRU: (c, w) => ({ ...recurrentToWebgrad(c, w), resetAfter: c.resetAfter }),
};

function recurrentToWebgrad(c: Dict, where: string): Dict {
  return {
    units: c.units,
    activation: c.activation,
    ...(c.recurrentActivation !== undefined && { recurrentActivation: c.recurrentActivation }),
    useBias: c.useBias,
    returnSequences: c.returnSequences,
    goBackwards: c.goBackwards,
    // refused unless false (refuseUnsupported)
    ...(c.stateful !== undefined && { stateful: c.stateful }),
    ...(c.returnState !== undefined && { returnState: c.returnState }),
    ...(c.dropout !== undefined && { dropout: c.dropout }),
    ...(c.recurrentDropout !== undefined && { recurrentDropout: c.recurrentDropout }),
    kernelInitializer: webgradInitializer(c.kernelInitializer, where),
    recurrentInitializer: webgradInitializer(c.recurrentInitializer, where),
    biasInitializer: webgradInitializer(c.biasInitializer, where),
  };
}

// values TF.js's layers take that webgrad's must be told apart from: a check per class of what webgrad assumes
function refuseUnsupported(className: string, c: Dict, where: string): void {
  const refuse = (key: string, expected: string) => {
    throw new Error(
      `loadModel: ${className} layer '${String(c.name)}' in ${where} sets ${toSnakeCase(key)} to ` +
        `${JSON.stringify(convertTsToPythonic(c[key]))}; webgrad's ${className} supports only ${expected}`,
    );
  };
  for (const [key, fallback] of Object.entries(UNSUPPORTED)) {
    if (c[key] !== undefined && c[key] !== fallback) refuse(key, JSON.stringify(fallback));
  }
  if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') refuse('dataFormat', "'channels_last'");
  if (className === 'BatchNormalization') {
    if (c.axis !== undefined && c.axis !== -1 && !(Array.isArray(c.axis) && c.axis.length === 1 && c.axis[0] === -1)) {
      refuse('axis', '-1 (the last axis)');
    }
    if (c.center === false) refuse('center', 'true');
    if (c.scale === false) refuse('scale', 'true');
  }
}

/** Strips undefined fields, as JSON would, so the registry sees a config like one webgrad wrote. */
const defined = (d: Dict): Dict => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));

/** What a read carries down the topology: the file, the classes webgrad lacks, the models' own options. */
interface ReadContext {
  where: string;
  lacking: string[];
  extras: ModelOptions;
}

function layerFromTfjs(layer: Dict, ctx: ReadContext, graph: boolean): SavedLayer {
  const { where, lacking } = ctx;
  const className = String(layer.className);
  const c = isDict(layer.config) ? layer.config : {};
  const batchInputShape = c.batchInputShape ?? (Array.isArray(c.inputShape) ? [null, ...c.inputShape] : undefined);
  let config: Dict;
  if (className.startsWith(CUSTOM_PREFIX)) {
    // a webgrad registered class: webgrad's own class name and config, as written
    const saved: SavedLayer = { class_name: className.slice(CUSTOM_PREFIX.length), config: c };
    if (!graph) return saved;
    const inbound = Array.isArray(layer.inboundNodes) ? layer.inboundNodes : [];
    return { ...saved, name: String(layer.name ?? c.name), inbound_nodes: inbound as SavedLayer['inbound_nodes'] };
  } else if (className === 'InputLayer') {
    config = defined({ batchInputShape, dtype: c.dtype, name: c.name });
  } else if (className === 'Sequential' || className === 'Model') {
    config = { ...topologyFromTs(className, c, ctx).config, trainable: c.trainable ?? true };
  } else {
    const mapper = toWebgradConfig[className];
    if (!mapper) {
      lacking.push(className);
      config = c;
    } else {
      refuseUnsupported(className, c, where);
      const inputShape = Array.isArray(batchInputShape) ? batchInputShape.slice(1) : undefined;
      config = defined({ name: c.name, trainable: c.trainable ?? true, inputShape, ...mapper(c, where) });
    }
  }
  const saved: SavedLayer = { class_name: className, config };
  if (!graph) return saved;
  const inbound = Array.isArray(layer.inboundNodes) ? layer.inboundNodes : [];
  return { ...saved, name: String(layer.name ?? c.name), inbound_nodes: inbound as SavedLayer['inbound_nodes'] };
}

/**
 * A Sequential's layers with a leading InputLayer (Keras writes one; TF.js does for tf.layers.inputLayer)
 * folded into the next layer's input shape, as webgrad's Sequential declares its input.
 */
function withoutInputLayer(layers: Dict[]): Dict[] {
  const [first, second, ...rest] = layers;
  if (first?.className !== 'InputLayer' || !isDict(second)) return layers;
  const shape = isDict(first.config) ? first.config.batchInputShape : undefined;
  const config = isDict(second.config) ? second.config : {};
  return [{ ...second, config: { ...config, batchInputShape: config.batchInputShape ?? shape } }, ...rest];
}

function topologyFromTs(className: string, c: Dict, ctx: ReadContext): SavedModelTopology {
  const { where } = ctx;
  const layers = Array.isArray(c.layers) ? (c.layers as Dict[]) : [];
  const own = Object.hasOwn(ctx.extras, String(c.name)) ? ctx.extras[String(c.name)] : undefined;
  const seed = typeof own?.seed === 'number' ? { seed: own.seed } : {};
  if (className === 'Sequential') {
    return {
      class_name: 'Sequential',
      config: {
        name: String(c.name),
        layers: withoutInputLayer(layers).map((l) => layerFromTfjs(l, ctx, false)),
        ...seed,
      },
    };
  }
  if (className !== 'Model' && className !== 'Functional') {
    throw new Error(
      `loadModel: ${where} holds a '${className}' model; webgrad reads Sequential and Model (functional) topologies`,
    );
  }
  return {
    class_name: 'Model',
    config: {
      name: String(c.name),
      layers: layers.map((l) => layerFromTfjs(l, ctx, true)),
      input_layers: c.inputLayers as SavedModelTopology['config']['input_layers'],
      output_layers: c.outputLayers as SavedModelTopology['config']['output_layers'],
      outputs_as_list: own?.outputsAsList === true || (Array.isArray(c.outputLayers) && c.outputLayers.length > 1),
      ...seed,
    },
  };
}

/**
 * TF.js Layers' model.json and weights as webgrad's: the topology mapped back to webgrad's configs,
 * the manifest's weights put in webgrad's order (layer by layer; TF.js writes all trainable weights
 * first, then BatchNormalization's moving statistics), the bytes reordered to match.
 */
export function fromTfjsArtifacts(
  artifacts: { json: unknown; weights: Uint8Array },
  where: string,
  op = 'loadModel',
): ModelArtifacts {
  const json = artifacts.json as Dict;
  let topology = json.modelTopology as Dict;
  // tensorflowjs_converter wraps a Keras topology in model_config
  if (isDict(topology) && isDict(topology.model_config)) topology = topology.model_config;
  if (!isDict(topology) || typeof topology.class_name !== 'string') {
    throw new Error(`${op}: ${where} is a TF.js model.json without a modelTopology {class_name, config}`);
  }
  const ts = convertPythonicToTs(topology.config) as Dict;
  if (!isDict(ts)) throw new Error(`${op}: ${where}: modelTopology.config is not an object`);
  const lacking: string[] = [];
  const metadata = isDict(json.userDefinedMetadata) ? json.userDefinedMetadata.webgrad : undefined;
  const extras = isDict(metadata) && isDict(metadata.models) ? (metadata.models as ModelOptions) : {};
  const modelTopology = topologyFromTs(topology.class_name, ts, { where, lacking, extras });
  if (lacking.length) {
    throw new Error(
      `${op}: ${where} holds layer class(es) webgrad lacks: ${[...new Set(lacking)].join(', ')}; ` +
        'webgrad reads TF.js models built of the layers it has',
    );
  }
  const manifest = Array.isArray(json.weightsManifest) ? (json.weightsManifest as ModelJson['weightsManifest']) : [];
  const all: TfjsWeightSpec[] = manifest.flatMap((g) => (Array.isArray(g?.weights) ? g.weights : []));
  // TF.js writes the optimizer's weights (group 'optimizer') after the model's
  const isOptimizer = (s: TfjsWeightSpec) => s?.group === 'optimizer';
  const specs = all.filter((s) => !isOptimizer(s)) as WeightSpec[];
  const optimizerSpecs = all.filter(isOptimizer);
  const modelBytes =
    4 * specs.reduce((n, s) => n + (Array.isArray(s?.shape) ? s.shape.reduce((a, d) => a * d, 1) : 0), 0);
  const bytes = artifacts.weights instanceof Uint8Array ? artifacts.weights : new Uint8Array(0);
  checkBytes(json, all, bytes, where, op);
  const order = layerOrder(modelTopology);
  const rank = (spec: WeightSpec) => order.get(String(spec?.name).split('/')[0]) ?? order.size;
  const indexed = specs.map((spec, i) => ({ spec, i, rank: rank(spec) }));
  // weights named after no layer of the topology (a wrapper's, named after its inner layer) keep the file's order
  const known = indexed.every((s) => s.rank < order.size);
  const sorted = known ? [...indexed].sort((a, b) => a.rank - b.rank || a.i - b.i) : indexed;
  const training = fromTfjsTraining(
    json.trainingConfig,
    optimizerSpecs,
    bytes.subarray(modelBytes),
    sorted.map((s) => s.spec),
    where,
    op,
  );
  const out: ModelJson = {
    format: 'layers-model',
    generatedBy: String(json.generatedBy ?? 'TensorFlow.js'),
    modelTopology,
    weightsManifest: [
      { paths: manifest[0]?.paths?.slice(0, 1) ?? ['weights.bin'], weights: sorted.map((s) => s.spec) },
    ],
    ...(training.trainingConfig && { trainingConfig: training.trainingConfig }),
    ...(training.optimizerState && { optimizerState: training.optimizerState }),
    ...(json.epochsCompleted !== undefined && { epochsCompleted: json.epochsCompleted as number }),
  };
  const weights = reorderBytes(
    optimizerSpecs.length ? bytes.subarray(0, modelBytes) : artifacts.weights,
    specs,
    sorted.map((s) => s.i),
  );
  if (!training.bytes.byteLength) return { json: out, weights };
  const joined = new Uint8Array(weights.byteLength + training.bytes.byteLength);
  joined.set(weights);
  joined.set(training.bytes, weights.byteLength);
  return { json: out, weights: joined };
}

/**
 * The weights bytes against the manifest, before they are cut up: their count (every weight's, the
 * optimizer's included) and the checksum webgrad saved beside them, so a truncated or corrupted file
 * is refused as such. A manifest too malformed to count is left to checkModelJson, which names the field.
 */
function checkBytes(json: Dict, specs: readonly TfjsWeightSpec[], bytes: Uint8Array, where: string, op: string): void {
  const shapes = specs.map((s) => s?.shape);
  if (!shapes.every((shape) => Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0))) return;
  const expected = 4 * shapes.reduce((n, shape) => n + shape.reduce((a, d) => a * d, 1), 0);
  const manifest = Array.isArray(json.weightsManifest) ? (json.weightsManifest as { paths?: unknown }[]) : [];
  const paths = manifest.flatMap((g) => (Array.isArray(g?.paths) ? g.paths : [])).join(' + ');
  const file = paths ? `${paths} (named in ${where})` : where;
  if (bytes.byteLength !== expected) throw sizeMismatch(file, bytes.byteLength, expected, op);
  const checksum = json.weightsChecksum;
  if (typeof checksum === 'string' && fnv1a(bytes) !== checksum) {
    throw new Error(`${op}: ${file} is corrupted: its checksum is ${fnv1a(bytes)} but model.json recorded ${checksum}`);
  }
}

/** Layer name → its place in the topology (nested models' layers after their own). */
function layerOrder(topology: SavedModelTopology): Map<string, number> {
  const order = new Map<string, number>();
  const visit = (layers: SavedLayer[]) =>
    layers.forEach((l) => {
      const name = String(l.name ?? l.config.name);
      if (!order.has(name)) order.set(name, order.size);
      if (Array.isArray(l.config.layers)) visit(l.config.layers as SavedLayer[]);
    });
  visit(topology.config.layers);
  return order;
}

/** The bytes in the new weight order; left as they are when their size is not the manifest's (the check refuses them). */
function reorderBytes(bytes: Uint8Array, specs: WeightSpec[], order: number[]): Uint8Array {
  if (!(bytes instanceof Uint8Array)) return bytes;
  const sizes = specs.map((s) => 4 * (Array.isArray(s?.shape) ? s.shape.reduce((a, d) => a * d, 1) : 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== bytes.byteLength || order.every((j, i) => j === i)) return bytes;
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const out = new Uint8Array(total);
  let at = 0;
  for (const j of order) {
    out.set(bytes.subarray(starts[j], starts[j] + sizes[j]), at);
    at += sizes[j];
  }
  return out;
}

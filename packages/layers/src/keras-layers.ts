// The webgrad layers TF.js's form lacks but Keras 3 has, with Keras 3's own configs, both ways:
// Conv2DTranspose, Conv1D, the reshaping, noise and activation layers, LayerNormalization, PReLU,
// Masking, Dot, and the wrappers TimeDistributed, Bidirectional and SpectralNormalization (their
// inner layer in Keras 3's form). A class is written as Keras's only when reading the written config
// back gives every option webgrad wrote, so nothing Keras lacks is dropped (the layer keeps its
// 'webgrad>' name otherwise); reading refuses by name any Keras option webgrad's layer would not
// honour. Also the H5 groups of each class's variables, wrappers included (kerasVarSlots), which
// keras-config.ts writes and keras-legacy.ts reads.
import {
  convertPythonicToTs,
  convertTsToPythonic,
  isDict,
  tfjsInitializer,
  tfjsRegularizer,
  webgradInitializer,
  webgradRegularizer,
} from './tfjs-names.js';

type Dict = Record<string, unknown>;

/** Keras 3's DTypePolicy object for a dtype name. */
export const POLICY = (name: string): Dict => ({
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name },
  registered_name: null,
});

// TF.js's VarianceScaling forms and the Keras 3 class that writes each
const SCALING_NAMES: [scale: number, mode: string, distribution: string, name: string][] = [
  [1, 'fan_avg', 'uniform', 'GlorotUniform'],
  [1, 'fan_avg', 'normal', 'GlorotNormal'],
  [2, 'fan_in', 'uniform', 'HeUniform'],
  [2, 'fan_in', 'normal', 'HeNormal'],
  [1, 'fan_in', 'uniform', 'LecunUniform'],
  [1, 'fan_in', 'normal', 'LecunNormal'],
];

/** A TF.js-form initializer or regularizer ({class_name, config}) as Keras 3 serialises one. */
export function kerasObject(value: unknown, module: string): unknown {
  if (!isDict(value) || typeof value.class_name !== 'string') return value;
  let className = value.class_name;
  let config = isDict(value.config) ? { ...value.config } : {};
  if (className === 'VarianceScaling') {
    const named = SCALING_NAMES.find(
      ([s, m, d]) => s === config.scale && m === config.mode && d === config.distribution,
    );
    if (named) {
      className = named[3];
      config = { seed: null, input_axes: null, output_axes: null };
    }
  }
  return { module, class_name: className, config, registered_name: null };
}

/** Keras 3's L1 and L2 regularizers as the L1L2 that TF.js's form (and webgrad's reader) names. */
export function legacyRegularizer(value: Dict): Dict {
  const config = isDict(value.config) ? value.config : {};
  if (value.class_name === 'L1') return { class_name: 'L1L2', config: { l1: config.l1 ?? 0, l2: 0 } };
  if (value.class_name === 'L2') return { class_name: 'L1L2', config: { l1: 0, l2: config.l2 ?? 0 } };
  return value;
}

const toKerasInit = (saved: unknown) => kerasObject(convertTsToPythonic(tfjsInitializer(saved)), 'keras.initializers');
const fromKerasInit = (value: unknown, where: string) =>
  webgradInitializer(convertPythonicToTs(value) ?? undefined, where);
const toKerasRegularizer = (saved: unknown) =>
  kerasObject(convertTsToPythonic(tfjsRegularizer(saved)), 'keras.regularizers');
const fromKerasRegularizer = (value: unknown, where: string) =>
  webgradRegularizer(isDict(value) ? convertPythonicToTs(legacyRegularizer(value)) : value, where);

// the activations Keras 3 has under the same name and function as webgrad's (gelu the exact, erf one)
const ACTIVATIONS = new Set(['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'gelu']);
const activationOf = (name: unknown): unknown => {
  if (!ACTIVATIONS.has(String(name))) throw new Error(`activation '${String(name)}'`);
  return name;
};

/** A wrapper's inner layer: webgrad's {class_name, config} to Keras 3's object, and back. */
export interface InnerLayers {
  toKeras: (saved: { class_name: string; config: Dict }) => Dict;
  fromKeras: (layer: unknown, where: string) => { class_name: string; config: Dict };
}

interface KerasClass {
  /** The Keras options whose value webgrad's layer always behaves as: written so, refused otherwise. */
  fixed: Dict;
  /** webgrad's config (as getConfig wrote it) to Keras 3's options; throws naming what Keras lacks. */
  write: (c: Dict, inner: InnerLayers) => Dict;
  /** Keras 3's options (read with `get`, which records each key read) to webgrad's config. */
  read: (get: (key: string) => unknown, where: string, inner: InnerLayers) => Dict;
}

const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU']);
const NO_CONSTRAINTS = { kernel_constraint: null, bias_constraint: null, activity_regularizer: null };
const LAST = { data_format: 'channels_last' };
const nullable = (v: unknown) => (v === undefined ? null : v);
const optional = (v: unknown) => (v === null ? undefined : v);
const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
const pairOf = (v: unknown) => (typeof v === 'number' ? [v, v] : v);
const single = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);

function convolution(spatial: 1 | 2, transposed: boolean): KerasClass {
  const shape = spatial === 1 ? list : pairOf;
  const back = spatial === 1 ? single : (v: unknown) => v;
  return {
    fixed: {
      ...LAST,
      ...NO_CONSTRAINTS,
      bias_regularizer: null,
      ...(transposed ? { output_padding: null, dilation_rate: [1, 1] } : { groups: 1 }),
    },
    write: (c) => ({
      filters: c.filters,
      kernel_size: shape(c.kernelSize),
      strides: shape(c.strides ?? 1),
      padding: c.padding ?? 'valid',
      ...(!transposed && { dilation_rate: shape(c.dilationRate ?? 1) }),
      activation: activationOf(c.activation ?? 'linear'),
      use_bias: c.useBias ?? true,
      kernel_initializer: toKerasInit(c.kernelInitializer ?? 'glorotUniform'),
      bias_initializer: toKerasInit(c.biasInitializer ?? 'zeros'),
      kernel_regularizer: toKerasRegularizer(c.kernelRegularizer),
    }),
    read: (get, where) => ({
      filters: get('filters'),
      kernelSize: back(get('kernel_size')),
      strides: back(get('strides')),
      padding: get('padding'),
      ...(!transposed && { dilationRate: back(get('dilation_rate')) }),
      activation: get('activation'),
      useBias: get('use_bias'),
      kernelInitializer: fromKerasInit(get('kernel_initializer'), where),
      biasInitializer: fromKerasInit(get('bias_initializer'), where),
      kernelRegularizer: fromKerasRegularizer(get('kernel_regularizer'), where),
    }),
  };
}

/** A class whose options are webgrad's own, renamed: webgrad key → Keras key. */
function renamed(keys: Record<string, string>, fixed: Dict = {}, nulls: string[] = []): KerasClass {
  return {
    fixed,
    write: (c) =>
      Object.fromEntries(
        Object.entries(keys).map(([ours, theirs]) => [theirs, nulls.includes(ours) ? nullable(c[ours]) : c[ours]]),
      ),
    read: (get) =>
      Object.fromEntries(
        Object.entries(keys).map(([ours, theirs]) => [
          ours,
          nulls.includes(ours) ? optional(get(theirs)) : get(theirs),
        ]),
      ),
  };
}

/**
 * A noise layer: its factor, and its seed (webgrad's is an offset to the step's seed, 0 by default,
 * Keras's a seed of its own generator, null by default; neither draws the other's noise, which only
 * training draws).
 */
function noise(factor: string): KerasClass {
  return {
    fixed: {},
    write: (c) => ({ [factor]: c[factor], seed: c.seed ? c.seed : null }),
    read: (get) => ({ [factor]: get(factor), seed: get('seed') ?? 0 }),
  };
}

/** The classes written with Keras 3's names and configs here (the others are tfjs-configs.ts's). */
export const KERAS_LAYERS: Record<string, KerasClass> = {
  Conv1D: convolution(1, false),
  Conv2DTranspose: convolution(2, true),
  UpSampling2D: renamed({ size: 'size', interpolation: 'interpolation' }, LAST),
  ZeroPadding2D: renamed({ padding: 'padding' }, LAST),
  Cropping2D: renamed({ cropping: 'cropping' }, LAST),
  LayerNormalization: {
    fixed: {
      rms_scaling: false,
      beta_initializer: toKerasInit('zeros'),
      gamma_initializer: toKerasInit('ones'),
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    },
    write: (c) => ({ axis: list(c.axis ?? -1), epsilon: c.epsilon, center: c.center, scale: c.scale }),
    read: (get) => ({ axis: single(get('axis')), epsilon: get('epsilon'), center: get('center'), scale: get('scale') }),
  },
  LeakyReLU: renamed({ negativeSlope: 'negative_slope' }),
  ReLU: renamed({ maxValue: 'max_value', negativeSlope: 'negative_slope', threshold: 'threshold' }, {}, ['maxValue']),
  ELU: renamed({ alpha: 'alpha' }),
  Softmax: renamed({ axis: 'axis' }),
  GaussianNoise: noise('stddev'),
  GaussianDropout: noise('rate'),
  ActivityRegularization: renamed({ l1: 'l1', l2: 'l2' }),
  RepeatVector: renamed({ n: 'n' }),
  Permute: renamed({ dims: 'dims' }),
  Masking: renamed({ maskValue: 'mask_value' }),
  Dot: renamed({ axes: 'axes', normalize: 'normalize' }),
  PReLU: {
    fixed: { alpha_regularizer: null, alpha_constraint: null, shared_axes: null },
    write: (c) => ({ alpha_initializer: toKerasInit(c.alphaInitializer ?? 'zeros') }),
    read: (get, where) => ({ alphaInitializer: fromKerasInit(get('alpha_initializer'), where) }),
  },
  TimeDistributed: {
    fixed: {},
    write: (c, inner) => ({ layer: inner.toKeras(c.layer as never) }),
    read: (get, where, inner) => ({ layer: inner.fromKeras(get('layer'), where) }),
  },
  SpectralNormalization: {
    fixed: {},
    write: (c, inner) => ({ layer: inner.toKeras(c.layer as never), power_iterations: c.powerIterations ?? 1 }),
    read: (get, where, inner) => ({
      layer: inner.fromKeras(get('layer'), where),
      powerIterations: get('power_iterations'),
    }),
  },
  Bidirectional: {
    fixed: {},
    write: (c, inner) => {
      const forward = inner.toKeras(c.layer as never);
      const config = forward.config as Dict;
      // Keras's Bidirectional zeroes masked steps of both halves when it returns sequences, as webgrad's does
      const zeroed = { ...forward, config: { ...config, zero_output_for_mask: config.return_sequences === true } };
      return { merge_mode: c.mergeMode ?? 'concat', layer: zeroed };
    },
    read: (get, where, inner) => {
      const layer = inner.fromKeras(get('layer'), where);
      if (!RECURRENT.has(layer.class_name) && layer.class_name !== '') {
        throw new Error(`it wraps a '${layer.class_name}'; expected a recurrent layer (SimpleRNN, LSTM, GRU)`);
      }
      const backward = get('backward_layer');
      if (isDict(backward) && isDict(backward.config)) {
        const twin = inner.fromKeras({ ...backward, config: { ...backward.config, name: 'twin' } }, where);
        const { name: _a, goBackwards: back, ...rest } = twin.config;
        const { name: _b, goBackwards: ahead, ...own } = layer.config;
        if (twin.class_name !== layer.class_name || back === ahead || JSON.stringify(rest) !== JSON.stringify(own)) {
          throw new Error(
            `its backward_layer is not the forward layer run backwards; webgrad's Bidirectional makes that twin itself`,
          );
        }
      }
      return { layer, mergeMode: get('merge_mode') };
    },
  },
};

/** Two option values as what they do: 2 and [2, 2], -1 and [-1], [[1, 1], [1, 1]] and 1 compare equal. */
function meaning(value: unknown, key = ''): unknown {
  if (key.endsWith('Initializer')) return JSON.stringify(tfjsInitializer(value));
  if (key.endsWith('Regularizer')) return JSON.stringify(tfjsRegularizer(value));
  if (!Array.isArray(value)) return isDict(value) ? JSON.stringify(value) : value;
  const items = value.map((item) => meaning(item));
  const first = JSON.stringify(items[0]);
  return items.length && items.every((v) => JSON.stringify(v) === first) ? items[0] : items;
}

const BASE = new Set(['name', 'trainable', 'inputShape']);

/**
 * webgrad's layer config as Keras 3's options (name, trainable and dtype not included), or what Keras
 * lacks: the check is the round trip itself, reading the written options back.
 */
export function toKerasOptions(
  className: string,
  c: Dict,
  toKeras: InnerLayers['toKeras'],
): { config: Dict } | { missing: string } {
  const spec = KERAS_LAYERS[className];
  // the inner layer of a wrapper is checked by its own conversion (toKeras throws what it lacks)
  const inner: InnerLayers = { toKeras, fromKeras: () => ({ class_name: '', config: {} }) };
  let config: Dict;
  let back: Dict;
  try {
    config = { ...spec.write(c, inner), ...spec.fixed };
    back = fromKerasOptions(className, { name: c.name, ...config }, 'the round-trip check', inner);
  } catch (error) {
    return { missing: (error as Error).message };
  }
  const lost = Object.keys(c).filter(
    (key) =>
      !BASE.has(key) &&
      c[key] !== undefined &&
      key !== 'layer' &&
      JSON.stringify(meaning(c[key], key)) !== JSON.stringify(meaning(back[key], key)),
  );
  if (lost.length) return { missing: lost.map((key) => `${key}: ${JSON.stringify(c[key])}`).join(', ') };
  return { config };
}

// keys a Keras 3 layer config holds that legacyLayer has checked already
const CHECKED = new Set(['name', 'trainable', 'dtype', 'lora_rank', 'quantization_config', 'sparse', 'ragged']);

/**
 * Keras 3's options of a class in KERAS_LAYERS as webgrad's config (without name and trainable);
 * any option webgrad's layer lacks, or a fixed one at another value, is refused by name.
 */
export function fromKerasOptions(className: string, k: Dict, where: string, inner: InnerLayers): Dict {
  const spec = KERAS_LAYERS[className];
  const read = new Set<string>();
  const get = (key: string) => {
    read.add(key);
    return k[key];
  };
  const what = `${className} layer '${String(k.name)}' in ${where}`;
  for (const [key, expected] of Object.entries(spec.fixed)) {
    if (k[key] !== undefined && JSON.stringify(meaning(k[key])) !== JSON.stringify(meaning(expected))) {
      throw new Error(
        `${what} sets ${key} to ${JSON.stringify(k[key])}; webgrad's ${className} supports only ${JSON.stringify(expected)}`,
      );
    }
  }
  let config: Dict;
  try {
    config = spec.read(get, where, inner);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
  }
  const unknown = Object.keys(k).filter((key) => !read.has(key) && !CHECKED.has(key) && !(key in spec.fixed));
  if (unknown.length) {
    throw new Error(`${what} sets ${unknown.join(', ')}, which webgrad's ${className} does not have`);
  }
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
}

/** One group of a layer's variables in model.weights.h5, and the webgrad weights it holds. */
export interface VarSlot {
  /** The H5 group holding variables 0, 1, ... */
  vars: string;
  /** The weights written there, in order: those named `${prefix}/…`, or only the first of them. */
  picks: { prefix: string; first?: boolean }[];
  /** The indices read back into webgrad (all when absent). */
  indices?: number[];
  /** How many of them train (BatchNormalization's moving statistics do not). */
  trainableVars: number;
  /** A wrapped layer that has weights: a file without them is refused by entry. */
  required?: boolean;
}

// the classes that always have weights, so a wrapper's inner group of them cannot be missing
const WEIGHTED = new Set(['Dense', 'Conv1D', 'Conv2D', 'Conv2DTranspose', 'SimpleRNN', 'LSTM', 'GRU', 'PReLU']);

/**
 * The H5 groups (each with the `name` attribute Keras gives it) and variable slots of one layer at
 * `h5`, as Keras 3 lays them out: a recurrent layer's under cell/, a wrapper's inner layer under
 * layer/ (Bidirectional's under forward_layer/ and backward_layer/), SpectralNormalization's own
 * vars holding the inner kernel again and then vector_u. `config` is webgrad's for wrappers.
 */
export function kerasVarSlots(
  className: string,
  config: Dict,
  h5: string,
  name: string,
  trainable: boolean,
  wrapped = false,
): { groups: { path: string; name: string }[]; slots: VarSlot[] } {
  const groups = [{ path: `${h5}/vars`, name }];
  const innerOf = (): { class_name: string; config: Dict } => {
    const inner = config.layer;
    if (!isDict(inner) || typeof inner.class_name !== 'string' || !isDict(inner.config)) {
      throw new Error(`the ${className} layer '${name}' has no inner layer {class_name, config}`);
    }
    return inner as { class_name: string; config: Dict };
  };
  const nested = (inner: { class_name: string; config: Dict }, at: string, innerName: string) =>
    kerasVarSlots(inner.class_name, inner.config, at, innerName, trainable && inner.config.trainable !== false, true);
  if (className === 'TimeDistributed' || className === 'SpectralNormalization') {
    const inner = innerOf();
    const innerName = String(inner.config.name);
    const within = nested(inner, `${h5}/layer`, innerName);
    const slots = within.slots;
    if (className === 'SpectralNormalization') {
      const own = [{ prefix: innerName, first: true }, { prefix: name }];
      slots.push({ vars: `${h5}/vars`, picks: own, indices: [1], trainableVars: 0 });
    }
    return { groups: [...groups, ...within.groups], slots };
  }
  if (className === 'Bidirectional') {
    const inner = innerOf();
    const innerName = String(inner.config.name);
    const forward = nested(inner, `${h5}/forward_layer`, innerName);
    const backward = nested(inner, `${h5}/backward_layer`, `backward_${innerName}`);
    return {
      groups: [...groups, ...forward.groups, ...backward.groups],
      slots: [...forward.slots, ...backward.slots],
    };
  }
  const count = !trainable ? 0 : className === 'BatchNormalization' ? 2 : Infinity;
  const required = wrapped && WEIGHTED.has(className);
  const vars = RECURRENT.has(className) ? `${h5}/cell/vars` : `${h5}/vars`;
  if (RECURRENT.has(className)) groups.push({ path: vars, name: `${name}_cell` });
  return { groups, slots: [{ vars, picks: [{ prefix: name }], trainableVars: count, required }] };
}

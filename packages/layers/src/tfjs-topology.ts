// A saved topology both ways between webgrad's form and TF.js Layers' (TS form): Sequential and
// functional models layer by layer, nested models included. A layer whose class or options TF.js lacks
// is written under its registered 'webgrad>' name with webgrad's own config; whether TF.js holds a layer
// is checked by the round trip itself (what webgrad reads back must be every option it wrote). A
// model's own options TF.js has no key for (its seed) travel beside the topology (ModelOptions).
import type { SavedLayer, SavedModelTopology } from './format.js';
import { baseConfig, pair, refuseUnsupported, toTfjsConfig, toWebgradConfig } from './tfjs-configs.js';
import {
  convertPythonicToTs,
  convertTsToPythonic,
  CUSTOM_PREFIX,
  isDict,
  tfjsInitializer,
  toSnakeCase,
} from './tfjs-names.js';

type Dict = Record<string, unknown>;

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
export type ModelOptions = Record<string, { seed?: number; outputsAsList?: boolean }>;

/** What a write carries down the topology: the reader, what it lacks, the models' own options. */
export interface WriteContext {
  reader: 'tfjs' | 'keras';
  lacking: string[];
  extras: ModelOptions;
}

export function topologyToTs(topology: SavedModelTopology, ctx: WriteContext): Dict {
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

/** Strips undefined fields, as JSON would, so the registry sees a config like one webgrad wrote. */
const defined = (d: Dict): Dict => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));

/** What a read carries down the topology: the file, the classes webgrad lacks, the models' own options. */
export interface ReadContext {
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
    // a webgrad registered class: webgrad's own class name and config, as written; after a Keras
    // Sequential's InputLayer (withoutInputLayer), the input shape in webgrad's key
    const { batchInputShape: given, ...own } = c;
    const shaped = Array.isArray(given) && own.inputShape === undefined ? { ...own, inputShape: given.slice(1) } : c;
    const saved: SavedLayer = { class_name: className.slice(CUSTOM_PREFIX.length), config: shaped };
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

export function topologyFromTs(className: string, c: Dict, ctx: ReadContext): SavedModelTopology {
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

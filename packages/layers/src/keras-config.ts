// Keras 3's config.json and the layout of its model.weights.h5, both ways, by way of TF.js's Keras-2
// topology (tfjs-format.ts), which already maps webgrad's configs to Keras class names and snake_case
// keys: a layer gains or loses what Keras 3 writes beyond Keras 2 (module, registered_name, a
// DTypePolicy, InputLayer's batch_shape, inbound nodes as {args, kwargs}), and its weights live at
// layers/<key>/vars/<i> (a recurrent layer's at layers/<key>/cell/vars/<i>), the key being its class
// name in snake_case, numbered in the order of Keras's model.layers (saving_lib's _get_unique_name).
// This module writes; keras-legacy.ts reads Keras 3's form back.
import type { ModelJson, SavedLayer, SavedTensorRef } from './format.js';
import { KERAS_LAYERS, kerasObject, kerasVarSlots, POLICY, toKerasOptions, type VarSlot } from './keras-layers.js';
import { toTfjsArtifacts } from './tfjs-format.js';
import { CUSTOM_PREFIX, isDict } from './tfjs-names.js';

type Dict = Record<string, unknown>;

/** The Keras version written into metadata.json: the release whose files these are shaped after. */
export const KERAS_VERSION = '3.15.1';

/** The layer classes Keras 3 has with the configs written here; others are webgrad's own. */
export const KERAS_CLASSES = new Set([
  'Dense',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Dropout',
  'Activation',
  'Reshape',
  'BatchNormalization',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Embedding',
  'SimpleRNN',
  'LSTM',
  'GRU',
]);
export const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU']);
export const MODELS = new Set(['Sequential', 'Model', 'Functional']);

/** Keras's naming.to_snake_case, as it names an H5 group after a layer's class. */
export const kerasKey = (className: string): string =>
  className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();

/** A counter of H5 keys, as saving_lib's _get_unique_name: dense, dense_1, dense_2, ... */
export function uniqueKeys(): (className: string) => string {
  const used = new Map<string, number>();
  return (className) => {
    const name = kerasKey(className === 'Model' ? 'Functional' : className);
    const count = used.get(name);
    used.set(name, count === undefined ? 0 : count + 1);
    return count === undefined ? name : `${name}_${count + 1}`;
  };
}

// the options Keras 3 writes beyond TF.js's, with the values webgrad's layers behave as
const KERAS3_DEFAULTS: Record<string, Dict> = {
  Dense: { quantization_config: null },
  Embedding: { quantization_config: null },
  Conv2D: { groups: 1 },
  Flatten: { data_format: 'channels_last' },
  BatchNormalization: { synchronized: false, renorm: false, renorm_clipping: null, renorm_momentum: 0.99 },
  SimpleRNN: { zero_output_for_mask: false },
  LSTM: { zero_output_for_mask: false, seed: null },
  GRU: { zero_output_for_mask: false, seed: null },
};

/** One layer's TF.js (Keras 2) config as Keras 3 writes it. */
export function kerasLayerConfig(className: string, c: Dict): Dict {
  const { batch_input_shape: _shape, implementation: _impl, input_length: _length, dtype, ...rest } = c;
  const out: Dict = {
    ...rest,
    ...KERAS3_DEFAULTS[className],
    dtype: POLICY(typeof dtype === 'string' ? dtype : 'float32'),
  };
  // Keras 3's Dense writes no activity_regularizer (TF.js's does, as null)
  if (className === 'Dense' && out.activity_regularizer === null) delete out.activity_regularizer;
  for (const [key, value] of Object.entries(out)) {
    if (key.endsWith('_initializer')) out[key] = kerasObject(value, 'keras.initializers');
    if (key.endsWith('_regularizer')) out[key] = kerasObject(value, 'keras.regularizers');
  }
  if (className === 'Embedding') out.mask_zero = c.mask_zero === true;
  if (className === 'SimpleRNN' || className === 'LSTM' || className === 'GRU') {
    out.recurrent_activation ??= className === 'SimpleRNN' ? undefined : 'sigmoid';
    if (out.recurrent_activation === undefined) delete out.recurrent_activation;
  }
  return out;
}

/**
 * A wrapper's inner layer (webgrad's {class_name, config}) as Keras 3's layer object, by way of TF.js's
 * form for the classes tfjs-configs.ts maps; throws naming what Keras lacks.
 */
export function kerasInnerLayer(saved: { class_name: string; config: Dict }): Dict {
  const what = `${String(saved?.class_name)} '${String(saved?.config?.name)}'`;
  if (!isDict(saved) || typeof saved.class_name !== 'string' || !isDict(saved.config)) {
    throw new Error(`an inner layer that is not {class_name, config}: ${JSON.stringify(saved)?.slice(0, 200)}`);
  }
  const base = { name: saved.config.name, trainable: saved.config.trainable ?? true, dtype: POLICY('float32') };
  if (Object.hasOwn(KERAS_LAYERS, saved.class_name)) {
    const mapped = toKerasOptions(saved.class_name, saved.config, kerasInnerLayer);
    if ('missing' in mapped) throw new Error(`${what} (${mapped.missing})`);
    return {
      module: 'keras.layers',
      class_name: saved.class_name,
      config: { ...base, ...mapped.config },
      registered_name: null,
    };
  }
  const json = {
    format: 'layers-model',
    generatedBy: 'webgrad',
    modelTopology: { class_name: 'Sequential', config: { name: 'wrapped', layers: [saved as SavedLayer] } },
    weightsManifest: [],
  } as unknown as ModelJson;
  const [layer] = toTfjsArtifacts(json, { reader: 'keras' }).modelTopology.config.layers as Dict[];
  const className = String(layer.class_name);
  if (!KERAS_CLASSES.has(className)) throw new Error(`${what} (no Keras 3 class)`);
  return {
    module: 'keras.layers',
    class_name: className,
    config: kerasLayerConfig(className, layer.config as Dict),
    registered_name: null,
  };
}

/** `base`, or base_1, base_2, ... : the first name no layer of the model has. */
function freeName(base: string, layers: Dict[]): string {
  const taken = new Set(layers.map((l) => String((l.config as Dict)?.name ?? l.name)));
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

const inputLayer = (name: string, batchShape: unknown, dtype: unknown): Dict => ({
  module: 'keras.layers',
  class_name: 'InputLayer',
  config: { batch_shape: batchShape, dtype: dtype ?? 'float32', sparse: false, ragged: false, name, optional: false },
  registered_name: null,
});

/** The layers of a (TF.js-form) graph in the order Keras 3's Functional lists them: by depth, then by traversal. */
export function kerasOrder(config: Dict): Dict[] {
  const layers = (config.layers as Dict[]) ?? [];
  const byName = new Map(layers.map((l) => [String(l.name ?? (l.config as Dict)?.name), l]));
  const inboundOf = (layer: Dict, node: number): SavedTensorRef[] => {
    const nodes = layer.inbound_nodes as unknown[][] | undefined;
    return ((nodes?.[node] ?? []) as unknown[]).map((r) => r as SavedTensorRef);
  };
  const refs = (value: unknown): SavedTensorRef[] =>
    Array.isArray(value) && typeof value[0] === 'string'
      ? [value as SavedTensorRef]
      : ((value as SavedTensorRef[]) ?? []);
  const indices = new Map<string, number>();
  const finished = new Set<string>();
  const postOrder: [string, number][] = [];
  const visit = ([name, node]: SavedTensorRef) => {
    const key = `${name}/${node}`;
    if (finished.has(key)) return;
    if (!indices.has(name)) indices.set(name, indices.size);
    const layer = byName.get(name);
    if (layer) for (const ref of inboundOf(layer, node)) visit(ref);
    finished.add(key);
    postOrder.push([name, node]);
  };
  refs(config.output_layers).forEach(visit);
  const nodeDepth = new Map<string, number>();
  const layerDepth = new Map<string, number>();
  for (const [name, node] of [...postOrder].reverse()) {
    const key = `${name}/${node}`;
    const depth = Math.max(nodeDepth.get(key) ?? 0, layerDepth.get(name) ?? 0);
    layerDepth.set(name, depth);
    nodeDepth.set(key, depth);
    const layer = byName.get(name);
    for (const [parent, parentNode] of layer ? inboundOf(layer, node) : []) {
      const parentKey = `${parent}/${parentNode}`;
      nodeDepth.set(parentKey, Math.max(depth + 1, nodeDepth.get(parentKey) ?? 0));
    }
  }
  for (const [name] of refs(config.input_layers)) {
    if (!layerDepth.has(name)) {
      layerDepth.set(name, 0);
      indices.set(name, -1);
    }
  }
  const names = [...layerDepth.keys()].sort(
    (a, b) => layerDepth.get(b)! - layerDepth.get(a)! || indices.get(a)! - indices.get(b)!,
  );
  return names.map((n) => byName.get(n)).filter((l): l is Dict => l !== undefined);
}

/** Where a layer's weights go in model.weights.h5 (keras-layers.ts's VarSlot). */
export type KerasWeightSlot = VarSlot;

/** The shape (batch axis first) and dtype of the tensor a layer's call made: `layer`'s node `node`, output `index`. */
export type TensorOf = (
  layer: string,
  node: number,
  index: number,
) => { shape: (number | null)[]; dtype: string } | undefined;

/**
 * A layer's inbound nodes (TF.js's lists of [layer, node, index, kwargs]) in Keras 3's form: each call
 * {args, kwargs}, its tensors __keras_tensor__ objects with their shape and keras_history; a merge's
 * inputs one list argument, a recurrent layer's states its initial_state, a nested model's call a mask.
 * A node whose tensors' shapes are unknown (artifacts without their model) stays in the list form,
 * which Keras 3 also reads.
 */
function kerasNodes(layerClass: string, nodes: unknown, tensorOf: TensorOf | undefined): unknown[] {
  const list = Array.isArray(nodes) ? (nodes as unknown[][]) : [];
  return list.map((refs) => {
    const tensors = refs.map((ref) => {
      const [name, node, index] = ref as [string, number, number];
      const known = tensorOf?.(name, node, index);
      if (!known) return undefined;
      return { class_name: '__keras_tensor__', config: { ...known, keras_history: [name, node, index] } };
    });
    if (!tensors.length || tensors.some((t) => t === undefined)) return refs;
    if (
      (RECURRENT.has(layerClass) || layerClass === `${CUSTOM_PREFIX}Bidirectional` || layerClass === 'Bidirectional') &&
      tensors.length > 1
    ) {
      return { args: [tensors[0]], kwargs: { initial_state: tensors.slice(1) } };
    }
    const args = tensors.length === 1 ? [tensors[0]] : [tensors];
    return { args, kwargs: MODELS.has(layerClass) ? { mask: null } : {} };
  });
}

/** The Keras 3 model config for a TF.js-form model, with the H5 groups and weight slots of its layers. */
export function kerasModel(
  className: string,
  config: Dict,
  path: string,
  groups: { path: string; name?: string }[],
  slots: KerasWeightSlot[],
  lacking: string[],
  tensorOf?: TensorOf,
): Dict {
  const name = String(config.name);
  const prefix = path ? `${path}/` : '';
  groups.push({ path: `${prefix}vars`, name });
  const sequential = className === 'Sequential';
  const source = (config.layers as Dict[]) ?? [];
  const ordered = sequential ? source : kerasOrder(config);
  const key = uniqueKeys();
  const layers: Dict[] = [];
  let buildShape: unknown;
  for (const layer of ordered) {
    const layerClass = String(layer.class_name);
    const c = (layer.config as Dict) ?? {};
    const layerName = String(c.name ?? layer.name);
    // a Sequential's InputLayer is written, as Keras does, but has no H5 group (Sequential.layers leaves it out)
    // a registered class's H5 key is its class name's, as Keras names the group of any object it saves
    const keyed = layerClass.startsWith(CUSTOM_PREFIX) ? layerClass.slice(CUSTOM_PREFIX.length) : layerClass;
    const h5 = sequential && layerClass === 'InputLayer' ? undefined : `${prefix}layers/${key(keyed)}`;
    let written: Dict;
    if (MODELS.has(layerClass)) {
      const inner = layerClass === 'Sequential' ? 'Sequential' : 'Functional';
      const nested = kerasModel(inner, c, h5!, groups, slots, lacking, tensorOf);
      written = { ...nested, name: layerName };
    } else if (layerClass === 'InputLayer') {
      written = inputLayer(layerName, c.batch_input_shape, c.dtype);
      if (h5) groups.push({ path: `${h5}/vars`, name: layerName });
    } else {
      let known = KERAS_CLASSES.has(layerClass);
      let config = known ? kerasLayerConfig(layerClass, c) : c;
      let missing = '';
      if (!known && layerClass.startsWith(CUSTOM_PREFIX) && Object.hasOwn(KERAS_LAYERS, keyed)) {
        const mapped = toKerasOptions(keyed, c, kerasInnerLayer);
        if ('config' in mapped) {
          known = true;
          config = { name: layerName, trainable: c.trainable ?? true, dtype: POLICY('float32'), ...mapped.config };
        } else missing = ` (${mapped.missing})`;
      }
      // a class TF.js's form already wrote under webgrad's registered name keeps it, and webgrad's config
      const own = keyed;
      if (!known) lacking.push(`${own} '${layerName}'${missing}`);
      written = {
        module: known ? 'keras.layers' : 'webgrad',
        class_name: own,
        config,
        registered_name: known ? null : CUSTOM_PREFIX + own,
      };
      // a registered class keeps webgrad's camelCase inputShape
      const inputShape = c.input_shape ?? c.inputShape;
      const shape = Array.isArray(c.batch_input_shape)
        ? c.batch_input_shape
        : Array.isArray(inputShape)
          ? [null, ...(inputShape as unknown[])]
          : undefined;
      if (sequential && layers.length === 0 && shape) {
        layers.push(inputLayer(freeName('input_layer', source), shape, c.dtype));
        buildShape = shape;
      }
      const laid = kerasVarSlots(keyed, c, h5!, layerName, true);
      groups.push(...laid.groups);
      slots.push(...laid.slots);
    }
    if (!sequential) {
      written = { ...written, name: layerName, inbound_nodes: kerasNodes(layerClass, layer.inbound_nodes, tensorOf) };
    }
    layers.push(written);
  }
  const modelConfig: Dict = { name, trainable: config.trainable ?? true, dtype: POLICY('float32'), layers };
  if (sequential && buildShape) modelConfig.build_input_shape = buildShape;
  if (!sequential) {
    const one = (refs: unknown) => (Array.isArray(refs) && refs.length === 1 ? refs[0] : refs);
    modelConfig.input_layers = one(config.input_layers);
    modelConfig.output_layers = config.outputs_as_list ? config.output_layers : one(config.output_layers);
  }
  return sequential
    ? { module: 'keras', class_name: 'Sequential', config: modelConfig, registered_name: null }
    : {
        module: 'keras.src.models.functional',
        class_name: 'Functional',
        config: modelConfig,
        registered_name: 'Functional',
      };
}

// Keras 3's config.json read into the TF.js (Keras 2) form fromTfjsArtifacts maps to webgrad's: a
// DTypePolicy becomes its name, batch_shape batch_input_shape, inbound nodes in either form (Keras 2's
// lists or Keras 3's {args, kwargs} of __keras_tensor__s) become lists, webgrad's registered classes
// keep webgrad's config; and the H5 group of each layer's variables (kerasSlots), as keras-config.ts
// names them on the way out.
import { convertPythonicToTs, CUSTOM_PREFIX, isDict } from './tfjs-names.js';
import { MODELS, uniqueKeys } from './keras-config.js';
import { fromKerasOptions, KERAS_LAYERS, kerasVarSlots, legacyRegularizer, type InnerLayers } from './keras-layers.js';
import { topologyFromTs } from './tfjs-topology.js';

type Dict = Record<string, unknown>;

// Keras 3 options webgrad's layers cannot honour, refused unless they hold the value webgrad assumes
const KERAS3_ONLY: Dict = {
  groups: 1,
  keepdims: false,
  renorm: false,
  lora_rank: null,
  quantization_config: null,
  sparse: false,
  ragged: false,
};

/** A tensor reference from a Keras 3 inbound node's args (a __keras_tensor__ or a list of them). */
function historyRefs(args: unknown, where: string, op: string): [string, number, number, Dict][] {
  const out: [string, number, number, Dict][] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isDict(value) || value.class_name !== '__keras_tensor__') return;
    const history = isDict(value.config) ? value.config.keras_history : undefined;
    const ok =
      Array.isArray(history) &&
      typeof history[0] === 'string' &&
      Number.isInteger(history[1]) &&
      Number.isInteger(history[2]);
    if (!ok) throw new Error(`${op}: ${where} has a tensor without a keras_history [layer, node, index]`);
    out.push([history[0] as string, history[1] as number, history[2] as number, {}]);
  };
  visit(args);
  return out;
}

/** One Keras 3 layer in TF.js's form: DTypePolicy to its name, batch_shape to batch_input_shape, nodes to lists. */
function legacyLayer(layer: unknown, where: string, op: string): Dict {
  if (!isDict(layer) || typeof layer.class_name !== 'string' || !isDict(layer.config)) {
    throw new Error(`${op}: a layer in ${where} is not {class_name, config}: ${JSON.stringify(layer)?.slice(0, 200)}`);
  }
  const className = layer.class_name === 'Functional' ? 'Model' : layer.class_name;
  const c = layer.config;
  const name = String(c.name);
  const registered = typeof layer.registered_name === 'string' ? layer.registered_name : '';
  if (registered.startsWith(CUSTOM_PREFIX)) {
    // a class webgrad wrote under its registered name: webgrad's own config, read back as it was written
    const out: Dict = { class_name: registered, config: c };
    if (layer.inbound_nodes !== undefined) Object.assign(out, legacyNodes(layer, name, where, op));
    return out;
  }
  const refuse = (key: string, expected: unknown) => {
    throw new Error(
      `${op}: ${className} layer '${name}' in ${where} sets ${key} to ${JSON.stringify(c[key])}; ` +
        `webgrad reads only ${JSON.stringify(expected)} there`,
    );
  };
  for (const [key, expected] of Object.entries(KERAS3_ONLY)) {
    if (c[key] !== undefined && c[key] !== expected) refuse(key, expected);
  }
  const { dtype, batch_shape, module: _m, registered_name: _r, build_config: _b, ...rest } = c;
  const dtypeName = isDict(dtype) && isDict(dtype.config) ? dtype.config.name : dtype;
  if (dtypeName !== undefined && dtypeName !== 'float32' && !(className === 'InputLayer' && dtypeName === 'int32')) {
    refuse('dtype', 'float32');
  }
  if (Object.hasOwn(KERAS_LAYERS, className)) {
    // a class TF.js's form lacks: webgrad's config under its registered name, as webgrad writes it there
    let own: Dict;
    try {
      own = fromKerasOptions(className, c, where, innerLayers(op));
    } catch (error) {
      const message = (error as Error).message;
      throw new Error(message.startsWith(`${op}: `) ? message : `${op}: ${message}`, { cause: error });
    }
    const out: Dict = {
      class_name: CUSTOM_PREFIX + className,
      config: { name, trainable: c.trainable ?? true, ...own },
    };
    if (layer.inbound_nodes !== undefined) Object.assign(out, legacyNodes(layer, name, where, op));
    return out;
  }
  let config: Dict = { ...rest, ...(dtypeName !== undefined && { dtype: dtypeName }) };
  if (batch_shape !== undefined) config.batch_input_shape = batch_shape;
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('_regularizer') && isDict(value)) config[key] = legacyRegularizer(value);
  }
  if (MODELS.has(className)) config = legacyModelConfig(className, c, where, op);
  const out: Dict = { class_name: className, config };
  if (layer.inbound_nodes !== undefined) Object.assign(out, legacyNodes(layer, name, where, op));
  return out;
}

/**
 * A wrapper's inner Keras 3 layer as webgrad's {class_name, config}: a class of KERAS_LAYERS directly,
 * one of TF.js's form through legacyLayer and the TF.js reader (which refuses what webgrad lacks).
 */
function innerLayers(op: string): InnerLayers {
  const fromKeras = (layer: unknown, where: string): { class_name: string; config: Dict } => {
    const legacy = legacyLayer(layer, where, op);
    const className = String(legacy.class_name);
    if (className.startsWith(CUSTOM_PREFIX)) {
      return { class_name: className.slice(CUSTOM_PREFIX.length), config: legacy.config as Dict };
    }
    const ctx = { where, lacking: [] as string[], extras: {} };
    const ts = convertPythonicToTs({ name: 'wrapped', layers: [{ class_name: className, config: legacy.config }] });
    const [inner] = topologyFromTs('Sequential', ts as Dict, ctx).config.layers;
    if (ctx.lacking.length || MODELS.has(className) || className === 'InputLayer') {
      throw new Error(`a wrapper in ${where} wraps a '${className}', which webgrad cannot wrap`);
    }
    return { class_name: inner.class_name, config: inner.config as Dict };
  };
  return { toKeras: () => ({}), fromKeras };
}

/**
 * A graph layer's name and inbound nodes, each node in Keras 2's list form or Keras 3's {args, kwargs}
 * (a recurrent layer's initial_state after its input, as webgrad's layers take them).
 */
function legacyNodes(layer: Dict, name: string, where: string, op: string): Dict {
  const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
  const refsOf = (node: unknown) => {
    if (Array.isArray(node)) return node;
    const call = isDict(node) ? node : {};
    const states = isDict(call.kwargs) ? call.kwargs.initial_state : undefined;
    return [...historyRefs(call.args, where, op), ...historyRefs(states, where, op)];
  };
  return { name: String(layer.name ?? name), inbound_nodes: nodes.map(refsOf) };
}

// the ops a Keras 3 functional graph records for Masking's compute_mask: their result reaches the next
// layer only as its mask argument, which webgrad's layers take from Masking itself
const MASK_OPS = new Set(['NotEqual', 'Any']);

/** The layers less the mask ops no layer takes as an input (nor an output names), to a fixed point. */
function withoutMaskOps(layers: Dict[], outputs: unknown): Dict[] {
  let kept = layers;
  for (;;) {
    const used = new Set<string>(
      JSON.stringify(outputs ?? [])
        .match(/"[^"]*"/g)
        ?.map((n) => n.slice(1, -1)) ?? [],
    );
    for (const layer of kept) {
      for (const node of (layer.inbound_nodes as unknown[][] | undefined) ?? []) {
        for (const ref of node) if (Array.isArray(ref)) used.add(String(ref[0]));
      }
    }
    const next = kept.filter((l) => !MASK_OPS.has(String(l.class_name)) || used.has(String(l.name)));
    if (next.length === kept.length) return kept;
    kept = next;
  }
}

function legacyModelConfig(className: string, c: Dict, where: string, op: string): Dict {
  const read = Array.isArray(c.layers) ? c.layers.map((l) => legacyLayer(l, where, op)) : [];
  if (className === 'Sequential') return { name: c.name, trainable: c.trainable, layers: read };
  const layers = withoutMaskOps(read, c.output_layers);
  const list = (refs: unknown) => (Array.isArray(refs) && typeof refs[0] === 'string' ? [refs] : refs);
  return {
    name: c.name,
    trainable: c.trainable,
    layers,
    input_layers: list(c.input_layers),
    output_layers: list(c.output_layers),
    // one output written bare predicts one tensor; a list predicts a list
    outputs_as_list: !(Array.isArray(c.output_layers) && typeof c.output_layers[0] === 'string'),
  };
}

/** A Keras 3 config.json as the TF.js-form topology fromTfjsArtifacts maps to webgrad's. */
export function legacyTopology(config: unknown, where: string, op: string): { class_name: string; config: Dict } {
  if (!isDict(config) || typeof config.class_name !== 'string' || !isDict(config.config)) {
    throw new Error(`${op}: ${where}: config.json is not a Keras model {class_name, config}`);
  }
  const className = config.class_name === 'Functional' ? 'Model' : config.class_name;
  if (!MODELS.has(className)) {
    throw new Error(
      `${op}: ${where}: config.json holds a '${config.class_name}'; webgrad reads Sequential and Functional models`,
    );
  }
  return { class_name: className, config: legacyModelConfig(className, config.config, where, op) };
}

/**
 * The H5 group of each layer's variables in a legacy-form model (config order, which is Keras's
 * model.layers order), and the name of the top-level layer it belongs to.
 */
export function kerasSlots(topology: { class_name: string; config: Dict }): KerasSlot[] {
  const out: KerasSlot[] = [];
  const visit = (className: string, config: Dict, path: string, top: string | undefined, trainable: boolean) => {
    const prefix = path ? `${path}/` : '';
    const key = uniqueKeys();
    for (const layer of (config.layers as Dict[]) ?? []) {
      const layerClass = String(layer.class_name);
      const c = (layer.config as Dict) ?? {};
      const name = String(c.name ?? layer.name);
      if (layerClass === 'InputLayer' && className === 'Sequential') continue;
      const keyed = layerClass.startsWith(CUSTOM_PREFIX) ? layerClass.slice(CUSTOM_PREFIX.length) : layerClass;
      const h5 = `${prefix}layers/${key(keyed)}`;
      const own = trainable && c.trainable !== false;
      if (MODELS.has(layerClass)) visit(layerClass, c, h5, top ?? name, own);
      else if (layerClass !== 'InputLayer') {
        // a layer's variables list its trainable ones first; BatchNormalization's moving statistics are not
        const { slots } = kerasVarSlots(keyed, c, h5, name, own);
        for (const { vars, indices, trainableVars, required } of slots) {
          // a wrapper's slots are told apart by their group
          const layerName = slots.length === 1 ? name : `${name}/${vars}`;
          out.push({ vars, top: top ?? name, layer: layerName, trainableVars, indices, required });
        }
      }
    }
  };
  visit(topology.class_name, topology.config, '', undefined, topology.config.trainable !== false);
  return out;
}

/** One layer's variables in model.weights.h5: its group, its top-level layer, and how many of them train. */
export interface KerasSlot {
  vars: string;
  top: string;
  layer: string;
  trainableVars: number;
  /** The indices read, in webgrad's order (all when absent). */
  indices?: number[];
  /** A wrapped layer's group, which must hold its variables. */
  required?: boolean;
}

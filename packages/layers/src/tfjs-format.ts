// TF.js Layers' model.json, both ways: webgrad's saved topology (camelCase configs, webgrad's
// initializer and regularizer descriptions) becomes the topology tfjs-layers 4.22 writes (Keras class
// names, snake_case keys and string values as its convertTsToPythonic makes them, initializers as
// {class_name, config}), and a TF.js model.json becomes webgrad's, so the loader and TF.js read each
// other's files. Here the whole file: its fields, its weights' order and bytes; the topology is
// tfjs-topology.ts's, each class's config tfjs-configs.ts's, the training side tfjs-training.ts's.
// Only configs are mapped; layers are built by the registry as for webgrad's files.
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
import { convertPythonicToTs, convertTsToPythonic, CUSTOM_PREFIX, isDict } from './tfjs-names.js';
import { topologyFromTs, topologyToTs, type ModelOptions } from './tfjs-topology.js';
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

// The saved-model format, the bottom of persistence: model.json (the topology, the training config and
// a weights manifest, laid out as TF.js Layers' model.json is) and one weights file (float32,
// little-endian, in manifest order, then the optimizer state when included), carried together as
// ModelArtifacts by a ModelStore. A model file is untrusted input, so everything is checked here before
// any model is touched: model.json's fields (errors name the field's path), the weights path (a plain
// relative path that stays in the model's folder), the manifest's shapes and total size against the
// ceilings (limits.ts), layer sizes, the byte count, and the FNV-1a checksum saved beside them, so a
// flipped byte is refused rather than loaded as wrong weights.
import { OPTIMIZER_KINDS, OPTIMIZER_STATE_COUNT, type OptimizerKind } from '@webgrad/core';
import { loadLimits, MAX_CONFIG_SIZE } from './limits.js';

/** One stored weight: its name and shape, its values being the next shape-product floats. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** A tensor of a saved graph: the layer that makes it, which of its calls, which of that call's outputs. */
export type SavedTensorRef = [layerName: string, nodeIndex: number, tensorIndex: number];

/** A saved layer: its Keras class name and config; in a graph model, the inputs of each of its calls. */
export interface SavedLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: [...SavedTensorRef, Record<string, unknown>][][];
}

/** A saved model: a Sequential's stack, or a graph model's layers with their inputs and outputs. */
export interface SavedModelTopology {
  class_name: 'Sequential' | 'Model';
  config: {
    name: string;
    seed?: number;
    layers: SavedLayer[];
    input_layers?: SavedTensorRef[];
    output_layers?: SavedTensorRef[];
    /** Whether the model was made with a list of outputs (its predict gives a list). */
    outputs_as_list?: boolean;
  };
}

export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  modelTopology: SavedModelTopology;
  trainingConfig?: {
    /** One loss name, or one per output. */
    loss: string | string[];
    /** The metrics' names, or a list per output. */
    metrics: string[] | string[][];
    loss_weights?: number[];
    optimizer_config: { class_name: string; config: Record<string, unknown> };
  };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  /** Optimizer state for resuming exactly: step count and, per variable, its state tensors (in the weights file after the model's). */
  optimizerState?: { kind: string; iterations: number; weights: WeightSpec[] };
  /** FNV-1a of the weights file, so a corrupted file is refused. */
  weightsChecksum?: string;
  /** Epochs completed when a modelCheckpoint saved it: where a resumed fit starts (loadCheckpoint). */
  epochsCompleted?: number;
}

export interface ModelArtifacts {
  json: ModelJson;
  /** The weights file's bytes: float32 little-endian, in manifest order (then optimizer state). */
  weights: Uint8Array;
  /**
   * With it, a folder store cuts the weights into files of at most this many bytes, named as
   * tensorflowjs_converter names its shards (group1-shard1of3.bin, ...); a weight may span two files.
   */
  shardBytes?: number;
}

/** Saves and/or loads one model's artifacts; `url` names it in messages. */
export interface ModelStore {
  readonly url: string;
  save?(artifacts: ModelArtifacts, op: string): Promise<void>;
  load?(op: string): Promise<ModelArtifacts>;
}

/** A stored weight with its values (a view into the weights file's floats). */
export interface StoredWeight {
  spec: WeightSpec;
  values: Float32Array;
}

/** Checked artifacts: the model's weights, then the optimizer's state, each with its values. */
export interface CheckedArtifacts {
  json: ModelJson;
  weights: StoredWeight[];
  optimizerState: StoredWeight[];
}

/** FNV-1a (32-bit) of the bytes, as 8 hex digits: cheap, and any single changed byte changes it. */
export function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

const elementsOf = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

/** The weights file's bytes: each weight's floats in order, as little-endian float32. */
export function packWeights(values: readonly Float32Array[]): Uint8Array {
  const bytes = new Uint8Array(values.reduce((n, v) => n + v.byteLength, 0));
  let at = 0;
  for (const v of values) {
    bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
    at += v.byteLength;
  }
  return bytes;
}

/**
 * The weights cut into files of at most `shardBytes` bytes, in order (a weight may span two, as TF.js
 * reads them); one file without a bound, or for no weights at all.
 */
export function shardsOf(weights: Uint8Array, shardBytes?: number): Uint8Array[] {
  if (!shardBytes || weights.byteLength <= shardBytes) return [weights];
  const shards: Uint8Array[] = [];
  for (let at = 0; at < weights.byteLength; at += shardBytes) shards.push(weights.subarray(at, at + shardBytes));
  return shards;
}

/**
 * A save's shard bound, checked: undefined (one file), or a positive whole number of bytes; TF.js's
 * layout defaults to tensorflowjs_converter's 4 MB (its write_weights' shard_size_bytes).
 */
export function checkShardBytes(shardBytes: unknown, op: string): number | undefined {
  if (shardBytes === undefined) return undefined;
  if (!Number.isSafeInteger(shardBytes) || (shardBytes as number) < 1) {
    throw new Error(`${op}: shardBytes is ${JSON.stringify(shardBytes)}; expected a positive whole number of bytes`);
  }
  return shardBytes as number;
}

/**
 * Every weights file model.json names, in the order their bytes follow one another (TF.js's shards,
 * group1-shard1of3.bin, ...), each checked to be a plain relative path.
 */
export function weightsFilesOf(json: ModelJson, where: string, op: string): string[] {
  const files = (json?.weightsManifest ?? []).flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []));
  if (files.length === 0 || typeof files[0] !== 'string') {
    throw new Error(`${op}: ${where} names no weights file (weightsManifest[0].paths[0])`);
  }
  return files.map((file) => checkWeightsPath(file, where, op));
}

/**
 * A weights path as model.json gives it, refused unless it is a relative path of plain names: no
 * scheme or drive, no leading slash or backslash, no '.' or '..' segment (percent-encoded or not), no
 * encoded slash. Each store then resolves it inside the model's folder (or below the model's URL).
 */
export function checkWeightsPath(file: string, where: string, op: string): string {
  const refuse = (why: string): never => {
    throw new Error(
      `${op}: weights path '${file.slice(0, 200)}' in ${where} (weightsManifest[0].paths[0]) ${why}; ` +
        `a weights file must be named by a relative path inside the model's folder`,
    );
  };
  if (file === '') refuse('is empty');
  if (file.includes('\\') || [...file].some((c) => c.charCodeAt(0) < 0x20)) {
    refuse('holds a backslash or a control character');
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(file)) refuse('is an absolute URL (or has a drive letter)');
  if (file.startsWith('/')) refuse('is an absolute path');
  for (const segment of file.split('/')) {
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return refuse('holds a malformed %-escape');
    }
    if (name === '' || name === '.' || name === '..') {
      refuse(`has a '${segment}' segment (it leaves the folder or names none)`);
    }
    if (/[/\\]/.test(name) || /^[a-z]:/i.test(name)) refuse(`has an encoded separator in '${segment}'`);
  }
  return file;
}

/** model.json naming `file` as its (first) weights file, or `file`'s shards in order, as each store writes it. */
export function withWeightsFile(json: ModelJson, file: string | readonly string[]): ModelJson {
  const paths = typeof file === 'string' ? [file] : [...file];
  const weightsManifest = json.weightsManifest.map((group, i) => (i === 0 ? { ...group, paths } : group));
  return { ...json, weightsManifest };
}

const show = (value: unknown): string => {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** Checks a field; `path` names it in model.json (e.g. weightsManifest[0].weights[2].shape). */
function expectField(ok: boolean, path: string, value: unknown, expected: string, where: string, op: string): void {
  if (!ok) throw new Error(`${op}: ${where} is malformed: ${path} is ${show(value)}; expected ${expected}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkSpecs(specs: unknown, path: string, where: string, op: string): WeightSpec[] {
  if (!Array.isArray(specs)) {
    throw new Error(`${op}: ${path} in ${where} is not a list of weights; model.json is malformed`);
  }
  specs.forEach((s: unknown, i) => {
    expectField(isObject(s), `${path}[${i}]`, s, 'an object {name, shape, dtype}', where, op);
    const spec = s as Partial<WeightSpec>;
    expectField(typeof spec.name === 'string', `${path}[${i}].name`, spec.name, 'a string', where, op);
    if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(
        `${op}: weight '${spec.name}' in ${path} has shape ${show(spec.shape)}; expected a list of non-negative integers`,
      );
    }
    // TF.js stores its optimizer's step count as an int32 in group 'optimizer' (4 bytes, as a float)
    const optimizerStep = (spec.dtype as string) === 'int32' && (spec as { group?: unknown }).group === 'optimizer';
    if (spec.dtype !== 'float32' && !optimizerStep) {
      throw new Error(`${op}: weight '${spec.name}' in ${path} has dtype ${show(spec.dtype)}; expected 'float32'`);
    }
  });
  return specs as WeightSpec[];
}

// Config fields that size a layer: each a positive integer (or a list of them) no larger than MAX_CONFIG_SIZE.
const SIZE_FIELDS = ['units', 'filters', 'pieces', 'kernelSize', 'strides', 'poolSize', 'dilationRate', 'inputShape'];

function checkLayerSizes(layers: unknown, where: string, op: string): void {
  expectField(Array.isArray(layers), 'modelTopology.config.layers', layers, 'a list of layers', where, op);
  (layers as unknown[]).forEach((layer, i) => {
    const path = `modelTopology.config.layers[${i}]`;
    expectField(isObject(layer), path, layer, 'an object {class_name, config}', where, op);
    const { class_name: className, config } = layer as Record<string, unknown>;
    expectField(typeof className === 'string', `${path}.class_name`, className, 'a string', where, op);
    expectField(isObject(config), `${path}.config`, config, 'an object', where, op);
    const sizes = config as Record<string, unknown>;
    const sized = (field: string, allowed: (d: unknown) => boolean, expected: string) => {
      if (!Object.hasOwn(sizes, field) || sizes[field] === undefined || sizes[field] === null) return;
      const value = sizes[field];
      // an input of one number per sample has the empty inputShape []
      const empty = field === 'inputShape' ? 0 : 1;
      const ok = Array.isArray(value) ? value.length >= empty && value.every(allowed) : allowed(value);
      expectField(ok, `${path}.config.${field}`, value, `${expected} (or a list of them)`, where, op);
    };
    const size = (d: unknown) => Number.isInteger(d) && (d as number) >= 1 && (d as number) <= MAX_CONFIG_SIZE;
    const bound = `a positive integer up to ${MAX_CONFIG_SIZE}`;
    for (const field of SIZE_FIELDS) sized(field, size, bound);
    sized('targetShape', (d) => d === -1 || size(d), `${bound}, or -1`);
    sized('batchInputShape', (d) => d === null || size(d), `${bound}, or null (the batch axis)`);
  });
}

/**
 * Whether a model.json is TF.js Layers' (its topology says which Keras wrote it, or wraps a Keras
 * model_config as tensorflowjs_converter does) rather than webgrad's own layout; TF.js's files also
 * say format 'layers-model', so the format field cannot tell them apart.
 */
export function isTfjsLayout(json: unknown): boolean {
  if (!isObject(json)) return false;
  const topology = json.modelTopology;
  return isObject(topology) && ('keras_version' in topology || 'model_config' in topology);
}

/**
 * Checks model.json's structure field by field, so a malformed file is refused with the path of the
 * bad field rather than a TypeError later; the topology is checked as far as loading relies on it
 * (its layers' class names, configs and sizes), the manifest and optimizer state fully.
 */
export function checkModelJson(json: unknown, where: string, op: string): ModelJson {
  if (!isObject(json)) throw new Error(`${op}: ${where} is not a model.json object (it holds ${show(json)})`);
  const need = (ok: boolean, path: string, expected: string) =>
    expectField(
      ok,
      path,
      path.split('.').reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), json),
      expected,
      where,
      op,
    );
  need(typeof json.format === 'string', 'format', "a string ('layers-model')");
  // TF.js's layout: its manifest is checked here, its topology and training config once mapped to webgrad's
  const tfjs = isTfjsLayout(json);
  if (!tfjs) {
    const topology = json.modelTopology;
    need(isObject(topology), 'modelTopology', 'an object {class_name, config}');
    need(typeof (topology as Record<string, unknown>).class_name === 'string', 'modelTopology.class_name', 'a string');
    const config = (topology as Record<string, unknown>).config;
    need(isObject(config), 'modelTopology.config', 'an object');
    checkLayerSizes((config as Record<string, unknown>).layers, where, op);
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new Error(`${op}: ${where} names no weights file (weightsManifest[0].paths[0])`);
  }
  manifest.forEach((group: unknown, g) => {
    expectField(isObject(group), `weightsManifest[${g}]`, group, 'an object {paths, weights}', where, op);
    const { paths, weights } = group as Record<string, unknown>;
    const onePath = Array.isArray(paths) && paths.every((p) => typeof p === 'string');
    expectField(onePath, `weightsManifest[${g}].paths`, paths, 'a list of file names', where, op);
    checkSpecs(weights, `weightsManifest[${g}].weights`, where, op);
  });
  const files = manifest.flatMap((group: { paths: string[] }) => group.paths);
  if (files.length === 0) throw new Error(`${op}: ${where} names no weights file (weightsManifest[0].paths[0])`);
  if (json.trainingConfig !== undefined && !tfjs) {
    const training = json.trainingConfig;
    need(isObject(training), 'trainingConfig', 'an object {loss, metrics, optimizer_config}');
    const { loss, metrics, optimizer_config: optimizer } = training as Record<string, unknown>;
    // one loss and a list of metrics, or (a model with several outputs) one of each per output
    const names = (value: unknown) => Array.isArray(value) && value.every((m) => typeof m === 'string');
    need(
      typeof loss === 'string' || (names(loss) && (loss as string[]).length > 0),
      'trainingConfig.loss',
      'a loss name or a list of them',
    );
    need(
      names(metrics) || (Array.isArray(metrics) && metrics.every(names)),
      'trainingConfig.metrics',
      'a list of metric names (or a list per output)',
    );
    const weights = (training as Record<string, unknown>).loss_weights;
    const finite = Array.isArray(weights) && weights.every((w) => typeof w === 'number' && Number.isFinite(w));
    need(weights === undefined || finite, 'trainingConfig.loss_weights', 'a list of finite numbers');
    need(isObject(optimizer), 'trainingConfig.optimizer_config', 'an object {class_name, config}');
    const { class_name: kind, config: options } = optimizer as Record<string, unknown>;
    const known = (OPTIMIZER_KINDS as readonly unknown[]).includes(kind);
    need(known, 'trainingConfig.optimizer_config.class_name', `one of ${OPTIMIZER_KINDS.join(', ')}`);
    need(isObject(options), 'trainingConfig.optimizer_config.config', 'an object');
    for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
      const ok = typeof value === 'number' ? Number.isFinite(value) : typeof value === 'boolean' || value === null;
      need(ok, `trainingConfig.optimizer_config.config.${key}`, 'a finite number or a boolean');
    }
  }
  if (json.optimizerState !== undefined) {
    const state = json.optimizerState;
    need(isObject(state), 'optimizerState', 'an object {kind, iterations, weights}');
    const { kind, iterations, weights } = state as Record<string, unknown>;
    need(json.trainingConfig !== undefined, 'trainingConfig', 'a training config (optimizerState needs one)');
    const trained = (json.trainingConfig as { optimizer_config: { class_name: string } }).optimizer_config.class_name;
    need(kind === trained, 'optimizerState.kind', `'${trained}', the optimizer trainingConfig names`);
    need(
      Number.isSafeInteger(iterations) && (iterations as number) >= 0,
      'optimizerState.iterations',
      'a non-negative integer (the steps taken)',
    );
    checkSpecs(weights, 'optimizerState.weights', where, op);
  }
  const checksum = json.weightsChecksum;
  need(
    checksum === undefined || (typeof checksum === 'string' && /^[0-9a-f]{8}$/.test(checksum)),
    'weightsChecksum',
    '8 hex digits',
  );
  const epochs = json.epochsCompleted;
  need(
    epochs === undefined || (Number.isSafeInteger(epochs) && (epochs as number) >= 0),
    'epochsCompleted',
    'a non-negative integer',
  );
  return json as unknown as ModelJson;
}

/** The weights file's size model.json describes (weights then optimizer state), refused above the ceiling. */
export function expectedWeightBytes(json: ModelJson, where: string, op: string): number {
  const specs = [...json.weightsManifest.flatMap((g) => g.weights), ...(json.optimizerState?.weights ?? [])];
  const bytes = specs.reduce((n, w) => n + 4 * elementsOf(w.shape), 0);
  const { maxWeightBytes } = loadLimits();
  if (!Number.isSafeInteger(bytes) || bytes > maxWeightBytes) {
    throw new Error(
      `${op}: ${where} describes ${bytes} bytes of weights, above the ${maxWeightBytes}-byte ceiling; ` +
        'raise it with setLoadLimits({ maxWeightBytes }) if the model is meant to be this large',
    );
  }
  return bytes;
}

/** The values the manifest's weights hold: all a load's layers may allocate (limits.ts's budget). */
export const manifestElements = (json: ModelJson): number =>
  json.weightsManifest.flatMap((g) => g.weights).reduce((n, w) => n + elementsOf(w.shape), 0);

/** The error for a weights file whose size is not the one model.json describes. */
export function sizeMismatch(file: string, size: number, expected: number, op: string): Error {
  return new Error(
    `${op}: ${file} holds ${size} bytes but model.json describes ${expected}; ` +
      'the file is truncated or does not belong to this model',
  );
}

/**
 * The saved optimizer state against the optimizer it will fill: one state tensor per slot of each
 * trainable weight, shaped as that weight, so no slot is restored partly or with the wrong shape.
 */
export function checkOptimizerState(
  json: ModelJson,
  trainableShapes: readonly (readonly number[])[],
  where: string,
  op: string,
): void {
  const state = json.optimizerState;
  if (!state) return;
  const slots = OPTIMIZER_STATE_COUNT[state.kind as OptimizerKind];
  const expected = trainableShapes.flatMap((shape) => Array.from({ length: slots }, () => shape));
  const saved = state.weights.map((w) => w.shape);
  const same = saved.length === expected.length && saved.every((s, i) => s.join(',') === expected[i].join(','));
  if (!same) {
    const text = (shapes: readonly (readonly number[])[]) => shapes.map((s) => `[${s}]`).join(' ') || 'none';
    throw new Error(
      `${op}: the optimizer state in ${where} (${text(saved)}) does not fit a '${state.kind}' optimizer on this model, ` +
        `which keeps ${slots} slot(s) per trainable weight (${text(expected)})`,
    );
  }
}

/**
 * Checks loaded artifacts (a Sequential layers-model, its fields, sane shapes, the byte count model.json
 * describes, its checksum) and slices the weights file into each weight's values.
 */
export function checkArtifacts({ json, weights: bytes }: ModelArtifacts, where: string, op: string): CheckedArtifacts {
  const className = json?.modelTopology?.class_name;
  if (json?.format !== 'layers-model' || (className !== 'Sequential' && className !== 'Model')) {
    const found = `format '${json?.format}', class '${className}'`;
    throw new Error(`${op}: ${where} is not a Sequential or Model layers-model (${found})`);
  }
  checkModelJson(json, where, op);
  const file = weightsFilesOf(json, where, op).join(' + ');
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const stateSpecs = json.optimizerState?.weights ?? [];
  const expected = expectedWeightBytes(json, where, op);
  if (!(bytes instanceof Uint8Array)) throw new Error(`${op}: the store for ${where} gave no weights bytes`);
  if (bytes.byteLength !== expected) throw sizeMismatch(file, bytes.byteLength, expected, op);
  if (json.weightsChecksum !== undefined && fnv1a(bytes) !== json.weightsChecksum) {
    throw new Error(
      `${op}: ${file} is corrupted: its checksum is ${fnv1a(bytes)} but model.json recorded ${json.weightsChecksum}`,
    );
  }
  // a copy, so the floats are aligned whatever the bytes' offset
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  const take = (spec: WeightSpec): StoredWeight => {
    const n = elementsOf(spec.shape);
    const values = floats.subarray(at, at + n);
    at += n;
    return { spec, values };
  };
  const weights = specs.map(take);
  const optimizerState = stateSpecs.map(take);
  return { json, weights, optimizerState };
}

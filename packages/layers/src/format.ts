// The saved-model format, the bottom of persistence: model.json (the topology, the training config and
// a weights manifest, laid out as TF.js Layers' model.json is) and one weights file (float32,
// little-endian, in manifest order, then the optimizer state when included), carried together as
// ModelArtifacts by a ModelStore. Loaded artifacts are checked here before any model is touched: the
// manifest's shapes must be sane, the byte count must match, and the FNV-1a checksum saved beside
// them must match, so a flipped byte is refused rather than loaded as wrong weights.

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

/** The one weights file model.json names (weightsManifest[0].paths[0]). */
export function weightsFileOf(json: ModelJson, where: string, op: string): string {
  const file = json?.weightsManifest?.[0]?.paths?.[0];
  if (typeof file !== 'string') throw new Error(`${op}: ${where} names no weights file (weightsManifest[0].paths[0])`);
  return file;
}

/** model.json naming `file` as its (first) weights file, as each store writes it. */
export function withWeightsFile(json: ModelJson, file: string): ModelJson {
  const weightsManifest = json.weightsManifest.map((group, i) => (i === 0 ? { ...group, paths: [file] } : group));
  return { ...json, weightsManifest };
}

function checkSpecs(specs: unknown, where: string, op: string): WeightSpec[] {
  if (!Array.isArray(specs)) throw new Error(`${op}: ${where} is not a list of weights; model.json is malformed`);
  for (const s of specs as WeightSpec[]) {
    if (!s || !Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      const shape = JSON.stringify(s?.shape);
      throw new Error(
        `${op}: weight '${s?.name}' in ${where} has shape ${shape}; expected a list of non-negative integers`,
      );
    }
    if (s.dtype !== 'float32') {
      throw new Error(`${op}: weight '${s.name}' in ${where} has dtype '${s.dtype}'; expected 'float32'`);
    }
  }
  return specs as WeightSpec[];
}

/**
 * Checks loaded artifacts (a Sequential or graph layers-model, sane shapes, the byte count model.json
 * describes, its checksum) and slices the weights file into each weight's values.
 */
export function checkArtifacts({ json, weights: bytes }: ModelArtifacts, where: string, op: string): CheckedArtifacts {
  const className = json?.modelTopology?.class_name;
  if (json?.format !== 'layers-model' || (className !== 'Sequential' && className !== 'Model')) {
    const found = `format '${json?.format}', class '${className}'`;
    throw new Error(`${op}: ${where} is not a Sequential or Model layers-model (${found})`);
  }
  const file = weightsFileOf(json, where, op);
  const specs = checkSpecs(
    json.weightsManifest.flatMap((g) => g.weights),
    'weightsManifest',
    op,
  );
  const stateSpecs = checkSpecs(json.optimizerState?.weights ?? [], 'optimizerState', op);
  const expected = [...specs, ...stateSpecs].reduce((n, w) => n + 4 * elementsOf(w.shape), 0);
  if (bytes.byteLength !== expected) {
    throw new Error(
      `${op}: ${file} holds ${bytes.byteLength} bytes but model.json describes ${expected}; ` +
        'the file is truncated or does not belong to this model',
    );
  }
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

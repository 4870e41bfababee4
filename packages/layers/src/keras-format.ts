// Keras 3 `.keras` files as webgrad's artifacts, both ways: a model's artifacts (model.json's object and
// weights) become the bytes of a .keras zip Keras 3's load_model reads (config.json, metadata.json,
// model.weights.h5), and a .keras file's bytes become artifacts the loader checks and builds like any
// other. The configs go through TF.js's Keras-2 form (tfjs-format.ts, keras-config.ts); the bytes through
// keras-file.ts. Every dataset a layer needs is checked for kind, dtype and size before a value is read.
import type { ModelArtifacts, ModelJson, ModelStore, WeightSpec } from './format.js';
import { KERAS_VERSION, kerasModel, kerasSlots, legacyTopology, type KerasWeightSlot } from './keras-config.js';
import { readKerasBytes, writeKerasBytes, type H5Dataset } from './keras-file.js';
import { loadLimits } from './limits.js';
import { nodeFs, readRegular } from './storage.js';
import { fromTfjsArtifacts, toTfjsArtifacts } from './tfjs-format.js';

export interface ToKerasOptions {
  /** Refuse a model holding layers Keras 3 lacks (they are otherwise written under a registered 'webgrad>' name). */
  strict?: boolean;
}

const elementsOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/** Each weight's values, a view into the weights bytes (float32, in manifest order). */
function weightValues(json: ModelJson, bytes: Uint8Array): { spec: WeightSpec; values: Float32Array }[] {
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  return json.weightsManifest
    .flatMap((g) => g.weights)
    .map((spec) => {
      const n = elementsOf(spec.shape);
      const values = floats.subarray(at, at + n);
      at += n;
      return { spec, values };
    });
}

/** A model's artifacts as a Keras 3 .keras file's bytes; layers Keras lacks are named, or refused with `strict`. */
export async function toKerasBytes(artifacts: ModelArtifacts, options: ToKerasOptions = {}): Promise<Uint8Array> {
  const tfjs = toTfjsArtifacts(artifacts.json);
  const topology = tfjs.modelTopology;
  const groups: { path: string; name?: string }[] = [{ path: 'layers' }];
  const slots: KerasWeightSlot[] = [];
  const lacking: string[] = [];
  const top = topology.class_name === 'Sequential' ? 'Sequential' : 'Functional';
  const config = kerasModel(top, topology.config, '', groups, slots, lacking);
  if (lacking.length && options.strict) {
    throw new Error(
      `saveModel: Keras 3 has no layer class for ${lacking.join(', ')}; save without strict to write them under ` +
        "registered 'webgrad>' names (only webgrad reads those back)",
    );
  }
  const weights = weightValues(artifacts.json, artifacts.weights);
  const used = new Set<number>();
  const datasets: H5Dataset[] = [];
  for (const slot of slots) {
    const own = weights.map((w, i) => ({ ...w, i })).filter(({ spec }) => spec.name.startsWith(`${slot.layer}/`));
    own.forEach(({ spec, values, i }, k) => {
      used.add(i);
      datasets.push({ path: `${slot.vars}/${k}`, shape: spec.shape, values });
    });
  }
  const orphans = weights.filter((_, i) => !used.has(i)).map((w) => w.spec.name);
  if (orphans.length) {
    throw new Error(`saveModel: weights ${orphans.join(', ')} belong to no layer Keras would load them into`);
  }
  if (topology.class_name === 'Sequential') {
    config.build_config = { input_shape: (config.config as { build_input_shape?: unknown }).build_input_shape ?? null };
  }
  const metadata = { keras_version: KERAS_VERSION, date_saved: kerasDate(), generated_by: artifacts.json.generatedBy };
  return writeKerasBytes(config, metadata, groups, datasets);
}

/** Keras's date_saved: 2026-12-07@19:27:37 (UTC here). */
const kerasDate = () => new Date().toISOString().slice(0, 19).replace('T', '@');

/**
 * A .keras file's bytes as artifacts: config.json mapped to webgrad's topology, each layer's variables
 * (layers/<key>/vars/<i>, in Keras's order) checked to be float32 datasets within the weight ceiling,
 * then read and packed in the order webgrad's layers hold them.
 */
export async function fromKerasBytes(bytes: Uint8Array, where: string, op: string): Promise<ModelArtifacts> {
  const contents = await readKerasBytes(bytes, where, op);
  try {
    const topology = legacyTopology(contents.config, where, op);
    const wanted: { path: string; spec: WeightSpec }[] = [];
    for (const { vars, top, layer } of kerasSlots(topology)) {
      for (let i = 0; contents.datasets.has(`${vars}/${i}`); i++) {
        const path = `${vars}/${i}`;
        const entry = contents.datasets.get(path)!;
        if (!entry.float32) {
          throw new Error(
            `${op}: ${where}: model.weights.h5 entry '${path}' (layer '${layer}') has dtype '${entry.dtype}'; expected float32 ('<f4')`,
          );
        }
        const name = top === layer ? `${layer}/${i}` : `${top}/${layer}/${i}`;
        wanted.push({ path, spec: { name, shape: entry.shape, dtype: 'float32' } });
      }
    }
    const total = wanted.reduce((n, w) => n + 4 * elementsOf(w.spec.shape), 0);
    const { maxWeightBytes } = loadLimits();
    if (!Number.isSafeInteger(total) || total > maxWeightBytes) {
      throw new Error(
        `${op}: ${where} holds ${total} bytes of weights, above the ${maxWeightBytes}-byte ceiling; ` +
          'raise it with setLoadLimits({ maxWeightBytes }) if the model is meant to be this large',
      );
    }
    const values = contents.read(wanted.map((w) => w.path));
    const packed = new Uint8Array(total);
    let at = 0;
    for (const v of values) {
      packed.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
      at += v.byteLength;
    }
    const json = {
      format: 'layers-model',
      generatedBy: `keras ${String((contents.metadata as { keras_version?: unknown })?.keras_version ?? '3')}`,
      modelTopology: { ...topology, keras_version: KERAS_VERSION, backend: 'keras' },
      weightsManifest: [{ paths: ['model.weights.h5'], weights: wanted.map((w) => w.spec) }],
    };
    return fromTfjsArtifacts({ json, weights: packed }, where, op);
  } finally {
    contents.close();
  }
}

/** The path a .keras target names: a plain path, or what follows file:// (as TF.js reads file:// URLs). */
function kerasPath(target: string, op: string): string {
  if (!/^file:\/\//i.test(target)) return target;
  try {
    return decodeURIComponent(target.slice('file://'.length));
  } catch {
    throw new Error(`${op}: '${target}' holds a malformed %-escape`);
  }
}

/** Writes a .keras file atomically (a temporary name, then one rename). */
export async function writeKerasFile(target: string, bytes: Uint8Array, op: string): Promise<void> {
  const { fs, path } = await nodeFs(op);
  const file = kerasPath(target, op);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.tmp-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  await fs.writeFile(temporary, bytes);
  await fs.rename(temporary, file);
}

/**
 * Reads a .keras file (Node): a regular file no larger than the weight ceiling plus twice the JSON
 * ceiling (its two JSON members), checked before a byte is read, then opened as a .keras zip.
 */
export async function readKerasFile(target: string, op: string): Promise<ModelArtifacts> {
  const node = await nodeFs(op);
  const file = kerasPath(target, op);
  const { maxWeightBytes, maxJsonBytes } = loadLimits();
  let bytes: Uint8Array;
  try {
    bytes = await readRegular(node, await node.fs.realpath(file), { atMost: maxWeightBytes + 2 * maxJsonBytes }, op);
  } catch (cause) {
    const message = (cause as Error).message;
    if (message.startsWith(`${op}: `)) {
      throw new Error(message.replace('for model.json', 'for a .keras file'), { cause });
    }
    throw new Error(`${op}: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? message}`, { cause });
  }
  return fromKerasBytes(bytes, file, op);
}

/** A store that loads a .keras file's bytes (a File's arrayBuffer in a browser, say); `url` names it in errors. */
export function kerasBytes(bytes: Uint8Array, url = 'memory.keras'): ModelStore {
  return { url, load: (op) => fromKerasBytes(bytes, url, op) };
}

// Keras 3 `.keras` files as webgrad's artifacts, both ways: a model's artifacts (model.json's object and
// weights) become the bytes of a .keras zip Keras 3's load_model reads (config.json, metadata.json,
// model.weights.h5), and a .keras file's bytes become artifacts the loader checks and builds like any
// other. The configs go through TF.js's Keras-2 form (tfjs-format.ts, keras-config.ts, keras-legacy.ts); the bytes through
// keras-file.ts. Every dataset a layer needs is checked for kind, dtype and size before a value is read.
import type { ModelArtifacts, ModelJson, ModelStore, WeightSpec } from './format.js';
import { KERAS_CLASSES, KERAS_VERSION, kerasModel, type KerasWeightSlot, type TensorOf } from './keras-config.js';
import { kerasSlots, legacyTopology, type KerasSlot } from './keras-legacy.js';
import { readKerasBytes, writeKerasBytes, type H5Dataset, type KerasContents } from './keras-file.js';
import {
  kerasCompileConfig,
  kerasOptimizerOrder,
  kerasOptimizerVarCount,
  tfjsOptimizerSpecs,
  trainingFromKeras,
} from './keras-training.js';
import { CUSTOM_PREFIX, isDict } from './tfjs-names.js';
import { toTfjsTraining, type TfjsWeightSpec } from './tfjs-training.js';
import { loadLimits } from './limits.js';
import { nodeFs, readRegular } from './storage.js';
import { fromTfjsArtifacts, toTfjsArtifacts } from './tfjs-format.js';

export interface ToKerasOptions {
  /** Refuse a model holding layers Keras 3 lacks (they are otherwise written under a registered 'webgrad>' name). */
  strict?: boolean;
  /** The names of the model's trainable weights, which its optimizer state (artifacts saved with includeOptimizer) follows. */
  trainableNames?: readonly string[];
  /**
   * The shape and dtype of each tensor a graph's layers take (saveModel gives them from the model), so
   * inbound nodes are written in Keras 3's {args, kwargs} form; without them, in Keras 2's list form.
   */
  tensorOf?: TensorOf;
}

/** The weights a slot holds, in its order: each pick's weights named `${prefix}/…`, or the first of them. */
function picked<W extends { name: string }>(slot: KerasWeightSlot, weights: readonly W[]): W[] {
  return slot.picks.flatMap(({ prefix, first }) => {
    const own = weights.filter((w) => w.name.startsWith(`${prefix}/`));
    return first ? own.slice(0, 1) : own;
  });
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
  const tfjs = toTfjsArtifacts(artifacts.json, { reader: 'keras' });
  const topology = tfjs.modelTopology;
  const groups: { path: string; name?: string }[] = [{ path: 'layers' }];
  const slots: KerasWeightSlot[] = [];
  const lacking: string[] = [];
  const top = topology.class_name === 'Sequential' ? 'Sequential' : 'Functional';
  const config = kerasModel(top, topology.config, '', groups, slots, lacking, options.tensorOf);
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
    const own = picked(
      slot,
      weights.map((w, i) => ({ ...w, i, name: w.spec.name })),
    );
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
  if (artifacts.json.optimizerState) {
    optimizerDatasets(artifacts, options.trainableNames ?? [], slots, config, groups, datasets);
  }
  const metadata = { keras_version: KERAS_VERSION, date_saved: kerasDate(), generated_by: artifacts.json.generatedBy };
  return writeKerasBytes(config, metadata, groups, datasets);
}

/**
 * Keras's optimizer/vars as TF.js's optimizer weights (iter, every m, every v), for the trainable layer
 * variables in Keras's order; checked for count, kind, dtype and shape before anything is read.
 */
function optimizerVariables(
  contents: KerasContents,
  slots: readonly KerasSlot[],
  wanted: readonly { path: string; spec: WeightSpec }[],
  training: Record<string, unknown>,
  where: string,
  op: string,
): { specs: TfjsWeightSpec[]; read: () => (Float32Array | Int32Array)[] } | undefined {
  if (!contents.datasets.has('optimizer/vars/0')) return undefined;
  const className = (training.optimizer_config as { class_name: string }).class_name;
  const trainable = slots.flatMap((slot) =>
    wanted.filter((w) => w.path.startsWith(`${slot.vars}/`)).slice(0, slot.trainableVars),
  );
  const present = [...contents.datasets.keys()].filter((k) => /^optimizer\/vars\/\d+$/.test(k)).length;
  const expected = kerasOptimizerVarCount(className, trainable.length);
  if (present !== expected) {
    throw new Error(
      `${op}: ${where}: model.weights.h5 holds ${present} optimizer variables; ${className} on this model's ` +
        `${trainable.length} trainable variables keeps ${expected}`,
    );
  }
  const step = contents.datasets.get('optimizer/vars/0')!;
  if (!step.integer || step.shape.length !== 0) {
    throw new Error(
      `${op}: ${where}: model.weights.h5 entry 'optimizer/vars/0' (the step count) is '${step.dtype}' ` +
        `of shape [${step.shape}]; expected an integer scalar`,
    );
  }
  const specs = tfjsOptimizerSpecs(
    className,
    trainable.map((w) => w.spec),
  );
  const order = kerasOptimizerOrder(
    className,
    trainable.map((w) => w.spec.name),
  );
  const pathOf = new Map(order.map(({ name, index }) => [name, `optimizer/vars/${index}`]));
  for (const spec of specs.slice(1)) {
    const path = pathOf.get(spec.name)!;
    const entry = contents.datasets.get(path);
    if (!entry?.float32 || entry.shape.join(',') !== spec.shape.join(',')) {
      throw new Error(
        `${op}: ${where}: model.weights.h5 entry '${path}' (optimizer slot ${spec.name}) is ` +
          `${entry ? `'${entry.dtype}' of shape [${entry.shape}]` : 'missing'}; expected float32 of shape [${spec.shape}]`,
      );
    }
  }
  const read = () => [
    Int32Array.of(contents.readScalar('optimizer/vars/0')),
    ...contents.read(specs.slice(1).map((s) => pathOf.get(s.name)!)),
  ];
  return { specs, read };
}

/**
 * The compile_config and optimizer/vars of a model saved with its optimizer: TF.js's form of them
 * (toTfjsTraining, which refuses optimizers both cannot resume alike), laid out as Keras keeps them.
 */
function optimizerDatasets(
  artifacts: ModelArtifacts,
  trainableNames: readonly string[],
  slots: readonly KerasWeightSlot[],
  config: Record<string, unknown>,
  groups: { path: string; name?: string }[],
  datasets: H5Dataset[],
): void {
  const training = toTfjsTraining(artifacts.json, artifacts.weights, trainableNames, { format: 'keras' });
  config.compile_config = kerasCompileConfig(training.trainingConfig);
  const optimizer = training.trainingConfig.optimizer_config as {
    class_name: string;
    config: { learningRate: number };
  };
  const values = new Map<string, Float32Array | Int32Array>();
  let at = 0;
  for (const spec of training.specs) {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    const bytes = training.bytes.slice(at, at + 4 * n);
    values.set(spec.name, spec.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer));
    at += 4 * n;
  }
  const specs = artifacts.json.weightsManifest.flatMap((g) => g.weights);
  const trainable = new Set(trainableNames);
  // a weight two slots hold (SpectralNormalization's kernel) is one variable to the optimizer
  const inKerasOrder = [
    ...new Set(
      slots.flatMap((slot) =>
        picked(slot, specs)
          .filter((w) => trainable.has(w.name))
          .map((w) => w.name),
      ),
    ),
  ];
  groups.push({ path: 'optimizer' }, { path: 'optimizer/vars', name: optimizer.class_name.toLowerCase() });
  datasets.push({ path: 'optimizer/vars/1', shape: [], values: Float32Array.of(optimizer.config.learningRate) });
  for (const { name, index } of kerasOptimizerOrder(optimizer.class_name, inKerasOrder)) {
    const value = values.get(name)!;
    const shape = name === 'iter' ? [] : training.specs.find((s) => s.name === name)!.shape;
    datasets.push({ path: `optimizer/vars/${index}`, shape, values: value });
  }
}

/** Layer classes webgrad cannot read, refused by name before any weight is looked at. */
function refuseUnknownClasses(topology: { config: Record<string, unknown> }, where: string, op: string): void {
  const unknown = new Set<string>();
  const visit = (config: Record<string, unknown>) => {
    for (const layer of (config.layers as { class_name: string; config: Record<string, unknown> }[]) ?? []) {
      if (layer.class_name === 'Sequential' || layer.class_name === 'Model') visit(layer.config);
      else if (
        layer.class_name !== 'InputLayer' &&
        !KERAS_CLASSES.has(layer.class_name) &&
        // webgrad's registered classes are webgrad's own (the registry names any it lacks)
        !layer.class_name.startsWith(CUSTOM_PREFIX)
      ) {
        unknown.add(layer.class_name);
      }
    }
  };
  visit(topology.config);
  if (unknown.size) {
    throw new Error(
      `${op}: ${where} holds layer class(es) webgrad lacks: ${[...unknown].join(', ')}; ` +
        'webgrad reads Keras models built of the layers it has',
    );
  }
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
    refuseUnknownClasses(topology, where, op);
    const wanted: { path: string; spec: WeightSpec }[] = [];
    for (const { vars, top, layer, indices, required } of kerasSlots(topology)) {
      if (required && !contents.datasets.has(`${vars}/0`)) {
        throw new Error(
          `${op}: ${where}: model.weights.h5 lacks entry '${vars}/0' (the variables of the layer '${top}' wraps)`,
        );
      }
      const present = (i: number) => (indices ? i < indices.length : contents.datasets.has(`${vars}/${i}`));
      for (let i = 0; present(i); i++) {
        const path = `${vars}/${indices ? indices[i] : i}`;
        const entry = contents.datasets.get(path);
        if (!entry) {
          throw new Error(`${op}: ${where}: model.weights.h5 lacks entry '${path}' (layer '${top}')`);
        }
        if (!entry.float32) {
          throw new Error(
            `${op}: ${where}: model.weights.h5 entry '${path}' (layer '${layer}') has dtype '${entry.dtype}'; expected float32 ('<f4')`,
          );
        }
        const name = top === layer ? `${layer}/${i}` : `${top}/${layer}/${i}`;
        wanted.push({ path, spec: { name, shape: entry.shape, dtype: 'float32' } });
      }
    }
    const slots = kerasSlots(topology);
    const training = trainingFromKeras(isDict(contents.config) ? contents.config.compile_config : undefined);
    const optimizer = training ? optimizerVariables(contents, slots, wanted, training, where, op) : undefined;
    const total = [...wanted.map((w) => w.spec), ...(optimizer?.specs ?? [])].reduce(
      (n, s) => n + 4 * elementsOf(s.shape),
      0,
    );
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
    for (const v of [...values, ...(optimizer?.read() ?? [])]) {
      packed.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
      at += v.byteLength;
    }
    const json = {
      format: 'layers-model',
      generatedBy: `keras ${String((contents.metadata as { keras_version?: unknown })?.keras_version ?? '3')}`,
      modelTopology: { ...topology, keras_version: KERAS_VERSION, backend: 'keras' },
      weightsManifest: [
        { paths: ['model.weights.h5'], weights: [...wanted.map((w) => w.spec), ...(optimizer?.specs ?? [])] },
      ],
      ...(training && { trainingConfig: training }),
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

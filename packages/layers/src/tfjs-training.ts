// The training side of TF.js Layers' files, both ways: the trainingConfig tfjs-layers writes with
// includeOptimizer (snake_case loss and metric names, optimizer_config {class_name: 'Adam', config:
// {learningRate, beta1, beta2, epsilon}}) and the optimizer's weights after the model's in the weights
// manifest, in group 'optimizer' as tf.io.encodeWeights tags them: `iter` (int32, the steps taken),
// then every first moment `<weight>/m`, then every second moment `<weight>/v` (AdamOptimizer.getWeights's
// order; SGD keeps only `iter`). webgrad keeps Adam's moments per weight ([m, v] for each), so the bytes
// are reordered between the two layouts; training resumes where it stopped in either library.
import type { ModelJson, WeightSpec } from './format.js';
import { toCamelCase, toSnakeCase } from './tfjs-names.js';

type Dict = Record<string, unknown>;

/** A weight spec as tf.io writes it: optimizer weights carry group 'optimizer', the step count is int32. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  group?: string;
}

/** The optimizers whose state TF.js and webgrad both keep, by webgrad kind: TF.js class, slots, option keys. */
const SHARED: Record<string, { className: string; slots: string[]; keys: string[] }> = {
  adam: { className: 'Adam', slots: ['m', 'v'], keys: ['learningRate', 'beta1', 'beta2', 'epsilon'] },
  sgd: { className: 'SGD', slots: [], keys: ['learningRate'] },
};

const elementsOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/** webgrad options TF.js's optimizers lack: refused when set, so no resumed run differs silently. */
function refuseOptions(kind: string, config: Dict, reader: string): void {
  const off: Dict = { weightDecay: 0, clipValue: 0, clipNorm: undefined, globalClipNorm: undefined };
  for (const [key, value] of Object.entries(off)) {
    if (config[key] !== undefined && config[key] !== value) {
      throw new Error(
        `saveModel: ${reader}'s ${SHARED[kind].className} optimizer is saved without ${key} ` +
          `(the optimizer sets ${key}: ${String(config[key])}); ` +
          "save with includeOptimizer in webgrad's format to resume training exactly",
      );
    }
  }
}

/**
 * webgrad's training config and optimizer state (json.optimizerState, its tensors after the model's
 * weights in `bytes`, one entry per name of `trainableNames`) as TF.js writes them: the trainingConfig,
 * the optimizer's weight specs and bytes.
 */
export function toTfjsTraining(
  json: ModelJson,
  bytes: Uint8Array,
  trainableNames: readonly string[],
  format: 'tfjs' | 'keras' = 'tfjs',
): { trainingConfig: Dict; specs: TfjsWeightSpec[]; bytes: Uint8Array } {
  const training = json.trainingConfig;
  const state = json.optimizerState;
  if (!training || !state) {
    throw new Error('saveModel: includeOptimizer needs a compiled model (compile it before saving its optimizer)');
  }
  const kind = training.optimizer_config.class_name;
  const shared = Object.hasOwn(SHARED, kind) ? SHARED[kind] : undefined;
  if (!shared) {
    throw new Error(
      `saveModel: format '${format}' carries the state of ${Object.keys(SHARED).join(' and ')} optimizers, which ` +
        `${format === 'tfjs' ? 'TF.js' : 'Keras'} and webgrad ` +
        `keep alike; this model's is '${kind}' (save with includeOptimizer in webgrad's format to resume it exactly)`,
    );
  }
  const options = training.optimizer_config.config;
  refuseOptions(kind, options, format === 'tfjs' ? 'TF.js' : 'Keras');
  const snake = (names: unknown): unknown =>
    Array.isArray(names) ? names.map(snake) : typeof names === 'string' ? toSnakeCase(names) : names;
  const trainingConfig: Dict = {
    loss: snake(training.loss),
    metrics: snake(training.metrics),
    optimizer_config: {
      class_name: shared.className,
      config: Object.fromEntries(shared.keys.map((key) => [key, options[key]])),
    },
  };
  // webgrad's state per weight: [slot 0, slot 1] for each trainable weight, after the model's weights
  const modelBytes = 4 * json.weightsManifest.flatMap((g) => g.weights).reduce((n, w) => n + elementsOf(w.shape), 0);
  const floats = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + modelBytes, bytes.byteOffset + bytes.byteLength),
  );
  const perWeight: Float32Array[][] = [];
  let at = 0;
  const weightCount = state.weights.length / Math.max(1, shared.slots.length);
  for (let w = 0; w < weightCount && shared.slots.length; w++) {
    perWeight.push(
      shared.slots.map((_, k) => {
        const n = elementsOf(state.weights[w * shared.slots.length + k].shape);
        const values = floats.subarray(at, at + n);
        at += n;
        return values;
      }),
    );
  }
  const specs: TfjsWeightSpec[] = [{ name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' }];
  const parts: Uint8Array[] = [new Uint8Array(Int32Array.of(state.iterations).buffer)];
  shared.slots.forEach((slot, k) =>
    perWeight.forEach((slots, w) => {
      specs.push({
        name: `${trainableNames[w]}/${slot}`,
        shape: state.weights[w * shared.slots.length + k].shape,
        dtype: 'float32',
        group: 'optimizer',
      });
      parts.push(new Uint8Array(slots[k].buffer, slots[k].byteOffset, slots[k].byteLength));
    }),
  );
  return { trainingConfig, specs, bytes: concat(parts) };
}

/** TF.js's metric names: a list, or an object per output name (empty when the model had none). */
function metricsOf(metrics: unknown, where: string, op: string): string[] {
  if (metrics === undefined || metrics === null) return [];
  if (Array.isArray(metrics)) return metrics.map((m) => toCamelCase(String(m)));
  if (typeof metrics === 'object' && Object.keys(metrics).length === 0) return [];
  throw new Error(
    `${op}: ${where}: trainingConfig.metrics is ${JSON.stringify(metrics).slice(0, 100)}; webgrad reads a list of metric names`,
  );
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * A TF.js trainingConfig and optimizer weights as webgrad's: the training config, and (when the file
 * holds optimizer weights) the optimizer state, its tensors in webgrad's per-weight order, for the model
 * weights `modelSpecs` names (in webgrad's order) whose `<name>/m` the file holds.
 */
export function fromTfjsTraining(
  trainingConfig: unknown,
  optimizerSpecs: readonly TfjsWeightSpec[],
  optimizerBytes: Uint8Array,
  modelSpecs: readonly WeightSpec[],
  where: string,
  op: string,
): { trainingConfig?: ModelJson['trainingConfig']; optimizerState?: ModelJson['optimizerState']; bytes: Uint8Array } {
  if (trainingConfig === undefined || trainingConfig === null) {
    if (optimizerSpecs.length) throw new Error(`${op}: ${where} holds optimizer weights but no trainingConfig`);
    return { bytes: new Uint8Array(0) };
  }
  const t = trainingConfig as Dict;
  const optimizer = (t.optimizer_config ?? {}) as Dict;
  const kind = Object.keys(SHARED).find((k) => SHARED[k].className === optimizer.class_name);
  if (!kind) {
    throw new Error(
      `${op}: ${where} trains with TF.js optimizer ${JSON.stringify(optimizer.class_name)}; webgrad reads ` +
        `${Object.values(SHARED)
          .map((s) => s.className)
          .join(' and ')}`,
    );
  }
  const camel = (names: unknown): unknown =>
    Array.isArray(names) ? names.map(camel) : typeof names === 'string' ? toCamelCase(names) : names;
  const rawConfig = (optimizer.config ?? {}) as Dict;
  const config = Object.fromEntries(Object.entries(rawConfig).map(([k, v]) => [toCamelCase(k), v]));
  const out = {
    trainingConfig: {
      loss: camel(t.loss) as string | string[],
      metrics: metricsOf(t.metrics, where, op),
      optimizer_config: { class_name: kind, config: Object.fromEntries(SHARED[kind].keys.map((k) => [k, config[k]])) },
    },
  };
  if (!optimizerSpecs.length) return { ...out, bytes: new Uint8Array(0) };
  // each optimizer weight's bytes, by name
  const byName = new Map<string, Uint8Array>();
  let at = 0;
  for (const spec of optimizerSpecs) {
    const n = 4 * elementsOf(spec.shape);
    byName.set(spec.name, optimizerBytes.subarray(at, at + n));
    at += n;
  }
  const iter = byName.get('iter');
  const iterSpec = optimizerSpecs.find((s) => s.name === 'iter');
  if (!iter || iter.byteLength !== 4 || iterSpec?.dtype !== 'int32') {
    throw new Error(`${op}: ${where}: the optimizer weights lack 'iter', an int32 scalar (the steps taken)`);
  }
  const iterations = new DataView(iter.buffer, iter.byteOffset, 4).getInt32(0, true);
  const slots = SHARED[kind].slots;
  const trainable = slots.length ? modelSpecs.filter((s) => byName.has(`${s.name}/${slots[0]}`)) : [];
  const weights: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const spec of trainable) {
    for (const slot of slots) {
      const name = `${spec.name}/${slot}`;
      const bytes = byName.get(name);
      const shape = optimizerSpecs.find((s) => s.name === name)?.shape ?? [];
      if (!bytes || shape.join(',') !== spec.shape.join(',')) {
        throw new Error(
          `${op}: ${where}: optimizer weight '${name}' is missing or shaped [${shape}], not [${spec.shape}] as weight '${spec.name}'`,
        );
      }
      weights.push({ name, shape: [...spec.shape], dtype: 'float32' });
      parts.push(bytes);
    }
  }
  if (Number.isNaN(iterations) || iterations < 0) throw new Error(`${op}: ${where}: 'iter' is ${iterations}`);
  return { ...out, optimizerState: { kind, iterations, weights }, bytes: concat(parts) };
}

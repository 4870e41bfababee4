// The training side of TF.js Layers' files, both ways: the trainingConfig tfjs-layers writes with
// includeOptimizer (snake_case loss and metric names, optimizer_config {class_name: 'Adam', config:
// {learningRate, beta1, beta2, epsilon}}) and the optimizer's weights after the model's in the weights
// manifest, in group 'optimizer' as tf.io.encodeWeights tags them: `iter` (int32, the steps taken),
// then every first moment `<weight>/m`, then every second moment `<weight>/v` (AdamOptimizer.getWeights's
// order; SGD keeps only `iter`). webgrad keeps Adam's moments per weight ([m, v] for each), so the bytes
// are reordered between the two layouts; training resumes where it stopped in either library.
import { OPTIMIZER_KINDS, OPTIMIZER_STATE_COUNT, type OptimizerKind } from '@webgrad/core';
import type { ModelJson, WeightSpec } from './format.js';
import { CUSTOM_PREFIX, toCamelCase, toSnakeCase } from './tfjs-names.js';
import { TFJS_OPTIMIZERS, WEBGRAD_ONLY_OPTIONS, webgradOptimizer, type TfjsOptimizer } from './tfjs-optimizers.js';

type Dict = Record<string, unknown>;

/** A weight spec as tf.io writes it: optimizer weights carry group 'optimizer', the step count is int32. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  group?: string;
}

// the losses and metrics TF.js 4.22's compile takes by name (its lossesMap, metricsMap and the
// accuracy / crossentropy shorthands)
const TFJS_LOSSES = new Set([
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'squaredHinge',
  'hinge',
  'categoricalHinge',
  'logcosh',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'kullbackLeiblerDivergence',
  'poisson',
  'cosineProximity',
]);
const TFJS_METRICS = new Set([
  'accuracy',
  'acc',
  'crossentropy',
  'ce',
  'binaryAccuracy',
  'categoricalAccuracy',
  'precision',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'mse',
  'MSE',
  'mae',
  'MAE',
  'mape',
  'MAPE',
  'cosine',
]);

// the optimizers Keras 3's .keras files carry (keras-training.ts), by webgrad kind
const KERAS_KINDS = ['adam', 'sgd'];

const elementsOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

const namesOf = (value: unknown): string[] => (Array.isArray(value) ? value.flatMap(namesOf) : [String(value)]);

/** What a TF.js reader could not take of the training config, each named. */
function trainingLacks(
  training: NonNullable<ModelJson['trainingConfig']>,
  options: Dict,
  tfjs?: TfjsOptimizer,
): string[] {
  const kind = training.optimizer_config.class_name;
  const out: string[] = [];
  if (!tfjs) out.push(`optimizer '${kind}' (TF.js has no such optimizer)`);
  for (const [key, off] of Object.entries(WEBGRAD_ONLY_OPTIONS)) {
    if (options[key] !== undefined && options[key] !== off) {
      out.push(`optimizer option ${key}: ${String(options[key])}`);
    }
  }
  const lack = tfjs?.lacks?.(options);
  if (lack) out.push(`optimizer option ${lack}`);
  for (const loss of namesOf(training.loss)) if (!TFJS_LOSSES.has(loss)) out.push(`loss '${loss}'`);
  for (const metric of namesOf(training.metrics)) if (!TFJS_METRICS.has(metric)) out.push(`metric '${metric}'`);
  if (training.loss_weights) out.push('loss_weights (TF.js 4.22 does not load them)');
  return out;
}

export interface ToTfjsTrainingOptions {
  format?: 'tfjs' | 'keras';
  /** Write the optimizer's state (TF.js's optimizer weights) too. */
  includeOptimizer?: boolean;
  /** Refuse what a TF.js reader could not take, naming it, rather than writing it under webgrad's names. */
  strict?: boolean;
}

/**
 * webgrad's training config and, with includeOptimizer, its optimizer state (json.optimizerState, its
 * tensors after the model's weights in `bytes`, one entry per name of `trainableNames`) as TF.js writes
 * them: the trainingConfig, the optimizer's weight specs and bytes. An optimizer TF.js lacks, or one
 * with options TF.js lacks, is written under its registered 'webgrad>' name with webgrad's own config
 * and state (webgrad's slots, named `<weight>/state<k>`), or refused by name when `strict`.
 */
export function toTfjsTraining(
  json: ModelJson,
  bytes: Uint8Array,
  trainableNames: readonly string[],
  { format = 'tfjs', includeOptimizer = true, strict = false }: ToTfjsTrainingOptions = {},
): { trainingConfig: Dict; specs: TfjsWeightSpec[]; bytes: Uint8Array } {
  const training = json.trainingConfig;
  const state = json.optimizerState;
  if (!training || (includeOptimizer && !state)) {
    throw new Error('saveModel: includeOptimizer needs a compiled model (compile it before saving its optimizer)');
  }
  const kind = training.optimizer_config.class_name as OptimizerKind;
  const options = training.optimizer_config.config;
  const tfjs = Object.hasOwn(TFJS_OPTIMIZERS, kind) ? TFJS_OPTIMIZERS[kind] : undefined;
  if (format === 'keras' && !KERAS_KINDS.includes(kind)) {
    throw new Error(
      `saveModel: format 'keras' carries the state of ${KERAS_KINDS.join(' and ')} optimizers, which Keras and webgrad ` +
        `keep alike; this model's is '${kind}' (save with includeOptimizer in webgrad's format to resume it exactly)`,
    );
  }
  const lacking = trainingLacks(training, options, tfjs);
  const optimizerLacks = lacking.filter((l) => l.startsWith('optimizer'));
  if (format === 'keras' && optimizerLacks.length) {
    throw new Error(
      `saveModel: Keras's ${tfjs!.className} optimizer is saved without ${optimizerLacks.join(', ')}; ` +
        "save with includeOptimizer in webgrad's format to resume training exactly",
    );
  }
  if (strict && lacking.length) {
    throw new Error(
      `saveModel: TF.js Layers cannot read ${lacking.join('; ')}; save without strict to write them ` +
        `under webgrad's names (only webgrad reads those back)`,
    );
  }
  const custom = !tfjs || optimizerLacks.length > 0;
  const snake = (names: unknown): unknown =>
    Array.isArray(names) ? names.map(snake) : typeof names === 'string' ? toSnakeCase(names) : names;
  const trainingConfig: Dict = {
    loss: snake(training.loss),
    metrics: snake(training.metrics),
    ...(training.loss_weights && { loss_weights: training.loss_weights }),
    optimizer_config: custom
      ? { class_name: CUSTOM_PREFIX + kind, config: options }
      : { class_name: tfjs!.className, config: tfjs!.config(options) },
  };
  if (!includeOptimizer) return { trainingConfig, specs: [], bytes: new Uint8Array(0) };
  // webgrad's state per weight: its slots for each trainable weight, after the model's weights
  const count = OPTIMIZER_STATE_COUNT[kind];
  const modelBytes = 4 * json.weightsManifest.flatMap((g) => g.weights).reduce((n, w) => n + elementsOf(w.shape), 0);
  const floats = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + modelBytes, bytes.byteOffset + bytes.byteLength),
  );
  const perWeight: Float32Array[][] = [];
  let at = 0;
  for (let w = 0; w < state!.weights.length / Math.max(1, count) && count; w++) {
    const own = Array.from({ length: count }, (_, k) => {
      const n = elementsOf(state!.weights[w * count + k].shape);
      const values = floats.slice(at, at + n);
      at += n;
      return values;
    });
    perWeight.push(custom ? own : tfjs!.toTfjs(own, options));
  }
  const slots = custom ? Array.from({ length: count }, (_, k) => `state${k}`) : tfjs!.slots;
  const specs: TfjsWeightSpec[] = [{ name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' }];
  const parts: Uint8Array[] = [new Uint8Array(Int32Array.of(state!.iterations).buffer)];
  slots.forEach((slot, k) =>
    perWeight.forEach((values, w) => {
      specs.push({
        name: `${trainableNames[w]}/${slot}`,
        shape: state!.weights[w * count].shape,
        dtype: 'float32',
        group: 'optimizer',
      });
      parts.push(new Uint8Array(values[k].buffer, values[k].byteOffset, values[k].byteLength));
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
  const camel = (names: unknown): unknown =>
    Array.isArray(names) ? names.map(camel) : typeof names === 'string' ? toCamelCase(names) : names;
  const rawConfig = (optimizer.config ?? {}) as Dict;
  const config = Object.fromEntries(Object.entries(rawConfig).map(([k, v]) => [toCamelCase(k), v]));
  const className = optimizer.class_name;
  // webgrad's own optimizer under its registered name: its kind, options and slots as written
  const custom =
    typeof className === 'string' &&
    className.startsWith(CUSTOM_PREFIX) &&
    (OPTIMIZER_KINDS as readonly string[]).includes(className.slice(CUSTOM_PREFIX.length));
  const mapped = custom
    ? { kind: className.slice(CUSTOM_PREFIX.length) as OptimizerKind, options: config }
    : webgradOptimizer(className, config);
  if (typeof mapped === 'string') throw new Error(`${op}: ${where} trains with ${mapped}`);
  const { kind } = mapped;
  const options = Object.fromEntries(Object.entries(mapped.options).filter(([, v]) => v !== undefined));
  const out = {
    trainingConfig: {
      loss: camel(t.loss) as string | string[],
      metrics: metricsOf(t.metrics, where, op),
      ...(Array.isArray(t.loss_weights) && { loss_weights: t.loss_weights as number[] }),
      optimizer_config: { class_name: kind, config: options },
    },
  };
  if (!optimizerSpecs.length) return { ...out, bytes: new Uint8Array(0) };
  // each optimizer weight's values, by name
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
  const count = OPTIMIZER_STATE_COUNT[kind];
  const tfjs = TFJS_OPTIMIZERS[kind];
  const slots = custom ? Array.from({ length: count }, (_, k) => `state${k}`) : (tfjs?.slots ?? []);
  const trainable = slots.length ? modelSpecs.filter((s) => byName.has(`${s.name}/${slots[0]}`)) : [];
  const weights: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const spec of trainable) {
    const values = slots.map((slot) => {
      const name = `${spec.name}/${slot}`;
      const bytes = byName.get(name);
      const shape = optimizerSpecs.find((s) => s.name === name)?.shape ?? [];
      if (!bytes || shape.join(',') !== spec.shape.join(',')) {
        throw new Error(
          `${op}: ${where}: optimizer weight '${name}' is missing or shaped [${shape}], not [${spec.shape}] as weight '${spec.name}'`,
        );
      }
      return new Float32Array(bytes.slice().buffer);
    });
    const own = custom ? values : tfjs!.fromTfjs(values, options);
    own.forEach((v, k) => {
      weights.push({ name: `${spec.name}/${custom ? slots[k] : k}`, shape: [...spec.shape], dtype: 'float32' });
      parts.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    });
  }
  if (Number.isNaN(iterations) || iterations < 0) throw new Error(`${op}: ${where}: 'iter' is ${iterations}`);
  return { ...out, optimizerState: { kind, iterations, weights }, bytes: concat(parts) };
}

// fit and evaluate. A training step is one tidy: gather the batch on the device, run the network
// under valueAndGrad, apply the fused optimizer update. Loss and metric sums stay on the device and
// are read back only when a log needs them (once per epoch, or every `logEveryMs` on a terminal).
// Training sits below the model, so it names what it uses of one by the TrainableModel shape.
import {
  add,
  cast,
  checkingNumerics,
  concat,
  gather,
  isFinite,
  keep,
  max,
  mean,
  min,
  mul,
  NonFiniteError,
  reshape,
  scalar,
  shuffledIndices,
  slice,
  sum,
  takeNumericsFinding,
  tensor,
  tidy,
  valueAndGrad,
  Variable,
  withBackend,
  type Backend,
  type Shape,
  Tensor,
} from '@webgrad/core';
import { getActivation, type ActivationName } from './activations.js';
import type { Callback, Logs, TrainingModel } from './callbacks.js';
import { logNames, type Compiled } from './compile.js';
import type { CallContext } from './layer.js';
import { maskedPerSample, valuesAt } from './losses.js';
import { epochBar, progressBar } from './progress.js';
import { normalizedWeights, weighted } from './sample-weight.js';

/** A model's inputs or targets: one tensor, one per input/output in order, or one per name. */
export type ModelData = Tensor | Tensor[] | Record<string, Tensor>;

/** What fit and evaluate use of a model (Model and Sequential have it). */
export interface TrainableModel {
  readonly seed: number;
  readonly compiled?: Compiled;
  readonly weights: Variable[];
  readonly trainableWeights: Variable[];
  readonly outputNames: readonly string[];
  stopTraining: boolean;
  /** x as the model's inputs in order, each checked against its input's shape (building a Sequential from them). */
  inputsFrom(x: ModelData, op: string): Tensor[];
  /** The outputs' shapes, without the batch axis. */
  readonly outputShapes: readonly Shape[];
  /** For each output, the activation a loss may fuse (its layer can stop before it), if any. */
  fusableActivation(output: number): string | undefined;
  /**
   * The network on xs and the losses its layers added with addLoss during the call; outputs flagged in
   * `logits` stop before their layer's activation.
   */
  forward(
    xs: readonly Tensor[],
    context: CallContext,
    logits?: readonly boolean[],
  ): { outputs: Tensor[]; losses: Tensor[]; masks?: (Tensor | undefined)[] };
  /** The regularization penalties and the addLoss functions of every layer, evaluated now. */
  extraLosses(): Tensor[];
  /** Its first stateful layer and that layer's fixed batch size, if any (fit refuses other batches up front). */
  readonly fixedBatch?: { layer: string; batchSize: number };
  /** For each input, the Embedding that reads its ids directly, if any (ids outside its table are refused). */
  idTables?(): readonly ({ layer: string; inputDim: number } | undefined)[];
  /** For each input, whether it is passed whole (input({batchShape}), a graph's edge index). */
  readonly wholeInputs?: readonly boolean[];
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** The last fraction of x and y held out for validation (taken before shuffling, as Keras does). */
  validationSplit?: number;
  /** x, y and optionally their sample weights (Keras's (x, y, sample_weight)). */
  validationData?: [ModelData, ModelData] | [ModelData, ModelData, Tensor];
  /**
   * float32 [samples]: each sample's weight in the loss and the metrics, which become weighted means
   * (Σ w·loss / Σ w); a 0/1 mask trains on the samples it selects, as the training nodes of a graph.
   */
  sampleWeight?: Tensor;
  callbacks?: Callback[];
  /** 0 silent, 1 a progress bar, 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  initialEpoch?: number;
  /** How often a terminal progress bar reads the running loss back (ms). */
  logEveryMs?: number;
  /**
   * Hands the event loop a turn (a macrotask) whenever this many ms of steps have run, so a page can
   * paint and handle input during fit. Default 50 in a browser, 0 (never) in Node.
   */
  yieldEveryMs?: number;
}

const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
const nextMacrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

// Ends a training step's task, after any work of the step that its backend holds back (WebGPU holds
// work whose kernels are still compiling) can run. A backend that batches a task's work (WebGPU submits
// at the end of each task) then submits every step as a batch of its own, so each step records the same
// work in the same places and reuses what it cached for the previous one (bind groups on WebGPU): steps
// run back to back in one task drift across batches instead, and each phase of the drift costs new
// bind groups. And the first step waits for its kernels instead of recording the rest of the epoch
// behind them (bench/RESULTS.md, round five, has what both cost).
const endOfStep = (backend: Backend): Promise<void> => backend.settle?.() ?? Promise.resolve();

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

/** Reads several scalars with one readback. */
async function readScalars(values: readonly Tensor[]): Promise<number[]> {
  if (values.length === 0) return [];
  const joined = withBackend(values[0].backend, () =>
    tidy(() =>
      concat(
        values.map((v) => reshape(v, [1])),
        0,
      ),
    ),
  );
  const data = await joined.data();
  joined.dispose();
  return Array.from(data);
}

/**
 * Refuses plain numbers where tensors belong (nested arrays, typed arrays), saying how to make one,
 * rather than reading a nested array as a list of inputs.
 */
export function refusePlainData(data: unknown, op: string, what: string): void {
  const nested = Array.isArray(data) && data.length > 0 && (typeof data[0] === 'number' || Array.isArray(data[0]));
  if (nested || ArrayBuffer.isView(data)) {
    const kind = nested ? 'a nested array of numbers' : `a ${data!.constructor.name}`;
    throw new Error(
      `${op}: ${what} is ${kind}, not a Tensor; make one first: tensor(values, [samples, ...shape]) ` +
        `(tensor(values, [samples], 'int32') for class labels)`,
    );
  }
}

/** The targets as one tensor per output, in output order. */
export function targetsFrom(model: TrainableModel, y: ModelData, op: string): Tensor[] {
  refusePlainData(y, op, 'y');
  const names = model.outputNames;
  if (y instanceof Tensor) {
    if (names.length !== 1) {
      throw new Error(
        `${op}: the model has ${names.length} outputs (${names.join(', ')}); pass y as a list or an object by output name`,
      );
    }
    return [y];
  }
  if (Array.isArray(y)) {
    if (y.length !== names.length) {
      throw new Error(
        `${op}: y lists ${y.length} tensors but the model has ${names.length} outputs (${names.join(', ')})`,
      );
    }
    return y;
  }
  const missing = names.filter((name) => !(y[name] instanceof Tensor));
  if (missing.length) {
    throw new Error(
      `${op}: y has no tensor for output(s) ${missing.join(', ')}; it names ${Object.keys(y).join(', ') || 'nothing'}`,
    );
  }
  return names.map((name) => y[name]);
}

/** Checks every input and target: one sample count, and each target against its output's loss and shape. */
export function checkData(
  model: TrainableModel,
  compiled: Compiled,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  op: string,
): void {
  // data with an input passed whole is one batch: only its batched inputs need one sample count, and
  // its targets may count other things (a graph's nodes go in, one label per graph comes out)
  const whole = wholeData(model);
  const [first, ...rest] = xs.map((x, i) => [i, x] as const).filter(([i]) => !model.wholeInputs?.[i]);
  const n = first?.[1].shape[0] ?? 0;
  for (const [what, t] of [
    ...rest.map(([i, x]) => [`input ${i}`, x] as const),
    ...(whole ? [] : ys.map((y, i) => [`target ${i}`, y] as const)),
  ]) {
    if (t.shape[0] !== n && xs.length === 1 && ys.length === 1) {
      throw new Error(`${op}: x has ${n} samples but y has ${t.shape[0]}; expected the same first dimension`);
    }
    if (t.shape[0] !== n) {
      throw new Error(
        `${op}: input ${first[0]} has ${n} samples but ${what} has ${t.shape[0]} (shape [${t.shape.join(',')}]); ` +
          `expected the same first dimension`,
      );
    }
  }
  ys.forEach((y, k) => {
    const out = model.outputShapes[k];
    const loss = compiled.losses[k].name;
    // sparse targets of a sequence output [batch, T, …, classes]: a class index at each position
    const positions = out.slice(0, -1);
    const sequenceTargets =
      positions.length > 0 && y.rank === out.length && y.shape.slice(1).every((d, i) => d === positions[i]);
    const fits =
      loss === 'sparseCategoricalCrossentropy'
        ? y.dtype === 'int32' && (y.rank === 1 || (y.rank === 2 && y.shape[1] === 1) || sequenceTargets)
        : y.dtype === 'float32' && y.rank === out.length + 1 && y.shape.slice(1).every((d, i) => d === out[i]);
    if (!fits) {
      const expected =
        loss === 'sparseCategoricalCrossentropy'
          ? `[${[y.shape[0], ...positions].join(', ')}] int32 class indices`
          : `[${y.shape[0]}, ${out.join(', ')}] float32`;
      const which = model.outputNames.length > 1 ? ` of output '${model.outputNames[k]}'` : '';
      throw new Error(
        `${op}: targets${which} of shape [${y.shape.join(',')}] (${y.dtype}) do not fit loss '${loss}' ` +
          `for outputs (None, ${out.join(', ')}); expected ${expected}`,
      );
    }
  });
}

// Tensors already found finite. A tensor's values never change (a Variable's do, so those are checked
// each time): fitting the same data epoch by epoch scans it once, not once a call.
const knownFinite = new WeakSet<Tensor>();

// Elements checked per step of the scan: its temporaries (a slice and its finiteness mask) stay this
// small whatever the data's size, where one mask of the whole data set doubled its memory for a moment.
const FINITE_CHUNK = 1 << 18;

async function checkFinite(x: Tensor, op: string, name: string): Promise<void> {
  if (x.dtype !== 'float32' || knownFinite.has(x)) return;
  const chunkSize = (at: number) => Math.min(FINITE_CHUNK, x.size - at);
  const flags = withBackend(x.backend, () => {
    const flat = reshape(x, [x.size]);
    const chunks: Tensor[] = [];
    // finite elements counted with sum, exact in float32 up to 2²⁴: sum's kernel is one that fit's
    // metric sums compile anyway, where min's would be a pipeline compiled for this alone
    for (let at = 0; at < x.size; at += FINITE_CHUNK) {
      chunks.push(tidy(() => sum(isFinite(slice(flat, [at], [chunkSize(at)])))));
    }
    flat.dispose();
    return chunks;
  });
  const allFinite = (await readScalars(flags)).every((count, i) => count === chunkSize(i * FINITE_CHUNK));
  flags.forEach((f) => f.dispose());
  if (!allFinite) {
    throw new Error(
      `${op}: ${name} (shape [${x.shape.join(',')}]) contains NaN or Infinity; nothing can be learned from it — clean the data first`,
    );
  }
  if (!(x instanceof Variable)) knownFinite.add(x);
}

/**
 * In check-numerics mode (core's checkNumerics), one readback per step names the first op whose
 * output was not finite: callbacks with onNonFinite (terminateOnNaN) handle it, else fit rejects.
 */
async function numericsCheck(callbacks: readonly Callback[], where: string): Promise<void> {
  const finding = await takeNumericsFinding();
  if (!finding) return;
  const handlers = callbacks.filter((c) => c.onNonFinite);
  if (!handlers.length) throw new NonFiniteError(finding, `${where}: `);
  for (const c of handlers) await c.onNonFinite!(finding);
}

/** Whether the model takes an input whole (a graph's edge index): then x and y are always one batch. */
const wholeData = (model: TrainableModel): boolean => model.wholeInputs?.some(Boolean) ?? false;

/**
 * One batch's terms: the total loss (each output's mean loss times its weight, plus the losses layers
 * added and the regularization penalties, as Keras 3 counts them in fit and evaluate), and the sums
 * over the batch fit logs, in logNames order: the total loss, each output's loss when there are
 * several, every metric.
 */
export function batchTerms(
  model: TrainableModel,
  compiled: Compiled,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  training: boolean,
  seed: number,
  withMetrics = true,
  weights?: Tensor,
): { value: Tensor; sums: Tensor[] } {
  // softmax + cross-entropy and sigmoid + binary cross-entropy run as one fused kernel from the logits
  const fused = compiled.losses.map((loss, k) =>
    !loss.fromLogits && loss.fusesWith !== undefined && model.fusableActivation(k) === loss.fusesWith
      ? loss.onLogits
      : undefined,
  );
  const { outputs, losses, masks } = model.forward(
    xs,
    { training, seed },
    fused.map((f) => f !== undefined),
  );
  const several = outputs.length > 1;
  const outputLosses: Tensor[] = [];
  const metricSums: Tensor[] = [];
  // masks-in-losses: with a masked output every metric's sum comes with its count (below)
  const anyMask = masks?.some((m, k) => sequenceMask(m, outputs[k]));
  const metricCounts: Tensor[] = [];
  outputs.forEach((out, k) => {
    const loss = compiled.losses[k];
    const target = ys[k].rank === 2 && loss.name === 'sparseCategoricalCrossentropy' ? reshape(ys[k], [-1]) : ys[k];
    const onLogits = fused[k];
    const lossUsed = onLogits ? onLogits() : loss;
    const mask = sequenceMask(masks?.[k], out);
    const perSample = mask
      ? maskedPerSample(valuesAt(lossUsed, target, out, mask), mask)
      : lossUsed.compute(target, out);
    outputLosses.push(mean(weighted(perSample, weights)));
    // a monotonic activation keeps the argmax, so argmax-only metrics read the logits (one dispatch less)
    const needsActivation = withMetrics && onLogits && compiled.metrics[k].some((m) => !m.argmaxOnly);
    const predictions = needsActivation ? getActivation(model.fusableActivation(k) as ActivationName).apply(out) : out;
    if (!withMetrics) return;
    for (const m of compiled.metrics[k]) {
      // as Keras's metrics: Σ value·mask over the kept timesteps, later divided by Σ mask
      const values = mask ? sum(mul(valuesAt(m, target, predictions, mask), mask), -1) : m.compute(target, predictions);
      metricSums.push(sum(weighted(values, weights)));
      if (anyMask) metricCounts.push(mask ? sum(weighted(sum(mask, -1), weights)) : scalar(out.shape[0]));
    }
  });
  let value = outputLosses.reduce(
    (total, l, k) => {
      const weighted = compiled.lossWeights[k] === 1 ? l : mul(l, compiled.lossWeights[k]);
      return total ? add(total, weighted) : weighted;
    },
    undefined as Tensor | undefined,
  )!;
  for (const extra of [...losses, ...model.extraLosses()]) value = add(value, reshape(extra, []));
  // the samples are the targets' rows (a graph's nodes may go in and one label per graph come out)
  const size = ys[0]?.shape[0] ?? xs[0].shape[0];
  const lossSums = several ? outputLosses.map((l) => mul(l, size)) : [];
  return { value, sums: [mul(value, size), ...lossSums, ...metricSums, ...metricCounts] };
}

/** An output's mask when it masks the output's timesteps ([batch, T] of an output [batch, T, …]). */
function sequenceMask(mask: Tensor | undefined, out: Tensor): Tensor | undefined {
  const fits =
    mask && out.rank >= 3 && mask.rank === 2 && mask.shape[0] === out.shape[0] && mask.shape[1] === out.shape[1];
  return fits ? mask : undefined;
}

/**
 * The logged values from the sums batchTerms gives, added over `samples` samples: each loss sum over
 * the samples; with a masked output, each metric's sum over the count that follows the named sums (its
 * kept timesteps; the samples for an unmasked output's metric), 0 where nothing was kept, as Keras's.
 */
export function averagedLogs(names: readonly string[], values: readonly number[], samples: number): Logs {
  const counted = values.length - names.length;
  const firstMetric = names.length - counted;
  return Object.fromEntries(
    names.map((name, i) => {
      const count = i >= firstMetric ? values[names.length + i - firstMetric] : samples;
      return [name, count > 0 ? values[i] / count : 0];
    }),
  );
}

/** The model as callbacks see it. */
function trainingView(model: TrainableModel, compiled: Compiled): TrainingModel {
  return {
    get stopTraining() {
      return model.stopTraining;
    },
    set stopTraining(v: boolean) {
      model.stopTraining = v;
    },
    get learningRate() {
      return compiled.optimizer.currentLearningRate();
    },
    set learningRate(v: number) {
      compiled.optimizer.learningRate = v;
    },
    getWeightValues: () => Promise.all(model.weights.map(async (w) => (await w.data()) as Float32Array)),
    setWeightValues: (values) => {
      model.weights.forEach((w, i) => withBackend(w.backend, () => tidy(() => w.assign(tensor(values[i], w.shape)))));
    },
  };
}

/**
 * One training step on a batch, in the caller's tidy: the loss and its gradients with respect to the
 * trainable weights, the optimizer's fused update, and the batch's sums in logNames order.
 */
export function trainStep(
  model: TrainableModel,
  compiled: Compiled,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  seed: number,
  weights?: Tensor,
): Tensor[] {
  const trainable = model.trainableWeights;
  let sums: Tensor[] = [];
  const { grads } = valueAndGrad((..._weights: Tensor[]) => {
    const terms = batchTerms(model, compiled, xs, ys, true, seed, true, weights);
    sums = terms.sums.map((m) => keep(m));
    return terms.value;
  })(...trainable);
  compiled.optimizer.applyGradients(trainable, grads);
  return sums;
}

/** fit, freeing the tensors it holds if it rejects (a lost device, a NonFiniteError, a callback's error). */
export async function fit(model: TrainableModel, x: ModelData, y: ModelData, args: FitArgs = {}): Promise<History> {
  const owned = new Set<Tensor>();
  try {
    return await fitOwning(owned, model, x, y, args);
  } catch (error) {
    for (const t of owned) t.dispose();
    throw error;
  }
}

/** The compiled state, or an error naming the op that needed it. */
export function compiledOf(model: TrainableModel, op: string): Compiled {
  if (!model.compiled) {
    throw new Error(`${op}: the model must be compiled first: call model.compile({optimizer, loss, metrics})`);
  }
  return model.compiled;
}

// Label tensors already found in range, with the class count they were checked against: a tensor's
// values never change, so fitting the same labels epoch by epoch reads their bounds once.
const knownLabels = new WeakMap<Tensor, number>();

/**
 * Sparse class labels within [0, classes), checked with one readback of their bounds before any step,
 * so a bad label is refused up front rather than found mid-epoch with the steps before it applied.
 */
async function checkLabels(y: Tensor, classes: number, op: string, name: string): Promise<void> {
  if (y.size === 0 || knownLabels.get(y) === classes) return;
  const bounds = withBackend(y.backend, () =>
    tidy(() => {
      const flat = reshape(cast(y, 'float32'), [y.size]);
      return [min(flat), max(flat)];
    }),
  );
  const [lowest, highest] = await readScalars(bounds);
  bounds.forEach((b) => b.dispose());
  if (lowest < 0 || highest >= classes) {
    const bad = lowest < 0 ? lowest : highest;
    throw new Error(
      `${op}: ${name} holds class index ${bad}, outside [0, ${classes}) for outputs of ${classes} classes; ` +
        'nothing was trained',
    );
  }
  if (!(y instanceof Variable)) knownLabels.set(y, classes);
}

// Id tensors already found within an Embedding's table, with the table's size (as knownLabels).
const knownIds = new WeakMap<Tensor, number>();

/**
 * Ids an Embedding reads within [0, inputDim), checked with one readback of their bounds before any
 * step: WebGPU's gather records an id out of range only for a later read, after steps trained on it.
 */
async function checkIds(
  x: Tensor,
  table: { layer: string; inputDim: number },
  op: string,
  name: string,
): Promise<void> {
  if (x.size === 0 || x.dtype !== 'int32' || knownIds.get(x) === table.inputDim) return;
  const bounds = withBackend(x.backend, () =>
    tidy(() => {
      const flat = reshape(cast(x, 'float32'), [x.size]);
      return [min(flat), max(flat)];
    }),
  );
  const [lowest, highest] = await readScalars(bounds);
  bounds.forEach((b) => b.dispose());
  if (lowest < 0 || highest >= table.inputDim) {
    throw new Error(
      `${op}: ${name} holds id ${lowest < 0 ? lowest : highest}, outside [0, ${table.inputDim}) for ${table.layer} ` +
        `with inputDim ${table.inputDim} (ids of shape [${x.shape.join(',')}]); nothing was trained`,
    );
  }
  if (!(x instanceof Variable)) knownIds.set(x, table.inputDim);
}

/** Inputs and targets as lists, checked (shapes, sample counts, finite values, class labels and ids in range). */
export async function checkedData(
  model: TrainableModel,
  compiled: Compiled,
  x: ModelData,
  y: ModelData,
  op: string,
): Promise<{ xs: Tensor[]; ys: Tensor[] }> {
  const xs = model.inputsFrom(x, op);
  const ys = targetsFrom(model, y, op);
  checkData(model, compiled, xs, ys, op);
  for (const [i, t] of xs.entries()) await checkFinite(t, op, xs.length > 1 ? `x[${i}]` : 'x');
  for (const [i, t] of ys.entries()) await checkFinite(t, op, ys.length > 1 ? `y[${i}]` : 'y');
  const tables = model.idTables?.() ?? [];
  for (const [i, t] of xs.entries()) {
    if (tables[i]) await checkIds(t, tables[i], op, xs.length > 1 ? `x[${i}]` : 'x');
  }
  for (const [k, loss] of compiled.losses.entries()) {
    if (loss.name !== 'sparseCategoricalCrossentropy') continue;
    const classes = model.outputShapes[k][model.outputShapes[k].length - 1];
    await checkLabels(ys[k], classes, op, ys.length > 1 ? `y[${k}]` : 'y');
  }
  return { xs, ys };
}

async function fitOwning(
  owned: Set<Tensor>,
  model: TrainableModel,
  x: ModelData,
  y: ModelData,
  args: FitArgs,
): Promise<History> {
  const own = <T extends Tensor[]>(ts: T): T => {
    ts.forEach((t) => owned.add(t));
    return ts;
  };
  const release = (ts: readonly Tensor[]) =>
    ts.forEach((t) => {
      t.dispose();
      owned.delete(t);
    });
  const compiled = compiledOf(model, 'fit');
  const {
    epochs = 1,
    batchSize = 32,
    shuffle = true,
    validationSplit = 0,
    initialEpoch = 0,
    verbose = 1,
    logEveryMs = 250,
    yieldEveryMs = inBrowser ? 50 : 0,
  } = args;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isInteger(epochs) || epochs < 0 || !Number.isInteger(initialEpoch) || initialEpoch < 0) {
    throw new Error(`fit: epochs and initialEpoch must be non-negative integers, got ${epochs} and ${initialEpoch}`);
  }
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    throw new Error(`fit: validationSplit must be in [0, 1), got ${validationSplit}`);
  }
  const { xs, ys } = await checkedData(model, compiled, x, y, 'fit');
  const given = args.validationData;
  if (given) await checkedData(model, compiled, given[0], given[1], 'fit (validationData)');
  const whole = wholeData(model);
  if (whole) checkWholeFit(model, args, ys[0].shape[0]);

  const backend = xs[0].backend;
  const n = whole ? ys[0].shape[0] : xs[0].shape[0];
  const nTrain = validationSplit ? Math.floor(n * (1 - validationSplit)) : n;
  const fixed = model.fixedBatch;
  // a stateful layer would refuse a batch of another size mid-epoch, after the batches before it trained
  if (fixed && !whole && (batchSize !== fixed.batchSize || nTrain % fixed.batchSize !== 0)) {
    throw new Error(
      `fit: ${fixed.layer} is stateful with batchSize ${fixed.batchSize}, but batchSize ${batchSize} over ` +
        `${nTrain} training samples gives batches of other sizes; pass batchSize ${fixed.batchSize} and a ` +
        `multiple of ${fixed.batchSize} samples; nothing was trained`,
    );
  }
  if (n === 0) throw new Error('fit: x holds no samples (its first dimension is 0); nothing to train on');
  if (nTrain < 1) {
    throw new Error(
      `fit: validationSplit ${validationSplit} of ${n} samples leaves no training rows; use a smaller split or more samples`,
    );
  }
  const run = <T>(fn: () => T) => withBackend(backend, fn);
  const rows = (t: Tensor, start: number, count: number) => slice(t, [start], [count, ...t.shape.slice(1)]);
  // the sample weights travel with the targets (split, shuffled and batched alike), scaled to mean 1 once split
  const all = [...xs, ...ys, ...(args.sampleWeight ? [args.sampleWeight] : [])];
  const ends = [xs.length, xs.length + ys.length];
  const split = nTrain === n ? all : run(() => own(all.map((t) => keep(rows(t, 0, nTrain)))));
  const train = args.sampleWeight
    ? [...split.slice(0, ends[1]), ...own([await normalizedWeights(split[ends[1]], nTrain, 'fit')])]
    : split;
  const heldOut = nTrain < n && !given ? run(() => own(all.map((t) => keep(rows(t, nTrain, n - nTrain))))) : undefined;
  const validation =
    given ?? (heldOut && ([heldOut.slice(0, ends[0]), heldOut.slice(...ends), heldOut[ends[1]]] as const));

  const steps = whole ? 1 : Math.ceil(nTrain / batchSize);
  const metricNames = logNames(compiled, model.outputNames);
  const callbacks = [
    // a whole graph trains in one step an epoch: one bar over the epochs then
    ...(verbose
      ? [whole && verbose === 1 ? epochBar({ epochs }) : progressBar({ epochs, steps, verbose, metricNames })]
      : []),
    ...(args.callbacks ?? []),
  ];
  const view = trainingView(model, compiled);
  callbacks.forEach((c) => c.setModel?.(view));
  const history: History = { epoch: [], history: {} };
  model.stopTraining = false;

  for (const c of callbacks) await c.onTrainBegin?.({});
  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    for (const c of callbacks) await c.onEpochBegin?.(epoch, {});
    const [order] = own([
      run(() =>
        keep(
          tensor(
            shuffle ? shuffledIndices(nTrain, model.seed, epoch) : Int32Array.from({ length: nTrain }, (_, i) => i),
            [nTrain],
            'int32',
          ),
        ),
      ),
    ]);
    let sums: Tensor[] = [];
    let seen = 0,
      lastRead = Date.now(),
      lastYield = Date.now();
    for (let step = 0; step < steps && !model.stopTraining; step++) {
      for (const c of callbacks) await c.onBatchBegin?.(step, {});
      const size = whole ? nTrain : Math.min(batchSize, nTrain - step * batchSize);
      const seed = model.seed * 7919 + compiled.optimizer.iterations;
      const next = run(() =>
        tidy(() => {
          // data with an input passed whole (a graph's edge index) is the one batch, never gathered
          let batch = train;
          if (!whole) {
            const index = slice(order, [step * batchSize], [size]);
            batch = train.map((t) => gather(t, index));
          }
          const [bx, by, bw] = [batch.slice(0, ends[0]), batch.slice(...ends), batch[ends[1]]];
          const batchSums = trainStep(model, compiled, bx, by, seed, bw);
          if (!sums.length) return batchSums;
          const totals = batchSums.map((s, i) => add(sums[i], s));
          batchSums.forEach((m) => m.dispose()); // kept out of valueAndGrad's scope; summed now
          return totals;
        }),
      );
      release(sums);
      sums = own(next);
      seen += size;
      await endOfStep(backend);
      if (checkingNumerics()) await numericsCheck(callbacks, `fit: epoch ${epoch + 1}, batch ${step + 1}`);
      let logs: Logs = { size };
      if (verbose === 1 && Date.now() - lastRead >= logEveryMs && step < steps - 1) {
        logs = { ...logs, ...averagedLogs(metricNames, await readScalars(sums), seen) };
        lastRead = Date.now();
      }
      for (const c of callbacks) await c.onBatchEnd?.(step, logs);
      if (yieldEveryMs > 0 && Date.now() - lastYield >= yieldEveryMs) {
        await nextMacrotask();
        lastYield = Date.now();
      }
    }
    release([order]);
    const totals = await readScalars(sums);
    release(sums);
    const logs: Logs = averagedLogs(metricNames, totals, Math.max(seen, 1));
    if (validation) {
      const val = await evaluate(model, validation[0], validation[1], { batchSize, sampleWeight: validation[2] });
      for (const [name, value] of Object.entries(val)) logs[`val_${name}`] = value;
    }
    history.epoch.push(epoch);
    for (const [name, value] of Object.entries(logs)) (history.history[name] ??= []).push(value);
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs);
  }
  for (const c of callbacks) await c.onTrainEnd?.({});
  release([...new Set([...split, ...train])].filter((t) => owned.has(t)));
  if (heldOut) release(heldOut);
  return history;
}

/** Loss and metrics over x, y in inference mode, averaged over samples, read back once. */
export async function evaluate(
  model: TrainableModel,
  x: ModelData,
  y: ModelData,
  { batchSize = 32, sampleWeight }: { batchSize?: number; sampleWeight?: Tensor } = {},
): Promise<Logs> {
  const compiled = compiledOf(model, 'evaluate');
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
  }
  const { xs, ys } = await checkedData(model, compiled, x, y, 'evaluate');
  const whole = wholeData(model);
  const n = whole ? ys[0].shape[0] : xs[0].shape[0];
  const weights = sampleWeight && (await normalizedWeights(sampleWeight, n, 'evaluate'));
  // data with an input passed whole (a graph's edge index) is one batch
  const step = whole ? n : batchSize;
  let sums: Tensor[] = [];
  for (let start = 0; start < n; start += step) {
    const size = Math.min(step, n - start);
    const next = withBackend(xs[0].backend, () =>
      tidy(() => {
        const rows = (t: Tensor) => (whole ? t : slice(t, [start], [size, ...t.shape.slice(1)]));
        const batchWeights = weights && rows(weights);
        const batch = batchTerms(model, compiled, xs.map(rows), ys.map(rows), false, 0, true, batchWeights).sums;
        return sums.length ? batch.map((b, i) => add(sums[i], b)) : batch;
      }),
    );
    sums.forEach((s) => s.dispose());
    sums = next;
  }
  weights?.dispose();
  const values = await readScalars(sums);
  sums.forEach((s) => s.dispose());
  return averagedLogs(logNames(compiled, model.outputNames), values, n);
}

/**
 * Data with an input passed whole (input({batchShape}), a graph's edge index) trains as one batch: a
 * split of it or smaller batches would cut the graph, so they are refused by name.
 */
function checkWholeFit(model: TrainableModel, args: FitArgs, samples: number): void {
  const which = (model.wholeInputs ?? []).flatMap((w, i) => (w ? [i] : [])).join(', ');
  const why = `the model takes input ${which} whole (declared with batchShape), so x and y are one batch`;
  if (args.validationSplit) {
    throw new Error(
      `fit: validationSplit cannot split the data: ${why}; pass validationData [x, y, sampleWeight] ` +
        `(for a graph: the same graph with a mask of validation nodes)`,
    );
  }
  if (args.batchSize !== undefined && args.batchSize < samples) {
    throw new Error(
      `fit: batchSize ${args.batchSize} would split ${samples} samples: ${why}; leave batchSize out ` +
        `(select training samples with sampleWeight)`,
    );
  }
}

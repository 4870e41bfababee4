// fit and evaluate. A training step is one tidy: gather the batch on the device, run the network
// under valueAndGrad, apply the fused optimizer update. Loss and metric sums stay on the device and
// are read back only when a log needs them (once per epoch, or every `logEveryMs` on a terminal).
// Training sits below the model, so it names what it uses of one by the TrainableModel shape.
import {
  add,
  checkingNumerics,
  concat,
  gather,
  isFinite,
  keep,
  mean,
  mul,
  NonFiniteError,
  reshape,
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
  type Tensor,
} from '@webgrad/core';
import { getActivation, type ActivationName } from './activations.js';
import type { Callback, Logs, TrainingModel } from './callbacks.js';
import type { Compiled } from './compile.js';
import type { CallContext, Layer } from './layer.js';
import { progressBar } from './progress.js';

/** What fit and evaluate use of a model (Sequential has it). */
export interface TrainableModel {
  readonly layers: readonly Layer[];
  readonly seed: number;
  readonly compiled?: Compiled;
  readonly weights: Variable[];
  readonly trainableWeights: Variable[];
  readonly outputShape: Shape;
  stopTraining: boolean;
  /** Checks x against the model's input shape (building the model from it if need be). */
  checkInput(x: Tensor, op: string): void;
  /** The network on x; with `logitsForLoss`, the last layer stops before its activation. */
  forward(x: Tensor, context: CallContext, logitsForLoss?: boolean): Tensor;
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** The last fraction of x and y held out for validation (taken before shuffling, as Keras does). */
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
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

function checkData(model: TrainableModel, compiled: Compiled, x: Tensor, y: Tensor, op: string): void {
  model.checkInput(x, op);
  if (x.shape[0] !== y.shape[0]) {
    throw new Error(`${op}: x has ${x.shape[0]} samples but y has ${y.shape[0]}; expected the same first dimension`);
  }
  const out = model.outputShape;
  const loss = compiled.loss.name;
  const fits =
    loss === 'sparseCategoricalCrossentropy'
      ? y.dtype === 'int32' && (y.rank === 1 || (y.rank === 2 && y.shape[1] === 1))
      : y.dtype === 'float32' && y.rank === out.length + 1 && y.shape.slice(1).every((d, i) => d === out[i]);
  if (!fits) {
    const expected =
      loss === 'sparseCategoricalCrossentropy'
        ? `[${y.shape[0]}] int32 class indices`
        : `[${y.shape[0]}, ${out.join(', ')}] float32`;
    throw new Error(
      `${op}: targets of shape [${y.shape.join(',')}] (${y.dtype}) do not fit loss '${loss}' ` +
        `for outputs (None, ${out.join(', ')}); expected ${expected}`,
    );
  }
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

/** Loss (mean over the batch, plus regularization when training) and metric sums for one batch. */
function batchTerms(
  model: TrainableModel,
  compiled: Compiled,
  xb: Tensor,
  yb: Tensor,
  training: boolean,
  seed: number,
) {
  const last = model.layers[model.layers.length - 1];
  // softmax + cross-entropy and sigmoid + binary cross-entropy run as one fused kernel from the logits
  const onLogits =
    !compiled.loss.fromLogits && last.activationName === compiled.loss.fusesWith && last.callLogits
      ? compiled.loss.onLogits
      : undefined;
  const out = model.forward(xb, { training, seed }, onLogits !== undefined);
  const target = yb.rank === 2 && compiled.loss.name === 'sparseCategoricalCrossentropy' ? reshape(yb, [-1]) : yb;
  let value = mean((onLogits ? onLogits() : compiled.loss).compute(target, out));
  if (training) {
    for (const layer of model.layers) {
      const penalty = layer.regularizationLoss?.();
      if (penalty) value = add(value, penalty);
    }
  }
  // a monotonic activation keeps the argmax, so argmax-only metrics read the logits (one dispatch less)
  const needsActivation = onLogits && compiled.metrics.some((m) => !m.argmaxOnly);
  const predictions = needsActivation ? getActivation(last.activationName as ActivationName).apply(out) : out;
  const metrics = compiled.metrics.map((m) => sum(m.compute(target, predictions)));
  return { value, metrics };
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

/** fit, freeing the tensors it holds if it rejects (a lost device, a NonFiniteError, a callback's error). */
export async function fit(model: TrainableModel, x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
  const owned = new Set<Tensor>();
  try {
    return await fitOwning(owned, model, x, y, args);
  } catch (error) {
    for (const t of owned) t.dispose();
    throw error;
  }
}

async function fitOwning(
  owned: Set<Tensor>,
  model: TrainableModel,
  x: Tensor,
  y: Tensor,
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
  const compiled = model.compiled;
  if (!compiled) {
    throw new Error('fit: the model must be compiled first: call model.compile({optimizer, loss, metrics})');
  }
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
  checkData(model, compiled, x, y, 'fit');
  await checkFinite(x, 'fit', 'x');
  await checkFinite(y, 'fit', 'y');

  const n = x.shape[0];
  const nTrain = validationSplit ? Math.floor(n * (1 - validationSplit)) : n;
  const run = <T>(fn: () => T) => withBackend(x.backend, fn);
  const rows = (t: Tensor, start: number, count: number) => slice(t, [start], [count, ...t.shape.slice(1)]);
  const [xTrain, yTrain] = nTrain === n ? [x, y] : run(() => own([keep(rows(x, 0, nTrain)), keep(rows(y, 0, nTrain))]));
  const validation =
    args.validationData ??
    (nTrain < n ? run(() => own([keep(rows(x, nTrain, n - nTrain)), keep(rows(y, nTrain, n - nTrain))])) : undefined);
  if (args.validationData) {
    checkData(model, compiled, args.validationData[0], args.validationData[1], 'fit (validationData)');
  }

  const steps = Math.ceil(nTrain / batchSize);
  const metricNames = ['loss', ...compiled.metrics.map((m) => m.name)];
  const callbacks = [
    ...(verbose ? [progressBar({ epochs, steps, verbose, metricNames })] : []),
    ...(args.callbacks ?? []),
  ];
  const view = trainingView(model, compiled);
  callbacks.forEach((c) => c.setModel?.(view));
  const history: History = { epoch: [], history: {} };
  const trainable = model.trainableWeights;
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
      const size = Math.min(batchSize, nTrain - step * batchSize);
      const seed = model.seed * 7919 + compiled.optimizer.iterations;
      const next = run(() =>
        tidy(() => {
          const index = slice(order, [step * batchSize], [size]);
          const xb = gather(xTrain, index),
            yb = gather(yTrain, index);
          let metrics: Tensor[] = [];
          const { value, grads } = valueAndGrad((..._weights: Tensor[]) => {
            const terms = batchTerms(model, compiled, xb, yb, true, seed);
            metrics = terms.metrics.map((m) => keep(m));
            return terms.value;
          })(...trainable);
          compiled.optimizer.applyGradients(trainable, grads);
          const batchSums = [mul(value, size), ...metrics];
          if (!sums.length) return batchSums;
          const totals = batchSums.map((s, i) => add(sums[i], s));
          metrics.forEach((m) => m.dispose()); // kept out of valueAndGrad's scope; summed now
          return totals;
        }),
      );
      release(sums);
      sums = own(next);
      seen += size;
      await endOfStep(x.backend);
      if (checkingNumerics()) await numericsCheck(callbacks, `fit: epoch ${epoch + 1}, batch ${step + 1}`);
      let logs: Logs = { size };
      if (verbose === 1 && Date.now() - lastRead >= logEveryMs && step < steps - 1) {
        const values = await readScalars(sums);
        logs = { ...logs, ...Object.fromEntries(metricNames.map((name, i) => [name, values[i] / seen])) };
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
    const logs: Logs = Object.fromEntries(metricNames.map((name, i) => [name, totals[i] / Math.max(seen, 1)]));
    if (validation) {
      const val = await evaluate(model, validation[0], validation[1], { batchSize });
      for (const [name, value] of Object.entries(val)) logs[`val_${name}`] = value;
    }
    history.epoch.push(epoch);
    for (const [name, value] of Object.entries(logs)) (history.history[name] ??= []).push(value);
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs);
  }
  for (const c of callbacks) await c.onTrainEnd?.({});
  if (xTrain !== x) [xTrain, yTrain].forEach((t) => t.dispose());
  if (validation && !args.validationData) validation.forEach((t) => t.dispose());
  return history;
}

/** Loss and metrics over x, y in inference mode, averaged over samples, read back once. */
export async function evaluate(
  model: TrainableModel,
  x: Tensor,
  y: Tensor,
  { batchSize = 32 }: { batchSize?: number } = {},
): Promise<Logs> {
  const compiled = model.compiled;
  if (!compiled) {
    throw new Error('evaluate: the model must be compiled first: call model.compile({optimizer, loss, metrics})');
  }
  checkData(model, compiled, x, y, 'evaluate');
  const n = x.shape[0];
  let sums: Tensor[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const next = withBackend(x.backend, () =>
      tidy(() => {
        const xb = slice(x, [start], [size, ...x.shape.slice(1)]),
          yb = slice(y, [start], [size, ...y.shape.slice(1)]);
        const { value, metrics } = batchTerms(model, compiled, xb, yb, false, 0);
        const batch = [mul(value, size), ...metrics];
        return sums.length ? batch.map((b, i) => add(sums[i], b)) : batch;
      }),
    );
    sums.forEach((s) => s.dispose());
    sums = next;
  }
  const values = await readScalars(sums);
  sums.forEach((s) => s.dispose());
  return Object.fromEntries(['loss', ...compiled.metrics.map((m) => m.name)].map((name, i) => [name, values[i] / n]));
}

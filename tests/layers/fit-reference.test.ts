// One epoch of fit and one evaluate, checked against a float64 hand computation written out in plain
// JavaScript (forward pass, sparse categorical cross-entropy, backprop, the SGD and Adam updates,
// accuracy) with no webgrad op in it: the reported loss and accuracy in History, the weights after
// the epoch, and evaluate's logs, on both backends, for one whole batch and for a split with a
// remainder batch, with and without an L2 kernel penalty.
import { expect } from 'chai';
import { max, memory, tensor, withBackend } from '@webgrad/core';
import { adam, dense, l2, sequential, sgd, type Logs, type Metric, type Sequential } from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose } from '../helpers.js';

type Matrix = number[][];

interface Params {
  hiddenKernel: Matrix;
  hiddenBias: number[];
  outputKernel: Matrix;
  outputBias: number[];
}

type OptimizerSpec =
  | { kind: 'sgd'; learningRate: number }
  | { kind: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number };

interface Case {
  name: string;
  samples: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  /** λ of an L2 penalty λΣW² on the hidden kernel; 0 for none. */
  hiddenKernelL2: number;
}

// Inputs, weights and hyperparameters are multiples of powers of two, exact in float32, so both
// backends start from the very values the float64 reference uses.
const INPUTS: Matrix = [
  [0.5, -1.25, 0.75],
  [1.5, 0.25, -0.5],
  [-0.75, 1, 1.25],
  [0.25, 0.5, -1.5],
  [-1, -0.5, 0.5],
  [1.25, -0.75, 1],
  [-0.25, 1.75, -0.25],
];
// Labels cover all three classes, and the initial weights get some of them right, so accuracy is
// neither 0 nor 1.
const LABELS = [2, 0, 1, 2, 1, 0, 1];

const INITIAL: Params = {
  hiddenKernel: [
    [0.5, -0.25, 0.75, -0.5],
    [0.25, 0.5, -0.375, 0.625],
    [-0.625, 0.375, 0.25, 0.5],
  ],
  hiddenBias: [0.125, -0.0625, 0.25, -0.125],
  outputKernel: [
    [0.75, -0.5, 0.25],
    [-0.25, 0.625, -0.5],
    [0.5, 0.125, -0.75],
    [-0.375, 0.25, 0.5],
  ],
  outputBias: [0.0625, -0.125, 0.25],
};

const SGD: OptimizerSpec = { kind: 'sgd', learningRate: 0.5 };
const ADAM: OptimizerSpec = { kind: 'adam', learningRate: 0.0625, beta1: 0.875, beta2: 0.9375, epsilon: 1e-7 };

const CASES: Case[] = [
  { name: 'SGD, one batch of 5', samples: 5, batchSize: 5, optimizer: SGD, hiddenKernelL2: 0 },
  {
    name: 'SGD, 7 samples in batches of 4 (a remainder of 3)',
    samples: 7,
    batchSize: 4,
    optimizer: SGD,
    hiddenKernelL2: 0,
  },
  {
    name: 'SGD with an L2 penalty, 7 samples in batches of 4',
    samples: 7,
    batchSize: 4,
    optimizer: SGD,
    hiddenKernelL2: 0.125,
  },
  { name: 'Adam, one batch of 5', samples: 5, batchSize: 5, optimizer: ADAM, hiddenKernelL2: 0 },
  {
    name: 'Adam with an L2 penalty, 7 samples in batches of 4',
    samples: 7,
    batchSize: 4,
    optimizer: ADAM,
    hiddenKernelL2: 0.125,
  },
];

// The CPU backend computes in float64 and rounds only when read back to float32: a few float32 ulps.
// The WebGPU backend computes in float32 throughout, a handful of ops deep.
const TOLERANCE = {
  cpu: { rtol: 1e-6, atol: 1e-7 },
  webgpu: { rtol: 2e-5, atol: 2e-6 },
} as const;

const flatParams = (p: Params): number[] =>
  [p.hiddenKernel.flat(), p.hiddenBias, p.outputKernel.flat(), p.outputBias].flat();

/** x·W + b for one row x. */
function affineRow(x: readonly number[], kernel: Matrix, bias: readonly number[]): number[] {
  return bias.map((b, j) => x.reduce((total, xk, k) => total + xk * kernel[k][j], b));
}

function softmaxRow(z: readonly number[]): number[] {
  const top = Math.max(...z);
  const exps = z.map((v) => Math.exp(v - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

function argmaxRow(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

interface Forward {
  hiddenPre: number[];
  hidden: number[];
  probabilities: number[];
  loss: number;
  correct: number;
}

function forwardSample(p: Params, x: readonly number[], label: number): Forward {
  const hiddenPre = affineRow(x, p.hiddenKernel, p.hiddenBias);
  const hidden = hiddenPre.map((z) => Math.max(z, 0));
  const logits = affineRow(hidden, p.outputKernel, p.outputBias);
  const probabilities = softmaxRow(logits);
  const loss = -Math.log(probabilities[label]);
  const correct = argmaxRow(logits) === label ? 1 : 0;
  return { hiddenPre, hidden, probabilities, loss, correct };
}

const l2Penalty = (p: Params, lambda: number): number => lambda * p.hiddenKernel.flat().reduce((s, w) => s + w * w, 0);

interface BatchResult {
  /** Mean cross-entropy over the batch plus the penalty: what the step minimises. */
  loss: number;
  correct: number;
  gradients: Params;
}

/** Loss and gradients of one batch, backprop written out: dlogits = (p − onehot)/B, then back through relu. */
function batchGradients(p: Params, xs: Matrix, labels: readonly number[], lambda: number): BatchResult {
  const size = xs.length;
  const zeros = (rows: number, cols: number): Matrix =>
    Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  const g: Params = {
    hiddenKernel: zeros(3, 4),
    hiddenBias: new Array<number>(4).fill(0),
    outputKernel: zeros(4, 3),
    outputBias: new Array<number>(3).fill(0),
  };
  let lossSum = 0;
  let correct = 0;
  xs.forEach((x, i) => {
    const f = forwardSample(p, x, labels[i]);
    lossSum += f.loss;
    correct += f.correct;
    const dLogits = f.probabilities.map((pr, c) => (pr - (c === labels[i] ? 1 : 0)) / size);
    for (let k = 0; k < 4; k++) {
      for (let c = 0; c < 3; c++) g.outputKernel[k][c] += f.hidden[k] * dLogits[c];
    }
    dLogits.forEach((d, c) => {
      g.outputBias[c] += d;
    });
    const dHidden = p.outputKernel.map((row) => row.reduce((s, w, c) => s + w * dLogits[c], 0));
    const dHiddenPre = dHidden.map((d, k) => (f.hiddenPre[k] > 0 ? d : 0));
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < 4; k++) g.hiddenKernel[j][k] += x[j] * dHiddenPre[k];
    }
    dHiddenPre.forEach((d, k) => {
      g.hiddenBias[k] += d;
    });
  });
  for (let j = 0; j < 3; j++) {
    for (let k = 0; k < 4; k++) g.hiddenKernel[j][k] += 2 * lambda * p.hiddenKernel[j][k];
  }
  return { loss: lossSum / size + l2Penalty(p, lambda), correct, gradients: g };
}

/** Per-parameter optimizer state, in flatParams order. */
interface AdamState {
  step: number;
  firstMoment: number[];
  secondMoment: number[];
}

/**
 * Applies one update to the flat parameters. Adam as in Kingma & Ba's Algorithm 1 (bias-corrected
 * moments, ε added to the corrected √v̂), the form the library documents.
 */
function applyUpdate(flat: number[], gradients: readonly number[], spec: OptimizerSpec, state: AdamState): number[] {
  if (spec.kind === 'sgd') return flat.map((w, i) => w - spec.learningRate * gradients[i]);
  state.step += 1;
  const correction1 = 1 - spec.beta1 ** state.step;
  const correction2 = 1 - spec.beta2 ** state.step;
  return flat.map((w, i) => {
    state.firstMoment[i] = spec.beta1 * state.firstMoment[i] + (1 - spec.beta1) * gradients[i];
    state.secondMoment[i] = spec.beta2 * state.secondMoment[i] + (1 - spec.beta2) * gradients[i] ** 2;
    const mHat = state.firstMoment[i] / correction1;
    const vHat = state.secondMoment[i] / correction2;
    return w - (spec.learningRate * mHat) / (Math.sqrt(vHat) + spec.epsilon);
  });
}

function unflatten(flat: readonly number[]): Params {
  let at = 0;
  const take = (n: number) => {
    const part = flat.slice(at, at + n);
    at += n;
    return part;
  };
  const rows = (r: number, c: number): Matrix => Array.from({ length: r }, () => take(c));
  return { hiddenKernel: rows(3, 4), hiddenBias: take(4), outputKernel: rows(4, 3), outputBias: take(3) };
}

interface EpochReference {
  /** Σ over batches of (batch loss × batch size) / samples: Keras's sample-weighted epoch mean. */
  loss: number;
  /** The plain mean of the per-batch losses, which the weighted mean must not be confused with. */
  unweightedLoss: number;
  accuracy: number;
  params: Params;
  /** The smallest nonzero |gradient| seen, to keep the fixture away from float32's noise floor. */
  smallestGradient: number;
  /** The smallest |pre-activation| of the hidden relu, to keep the fixture away from its kink. */
  smallestHiddenPre: number;
  /** After each batch: the sample-weighted mean loss and the accuracy of the batches so far. */
  runningLoss: number[];
  runningAccuracy: number[];
  /** The weights each batch was evaluated at (before its update). */
  paramsBeforeBatch: Params[];
}

/** One epoch of fit without shuffling: batches in order, each one's loss and accuracy at its pre-update weights. */
function referenceEpoch(start: Params, c: Case): EpochReference {
  let flat = flatParams(start);
  const zeros = flat.map(() => 0);
  const state: AdamState = { step: 0, firstMoment: [...zeros], secondMoment: [...zeros] };
  let weightedLoss = 0;
  let correct = 0;
  const batchLosses: number[] = [];
  let smallestGradient = Infinity;
  let smallestHiddenPre = Infinity;
  const runningLoss: number[] = [];
  const runningAccuracy: number[] = [];
  const paramsBeforeBatch: Params[] = [];
  for (let begin = 0; begin < c.samples; begin += c.batchSize) {
    const end = Math.min(begin + c.batchSize, c.samples);
    const params = unflatten(flat);
    paramsBeforeBatch.push(params);
    const xs = INPUTS.slice(begin, end);
    const labels = LABELS.slice(begin, end);
    const batch = batchGradients(params, xs, labels, c.hiddenKernelL2);
    weightedLoss += batch.loss * xs.length;
    batchLosses.push(batch.loss);
    correct += batch.correct;
    runningLoss.push(weightedLoss / end);
    runningAccuracy.push(correct / end);
    const gradients = flatParams(batch.gradients);
    for (const g of gradients) {
      if (g !== 0) smallestGradient = Math.min(smallestGradient, Math.abs(g));
    }
    for (const x of xs) {
      for (const z of forwardSample(params, x, 0).hiddenPre) {
        smallestHiddenPre = Math.min(smallestHiddenPre, Math.abs(z));
      }
    }
    flat = applyUpdate(flat, gradients, c.optimizer, state);
  }
  return {
    loss: weightedLoss / c.samples,
    unweightedLoss: batchLosses.reduce((a, b) => a + b, 0) / batchLosses.length,
    accuracy: correct / c.samples,
    params: unflatten(flat),
    smallestGradient,
    smallestHiddenPre,
    runningLoss,
    runningAccuracy,
    paramsBeforeBatch,
  };
}

/** evaluate's data terms: mean cross-entropy and accuracy over every sample (inference mode); the penalty is added apart. */
function referenceEvaluate(p: Params, samples: number): { loss: number; accuracy: number } {
  return referenceEvaluateRows(p, 0, samples);
}

/** evaluate over the samples begin..end − 1. */
function referenceEvaluateRows(p: Params, begin: number, end: number): { loss: number; accuracy: number } {
  const results = INPUTS.slice(begin, end).map((x, i) => forwardSample(p, x, LABELS[begin + i]));
  const loss = results.reduce((s, f) => s + f.loss, 0) / results.length;
  const accuracy = results.reduce((s, f) => s + f.correct, 0) / results.length;
  return { loss, accuracy };
}

function buildModel(c: Case): Sequential {
  const penalty = c.hiddenKernelL2 ? l2({ l2: c.hiddenKernelL2 }) : undefined;
  const model = sequential([
    dense({ units: 4, activation: 'relu', inputShape: [3], kernelRegularizer: penalty }),
    dense({ units: 3, activation: 'softmax' }),
  ]);
  const o = c.optimizer;
  const optimizer =
    o.kind === 'sgd'
      ? sgd({ learningRate: o.learningRate })
      : adam({ learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

function setParams(model: Sequential, p: Params): void {
  model.build();
  model.setWeights([tensor(p.hiddenKernel), tensor(p.hiddenBias), tensor(p.outputKernel), tensor(p.outputBias)]);
}

async function weightValues(model: Sequential): Promise<number[]> {
  const parts = await Promise.all(model.weights.map((w) => w.data()));
  return parts.flatMap((part) => Array.from(part));
}

describe('the float64 reference of fit itself', () => {
  it('keeps the fixture clear of relu kinks, of tiny gradients and of tied logits', () => {
    for (const c of CASES) {
      const reference = referenceEpoch(INITIAL, c);
      expect(reference.smallestHiddenPre, `${c.name}: a hidden pre-activation near 0`).to.be.greaterThan(1e-4);
      expect(reference.smallestGradient, `${c.name}: a gradient near float32 noise`).to.be.greaterThan(5e-4);
      expect(reference.accuracy, `${c.name}: accuracy`).to.be.within(0.01, 0.99);
    }
  });

  it('tells the sample-weighted epoch loss from the plain mean of batch losses', () => {
    const split = CASES.find((c) => c.samples % c.batchSize !== 0)!;
    const reference = referenceEpoch(INITIAL, split);
    expect(Math.abs(reference.loss - reference.unweightedLoss) / reference.loss).to.be.greaterThan(1e-3);
  });
});

for (const backendName of BACKENDS) {
  describe(`one fit epoch and evaluate against the float64 hand computation on ${backendName}`, () => {
    const run = <T>(fn: () => T): T => withBackend(backendOf(backendName), fn);
    const tolerance = TOLERANCE[backendName];

    for (const c of CASES) {
      it(`${c.name}: History's loss and accuracy, and the updated weights`, async () => {
        const reference = referenceEpoch(INITIAL, c);
        const model = buildModel(c);
        const x = run(() => tensor(INPUTS.slice(0, c.samples)));
        const y = run(() => tensor(Int32Array.from(LABELS.slice(0, c.samples)), [c.samples], 'int32'));
        run(() => setParams(model, INITIAL));
        const history = await model.fit(x, y, { epochs: 1, batchSize: c.batchSize, shuffle: false, verbose: 0 });
        expect(Object.keys(history.history).sort()).to.deep.equal(['accuracy', 'loss']);
        expectClose(history.history.loss, [reference.loss], tolerance, `${c.name}: epoch loss`);
        expectClose(history.history.accuracy, [reference.accuracy], tolerance, `${c.name}: epoch accuracy`);
        expectClose(
          await weightValues(model),
          flatParams(reference.params),
          tolerance,
          `${c.name}: weights after the epoch`,
        );
        model.dispose();
        x.dispose();
        y.dispose();
      });
    }

    it('evaluate reports the mean loss plus the penalty (as Keras 3 does) and the accuracy, in batches of 4, 7 and 32', async () => {
      const penalised = CASES.find((c) => c.hiddenKernelL2 > 0 && c.samples === 7)!;
      const model = buildModel(penalised);
      const x = run(() => tensor(INPUTS));
      const y = run(() => tensor(Int32Array.from(LABELS), [LABELS.length], 'int32'));
      run(() => setParams(model, INITIAL));
      const expected = referenceEvaluate(INITIAL, LABELS.length);
      const penalty = l2Penalty(INITIAL, penalised.hiddenKernelL2);
      expect(penalty).to.be.greaterThan(0.01);
      for (const batchSize of [4, 7, 32]) {
        const logs = await model.evaluate(x, y, { batchSize });
        expectClose([logs.loss], [expected.loss + penalty], tolerance, `evaluate loss, batchSize ${batchSize}`);
        expectClose([logs.accuracy], [expected.accuracy], tolerance, `evaluate accuracy, batchSize ${batchSize}`);
      }
      // after a training epoch, evaluate sees the trained weights
      await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      const trainedParams = referenceEpoch(INITIAL, penalised).params;
      const trained = referenceEvaluate(trainedParams, LABELS.length);
      const trainedPenalty = l2Penalty(trainedParams, penalised.hiddenKernelL2);
      const logs = await model.evaluate(x, y, { batchSize: 4 });
      expectClose(
        [logs.loss, logs.accuracy],
        [trained.loss + trainedPenalty, trained.accuracy],
        tolerance,
        'evaluate after fit',
      );
      model.dispose();
      x.dispose();
      y.dispose();
    });
  });
}

// fit's options, each against the same float64 reference: labels as a column, a validation split and
// validation data, the running logs a progress bar reads, which loss path a model's last activation
// selects, and a metric that needs probabilities while the loss runs fused from the logits.
for (const backendName of BACKENDS) {
  describe(`fit's options against the float64 hand computation on ${backendName}`, () => {
    const run = <T>(fn: () => T): T => withBackend(backendOf(backendName), fn);
    const tolerance = TOLERANCE[backendName];
    const sgdCase = (samples: number, batchSize: number): Case => ({
      name: `SGD, ${samples} samples in batches of ${batchSize}`,
      samples,
      batchSize,
      optimizer: SGD,
      hiddenKernelL2: 0,
    });
    const inputs = (begin: number, end: number) => run(() => tensor(INPUTS.slice(begin, end)));
    const labelsOf = (values: number[], shape: number[] = [values.length]) =>
      run(() => tensor(Int32Array.from(values), shape, 'int32'));
    const labels = (begin: number, end: number, shape: number[] = [end - begin]) =>
      labelsOf(LABELS.slice(begin, end), shape);

    it('sparse labels of shape [n, 1] train exactly as labels of shape [n]', async () => {
      const c = sgdCase(7, 4);
      const reference = referenceEpoch(INITIAL, c);
      const model = buildModel(c);
      run(() => setParams(model, INITIAL));
      const x = inputs(0, 7);
      const column = labels(0, 7, [7, 1]);
      const history = await model.fit(x, column, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      expectClose(history.history.loss, [reference.loss], tolerance, 'epoch loss');
      expectClose(history.history.accuracy, [reference.accuracy], tolerance, 'epoch accuracy');
      expectClose(await weightValues(model), flatParams(reference.params), tolerance, 'weights');
      const logs = await model.evaluate(x, column, { batchSize: 4 });
      const evaluated = referenceEvaluate(reference.params, 7);
      expectClose([logs.loss, logs.accuracy], [evaluated.loss, evaluated.accuracy], tolerance, 'evaluate');
      model.dispose();
      x.dispose();
      column.dispose();
    });

    it('validationSplit 0.25 of 7 samples trains on the first 5 and validates on the last 2, as validationData does', async () => {
      // floor(7 · 0.75) = 5 training samples, one batch of 5; the validation loss is at the updated weights
      const reference = referenceEpoch(INITIAL, sgdCase(5, 5));
      const validation = referenceEvaluateRows(reference.params, 5, 7);
      const expected = {
        accuracy: [reference.accuracy],
        loss: [reference.loss],
        val_accuracy: [validation.accuracy],
        val_loss: [validation.loss],
      };
      const x = inputs(0, 7);
      const y = labels(0, 7);
      const split = buildModel(sgdCase(7, 5));
      run(() => setParams(split, INITIAL));
      const bySplit = await split.fit(x, y, {
        epochs: 1,
        batchSize: 5,
        shuffle: false,
        verbose: 0,
        validationSplit: 0.25,
      });
      const xTrain = inputs(0, 5);
      const yTrain = labels(0, 5);
      const xHeldOut = inputs(5, 7);
      const yHeldOut = labels(5, 7);
      const given = buildModel(sgdCase(5, 5));
      run(() => setParams(given, INITIAL));
      const byData = await given.fit(xTrain, yTrain, {
        epochs: 1,
        batchSize: 5,
        shuffle: false,
        verbose: 0,
        validationData: [xHeldOut, yHeldOut],
      });
      for (const [how, history] of [
        ['validationSplit', bySplit],
        ['validationData', byData],
      ] as const) {
        expect(Object.keys(history.history).sort(), how).to.deep.equal(Object.keys(expected));
        for (const [name, values] of Object.entries(expected)) {
          expectClose(history.history[name], values, tolerance, `${how}: ${name}`);
        }
      }
      expectClose(await weightValues(split), flatParams(reference.params), tolerance, 'weights (validationSplit)');
      for (const t of [x, y, xTrain, yTrain, xHeldOut, yHeldOut]) t.dispose();
      split.dispose();
      given.dispose();
    });

    it('verbose 1 hands onBatchEnd the running mean loss and accuracy (none after the last batch); verbose 0 only the size', async () => {
      const c = sgdCase(7, 3);
      const reference = referenceEpoch(INITIAL, c);
      const x = inputs(0, 7);
      const y = labels(0, 7);
      const batchLogs = async (verbose: 0 | 1) => {
        const model = buildModel(c);
        run(() => setParams(model, INITIAL));
        const seen: Logs[] = [];
        await model.fit(x, y, {
          epochs: 1,
          batchSize: 3,
          shuffle: false,
          verbose,
          logEveryMs: 0,
          callbacks: [{ onBatchEnd: (_step, logs) => void seen.push({ ...logs }) }],
        });
        model.dispose();
        return seen;
      };
      const running = await batchLogs(1);
      expect(running.map((logs) => Object.keys(logs).sort())).to.deep.equal([
        ['accuracy', 'loss', 'size'],
        ['accuracy', 'loss', 'size'],
        ['size'],
      ]);
      expect(running.map((logs) => logs.size)).to.deep.equal([3, 3, 1]);
      expectClose(
        running.slice(0, 2).map((logs) => logs.loss),
        reference.runningLoss.slice(0, 2),
        tolerance,
        'running loss',
      );
      expectClose(
        running.slice(0, 2).map((logs) => logs.accuracy),
        reference.runningAccuracy.slice(0, 2),
        tolerance,
        'running accuracy',
      );
      expect(await batchLogs(0)).to.deep.equal([{ size: 3 }, { size: 3 }, { size: 1 }]);
      x.dispose();
      y.dispose();
    });

    it('batchSize 1 makes one update per sample; initialEpoch numbers the epochs in History', async () => {
      const c = sgdCase(3, 1);
      const reference = referenceEpoch(INITIAL, c);
      const model = buildModel(c);
      run(() => setParams(model, INITIAL));
      const x = inputs(0, 3);
      const y = labels(0, 3);
      const history = await model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
      expect(history.epoch).to.deep.equal([0]);
      expectClose(history.history.loss, [reference.loss], tolerance, 'epoch loss');
      expectClose(await weightValues(model), flatParams(reference.params), tolerance, 'weights');
      const resumed = await model.fit(x, y, { epochs: 3, initialEpoch: 1, batchSize: 3, shuffle: false, verbose: 0 });
      expect(resumed.epoch).to.deep.equal([1, 2]);
      expect(resumed.history.loss).to.have.length(2);
      model.dispose();
      x.dispose();
      y.dispose();
    });

    it('verbose 1 reads no running logs back before logEveryMs has passed', async () => {
      const c = sgdCase(7, 3);
      const model = buildModel(c);
      run(() => setParams(model, INITIAL));
      const x = inputs(0, 7);
      const y = labels(0, 7);
      const seen: Logs[] = [];
      await model.fit(x, y, {
        epochs: 1,
        batchSize: 3,
        shuffle: false,
        verbose: 1,
        logEveryMs: 1e9,
        callbacks: [{ onBatchEnd: (_step, logs) => void seen.push({ ...logs }) }],
      });
      expect(seen).to.deep.equal([{ size: 3 }, { size: 3 }, { size: 1 }]);
      model.dispose();
      x.dispose();
      y.dispose();
    });

    it('fit frees the split it made and leaves validationData to its owner', async () => {
      const c = sgdCase(7, 5);
      const model = buildModel(c);
      run(() => setParams(model, INITIAL));
      const x = inputs(0, 7);
      const y = labels(0, 7);
      const xHeldOut = inputs(5, 7);
      const yHeldOut = labels(5, 7);
      const before = memory().tensors;
      await model.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false, verbose: 0, validationSplit: 0.25 });
      expect(memory().tensors - before, 'tensors left by a fit with validationSplit').to.equal(0);
      await model.fit(x, y, {
        epochs: 1,
        batchSize: 5,
        shuffle: false,
        verbose: 0,
        validationData: [xHeldOut, yHeldOut],
      });
      expect(memory().tensors - before, 'tensors left by a fit with validationData').to.equal(0);
      expect(Array.from(await yHeldOut.data())).to.deep.equal(LABELS.slice(5, 7));
      expect(Array.from(await xHeldOut.data())).to.deep.equal(INPUTS.slice(5, 7).flat());
      model.dispose();
      for (const t of [x, y, xHeldOut, yHeldOut]) t.dispose();
    });

    it('meanSquaredError targets of shape [n, 1] stay [n, 1] (only sparse labels are flattened)', async () => {
      const model = sequential([dense({ units: 1, inputShape: [1] })]);
      model.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'meanSquaredError' });
      run(() => {
        model.build();
        model.setWeights([tensor([[2]]), tensor([0.5])]);
      });
      const x = run(() => tensor([[1], [-1], [0.5]]));
      const y = run(() => tensor([[2], [0], [1]]));
      // predictions 2.5, −1.5, 1.5: squared errors 0.25, 2.25, 0.25
      const logs = await model.evaluate(x, y);
      expectClose([logs.loss], [2.75 / 3], tolerance, 'mse');
      model.dispose();
      x.dispose();
      y.dispose();
    });

    it('the loss reads a linear output as probabilities, and a softmax output fused from its logits (unclipped)', async () => {
      const evaluateOne = async (activation: 'linear' | 'softmax', kernel: number[], xs: number[][], ys: number[]) => {
        const model = sequential([dense({ units: 3, activation, inputShape: [1] })]);
        model.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
        run(() => {
          model.build();
          model.setWeights([tensor([kernel]), tensor([0, 0, 0])]);
        });
        const x = run(() => tensor(xs));
        const y = labelsOf(ys);
        const logs = await model.evaluate(x, y);
        model.dispose();
        x.dispose();
        y.dispose();
        return logs.loss;
      };
      // outputs [0.25, 0.5, 0.125] and twice that, labels 1 and 2: Keras normalises the rows, so the
      // losses are −log(0.5 / 0.875) and −log(0.25 / 1.75)
      const linear = await evaluateOne('linear', [0.25, 0.5, 0.125], [[1], [2]], [1, 2]);
      expectClose([linear], [(Math.log(7 / 4) + Math.log(7)) / 2], tolerance, 'linear output as probabilities');
      // logits [0, 40, 0], label 0: log(e⁴⁰ + 2) ≈ 40, where a clipped probability (1e-7) would give ≈ 16.1
      const fused = await evaluateOne('softmax', [0, 40, 0], [[1]], [0]);
      expectClose([fused], [Math.log(Math.exp(40) + 2)], tolerance, 'softmax output, fused from the logits');
    });

    it('a metric that is not argmax-only reads the probabilities while the loss runs fused from the logits', async () => {
      const c = sgdCase(7, 4);
      const reference = referenceEpoch(INITIAL, c);
      // the mean over samples of the largest class probability, each batch at its pre-update weights
      let topTotal = 0;
      reference.paramsBeforeBatch.forEach((params, b) => {
        for (const row of INPUTS.slice(b * c.batchSize, Math.min((b + 1) * c.batchSize, c.samples))) {
          topTotal += Math.max(...forwardSample(params, row, 0).probabilities);
        }
      });
      const topProbability: Metric = {
        name: 'topProbability',
        compute: (_labels, predictions) => max(predictions, -1),
      };
      const x = inputs(0, 7);
      const y = labels(0, 7);
      // alone, and beside an argmax-only metric: one metric that needs probabilities is enough to apply the softmax
      for (const metrics of [[topProbability], ['accuracy', topProbability]]) {
        const model = buildModel(c);
        model.compile({
          optimizer: sgd({ learningRate: SGD.learningRate }),
          loss: 'sparseCategoricalCrossentropy',
          metrics,
        });
        run(() => setParams(model, INITIAL));
        const history = await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
        expectClose(history.history.loss, [reference.loss], tolerance, 'epoch loss');
        expectClose(history.history.topProbability, [topTotal / c.samples], tolerance, 'topProbability');
        if (metrics.length === 2) expectClose(history.history.accuracy, [reference.accuracy], tolerance, 'accuracy');
        model.dispose();
      }
      x.dispose();
      y.dispose();
    });
  });
}

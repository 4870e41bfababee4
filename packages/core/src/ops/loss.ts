// Softmax and the losses, forward and backward. softmax/logSoftmax run one kernel per pass over rows
// (the max trick inside); softmaxCrossEntropy is one kernel forward and one backward, from the logits,
// so ±1e4 logits and zero probabilities stay finite; sigmoidBinaryCrossEntropy is the stable form from
// logits. The regression losses follow Keras: the mean over the last axis, one value per sample.
import { fmt, sameShape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { abs, add, derivative, minimum, mul, neg, requireFloat, square, sub } from './elementwise.js';
import { reshape } from './movement.js';
import { mean } from './reduce.js';

export interface LogAttrs {
  readonly log: boolean;
}

const softmaxGradOp: OpDef<LogAttrs> = {
  name: 'softmaxGrad',
  infer: ([y]) => ({ shape: y.shape, dtype: y.dtype }),
  kernel: (backend, [y, dy], { log }) => backend.softmaxGrad(y, dy, log),
  grad: 'nonDifferentiable',
};

const softmaxDef = (name: string): OpDef<LogAttrs> => ({
  name,
  infer: ([x]) => {
    requireFloat(name, x);
    if (x.rank === 0) throw new Error(`${name}: needs at least one axis, got a scalar`);
    return { shape: x.shape, dtype: x.dtype };
  },
  kernel: (backend, [x], { log }) => backend.softmax(x, log),
  // softmax: dx = y ⊙ (dy − Σ dy⊙y); logSoftmax: dx = dy − softmax(x)·Σ dy — one kernel from y
  grad: (dy, _, y, attrs) => [() => runOp(softmaxGradOp, [y, dy], attrs)],
});

const crossEntropyGradOp: OpDef<undefined> = {
  name: 'softmaxCrossEntropyGrad',
  infer: ([logits]) => ({ shape: logits.shape, dtype: 'float32' }),
  kernel: (backend, [logits, labels, dy]) => backend.softmaxCrossEntropyGrad(logits, labels, dy),
  grad: 'nonDifferentiable',
};

function checkLabels(logits: Tensor, labels: Tensor): void {
  requireFloat('softmaxCrossEntropy', logits);
  if (logits.rank !== 2) {
    throw new Error(`softmaxCrossEntropy: logits must be [batch, classes], got shape ${fmt(logits.shape)}`);
  }
  const [rows, classes] = logits.shape;
  const sparse = labels.dtype === 'int32' && sameShape(labels.shape, [rows]);
  const dense = labels.dtype === 'float32' && sameShape(labels.shape, logits.shape);
  if (!sparse && !dense) {
    throw new Error(
      `softmaxCrossEntropy: labels of shape ${fmt(labels.shape)} (${labels.dtype}) do not match logits ${fmt(logits.shape)}; ` +
        `expected [${rows}] int32 class indices or [${rows},${classes}] float32 probabilities`,
    );
  }
}

export const lossOps = {
  softmax: softmaxDef('softmax'),
  logSoftmax: softmaxDef('logSoftmax'),
  softmaxCrossEntropy: {
    name: 'softmaxCrossEntropy',
    infer: ([logits, labels]) => {
      checkLabels(logits, labels);
      return { shape: [logits.shape[0]], dtype: 'float32' };
    },
    kernel: (backend, [logits, labels]) => backend.softmaxCrossEntropy(logits, labels),
    // d/dz = softmax(z) − p, times each row's dy, in one kernel; for probability labels (soft targets,
    // distillation) d/dp = −log softmax(z) per row; class indices get none
    grad: (dy, [logits, labels]) => [
      () => runOp(crossEntropyGradOp, [logits, labels, dy], undefined),
      labels.dtype === 'float32' ? () => mul(neg(logSoftmax(logits)), reshape(dy, [-1, 1])) : null,
    ],
  } satisfies OpDef<undefined>,
  sigmoidBinaryCrossEntropy: {
    name: 'sigmoidBinaryCrossEntropy',
    infer: ([logits, labels]) => {
      requireFloat('sigmoidBinaryCrossEntropy', logits, labels);
      if (!sameShape(logits.shape, labels.shape)) {
        throw new Error(
          `sigmoidBinaryCrossEntropy: labels of shape ${fmt(labels.shape)} do not match logits ${fmt(logits.shape)}; ` +
            `expected the same shape`,
        );
      }
      return { shape: logits.shape, dtype: 'float32' };
    },
    kernel: (backend, [logits, labels], _, out) => backend.binary('sigmoidBce', logits, labels, out.shape),
    // ℓ = max(x,0) − xz + log(1 + e^{−|x|}): dℓ/dx = σ(x) − z, dℓ/dz = −x
    grad: (dy, [logits, labels]) => [() => derivative('sigmoidBce', logits, labels, dy), () => neg(mul(dy, logits))],
  } satisfies OpDef<undefined>,
};

/** softmax over the last axis. */
export const softmax = (x: Tensor): Tensor => runOp(lossOps.softmax, [x], { log: false });
/** log softmax over the last axis: x − logsumexp(x). */
export const logSoftmax = (x: Tensor): Tensor => runOp(lossOps.logSoftmax, [x], { log: true });

/**
 * Per-example cross-entropy of softmax(logits) [batch, classes] against int32 class indices [batch]
 * or float32 probabilities / one-hot rows [batch, classes]. Out-of-range indices are reported as an
 * error by the next read (on the GPU) or at once (on the CPU).
 */
export const softmaxCrossEntropy = (logits: Tensor, labels: Tensor): Tensor =>
  runOp(lossOps.softmaxCrossEntropy, [logits, labels], undefined);

/** Elementwise binary cross-entropy of sigmoid(logits) against labels in [0, 1]. */
export const sigmoidBinaryCrossEntropy = (logits: Tensor, labels: Tensor): Tensor =>
  runOp(lossOps.sigmoidBinaryCrossEntropy, [logits, labels], undefined);

function checkPair(op: string, yTrue: Tensor, yPred: Tensor): void {
  requireFloat(op, yTrue, yPred);
  if (!sameShape(yTrue.shape, yPred.shape)) {
    throw new Error(
      `${op}: yTrue of shape ${fmt(yTrue.shape)} does not match yPred ${fmt(yPred.shape)}; expected the same shape`,
    );
  }
}

/** mean((yPred − yTrue)²) over the last axis. */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  checkPair('meanSquaredError', yTrue, yPred);
  return mean(square(sub(yPred, yTrue)), -1);
}

/** mean(|yPred − yTrue|) over the last axis. */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  checkPair('meanAbsoluteError', yTrue, yPred);
  return mean(abs(sub(yPred, yTrue)), -1);
}

/** Huber over the last axis: ½e² where |e| ≤ δ, δ(|e| − ½δ) beyond; as ½q² + δ(|e| − q) with q = min(|e|, δ). */
export function huber(yTrue: Tensor, yPred: Tensor, delta = 1): Tensor {
  checkPair('huber', yTrue, yPred);
  const error = abs(sub(yPred, yTrue));
  const quadratic = minimum(error, delta);
  return mean(add(mul(square(quadratic), 0.5), mul(sub(error, quadratic), delta)), -1);
}

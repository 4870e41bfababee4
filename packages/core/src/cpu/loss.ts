// The CPU reference for softmax and softmax cross-entropy, row by row in float64 with the max trick.
// Everything is computed from z − max (exact for nearby floats) and the log of Σexp(z − max), never
// from max + log Σ: at logits of 1e16 that sum's log is below the float's spacing and would vanish.
import type { TensorInfo } from '../backend.js';
import { sizeOf } from '../dtype.js';

const values = (x: TensorInfo) => x.storage as Float64Array;

/** A row's max m, Σexp(z − m) and its log: softmax is exp(z − m)/sum, log-softmax (z − m) − logSum. */
interface RowStats {
  readonly max: number;
  readonly sum: number;
  readonly logSum: number;
}

/** Each row of x viewed as [rows, cols], with its max and its sum of exponentials. */
function rows(x: TensorInfo): {
  cols: number;
  row: (r: number) => Float64Array;
  stats: (row: Float64Array) => RowStats;
} {
  const cols = x.shape[x.shape.length - 1],
    src = values(x);
  return {
    cols,
    row: (r) => src.subarray(r * cols, (r + 1) * cols),
    stats: (row) => {
      const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
      const sum = row.reduce((s, z) => s + Math.exp(z - max), 0);
      return { max, sum, logSum: Math.log(sum) };
    },
  };
}

export function softmax(x: TensorInfo, log: boolean): Float64Array {
  const { cols, row, stats } = rows(x),
    out = new Float64Array(sizeOf(x.shape));
  for (let r = 0; r < out.length / cols; r++) {
    const z = row(r),
      { max, sum, logSum } = stats(z);
    z.forEach((v, c) => {
      out[r * cols + c] = log ? v - max - logSum : Math.exp(v - max) / sum;
    });
  }
  return out;
}

export function softmaxGrad(y: TensorInfo, dy: TensorInfo, log: boolean): Float64Array {
  const cols = y.shape[y.shape.length - 1],
    yv = values(y),
    g = values(dy),
    out = new Float64Array(yv.length);
  for (let r = 0; r < yv.length / cols; r++) {
    let total = 0;
    for (let c = 0; c < cols; c++) total += log ? g[r * cols + c] : g[r * cols + c] * yv[r * cols + c];
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      out[i] = log ? g[i] - Math.exp(yv[i]) * total : yv[i] * (g[i] - total);
    }
  }
  return out;
}

/** Row r's label distribution p, checking class indices. */
function labelRow(labels: TensorInfo, classes: number): (r: number) => (c: number) => number {
  const lv = values(labels);
  if (labels.dtype === 'float32') return (r) => (c) => lv[r * classes + c];
  return (r) => {
    const label = lv[r];
    if (!(label >= 0 && label < classes)) {
      throw new Error(`softmaxCrossEntropy: label ${label} in row ${r} is out of range [0, ${classes})`);
    }
    return (c) => +(c === label);
  };
}

export function softmaxCrossEntropy(logits: TensorInfo, labels: TensorInfo): Float64Array {
  const { cols, row, stats } = rows(logits),
    p = labelRow(labels, cols);
  return Float64Array.from({ length: sizeOf(logits.shape) / cols }, (_, r) => {
    const z = row(r),
      { max, logSum } = stats(z),
      pr = p(r);
    return z.reduce((loss, v, c) => (pr(c) === 0 ? loss : loss + pr(c) * (logSum - (v - max))), 0); // 0·log 0 counts as 0
  });
}

export function softmaxCrossEntropyGrad(logits: TensorInfo, labels: TensorInfo, dy: TensorInfo): Float64Array {
  const { cols, row, stats } = rows(logits),
    p = labelRow(labels, cols),
    g = values(dy);
  const out = new Float64Array(sizeOf(logits.shape));
  for (let r = 0; r < out.length / cols; r++) {
    const z = row(r),
      { max, sum } = stats(z),
      pr = p(r);
    z.forEach((v, c) => {
      out[r * cols + c] = (Math.exp(v - max) / sum - pr(c)) * g[r];
    });
  }
  return out;
}

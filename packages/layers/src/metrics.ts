// Metrics by Keras name. Each gives a per-sample value that fit sums on the device and reads once per
// logged step. 'accuracy' picks binary, categorical or sparse accuracy from the loss, as Keras does. On
// an output that carries a mask, fit sums a metric over the kept timesteps and divides by their count.
import { abs, argmax, cast, equal, greater, mean, reshape, square, sub, type Tensor } from '@webgrad/core';
import type { Loss } from './losses.js';

export interface Metric {
  readonly name: string;
  compute(yTrue: Tensor, yPred: Tensor): Tensor;
  /** yPred matters only through its argmax: the logits before a softmax/sigmoid give the same value. */
  readonly argmaxOnly?: boolean;
  /** The value at every position [batch, T, …] of a sequence, where compute averages over the positions. */
  positions?(yTrue: Tensor, yPred: Tensor): Tensor;
}

export const binaryAccuracy = (): Metric => ({
  name: 'accuracy',
  compute: (t, p) => mean(equal(greater(p, 0.5), t), -1),
});
export const categoricalAccuracy = (): Metric => ({
  name: 'accuracy',
  argmaxOnly: true,
  compute: (t, p) => cast(equal(cast(argmax(p), 'float32'), cast(argmax(t), 'float32')), 'float32'),
});
export const sparseCategoricalAccuracy = (): Metric => ({
  name: 'accuracy',
  argmaxOnly: true,
  // predictions [batch, T, …, classes]: each sample's accuracy over its positions
  compute: (t, p) => {
    const hits = sparseHits(t, p);
    return p.rank > 2 ? mean(reshape(hits, [p.shape[0], -1]), -1) : hits;
  },
  positions: (t, p) => reshape(sparseHits(t, p), p.shape.slice(0, -1)),
});
/** 1 where the argmax of a row of predictions [rows…, classes] is its label: [Π rows]. */
const sparseHits = (t: Tensor, p: Tensor): Tensor =>
  equal(cast(reshape(argmax(p), [-1]), 'float32'), cast(reshape(t, [-1]), 'float32'));
export const meanSquaredErrorMetric = (): Metric => ({ name: 'mse', compute: (t, p) => mean(square(sub(p, t)), -1) });
export const meanAbsoluteErrorMetric = (): Metric => ({ name: 'mae', compute: (t, p) => mean(abs(sub(p, t)), -1) });

const names = ['accuracy', 'acc', 'meanSquaredError', 'mse', 'meanAbsoluteError', 'mae'];

export function getMetric(spec: string | Metric, loss: Loss): Metric {
  if (typeof spec !== 'string') return spec;
  if (spec === 'accuracy' || spec === 'acc') {
    if (loss.name === 'binaryCrossentropy') return binaryAccuracy();
    if (loss.name === 'sparseCategoricalCrossentropy') return sparseCategoricalAccuracy();
    return categoricalAccuracy();
  }
  if (spec === 'meanSquaredError' || spec === 'mse') return meanSquaredErrorMetric();
  if (spec === 'meanAbsoluteError' || spec === 'mae') return meanAbsoluteErrorMetric();
  throw new Error(`unknown metric '${spec}'; expected one of ${names.join(', ')}`);
}

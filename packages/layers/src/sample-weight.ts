// Sample weights for fit and evaluate (Keras's sample_weight): one weight per sample of y, checked
// once and scaled to mean 1, so that a batch's mean of weight × loss is the weighted mean over the
// data and a 0/1 mask (the training nodes of a graph) averages over the samples it selects.
import { concat, min, mul, reshape, sum, tidy, withBackend, type Tensor } from '@webgrad/core';

/** The weights checked against `count` samples and scaled to mean 1 (a new tensor; one readback). */
export async function normalizedWeights(weights: Tensor, count: number, op: string): Promise<Tensor> {
  if (weights.dtype !== 'float32' || weights.rank !== 1 || weights.shape[0] !== count) {
    throw new Error(
      `${op}: sampleWeight must be float32 [${count}] (one weight per sample of y), got ${weights.dtype} ` +
        `[${weights.shape.join(',')}]`,
    );
  }
  const both = withBackend(weights.backend, () =>
    tidy(() => concat([reshape(sum(weights), [1]), reshape(min(weights), [1])], 0)),
  );
  const [totalValue, leastValue] = await both.data();
  both.dispose();
  if (!(leastValue >= 0) || !(totalValue > 0) || !Number.isFinite(totalValue)) {
    throw new Error(
      `${op}: sampleWeight must be finite and non-negative with a positive sum, got sum ${totalValue} and ` +
        `least weight ${leastValue}`,
    );
  }
  return withBackend(weights.backend, () => tidy(() => mul(weights, count / totalValue)));
}

/** Per-sample values [B, ...] times the batch's weights [B] (broadcast over the trailing axes). */
export function weighted(values: Tensor, weights: Tensor | undefined): Tensor {
  if (!weights) return values;
  const shape = [weights.size, ...values.shape.slice(1).map(() => 1)];
  return mul(values, reshape(weights, shape));
}

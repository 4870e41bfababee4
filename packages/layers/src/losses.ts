// Losses by Keras name. Each gives one value per sample; compile averages them over the batch.
// `fromLogits` pairs (softmax + categorical CE, sigmoid + binary CE) run as the fused kernels: a
// model whose last layer is softmax/sigmoid hands the loss its logits instead (see model.ts). An
// output that carries a mask (a sequence after Embedding's maskZero or Masking) averages its loss over
// the kept timesteps of the whole batch, as Keras 3's apply_mask does (maskedPerSample).
import {
  add,
  div,
  huber,
  log,
  meanAbsoluteError,
  meanSquaredError,
  maximum,
  minimum,
  mean,
  mul,
  reshape,
  sigmoidBinaryCrossEntropy,
  softmaxCrossEntropy,
  sub,
  sum,
  type Tensor,
} from '@webgrad/core';

export interface Loss {
  readonly name: string;
  /** Per-sample loss of predictions (or logits, when fromLogits) against targets. */
  compute(yTrue: Tensor, yPred: Tensor): Tensor;
  /** The output activation whose logits the fused form of this loss takes, if any. */
  readonly fusesWith?: 'softmax' | 'sigmoid';
  readonly fromLogits: boolean;
  readonly config: Readonly<Record<string, unknown>>;
  /** The same loss taking logits: what fit uses when the model ends in `fusesWith`. */
  readonly onLogits?: () => Loss;
  /** The loss at every position [batch, T, …] of a sequence, where compute averages over the positions. */
  positions?(yTrue: Tensor, yPred: Tensor): Tensor;
}

/** Keras's backend epsilon: the kept count a masked mean divides by is never zero. */
const MASK_EPSILON = 1e-7;

/**
 * The value at every position of a sequence output, [batch, T] (any axes after T averaged), by a loss
 * or a metric: its `positions` where compute averages them away, else compute, which keeps them.
 */
export function valuesAt(
  f: { compute(t: Tensor, p: Tensor): Tensor; positions?(t: Tensor, p: Tensor): Tensor },
  yTrue: Tensor,
  yPred: Tensor,
  mask: Tensor,
): Tensor {
  const values = f.positions ? f.positions(yTrue, yPred) : f.compute(yTrue, yPred);
  if (values.rank < 2 || values.shape[1] !== mask.shape[1]) {
    throw new Error(
      `a masked output: values of shape [${values.shape.join(',')}] do not have the mask's timesteps ` +
        `[${mask.shape.join(',')}]`,
    );
  }
  return values.rank === 2 ? values : mean(reshape(values, [values.shape[0], values.shape[1], -1]), -1);
}

/**
 * Per-sample terms whose batch mean is Σ loss·mask / (Σ mask + ε), Keras 3's masked mean over the
 * batch's kept timesteps: sample b gives Σ_t loss·mask · batch / (Σ mask + ε). Weights [batch] then
 * multiply each sample's term, as Keras multiplies sample_weight into the mask.
 */
export function maskedPerSample(values: Tensor, mask: Tensor): Tensor {
  const batch = values.shape[0];
  return div(mul(sum(mul(values, mask), -1), batch), add(sum(mask), MASK_EPSILON));
}

// Clipping probabilities to [ε, 1 − ε] keeps log finite, as Keras does for losses on probabilities.
const EPSILON = 1e-7;
const clipProbability = (p: Tensor) => minimum(maximum(p, EPSILON), 1 - EPSILON);

export const meanSquaredErrorLoss = (): Loss => ({
  name: 'meanSquaredError',
  fromLogits: false,
  config: {},
  compute: meanSquaredError,
});
export const meanAbsoluteErrorLoss = (): Loss => ({
  name: 'meanAbsoluteError',
  fromLogits: false,
  config: {},
  compute: meanAbsoluteError,
});
export const huberLoss = ({ delta = 1 }: { delta?: number } = {}): Loss => ({
  name: 'huber',
  fromLogits: false,
  config: { delta },
  compute: (t, p) => huber(t, p, delta),
});

export function binaryCrossentropy({ fromLogits = false }: { fromLogits?: boolean } = {}): Loss {
  return {
    name: 'binaryCrossentropy',
    fromLogits,
    fusesWith: 'sigmoid',
    config: { fromLogits },
    onLogits: () => binaryCrossentropy({ fromLogits: true }),
    compute: (yTrue, yPred) => {
      if (fromLogits) return mean(sigmoidBinaryCrossEntropy(yPred, yTrue), -1);
      const p = clipProbability(yPred); // −[z log p + (1 − z) log(1 − p)]
      return mean(mul(add(mul(yTrue, log(p)), mul(sub(1, yTrue), log(sub(1, p)))), -1), -1);
    },
  };
}

/** One-hot (or probability) targets [batch, classes]. */
export function categoricalCrossentropy({ fromLogits = false }: { fromLogits?: boolean } = {}): Loss {
  return {
    name: 'categoricalCrossentropy',
    fromLogits,
    fusesWith: 'softmax',
    config: { fromLogits },
    onLogits: () => categoricalCrossentropy({ fromLogits: true }),
    compute: (yTrue, yPred) =>
      fromLogits ? softmaxCrossEntropy(yPred, yTrue) : mul(sum(mul(yTrue, log(clipProbability(yPred))), -1), -1),
  };
}

/**
 * int32 class-index targets [batch] for predictions [batch, classes]; or [batch, T, …] for predictions
 * [batch, T, …, classes] (a class at every timestep), each sample's loss then the mean over its positions.
 */
export function sparseCategoricalCrossentropy({ fromLogits = false }: { fromLogits?: boolean } = {}): Loss {
  return {
    name: 'sparseCategoricalCrossentropy',
    fromLogits,
    fusesWith: 'softmax',
    config: { fromLogits },
    onLogits: () => sparseCategoricalCrossentropy({ fromLogits: true }),
    compute: (yTrue, yPred) => {
      const perRow = sparseRows(yTrue, yPred, fromLogits);
      return yPred.rank > 2 ? mean(reshape(perRow, [yPred.shape[0], -1]), -1) : perRow;
    },
    positions: (yTrue, yPred) => reshape(sparseRows(yTrue, yPred, fromLogits), yPred.shape.slice(0, -1)),
  };
}

/** Sparse categorical cross-entropy of every row of predictions [rows…, classes]: [Π rows]. */
function sparseRows(yTrue: Tensor, yPred: Tensor, fromLogits: boolean): Tensor {
  const rows = yPred.rank > 2 ? reshape(yPred, [-1, yPred.shape[yPred.rank - 1]]) : yPred;
  // on probabilities: the CE of log p as logits, since softmax(log p) = p for a distribution p
  return softmaxCrossEntropy(fromLogits ? rows : log(clipProbability(rows)), reshape(yTrue, [-1]));
}

export const lossFactories = {
  meanSquaredError: meanSquaredErrorLoss,
  mse: meanSquaredErrorLoss,
  meanAbsoluteError: meanAbsoluteErrorLoss,
  mae: meanAbsoluteErrorLoss,
  huber: huberLoss,
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
} as const;
export type LossName = keyof typeof lossFactories;

export function getLoss(spec: LossName | Loss): Loss {
  if (typeof spec !== 'string') return spec;
  const factory = Object.hasOwn(lossFactories, spec) ? lossFactories[spec] : undefined; // own names only: not 'constructor'
  if (!factory) throw new Error(`unknown loss '${spec}'; expected one of ${Object.keys(lossFactories).join(', ')}`);
  return factory();
}

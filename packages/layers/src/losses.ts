// Losses by Keras name. Each gives one value per sample; compile averages them over the batch.
// `fromLogits` pairs (softmax + categorical CE, sigmoid + binary CE) run as the fused kernels: a
// model whose last layer is softmax/sigmoid hands the loss its logits instead (see model.ts).
import {
  add,
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
      const rows = yPred.rank > 2 ? reshape(yPred, [-1, yPred.shape[yPred.rank - 1]]) : yPred;
      // on probabilities: the CE of log p as logits, since softmax(log p) = p for a distribution p
      const perRow = softmaxCrossEntropy(fromLogits ? rows : log(clipProbability(rows)), reshape(yTrue, [-1]));
      return yPred.rank > 2 ? mean(reshape(perRow, [yPred.shape[0], -1]), -1) : perRow;
    },
  };
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

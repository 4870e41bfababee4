// What compile makes of its arguments: the optimizer, loss and metrics a model trains with, looked up
// by Keras name or taken as given. Below training, saving and the model, so each of them can name it.
import type { Optimizer } from '@webgrad/core';
import { getLoss, type Loss, type LossName } from './losses.js';
import { getMetric, type Metric } from './metrics.js';
import { getOptimizer, type OptimizerName } from './optimizers.js';

export interface CompileArgs {
  optimizer: OptimizerName | Optimizer;
  loss: LossName | Loss;
  metrics?: (string | Metric)[];
}

export interface Compiled {
  readonly optimizer: Optimizer;
  readonly loss: Loss;
  readonly metrics: readonly Metric[];
  readonly args: CompileArgs;
}

/** The optimizer, loss and metrics the arguments name (metrics such as 'accuracy' are read against the loss). */
export function compiledFrom(args: CompileArgs): Compiled {
  const loss = getLoss(args.loss);
  const optimizer = getOptimizer(args.optimizer);
  const metrics = (args.metrics ?? []).map((m) => getMetric(m, loss));
  return { optimizer, loss, metrics, args };
}

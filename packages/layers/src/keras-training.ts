// The training side of a Keras 3 .keras file, both ways, by way of TF.js's form (tfjs-training.ts):
// config.json's compile_config (an Adam or SGD optimizer, the loss and metric names) against TF.js's
// trainingConfig, and model.weights.h5's optimizer/vars against TF.js's optimizer weights. Keras keeps
// optimizer/vars/0 = the step count (int), 1 = the learning rate, then per trainable variable, in the
// order of model.trainable_variables, its moments [m, v] (Adam) or nothing (SGD without momentum).
import { isDict } from './tfjs-names.js';
import type { TfjsWeightSpec } from './tfjs-training.js';

type Dict = Record<string, unknown>;

const KERAS_OPTIMIZERS: Record<string, { slots: string[]; keys: Record<string, string> }> = {
  Adam: {
    slots: ['m', 'v'],
    keys: { learningRate: 'learning_rate', beta1: 'beta_1', beta2: 'beta_2', epsilon: 'epsilon' },
  },
  SGD: { slots: [], keys: { learningRate: 'learning_rate' } },
};

// Keras 3's optimizer options with the values that make its update webgrad's (and TF.js's)
const NEUTRAL: Dict = {
  weight_decay: null,
  clipnorm: null,
  global_clipnorm: null,
  clipvalue: null,
  use_ema: false,
  ema_momentum: 0.99,
  ema_overwrite_frequency: null,
  loss_scale_factor: null,
  gradient_accumulation_steps: null,
};

/** TF.js's trainingConfig as Keras 3's compile_config. */
export function kerasCompileConfig(training: Dict): Dict {
  const optimizer = training.optimizer_config as { class_name: string; config: Dict };
  const known = KERAS_OPTIMIZERS[optimizer.class_name];
  const own = Object.fromEntries(Object.entries(known.keys).map(([ts, py]) => [py, optimizer.config[ts]]));
  const extra = optimizer.class_name === 'Adam' ? { amsgrad: false } : { momentum: 0, nesterov: false };
  const metrics = training.metrics as string[];
  return {
    optimizer: {
      module: 'keras.optimizers',
      class_name: optimizer.class_name,
      config: { name: optimizer.class_name.toLowerCase(), ...own, ...NEUTRAL, ...extra },
      registered_name: null,
    },
    loss: training.loss,
    loss_weights: null,
    metrics: metrics.length ? metrics : null,
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: true,
  };
}

/**
 * Keras's compile_config as TF.js's trainingConfig, or undefined when webgrad cannot train as it says
 * (another optimizer, an option that changes Adam's update, a loss that is not a name): the model then
 * loads uncompiled, its weights whole.
 */
export function trainingFromKeras(compile: unknown): Dict | undefined {
  if (!isDict(compile) || !isDict(compile.optimizer)) return undefined;
  const { class_name: className, config } = compile.optimizer;
  const known =
    typeof className === 'string' && Object.hasOwn(KERAS_OPTIMIZERS, className)
      ? KERAS_OPTIMIZERS[className]
      : undefined;
  if (!known || !isDict(config)) return undefined;
  const neutral = Object.entries(NEUTRAL).every(([k, v]) => config[k] === undefined || config[k] === v);
  const plain = config.amsgrad !== true && !(typeof config.momentum === 'number' && config.momentum !== 0);
  const lossNamed =
    typeof compile.loss === 'string' ||
    (Array.isArray(compile.loss) && compile.loss.every((l) => typeof l === 'string'));
  const metrics = compile.metrics ?? [];
  if (!neutral || !plain || !lossNamed || !Array.isArray(metrics) || !metrics.every((m) => typeof m === 'string')) {
    return undefined;
  }
  const options = Object.fromEntries(Object.entries(known.keys).map(([ts, py]) => [ts, config[py]]));
  return { loss: compile.loss, metrics, optimizer_config: { class_name: className, config: options } };
}

/** Where TF.js's optimizer weights go in Keras's optimizer/vars, given the trainable weights in Keras's order. */
export function kerasOptimizerOrder(
  className: string,
  trainableInKerasOrder: readonly string[],
): { name: string; index: number }[] {
  const slots = KERAS_OPTIMIZERS[className]?.slots ?? [];
  const out: { name: string; index: number }[] = [{ name: 'iter', index: 0 }];
  let index = 2;
  for (const weight of trainableInKerasOrder) {
    for (const slot of slots) out.push({ name: `${weight}/${slot}`, index: index++ });
  }
  return out;
}

/** TF.js's optimizer specs (iter, every m, every v) for Keras's optimizer/vars, named after the weights. */
export function tfjsOptimizerSpecs(
  className: string,
  trainableInKerasOrder: readonly { name: string; shape: number[] }[],
): TfjsWeightSpec[] {
  const slots = KERAS_OPTIMIZERS[className]?.slots ?? [];
  const specs: TfjsWeightSpec[] = [{ name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' }];
  for (const slot of slots) {
    for (const { name, shape } of trainableInKerasOrder) {
      specs.push({ name: `${name}/${slot}`, shape, dtype: 'float32', group: 'optimizer' });
    }
  }
  return specs;
}

/** The optimizer variables' count Keras keeps for `trainable` variables (step, learning rate, then the slots). */
export const kerasOptimizerVarCount = (className: string, trainable: number): number =>
  2 + (KERAS_OPTIMIZERS[className]?.slots.length ?? 0) * trainable;

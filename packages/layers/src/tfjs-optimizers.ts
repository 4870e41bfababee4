// webgrad's optimizers against TF.js's (tfjs-core 4.22), both ways: which TF.js class each kind is, its
// config, and its state in TF.js's layout (the slots its getWeights names `<weight>/<slot>`, in its
// order), each slot a function of webgrad's. The update rules were read side by side: momentum SGD keeps
// TF.js's accumulator a = Σ μ^k g (θ -= ε a) where webgrad keeps s = -ε a (θ += s), so the slot is
// scaled by -1/ε; RMSProp's momentum slot is webgrad's negated; Adam's, Adagrad's and RMSProp's mean
// squares are the same numbers. TF.js puts Adagrad's and RMSProp's ε inside the square root, webgrad
// outside: a difference of order ε / ms in the step, below float32's precision once ms ≫ ε.
// Kinds with no TF.js class (AdamW, RMSProp with Nesterov momentum) have no entry; TF.js's Adadelta
// and Adamax, and its centered RMSProp, have no webgrad kind.
import type { OptimizerKind } from '@webgrad/core';

type Dict = Record<string, unknown>;

/** One TF.js class as a webgrad kind sees it. */
export interface TfjsOptimizer {
  className: string;
  /** TF.js's config (its getConfig's keys) from webgrad's options. */
  config(options: Dict): Dict;
  /** TF.js's slot names in its getWeights order (after `iter`). */
  slots: string[];
  /** TF.js's slot values from webgrad's state of one weight (webgrad's slots, in its order). */
  toTfjs(state: readonly Float32Array[], options: Dict): Float32Array[];
  /** webgrad's state of one weight from TF.js's slot values (in `slots` order). */
  fromTfjs(slots: readonly Float32Array[], options: Dict): Float32Array[];
  /** An option value this class cannot take, named; undefined when it takes them all. */
  lacks?(options: Dict): string | undefined;
}

const scaled = (values: Float32Array, factor: number): Float32Array => values.map((v) => v * factor);
const learningRate = (o: Dict): number => Number(o.learningRate);

const momentum = (nesterov: boolean): TfjsOptimizer => ({
  className: 'Momentum',
  config: (o) => ({ learningRate: o.learningRate, momentum: o.momentum, useNesterov: nesterov }),
  slots: ['momentum'],
  // a learning rate of 0 has moved nothing: the accumulator is then 0 as well
  toTfjs: ([s], o) => [learningRate(o) === 0 ? new Float32Array(s.length) : scaled(s, -1 / learningRate(o))],
  fromTfjs: ([a], o) => [scaled(a, -learningRate(o))],
});

/** webgrad kind → its TF.js class. */
export const TFJS_OPTIMIZERS: Partial<Record<OptimizerKind, TfjsOptimizer>> = {
  sgd: {
    className: 'SGD',
    config: (o) => ({ learningRate: o.learningRate }),
    slots: [],
    toTfjs: () => [],
    fromTfjs: () => [],
  },
  momentum: momentum(false),
  nesterov: momentum(true),
  adagrad: {
    className: 'Adagrad',
    // webgrad's accumulators start at 0; TF.js's at initialAccumulatorValue
    config: (o) => ({ learningRate: o.learningRate, initialAccumulatorValue: 0 }),
    slots: ['accumulator'],
    toTfjs: ([s]) => [s],
    fromTfjs: ([a]) => [a],
    // TF.js's Adagrad has no epsilon: it takes the backend's (1e-7 on the cpu backend)
    lacks: (o) => (o.epsilon === 1e-7 ? undefined : `epsilon: ${String(o.epsilon)} (TF.js's Adagrad uses 1e-7)`),
  },
  rmsprop: {
    className: 'RMSProp',
    config: (o) => ({ learningRate: o.learningRate, decay: o.rho, momentum: 0, epsilon: o.epsilon, centered: false }),
    slots: ['rms', 'momentum'],
    // TF.js keeps a momentum slot even at momentum 0, where it multiplies nothing
    toTfjs: ([s]) => [s, new Float32Array(s.length)],
    fromTfjs: ([ms]) => [ms],
  },
  rmspropMomentum: {
    className: 'RMSProp',
    config: (o) => ({
      learningRate: o.learningRate,
      decay: o.rho,
      momentum: o.momentum,
      epsilon: o.epsilon,
      centered: false,
    }),
    slots: ['rms', 'momentum'],
    toTfjs: ([s, v]) => [s, scaled(v, -1)],
    fromTfjs: ([ms, mom]) => [ms, scaled(mom, -1)],
  },
  adam: {
    className: 'Adam',
    config: (o) => ({ learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon }),
    slots: ['m', 'v'],
    toTfjs: (state) => [...state],
    fromTfjs: (slots) => [...slots],
  },
};

/** webgrad options TF.js's optimizers have no key for, and the value that leaves them off. */
export const WEBGRAD_ONLY_OPTIONS: Dict = {
  weightDecay: 0,
  clipValue: 0,
  clipNorm: undefined,
  globalClipNorm: undefined,
};

/** TF.js's class and config as webgrad's kind and options; an Error's text when webgrad has no such optimizer. */
export function webgradOptimizer(className: unknown, config: Dict): { kind: OptimizerKind; options: Dict } | string {
  const rate = { learningRate: config.learningRate };
  switch (className) {
    case 'SGD':
      return { kind: 'sgd', options: rate };
    case 'Momentum':
      return {
        kind: config.useNesterov === true ? 'nesterov' : 'momentum',
        options: { ...rate, momentum: config.momentum },
      };
    case 'Adagrad':
      return { kind: 'adagrad', options: rate };
    case 'RMSProp': {
      if (config.centered === true) return "a centered RMSProp (webgrad's RMSProp is not centered)";
      const options = { ...rate, rho: config.decay, epsilon: config.epsilon };
      const moving = typeof config.momentum === 'number' && config.momentum !== 0;
      return moving
        ? { kind: 'rmspropMomentum', options: { ...options, momentum: config.momentum } }
        : { kind: 'rmsprop', options };
    }
    case 'Adam':
      return { kind: 'adam', options: { ...rate, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon } };
    default:
      return `TF.js optimizer ${JSON.stringify(className)}, which webgrad lacks (it reads SGD, Momentum, Adagrad, RMSProp and Adam)`;
  }
}

// Optimizer factories under Keras's names, on core's fused update kernels. Every one takes clipNorm,
// clipValue and globalClipNorm; learningRate may be a number or a schedule.
import { Optimizer, type OptimizerOptions } from '@webgrad/core';
import type { Schedule } from './schedules.js';

interface Common {
  learningRate?: number | Schedule;
  clipNorm?: number;
  clipValue?: number;
  globalClipNorm?: number;
  weightDecay?: number;
}

/** The options given, without undefined entries (so they never override a default). */
const common = (options: Common): OptimizerOptions =>
  Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as OptimizerOptions;

/** SGD; momentum > 0 adds velocity, nesterov the look-ahead form. */
export const sgd = ({
  momentum = 0,
  nesterov = false,
  ...rest
}: Common & { momentum?: number; nesterov?: boolean } = {}): Optimizer =>
  new Optimizer(nesterov ? 'nesterov' : momentum > 0 ? 'momentum' : 'sgd', {
    learningRate: 0.01,
    ...common(rest),
    momentum,
  });

export const adagrad = ({ epsilon = 1e-7, ...rest }: Common & { epsilon?: number } = {}): Optimizer =>
  new Optimizer('adagrad', { learningRate: 0.001, ...common(rest), epsilon });

export const rmsprop = ({
  rho = 0.9,
  momentum = 0,
  nesterov = false,
  epsilon = 1e-7,
  ...rest
}: Common & { rho?: number; momentum?: number; nesterov?: boolean; epsilon?: number } = {}): Optimizer =>
  new Optimizer(nesterov ? 'rmspropNesterov' : momentum > 0 ? 'rmspropMomentum' : 'rmsprop', {
    learningRate: 0.001,
    ...common(rest),
    rho,
    momentum,
    epsilon,
  });

export const adam = ({
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon = 1e-7,
  ...rest
}: Common & { beta1?: number; beta2?: number; epsilon?: number } = {}): Optimizer =>
  new Optimizer('adam', { learningRate: 0.001, ...common(rest), beta1, beta2, epsilon });

export const adamw = ({
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon = 1e-7,
  weightDecay = 0.004,
  ...rest
}: Common & { beta1?: number; beta2?: number; epsilon?: number } = {}): Optimizer =>
  new Optimizer('adamw', { learningRate: 0.001, ...common(rest), beta1, beta2, epsilon, weightDecay });

export const optimizerFactories = { sgd, adagrad, rmsprop, adam, adamw } as const;
export type OptimizerName = keyof typeof optimizerFactories;

export function getOptimizer(spec: OptimizerName | Optimizer): Optimizer {
  if (typeof spec !== 'string') return spec;
  const factory = Object.hasOwn(optimizerFactories, spec) ? optimizerFactories[spec] : undefined; // own names only
  if (!factory) {
    throw new Error(`unknown optimizer '${spec}'; expected one of ${Object.keys(optimizerFactories).join(', ')}`);
  }
  return factory();
}

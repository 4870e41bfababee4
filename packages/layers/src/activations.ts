// Activations by name, as Keras spells them. Those a matmul can apply in its epilogue are marked so a
// Dense layer fuses them; the rest run as their own op after it. Imports @webgrad/core only.
import * as core from '@webgrad/core';
import type { FusedActivation, Tensor } from '@webgrad/core';

export interface Activation {
  readonly name: string;
  readonly apply: (x: Tensor) => Tensor;
  /** Set when the fused matmul epilogue computes this activation. */
  readonly fused?: FusedActivation;
}

type Op = (x: Tensor) => Tensor;
const optional = (name: string): Op | undefined => (core as unknown as Record<string, Op | undefined>)[name];

/** Softmax over the last axis with the max trick, from core ops, until a fused kernel exists in core. */
function softmaxLastAxis(x: Tensor): Tensor {
  const fused = optional('softmax');
  if (fused) return fused(x);
  const exps = core.exp(core.sub(x, core.mean(x, -1, true)));
  return core.div(exps, core.sum(exps, -1, true));
}

const table: Record<string, () => Activation> = {
  linear: () => ({ name: 'linear', apply: (x) => x, fused: 'linear' }),
  relu: () => ({ name: 'relu', apply: core.relu, fused: 'relu' }),
  sigmoid: () => ({ name: 'sigmoid', apply: core.sigmoid, fused: 'sigmoid' }),
  tanh: () => ({ name: 'tanh', apply: core.tanh, fused: 'tanh' }),
  softmax: () => ({ name: 'softmax', apply: softmaxLastAxis }),
};
for (const name of ['leakyRelu', 'elu', 'selu', 'softplus', 'gelu']) {
  const op = optional(name);
  if (op) table[name] = () => ({ name, apply: op });
}

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'leakyRelu' | 'elu' | 'selu' | 'softplus' | 'gelu';

/** An activation by name; unknown names list the valid ones. */
export function getActivation(name: ActivationName | Activation | undefined): Activation {
  if (name === undefined) return table.linear();
  if (typeof name !== 'string') return name;
  const make = table[name];
  if (!make) throw new Error(`unknown activation '${name}'; expected one of ${Object.keys(table).join(', ')}`);
  return make();
}

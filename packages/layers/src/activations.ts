// Activations by name, as Keras spells them. Those the matmul epilogue computes are marked `fused`,
// so a Dense layer applies them inside its one kernel; the rest run as their own op after it.
import {
  elu,
  gelu,
  leakyRelu,
  relu,
  selu,
  sigmoid,
  softmax,
  softplus,
  tanh,
  type FusedActivation,
  type Tensor,
} from '@webgrad/core';

export interface Activation {
  readonly name: ActivationName;
  readonly apply: (x: Tensor) => Tensor;
  /** Set when the fused matmul epilogue computes this activation. */
  readonly fused?: FusedActivation;
}

const table = {
  linear: { apply: (x: Tensor) => x, fused: 'linear' },
  relu: { apply: relu, fused: 'relu' },
  sigmoid: { apply: sigmoid, fused: 'sigmoid' },
  tanh: { apply: tanh, fused: 'tanh' },
  softmax: { apply: softmax },
  leakyRelu: { apply: (x: Tensor) => leakyRelu(x) },
  elu: { apply: (x: Tensor) => elu(x) },
  selu: { apply: selu },
  softplus: { apply: softplus },
  gelu: { apply: gelu },
} as const satisfies Record<string, { apply: (x: Tensor) => Tensor; fused?: FusedActivation }>;

export type ActivationName = keyof typeof table;

/** An activation by name; unknown names list the valid ones. */
export function getActivation(spec: ActivationName | Activation | undefined): Activation {
  if (spec === undefined) return { name: 'linear', ...table.linear };
  if (typeof spec !== 'string') return spec;
  const entry = Object.hasOwn(table, spec) ? table[spec] : undefined; // own names only: not 'constructor'
  if (!entry) {
    throw new Error(`unknown activation '${spec as string}'; expected one of ${Object.keys(table).join(', ')}`);
  }
  return { name: spec, ...entry };
}

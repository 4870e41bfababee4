// Weight penalties added to the loss (so autodiff adds their gradients): l1 λΣ|w|, l2 λΣw², l1l2 both.
import { abs, add, mul, square, sum, type Tensor } from '@webgrad/core';

export interface Regularizer {
  readonly name: string;
  readonly config: Readonly<Record<string, number>>;
  penalty(w: Tensor): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
}

export function l1l2({ l1 = 0, l2 = 0 }: { l1?: number; l2?: number } = {}): Regularizer {
  return {
    name: 'l1l2',
    config: { l1, l2 },
    add,
    penalty: (w) => {
      const terms = [l1 ? mul(sum(abs(w)), l1) : undefined, l2 ? mul(sum(square(w)), l2) : undefined].filter(
        (t) => t !== undefined,
      );
      return terms.length === 2 ? add(terms[0], terms[1]) : (terms[0] ?? mul(sum(w), 0));
    },
  };
}

export const l1 = ({ l1: rate = 0.01 }: { l1?: number } = {}): Regularizer => ({ ...l1l2({ l1: rate }), name: 'l1' });
export const l2 = ({ l2: rate = 0.01 }: { l2?: number } = {}): Regularizer => ({ ...l1l2({ l2: rate }), name: 'l2' });

export const regularizerFactories = { l1, l2, l1l2 } as const;

export function getRegularizer(
  spec: keyof typeof regularizerFactories | Regularizer | undefined,
): Regularizer | undefined {
  if (spec === undefined || typeof spec !== 'string') return spec;
  const factory = regularizerFactories[spec];
  if (!factory) {
    throw new Error(`unknown regularizer '${spec}'; expected one of ${Object.keys(regularizerFactories).join(', ')}`);
  }
  return factory();
}

// Weight penalties added to the loss (so autodiff adds their gradients): l1 λΣ|w|, l2 λΣw², l1l2 both.
import { abs, add, mul, square, sum, type Tensor } from '@webgrad/core';

export interface Regularizer {
  readonly name: string;
  readonly config: Readonly<Record<string, number>>;
  penalty(w: Tensor): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
}

/** A factor as given (a saved model.json may hold anything): a finite non-negative number, or an error naming it. */
function factor(regularizer: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(
      `${regularizer}: ${key} must be a finite non-negative number, got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return value;
}

export function l1l2(options: { l1?: number; l2?: number } = {}, name = 'l1l2'): Regularizer {
  const l1 = factor(name, 'l1', options.l1 ?? 0),
    l2 = factor(name, 'l2', options.l2 ?? 0);
  return {
    name,
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

export const l1 = ({ l1: rate = 0.01 }: { l1?: number } = {}): Regularizer => l1l2({ l1: rate }, 'l1');
export const l2 = ({ l2: rate = 0.01 }: { l2?: number } = {}): Regularizer => l1l2({ l2: rate }, 'l2');

export const regularizerFactories = { l1, l2, l1l2 } as const;

export function getRegularizer(
  spec: keyof typeof regularizerFactories | Regularizer | undefined,
): Regularizer | undefined {
  if (spec === undefined || typeof spec !== 'string') return spec;
  const factory = Object.hasOwn(regularizerFactories, spec) ? regularizerFactories[spec] : undefined; // own names only
  if (!factory) {
    throw new Error(`unknown regularizer '${spec}'; expected one of ${Object.keys(regularizerFactories).join(', ')}`);
  }
  return factory();
}

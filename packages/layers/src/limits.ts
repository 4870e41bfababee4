// What a model file may make webgrad allocate: the ceilings loading checks sizes against (total weight
// bytes, model.json's bytes, one size in a layer config), and the weight budget a load sets while it
// builds the layers its model.json describes. makeWeight (layer.ts) charges every weight to the budget
// before allocating it, so a config asking for far more than the manifest holds (Dense with 2^31−1
// units) is refused before any memory is taken, however the model is assembled. The budget is a plain
// module variable: building layers is synchronous, so a scope cannot interleave with another.
import type { Variable } from '@webgrad/core';

export interface LoadLimits {
  /** The most bytes of weights (and optimizer state) a loaded model may hold; 2 GiB unless set. */
  maxWeightBytes: number;
  /** The most bytes a model.json may have; 64 MiB unless set. */
  maxJsonBytes: number;
}

const limits: LoadLimits = { maxWeightBytes: 2 ** 31, maxJsonBytes: 64 * 2 ** 20 };

/** The ceilings loading checks against now. */
export const loadLimits = (): Readonly<LoadLimits> => ({ ...limits });

/** Raises or lowers the ceilings for loads that start afterwards; returns the previous ones. */
export function setLoadLimits(next: Partial<LoadLimits>): LoadLimits {
  const previous = { ...limits };
  for (const [key, value] of Object.entries(next) as [keyof LoadLimits, unknown][]) {
    if (!Object.hasOwn(limits, key)) {
      throw new Error(`setLoadLimits: unknown limit '${key}'; known: ${Object.keys(limits).join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(`setLoadLimits: ${key} must be a non-negative integer (bytes), got ${String(value)}`);
    }
    limits[key] = value;
  }
  return previous;
}

/** The largest size a layer config may give one axis (units, filters, a dimension of inputShape). */
export const MAX_CONFIG_SIZE = 2 ** 24;

interface Budget {
  left: number;
  readonly total: number;
  readonly where: string;
  readonly op: string;
  readonly made: Variable[];
}

let budget: Budget | undefined;

/**
 * Runs fn (synchronous: the layers are built inside it) with `elements` floats to spend on weights.
 * A weight that would overdraw it throws before it is allocated; if fn throws, every weight made in it
 * is disposed, so a refused load leaks nothing.
 */
export function withWeightBudget<T>(elements: number, where: string, op: string, fn: () => T): T {
  if (budget) throw new Error(`${op}: a weight budget is already open (loads build their layers one at a time)`);
  const scope: Budget = { left: elements, total: elements, where, op, made: [] };
  budget = scope;
  try {
    const result = fn();
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      throw new Error(`${op}: withWeightBudget takes a synchronous function (the budget would outlive it)`);
    }
    return result;
  } catch (error) {
    for (const v of scope.made) if (!v.isDisposed) v.dispose();
    throw error;
  } finally {
    budget = undefined;
  }
}

/** Charges a weight of `shape` to the open budget (none open: no limit); throws naming it if it does not fit. */
export function chargeWeight(name: string, shape: readonly number[]): void {
  if (!budget) return;
  const elements = shape.reduce((a, d) => a * d, 1);
  if (!Number.isSafeInteger(elements) || elements < 0 || elements > budget.left) {
    const { op, where, total, left } = budget;
    throw new Error(
      `${op}: weight '${name}' of shape [${shape.join(',')}] (${elements} values) exceeds what the weights in ${where} hold ` +
        `(${total} values, ${left} not yet used); the layer config does not match its weights and nothing was allocated for it`,
    );
  }
  budget.left -= elements;
}

/** Whether a load is building layers now: their weights are set right after, so none need drawing. */
export const loadingWeights = (): boolean => budget !== undefined;

/** Records a weight made under the open budget, so a failed load disposes it. */
export function madeWeight(v: Variable): void {
  budget?.made.push(v);
}

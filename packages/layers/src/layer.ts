// The Layer contract, and the helpers layers share. A layer is a plain object made by a factory
// (dense({units}) …): build creates its weights for an input shape, computeOutputShape says what it
// gives, call runs it, getConfig describes it for saving. Shapes here never include the batch axis.
import { fill, variable, type Shape, type Tensor, type Variable } from '@webgrad/core';
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import { chargeWeight, loadingWeights, madeWeight } from './limits.js';
import type { Regularizer } from './regularizers.js';

export interface CallContext {
  /** Dropout and batch statistics act only in training. */
  readonly training: boolean;
  /** A seed for this call's randomness, different every training step. */
  readonly seed: number;
  /** The layer's own random stream under that seed (its index in the model), so no two layers draw the same numbers. */
  readonly stream?: number;
}

export interface Layer {
  readonly className: string;
  name: string;
  /** The input shape a first layer declares (Keras's inputShape). */
  readonly inputShape?: Shape;
  /** Every weight in getWeights order, trainable or not (BatchNorm's moving statistics are not). */
  readonly weights: Variable[];
  readonly built: boolean;
  build(inputShape: Shape, seed: number): void;
  computeOutputShape(inputShape: Shape): Shape;
  call(x: Tensor, context: CallContext): Tensor;
  getConfig(): Record<string, unknown>;
  /** The penalty this layer's regularizers add to the loss, if any. */
  regularizationLoss?(): Tensor | undefined;
  /** The activation the layer ends with, when it has one (Dense, Activation). */
  readonly activationName?: string;
  /** The layer's output before that activation: the logits a fused softmax/sigmoid loss takes. */
  callLogits?(x: Tensor, context: CallContext): Tensor;
}

export interface BaseLayerOptions {
  name?: string;
  inputShape?: number[];
}

let layerCount = 0;
/** A unique default name: dense_1, dropout_2, … */
export const uniqueName = (prefix: string): string => `${prefix}_${++layerCount}`;

/**
 * A weight made by an initializer (a name or an object), seeded per model, layer and weight. While a
 * load builds its layers, each weight is charged to the manifest's budget (limits.ts) before allocating,
 * and made as zeros: the load sets it right after, so the layer keeps its saved initializer undrawn.
 */
export function makeWeight(
  name: string,
  shape: Shape,
  init: InitializerName | Initializer,
  seed: number,
  trainable = true,
): Variable {
  chargeWeight(name, shape);
  const initial = loadingWeights() ? fill(shape, 0) : getInitializer(init).init(shape, seed);
  const v = variable(initial, { name, trainable });
  initial.dispose();
  madeWeight(v);
  return v;
}

/** The penalties of (weight, regularizer) pairs added together. */
export function penalties(pairs: readonly [Variable | undefined, Regularizer | undefined][]): Tensor | undefined {
  let total: Tensor | undefined;
  for (const [w, r] of pairs) {
    if (!w || !r) continue;
    const p = r.penalty(w);
    total = total ? r.add(total, p) : p;
  }
  return total;
}

/** An initializer's description for getConfig. */
export const describeInit = (init: InitializerName | Initializer): unknown =>
  typeof init === 'string' ? init : { name: init.name, config: init.config };

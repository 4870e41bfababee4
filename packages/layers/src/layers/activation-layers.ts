// Activation functions as layers with options, as Keras has them: ReLU (max value, negative slope,
// threshold), LeakyReLU, ELU and Softmax over any axis. PReLU, whose slope is a weight, lives with the
// other weighted layers (advanced.ts); Activation by name in basic.ts.
import {
  elu as eluOp,
  greater,
  leakyRelu,
  minimum,
  mul,
  relu as reluOp,
  softmax as softmaxOp,
  sub,
  transpose,
  where,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import type { BaseLayerOptions, Layer } from '../layer.js';
import { defineLayer } from '../symbolic.js';
import { checkedStateless, stateless } from './basic.js';

const same = (s: Shape): Shape => s;

function requireNumber(op: string, what: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new Error(`${op}: ${what} must be a finite number >= ${min}, got ${JSON.stringify(v)}`);
  }
}

export interface ReLUOptions extends BaseLayerOptions {
  /** The output's ceiling (none by default). */
  maxValue?: number;
  /** The slope below the threshold (Keras: 0). */
  negativeSlope?: number;
  /** Where the identity starts (Keras: 0). */
  threshold?: number;
}

/**
 * Keras's ReLU layer: x above `threshold` (capped at `maxValue`), negativeSlope·(x − threshold) below
 * it; at the threshold itself 0, as Keras's strict comparison gives.
 */
export function reluLayer(options: ReLUOptions = {}): Layer {
  const { maxValue, negativeSlope = 0, threshold = 0 } = options;
  if (maxValue !== undefined) requireNumber('relu', 'maxValue', maxValue, 0);
  requireNumber('relu', 'negativeSlope', negativeSlope, 0);
  requireNumber('relu', 'threshold', threshold, 0);
  const call = (x: Tensor): Tensor => {
    const above = threshold === 0 ? reluOp(x) : where(greater(x, threshold), x, 0);
    const capped = maxValue === undefined ? above : minimum(above, maxValue);
    return negativeSlope === 0 ? capped : sub(capped, mul(reluOp(sub(threshold, x)), negativeSlope));
  };
  return defineLayer(
    stateless('ReLU', 're_lu', options, {
      computeOutputShape: same,
      call,
      getConfig: () => ({ maxValue, negativeSlope, threshold }),
    }),
  );
}

/** x for x ≥ 0, negativeSlope·x below (Keras 3: negativeSlope 0.3). */
export function leakyReLU(options: BaseLayerOptions & { negativeSlope?: number } = {}): Layer {
  const { negativeSlope = 0.3 } = options;
  requireNumber('leakyReLU', 'negativeSlope', negativeSlope, 0);
  return defineLayer(
    stateless('LeakyReLU', 'leaky_re_lu', options, {
      computeOutputShape: same,
      call: (x) => leakyRelu(x, negativeSlope),
      getConfig: () => ({ negativeSlope }),
    }),
  );
}

/** x for x > 0, alpha·(eˣ − 1) below (Keras: alpha 1). */
export function eluLayer(options: BaseLayerOptions & { alpha?: number } = {}): Layer {
  const { alpha = 1 } = options;
  requireNumber('elu', 'alpha', alpha, -Infinity);
  return defineLayer(
    stateless('ELU', 'elu', options, {
      computeOutputShape: same,
      call: (x) => eluOp(x, alpha),
      getConfig: () => ({ alpha }),
    }),
  );
}

/**
 * Softmax over `axis` (counting the batch axis; Keras: -1). Over the last axis it is core's one-kernel
 * softmax, and a softmax + cross-entropy loss fuses as after an Activation layer; another axis is moved
 * last and back.
 */
export function softmaxLayer(options: BaseLayerOptions & { axis?: number } = {}): Layer {
  const { axis = -1 } = options;
  if (!Number.isInteger(axis) || axis === 0) {
    throw new Error(`softmax: axis must be a non-zero integer (0 is the batch axis), got ${JSON.stringify(axis)}`);
  }
  // the axis as an index of the full shape, checked against the input's rank
  const resolve = (rank: number): number => {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 1 || a >= rank) {
      throw new Error(
        `softmax: axis ${axis} is not an axis of a rank-${rank} input other than the batch axis ` +
          `(expected 1..${rank - 1} or -${rank - 1}..-1)`,
      );
    }
    return a;
  };
  const call = (x: Tensor): Tensor => {
    const a = resolve(x.rank);
    if (a === x.rank - 1) return softmaxOp(x);
    const perm = x.shape.map((_, i) => i).filter((i) => i !== a);
    perm.push(a);
    const back = perm.map((_, i) => perm.indexOf(i));
    return transpose(softmaxOp(transpose(x, perm)), back);
  };
  const last = axis === -1;
  return defineLayer({
    ...checkedStateless('Softmax', 'softmax', options, {
      computeOutputShape: (s: Shape) => {
        resolve(s.length + 1);
        return s;
      },
      call,
      getConfig: () => ({ axis }),
    }),
    ...(last ? { activationName: 'softmax', callLogits: (x: Tensor) => x } : {}),
  });
}

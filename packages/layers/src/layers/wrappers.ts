// TimeDistributed: one layer applied to every timestep of [batch, T, …] with the same weights, by
// folding the time axis into the batch around one call of it ([batch·T, …]), so a Dense on top of a
// sequence is one GEMM rather than T. Saved as Keras saves it: the inner layer's class and config.
import { reshape, type Shape, type Tensor } from '@webgrad/core';
import { uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer, describeLayer } from '../symbolic.js';

export interface TimeDistributedOptions extends BaseLayerOptions {
  /** The layer run on each timestep (a one-tensor layer). */
  layer: Layer;
}

export function timeDistributed(options: TimeDistributedOptions): Layer {
  const inner = options.layer;
  if (inner?.signature !== 'one-to-one') {
    throw new Error(
      `timeDistributed: layer must be a one-tensor layer (dense, conv2d, …), got ${String(inner?.signature ?? inner)}`,
    );
  }
  const expectTime = (s: Shape): void => {
    if (s.length < 2) {
      throw new Error(
        `expected input of shape [batch, timesteps, …] (rank 3 or more), got [batch, ${s.join(', ')}] (rank ${s.length + 1})`,
      );
    }
  };
  const named = (check: () => void): void => {
    try {
      check();
    } catch (error) {
      throw new Error(`${describeLayer(layer)}: ${(error as Error).message}`, { cause: error });
    }
  };
  const layer: Layer = defineLayer({
    className: 'TimeDistributed',
    name: options.name ?? uniqueName('time_distributed'),
    inputShape: options.inputShape,
    get weights() {
      return inner.weights;
    },
    get built() {
      return inner.built;
    },
    build(inputShape, seed) {
      named(() => expectTime(inputShape));
      if (!inner.built) inner.build(inputShape.slice(1), seed);
    },
    computeOutputShape(inputShape) {
      expectTime(inputShape);
      return [inputShape[0], ...inner.computeOutputShape(inputShape.slice(1))];
    },
    call(x: Tensor, context) {
      named(() => expectTime(x.shape.slice(1)));
      const [batch, steps] = x.shape;
      const y = inner.call(reshape(x, [batch * steps, ...x.shape.slice(2)]), context);
      return reshape(y, [batch, steps, ...y.shape.slice(1)]);
    },
    regularizationLoss: () => inner.regularizationLoss?.(),
    getConfig: () => ({
      layer: {
        class_name: inner.className,
        config: { name: inner.name, trainable: inner.trainable, ...inner.getConfig() },
      },
    }),
  });
  return layer;
}

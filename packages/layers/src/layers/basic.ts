// Layers without weights: Activation, Dropout (inverted: scaled by 1/(1 − rate) in training, so
// inference is the identity), Flatten and Reshape.
import { bernoulli, mul, reshape, type Shape, type Tensor } from '@webgrad/core';
import { getActivation, type Activation, type ActivationName } from '../activations.js';
import { uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer, describeLayer, type LayerSpec } from '../symbolic.js';

/** A weightless layer's object from its class name, default-name prefix and the three parts it has of its own. */
export const stateless = (
  className: string,
  prefix: string,
  options: BaseLayerOptions,
  parts: Pick<LayerSpec, 'computeOutputShape' | 'call' | 'getConfig'>,
): LayerSpec => ({
  className,
  name: options.name ?? uniqueName(prefix),
  inputShape: options.inputShape,
  weights: [],
  built: true,
  build: () => {},
  ...parts,
});

/**
 * stateless, for a layer whose shape rule can refuse an input: a call on real tensors runs the rule
 * first, so an eager apply refuses what a symbolic one does, naming the layer as that one would.
 */
export function checkedStateless(
  className: string,
  prefix: string,
  options: BaseLayerOptions,
  parts: Pick<LayerSpec, 'computeOutputShape' | 'call' | 'getConfig'>,
): LayerSpec {
  const spec: LayerSpec = stateless(className, prefix, options, {
    ...parts,
    call(x, context) {
      try {
        parts.computeOutputShape(x.shape.slice(1));
      } catch (error) {
        // defineLayer finishes this very object, so by the time it is called it is the layer
        throw new Error(`${describeLayer(spec as Layer)}: ${(error as Error).message}`, { cause: error });
      }
      return parts.call(x, context);
    },
  });
  return spec;
}

export function activation(options: BaseLayerOptions & { activation: ActivationName | Activation }): Layer {
  const fn = getActivation(options.activation);
  return defineLayer({
    ...stateless('Activation', 'activation', options, {
      computeOutputShape: (s) => s,
      call: (x) => fn.apply(x),
      getConfig: () => ({ activation: fn.name }),
    }),
    activationName: fn.name,
    callLogits: (x) => x,
    supportsMasking: true, // as Keras: a sequence's mask passes through
  });
}

export function dropout(options: BaseLayerOptions & { rate: number; seed?: number }): Layer {
  const { rate } = options;
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  return defineLayer({
    supportsMasking: true, // as Keras: a sequence's mask passes through
    ...stateless('Dropout', 'dropout', options, {
      computeOutputShape: (s) => s,
      call(x: Tensor, { training, seed, stream = 0 }) {
        if (!training || rate === 0) return x;
        // keep each unit with probability 1 − rate, on the device; scale so the expected value is unchanged
        const keep = bernoulli(x.shape, 1 - rate, { seed: seed + (options.seed ?? 0), stream });
        return mul(x, mul(keep, 1 / (1 - rate)));
      },
      getConfig: () => ({ rate }),
    }),
  });
}

export function flatten(options: BaseLayerOptions = {}): Layer {
  return defineLayer(
    stateless('Flatten', 'flatten', options, {
      computeOutputShape: (s) => [s.reduce((n, d) => n * d, 1)],
      call: (x) => reshape(x, [x.shape[0], -1]),
      getConfig: () => ({}),
    }),
  );
}

export function reshapeLayer(options: BaseLayerOptions & { targetShape: number[] }): Layer {
  const { targetShape } = options;
  return defineLayer(
    stateless('Reshape', 'reshape', options, {
      computeOutputShape: (s: Shape) => {
        const size = s.reduce((n, d) => n * d, 1),
          known = targetShape.filter((d) => d !== -1).reduce((n, d) => n * d, 1);
        const out = targetShape.map((d) => (d === -1 ? size / known : d));
        if (out.reduce((n, d) => n * d, 1) !== size || !out.every(Number.isInteger)) {
          throw new Error(`reshape layer: input shape [${s.join(',')}] cannot become [${targetShape.join(',')}]`);
        }
        return out;
      },
      call: (x) => reshape(x, [x.shape[0], ...targetShape]),
      getConfig: () => ({ targetShape }),
    }),
  );
}

// SpectralNormalization (Miyato et al. 2018), Keras 3's wrapper: each training call runs power
// iteration on the device for the largest singular value σ of the inner layer's kernel (reshaped to
// [fan-in, units]) from a persistent vector u, then writes W/σ into the kernel before the layer runs,
// so its Lipschitz constant stays near 1 — the cheap alternative to WGAN-GP's penalty. As in Keras the
// kernel is replaced in place and gradients reach the normalised kernel; σ itself is not
// differentiated. Inference leaves the kernel as the last training call left it.
import { add, div, matmul, mul, reshape, sqrt, square, sum, tidy, type Tensor, type Variable } from '@webgrad/core';
import { makeWeight, uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer, describeLayer } from '../symbolic.js';

export interface SpectralNormalizationOptions extends BaseLayerOptions {
  /** The layer whose first weight (its kernel: dense [in, units], conv2d [kh, kw, in, filters]) is normalised. */
  layer: Layer;
  /** Power-iteration steps per training call (Keras: 1; u persists, so one step a call converges over calls). */
  powerIterations?: number;
}

/** v/‖v‖ with a floor, so a zero vector stays finite. */
const normalize = (v: Tensor) => div(v, sqrt(add(sum(square(v)), 1e-12)));

export function spectralNormalization(options: SpectralNormalizationOptions): Layer {
  const inner = options.layer;
  const iterations = options.powerIterations ?? 1;
  if (inner?.signature !== 'one-to-one') {
    throw new Error(
      `spectralNormalization: layer must be a one-tensor layer (dense, conv2d, …), got ${String(inner?.signature ?? inner)}`,
    );
  }
  if (!(Number.isInteger(iterations) && iterations >= 1)) {
    throw new Error(`spectralNormalization: powerIterations must be a positive integer, got ${iterations}`);
  }
  let u: Variable | undefined;
  const kernelOf = (): Variable => {
    const kernel = inner.weights[0];
    if (!kernel || kernel.rank < 2) {
      throw new Error(
        `spectralNormalization: ${describeLayer(inner)} has no kernel of rank 2 or more to normalise ` +
          `(its first weight is ${kernel ? `[${kernel.shape.join(',')}]` : 'missing'})`,
      );
    }
    return kernel;
  };
  const layer: Layer = defineLayer({
    className: 'SpectralNormalization',
    name: options.name ?? uniqueName('spectral_normalization'),
    inputShape: options.inputShape,
    get weights() {
      return u ? [...inner.weights, u] : inner.weights;
    },
    get built() {
      return inner.built && u !== undefined;
    },
    build(inputShape, seed) {
      if (!inner.built) inner.build(inputShape, seed);
      const units = kernelOf().shape.at(-1)!;
      u = makeWeight(`${layer.name}/vector_u`, [1, units], 'randomNormal', seed + 7919, false);
    },
    computeOutputShape: (inputShape) => inner.computeOutputShape(inputShape),
    call(x: Tensor, context) {
      if (context.training) {
        const kernel = kernelOf();
        tidy(() => {
          const units = kernel.shape.at(-1)!;
          const w = reshape(kernel, [-1, units]);
          let uNow: Tensor = u!;
          let wv: Tensor = uNow;
          for (let i = 0; i < iterations; i++) {
            const v = normalize(matmul(uNow, w, false, true)); // [1, fan-in]
            wv = matmul(v, w); // [1, units]
            uNow = normalize(wv);
          }
          const sigma = sum(mul(wv, uNow)); // vᵀWu at the converged pair: σ
          kernel.assign(div(kernel, sigma));
          u!.assign(uNow);
        });
      }
      return inner.call(x, context);
    },
    regularizationLoss: () => inner.regularizationLoss?.(),
    getConfig: () => ({
      powerIterations: iterations,
      layer: {
        class_name: inner.className,
        config: { name: inner.name, trainable: inner.trainable, ...inner.getConfig() },
      },
    }),
  });
  return layer;
}

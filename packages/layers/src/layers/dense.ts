// Dense: y = act(x·W + b) over the last axis, in one fused matmul kernel when the activation is one
// the epilogue computes (linear, relu, sigmoid, tanh), else the matmul then the activation.
import { fusedMatmul, reshape, type Shape, type Tensor, type Variable } from '@webgrad/core';
import { getActivation, type Activation, type ActivationName } from '../activations.js';
import type { Initializer, InitializerName } from '../initializers.js';
import { describeInit, makeWeight, penalties, uniqueName, type BaseLayerOptions, type Layer } from '../layer.js';
import { defineLayer } from '../symbolic.js';
import { getRegularizer, type Regularizer } from '../regularizers.js';

export interface DenseOptions extends BaseLayerOptions {
  units: number;
  activation?: ActivationName | Activation;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
  kernelRegularizer?: 'l1' | 'l2' | 'l1l2' | Regularizer;
  biasRegularizer?: 'l1' | 'l2' | 'l1l2' | Regularizer;
}

export function dense(options: DenseOptions): Layer {
  const { units, useBias = true, kernelInitializer = 'glorotUniform', biasInitializer = 'zeros' } = options;
  if (!Number.isInteger(units) || units < 1) throw new Error(`dense: units must be a positive integer, got ${units}`);
  const activation = getActivation(options.activation);
  const kernelRegularizer = getRegularizer(options.kernelRegularizer),
    biasRegularizer = getRegularizer(options.biasRegularizer);
  let kernel: Variable | undefined, bias: Variable | undefined;
  // act(x·W + b) over the last axis; leading axes are flattened around the matmul
  const affine = (x: Tensor, act: Activation): Tensor => {
    const flat = x.rank === 2 ? x : reshape(x, [-1, x.shape[x.rank - 1]]);
    const y = act.fused
      ? fusedMatmul({ a: flat, b: kernel!, bias, activation: act.fused })
      : act.apply(fusedMatmul({ a: flat, b: kernel!, bias }));
    return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), units]);
  };
  const layer: Layer = defineLayer({
    className: 'Dense',
    name: options.name ?? uniqueName('dense'),
    supportsMasking: true, // as Keras: a Dense on a sequence passes its mask through
    inputShape: options.inputShape,
    weights: [],
    get built() {
      return kernel !== undefined;
    },
    build(inputShape, seed) {
      const inputDim = inputShape[inputShape.length - 1];
      kernel = makeWeight(`${layer.name}/kernel`, [inputDim, units], kernelInitializer, seed);
      layer.weights.push(kernel);
      if (useBias) layer.weights.push((bias = makeWeight(`${layer.name}/bias`, [units], biasInitializer, seed + 1)));
    },
    computeOutputShape: (inputShape: Shape) => [...inputShape.slice(0, -1), units],
    activationName: activation.name,
    call: (x: Tensor) => affine(x, activation),
    callLogits: (x: Tensor) => affine(x, getActivation('linear')),
    regularizationLoss: () =>
      penalties([
        [kernel, kernelRegularizer],
        [bias, biasRegularizer],
      ]),
    getConfig: () => ({
      units,
      activation: activation.name,
      useBias,
      kernelInitializer: describeInit(kernelInitializer),
      biasInitializer: describeInit(biasInitializer),
      kernelRegularizer: kernelRegularizer && { name: kernelRegularizer.name, config: kernelRegularizer.config },
      biasRegularizer: biasRegularizer && { name: biasRegularizer.name, config: biasRegularizer.config },
    }),
  });
  return layer;
}

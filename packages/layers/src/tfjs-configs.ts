// Each layer class's config both ways between webgrad and TF.js Layers (the TS form, camelCase, before
// convertTsToPythonic): the options TF.js's getConfig writes for a webgrad layer, with TF.js's defaults
// for those webgrad has no option for, and the options webgrad's factories take from a TF.js layer,
// refusing by name the TF.js values webgrad's layers cannot honour. tfjs-topology.ts maps whole
// topologies with these.
import {
  convertTsToPythonic,
  tfjsInitializer,
  tfjsRegularizer,
  toSnakeCase,
  webgradInitializer,
  webgradRegularizer,
} from './tfjs-names.js';

type Dict = Record<string, unknown>;

export const pair = (v: unknown): unknown => (typeof v === 'number' ? [v, v] : v);
const NONE = { activityRegularizer: null, kernelConstraint: null, biasConstraint: null };

/** Each class's own options as TF.js's getConfig writes them (camelCase, before convertTsToPythonic). */
export const toTfjsConfig: Record<string, (c: Dict) => Dict> = {
  Dense: (c) => ({
    units: c.units,
    activation: c.activation ?? 'linear',
    useBias: c.useBias ?? true,
    kernelInitializer: tfjsInitializer(c.kernelInitializer ?? 'glorotUniform'),
    biasInitializer: tfjsInitializer(c.biasInitializer ?? 'zeros'),
    kernelRegularizer: tfjsRegularizer(c.kernelRegularizer),
    biasRegularizer: tfjsRegularizer(c.biasRegularizer),
    ...NONE,
  }),
  Conv2D: (c) => ({
    filters: c.filters,
    kernelSize: pair(c.kernelSize),
    strides: pair(c.strides ?? 1),
    padding: c.padding ?? 'valid',
    dataFormat: 'channelsLast',
    dilationRate: pair(c.dilationRate ?? 1),
    activation: c.activation ?? 'linear',
    useBias: c.useBias ?? true,
    kernelInitializer: tfjsInitializer(c.kernelInitializer ?? 'glorotUniform'),
    biasInitializer: tfjsInitializer(c.biasInitializer ?? 'zeros'),
    kernelRegularizer: tfjsRegularizer(c.kernelRegularizer),
    biasRegularizer: null,
    ...NONE,
  }),
  MaxPooling2D: (c) => pool(c),
  AveragePooling2D: (c) => pool(c),
  GlobalAveragePooling2D: () => ({ dataFormat: 'channelsLast' }),
  Flatten: () => ({}),
  Dropout: (c) => ({ rate: c.rate, noiseShape: null, seed: null }),
  Activation: (c) => ({ activation: c.activation }),
  Reshape: (c) => ({ targetShape: c.targetShape }),
  BatchNormalization: (c) => ({
    axis: -1,
    momentum: c.momentum ?? 0.99,
    epsilon: c.epsilon ?? 1e-3,
    center: true,
    scale: true,
    betaInitializer: { className: 'Zeros', config: {} },
    gammaInitializer: { className: 'Ones', config: {} },
    movingMeanInitializer: { className: 'Zeros', config: {} },
    movingVarianceInitializer: { className: 'Ones', config: {} },
    betaRegularizer: null,
    gammaRegularizer: null,
    betaConstraint: null,
    gammaConstraint: null,
  }),
  Add: () => ({}),
  Subtract: () => ({}),
  Multiply: () => ({}),
  Average: () => ({}),
  Maximum: () => ({}),
  Minimum: () => ({}),
  Concatenate: (c) => ({ axis: c.axis ?? -1 }),
  Embedding: (c) => ({
    inputDim: c.inputDim,
    outputDim: c.outputDim,
    embeddingsInitializer: tfjsInitializer(c.embeddingsInitializer ?? 'randomUniform'),
    embeddingsRegularizer: null,
    activityRegularizer: null,
    embeddingsConstraint: null,
    // TF.js writes null for an unset maskZero
    maskZero: c.maskZero === true ? true : null,
    inputLength: c.inputLength ?? null,
  }),
  SimpleRNN: (c) => recurrent(c),
  LSTM: (c) => ({ ...recurrent(c), unitForgetBias: c.unitForgetBias ?? true, implementation: null }),
  GRU: (c) => ({ ...recurrent(c), implementation: null, resetAfter: c.resetAfter ?? false }),
};

function pool(c: Dict): Dict {
  const poolSize = pair(c.poolSize ?? 2);
  return { poolSize, padding: c.padding ?? 'valid', strides: pair(c.strides ?? poolSize), dataFormat: 'channelsLast' };
}

function recurrent(c: Dict): Dict {
  return {
    units: c.units,
    activation: c.activation ?? 'tanh',
    ...(c.recurrentActivation !== undefined && { recurrentActivation: c.recurrentActivation }),
    useBias: c.useBias ?? true,
    kernelInitializer: tfjsInitializer(c.kernelInitializer ?? 'glorotUniform'),
    recurrentInitializer: tfjsInitializer(c.recurrentInitializer ?? 'orthogonal'),
    biasInitializer: tfjsInitializer(c.biasInitializer ?? 'zeros'),
    kernelRegularizer: null,
    recurrentRegularizer: null,
    biasRegularizer: null,
    activityRegularizer: null,
    kernelConstraint: null,
    recurrentConstraint: null,
    biasConstraint: null,
    dropout: c.dropout ?? 0,
    recurrentDropout: c.recurrentDropout ?? 0,
    returnSequences: c.returnSequences ?? false,
    returnState: c.returnState ?? false,
    goBackwards: c.goBackwards ?? false,
    stateful: c.stateful ?? false,
    unroll: false,
  };
}

/** TF.js's base Layer config: name, trainable, then the input shape and dtype when the layer declares one. */
export function baseConfig(c: Dict, dtype: string): Dict {
  const config: Dict = { name: c.name, trainable: c.trainable ?? true };
  // TF.js gives a layer a dtype only when it declares the input
  if (Array.isArray(c.inputShape)) {
    config.batchInputShape = [null, ...c.inputShape];
    config.dtype = dtype;
  }
  return config;
}

// TS option keys webgrad's layers cannot honour, refused when set rather than dropped
const UNSUPPORTED: Record<string, unknown> = {
  activityRegularizer: null,
  kernelConstraint: null,
  biasConstraint: null,
  recurrentConstraint: null,
  embeddingsConstraint: null,
  embeddingsRegularizer: null,
  recurrentRegularizer: null,
  // a stateful layer's batch size lives in TF.js's batchInputShape, which this reader does not map
  stateful: false,
  noiseShape: null,
};

/** Each class's TF.js config (TS form) as webgrad's getConfig writes it. */
export const toWebgradConfig: Record<string, (c: Dict, where: string) => Dict> = {
  Dense: (c, w) => ({
    units: c.units,
    activation: c.activation,
    useBias: c.useBias,
    kernelInitializer: webgradInitializer(c.kernelInitializer, w),
    biasInitializer: webgradInitializer(c.biasInitializer, w),
    kernelRegularizer: webgradRegularizer(c.kernelRegularizer, w),
    biasRegularizer: webgradRegularizer(c.biasRegularizer, w),
  }),
  Conv2D: (c, w) => ({
    filters: c.filters,
    kernelSize: c.kernelSize,
    strides: c.strides,
    padding: c.padding,
    dilationRate: c.dilationRate,
    activation: c.activation,
    useBias: c.useBias,
    kernelInitializer: webgradInitializer(c.kernelInitializer, w),
    biasInitializer: webgradInitializer(c.biasInitializer, w),
    kernelRegularizer: webgradRegularizer(c.kernelRegularizer, w),
  }),
  MaxPooling2D: (c) => ({ poolSize: c.poolSize, strides: c.strides ?? undefined, padding: c.padding }),
  AveragePooling2D: (c) => ({ poolSize: c.poolSize, strides: c.strides ?? undefined, padding: c.padding }),
  GlobalAveragePooling2D: () => ({}),
  Flatten: () => ({}),
  Dropout: (c) => ({ rate: c.rate }),
  Activation: (c) => ({ activation: c.activation }),
  Reshape: (c) => ({ targetShape: c.targetShape }),
  BatchNormalization: (c) => ({ momentum: c.momentum, epsilon: c.epsilon }),
  Add: () => ({}),
  Subtract: () => ({}),
  Multiply: () => ({}),
  Average: () => ({}),
  Maximum: () => ({}),
  Minimum: () => ({}),
  Concatenate: (c) => ({ axis: c.axis }),
  Embedding: (c, w) => ({
    inputDim: c.inputDim,
    outputDim: c.outputDim,
    // TF.js writes null for an unset maskZero
    maskZero: c.maskZero === true,
    ...(c.inputLength !== null && c.inputLength !== undefined && { inputLength: c.inputLength }),
    embeddingsInitializer: webgradInitializer(c.embeddingsInitializer, w),
  }),
  SimpleRNN: (c, w) => recurrentToWebgrad(c, w),
  LSTM: (c, w) => ({ ...recurrentToWebgrad(c, w), unitForgetBias: c.unitForgetBias }),
  GRU: (c, w) => ({ ...recurrentToWebgrad(c, w), resetAfter: c.resetAfter }),
};

function recurrentToWebgrad(c: Dict, where: string): Dict {
  return {
    units: c.units,
    activation: c.activation,
    ...(c.recurrentActivation !== undefined && { recurrentActivation: c.recurrentActivation }),
    useBias: c.useBias,
    returnSequences: c.returnSequences,
    goBackwards: c.goBackwards,
    // refused unless false (refuseUnsupported)
    ...(c.stateful !== undefined && { stateful: c.stateful }),
    ...(c.returnState !== undefined && { returnState: c.returnState }),
    ...(c.dropout !== undefined && { dropout: c.dropout }),
    ...(c.recurrentDropout !== undefined && { recurrentDropout: c.recurrentDropout }),
    kernelInitializer: webgradInitializer(c.kernelInitializer, where),
    recurrentInitializer: webgradInitializer(c.recurrentInitializer, where),
    biasInitializer: webgradInitializer(c.biasInitializer, where),
  };
}

// values TF.js's layers take that webgrad's must be told apart from: a check per class of what webgrad assumes
export function refuseUnsupported(className: string, c: Dict, where: string): void {
  const refuse = (key: string, expected: string) => {
    throw new Error(
      `loadModel: ${className} layer '${String(c.name)}' in ${where} sets ${toSnakeCase(key)} to ` +
        `${JSON.stringify(convertTsToPythonic(c[key]))}; webgrad's ${className} supports only ${expected}`,
    );
  };
  for (const [key, fallback] of Object.entries(UNSUPPORTED)) {
    if (c[key] !== undefined && c[key] !== fallback) refuse(key, JSON.stringify(fallback));
  }
  if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') refuse('dataFormat', "'channels_last'");
  if (className === 'BatchNormalization') {
    if (c.axis !== undefined && c.axis !== -1 && !(Array.isArray(c.axis) && c.axis.length === 1 && c.axis[0] === -1)) {
      refuse('axis', '-1 (the last axis)');
    }
    if (c.center === false) refuse('center', 'true');
    if (c.scale === false) refuse('scale', 'true');
  }
}

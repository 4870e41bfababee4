// @webgrad/layers: the Keras/TF.js-style API. sequential([...layers]), compile, fit, evaluate,
// predict; layer, loss, metric, optimizer, schedule, initializer, regularizer and callback factories.
export { sequential, Sequential } from './model.js';
export type { CompileArgs } from './compile.js';
export type { FitArgs, History } from './training.js';
export type { CallContext, Layer } from './layer.js';
export { dense, type DenseOptions } from './layers/dense.js';
export { activation, dropout, flatten, reshapeLayer as reshape } from './layers/basic.js';
export { batchNormalization, maxout, prelu } from './layers/advanced.js';
export {
  averagePooling2d,
  conv1d,
  conv2d,
  globalAveragePooling2d,
  maxPooling2d,
  randomTranslation,
  type RandomTranslationOptions,
  type Conv1DOptions,
  type Conv2DOptions,
} from './layers/conv.js';
export { getActivation, type Activation, type ActivationName } from './activations.js';
export {
  binaryCrossentropy,
  categoricalCrossentropy,
  getLoss,
  huberLoss as huber,
  meanAbsoluteErrorLoss as meanAbsoluteError,
  meanSquaredErrorLoss as meanSquaredError,
  sparseCategoricalCrossentropy,
  type Loss,
  type LossName,
} from './losses.js';
export { getMetric, type Metric } from './metrics.js';
export { adagrad, adam, adamw, getOptimizer, rmsprop, sgd, type OptimizerName } from './optimizers.js';
export {
  cosineDecay,
  exponentialDecay,
  linearDecay,
  piecewiseConstant,
  polynomialDecay,
  type Schedule,
} from './schedules.js';
export {
  constant,
  fans,
  getInitializer,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  lecunNormal,
  lecunUniform,
  ones,
  randomNormalInit as randomNormal,
  randomUniformInit as randomUniform,
  zeros,
  type Initializer,
  type InitializerName,
} from './initializers.js';
export { getRegularizer, l1, l1l2, l2, type Regularizer } from './regularizers.js';
export {
  csvLogger,
  customCallback,
  earlyStopping,
  learningRateScheduler,
  modelCheckpoint,
  terminateOnNaN,
  type Callback,
  type EarlyStopping,
  type Logs,
  type ModelCheckpointOptions,
  type TerminateOnNaN,
} from './callbacks.js';
export { progressBar } from './progress.js';
export { fnv1a, type ModelArtifacts, type ModelJson, type ModelStore } from './format.js';
export { loadLimits, setLoadLimits, type LoadLimits } from './limits.js';
export { folderStore, httpStore } from './storage.js';
export { browserFiles, listModels, removeModel } from './storage-browser.js';
export { modelArtifacts, saveModel, type SaveOptions } from './save.js';
export { loadCheckpoint, loadModel, loadWeights } from './load.js';

// @webgrad/layers: the Keras/TF.js-style API. sequential([...layers]), compile, fit, evaluate,
// predict; layer, loss, metric, optimizer, schedule, initializer, regularizer and callback factories.
// Builds on @webgrad/core alone.
export { sequential, Sequential, type CompileArgs } from './model.js';
export type { FitArgs, History } from './training.js';
export type { CallContext, Layer } from './layer.js';
export { dense, type DenseOptions } from './layers/dense.js';
export { activation, dropout, flatten, reshapeLayer as reshape } from './layers/basic.js';
export { batchNormalization, maxout, prelu } from './layers/advanced.js';
export { averagePooling2d, conv1d, conv2d, globalAveragePooling2d, maxPooling2d, randomTranslation, type RandomTranslationOptions, type Conv1DOptions, type Conv2DOptions } from './layers/conv.js';
export { getActivation, type Activation, type ActivationName } from './activations.js';
export {
  binaryCrossentropy, categoricalCrossentropy, getLoss, huberLoss as huber, meanAbsoluteErrorLoss as meanAbsoluteError,
  meanSquaredErrorLoss as meanSquaredError, sparseCategoricalCrossentropy, type Loss, type LossName,
} from './losses.js';
export { getMetric, type Metric } from './metrics.js';
export { adagrad, adam, adamw, getOptimizer, rmsprop, sgd, type OptimizerName } from './optimizers.js';
export { cosineDecay, exponentialDecay, linearDecay, piecewiseConstant, polynomialDecay, type Schedule } from './schedules.js';
export {
  constant, fans, getInitializer, glorotNormal, glorotUniform, heNormal, heUniform, lecunNormal, lecunUniform, ones,
  randomNormalInit as randomNormal, randomUniformInit as randomUniform, zeros, type Initializer, type InitializerName,
} from './initializers.js';
export { getRegularizer, l1, l1l2, l2, type Regularizer } from './regularizers.js';
export {
  customCallback, earlyStopping, learningRateScheduler, terminateOnNaN, type Callback, type EarlyStopping, type Logs, type TerminateOnNaN,
} from './callbacks.js';
export { progressBar } from './progress.js';
export { csvLogger, loadModel, modelArtifacts, modelCheckpoint, saveModel, type ModelCheckpointOptions, type ModelJson, type SaveOptions } from './io.js';
export { folderStore, httpStore, type ModelArtifacts, type ModelStore } from './storage.js';
export { browserFiles, listModels, removeModel } from './storage-browser.js';
export { fnv1a, loadCheckpoint, loadWeights } from './checkpoint.js';

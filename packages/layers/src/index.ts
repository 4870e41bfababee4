// @webgrad/layers: the Keras/TF.js-style API. sequential([...layers]) or model({inputs, outputs}), compile, fit, evaluate,
// predict; layer, loss, metric, optimizer, schedule, initializer, regularizer and callback factories.
export { model, Model, type ModelArgs, type Predicted } from './model.js';
export { sequential, Sequential } from './sequential.js';
export type { CompileArgs } from './compile.js';
export type { FitArgs, History, ModelData } from './training.js';
export type { ModelInput, NestedNumbers, PlainTensor } from './plain-data.js';
export {
  SymbolicTensor,
  type AnyLayer,
  type ApplyOptions,
  type CallContext,
  type Layer,
  type LayerNode,
  type ListLayer,
  type ListOutputLayer,
  type MultiLayer,
} from './layer.js';
export {
  defineLayer,
  defineListLayer,
  defineMultiLayer,
  type MultiLayerSpec,
  input,
  type InputOptions,
  type LayerSpec,
  type ListLayerSpec,
} from './symbolic.js';
export { dense, type DenseOptions } from './layers/dense.js';
export { embedding, masking, type EmbeddingOptions, type MaskingOptions } from './layers/embedding.js';
export {
  bidirectional,
  timeDistributed,
  type BidirectionalOptions,
  type MergeMode,
  type TimeDistributedOptions,
} from './layers/wrappers.js';
export { spectralNormalization, type SpectralNormalizationOptions } from './layers/spectral-normalization.js';
export {
  gru,
  lstm,
  simpleRNN,
  type GatedOptions,
  type GRUOptions,
  type LSTMOptions,
  type RecurrentLayer,
  type RecurrentOptions,
  type RecurrentStateLayer,
} from './layers/rnn.js';
export { droppedForward, type GateMasks } from './layers/recurrent-dropout.js';
export {
  gruStep,
  lstmStep,
  recurrentForward,
  recurrentForwardStepwise,
  stateCount,
  simpleRnnStep,
  type CellName,
  type RecurrentInputs,
  type RecurrentResult,
  type RecurrentWeights,
  type SequenceSpec,
  type StepActivations,
  type StepWeights,
} from './layers/recurrent.js';
export { activation, dropout, flatten, reshapeLayer as reshape } from './layers/basic.js';
export { batchNormalization, maxout, prelu } from './layers/advanced.js';
export {
  averagePooling2d,
  conv1d,
  conv2d,
  conv2dTranspose,
  globalAveragePooling2d,
  maxPooling2d,
  randomTranslation,
  type RandomTranslationOptions,
  type Conv1DOptions,
  type Conv2DOptions,
  type Conv2DTransposeOptions,
} from './layers/conv.js';
export {
  cropping2d,
  permute,
  repeatVector,
  upSampling2d,
  zeroPadding2d,
  type UpSampling2DOptions,
} from './layers/reshaping.js';
export {
  activityRegularization,
  gaussianDropout,
  gaussianNoise,
  type ActivityRegularizationOptions,
  type GaussianDropoutOptions,
  type GaussianNoiseOptions,
} from './layers/noise.js';
export {
  addLayer as add,
  averageLayer as average,
  concatenate,
  dot,
  maximumLayer as maximum,
  minimumLayer as minimum,
  multiplyLayer as multiply,
  subtractLayer as subtract,
  type ConcatenateOptions,
  type DotOptions,
} from './layers/merge.js';
export {
  eluLayer as elu,
  leakyReLU,
  reluLayer as relu,
  softmaxLayer as softmax,
  type ReLUOptions,
} from './layers/activation-layers.js';
export { layerNormalization, type LayerNormalizationOptions } from './layers/normalization.js';
export { gaussianKl, sampling, type SamplingOptions } from './layers/generative.js';
export { ganLoss, gradientPenalty, type GanLoss, type GanLossName, type GradientPenaltyOptions } from './gan-losses.js';
export {
  classScores,
  featureMoments,
  frechetDistance,
  frechetDistanceOfMoments,
  symmetricEigen,
  type ClassScores,
} from './sample-quality.js';
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
  orthogonal,
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
export { epochBar, progressBar } from './progress.js';
export { fnv1a, type ModelArtifacts, type ModelJson, type ModelStore } from './format.js';
export { loadLimits, setLoadLimits, type LoadLimits } from './limits.js';
export { folderStore, httpStore } from './storage.js';
export { browserFiles, listModels, removeModel } from './storage-browser.js';
export { modelArtifacts, saveModel, type SaveOptions } from './save.js';
export { loadCheckpoint, loadModel, loadWeights } from './load.js';
export {
  fromTfjsArtifacts,
  isTfjsModelJson,
  toTfjsArtifacts,
  type TfjsModelJson,
  type ToTfjsOptions,
} from './tfjs-format.js';
export { fromKerasBytes, kerasBytes, toKerasBytes, type ToKerasOptions } from './keras-format.js';
export {
  addSelfLoops,
  batchGraphs,
  edgeEnds,
  gcnNorm,
  graph,
  meanNorm,
  propagate,
  type Graph,
  type GraphArgs,
  type NormOptions,
  type WeightedEdges,
} from './graph.js';
export {
  gatConv,
  gcnConv,
  globalPool,
  sageConv,
  type GatConvOptions,
  type GcnConvOptions,
  type GlobalPoolOptions,
  type GraphConvOptions,
  type SageConvOptions,
} from './layers/graph.js';
export { CATEGORY_COLORS, chartGroup, chartsSvg, type ChartOptions, type Series } from './charts.js';
export {
  flowSvg,
  gradientFlow,
  gradientNormsByLayerSvg,
  HISTOGRAM_BINS,
  histogramsSvg,
  measureFlow,
  type FlowModel,
  type FlowRecord,
  type GradientFlow,
  type GradientFlowOptions,
  type Histogram,
  type LayerFlow,
} from './gradient-flow.js';
export {
  modelDot,
  plotModel,
  modelDiagram,
  type GraphModel,
  type DiagramLayer,
  type ModelDiagram,
} from './plot-model.js';
export { traceModel } from './trace-model.js';

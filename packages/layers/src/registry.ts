// The layer registry: each saved class name and the factory that rebuilds its layer from the config
// getConfig wrote, initializers included (a load draws nothing from them: it sets the weights right
// after). One typed table, so adding a layer class is one entry here and the loader finds it without
// any import side effect.
import type { Layer, ListLayer, ListOutputLayer } from './layer.js';
import { activation, dropout, flatten, reshapeLayer } from './layers/basic.js';
import { batchNormalization, maxout, prelu } from './layers/advanced.js';
import {
  averagePooling2d,
  conv1d,
  conv2d,
  conv2dTranspose,
  globalAveragePooling2d,
  maxPooling2d,
  randomTranslation,
} from './layers/conv.js';
import { dense } from './layers/dense.js';
import { embedding, masking } from './layers/embedding.js';
import { gatConv, gcnConv, globalPool, sageConv } from './layers/graph.js';
import { gru, lstm, simpleRNN, type RecurrentLayer, type RecurrentStateLayer } from './layers/rnn.js';
import { bidirectional, timeDistributed } from './layers/wrappers.js';
import { spectralNormalization } from './layers/spectral-normalization.js';
import { eluLayer, leakyReLU, reluLayer, softmaxLayer } from './layers/activation-layers.js';
import {
  addLayer,
  averageLayer,
  concatenate,
  dot,
  maximumLayer,
  minimumLayer,
  multiplyLayer,
  subtractLayer,
} from './layers/merge.js';
import { activityRegularization, gaussianDropout, gaussianNoise } from './layers/noise.js';
import { sampling } from './layers/generative.js';
import { layerNormalization } from './layers/normalization.js';
import { cropping2d, permute, repeatVector, upSampling2d, zeroPadding2d } from './layers/reshaping.js';
import { initializerFactories, type Initializer, type InitializerName } from './initializers.js';
import { regularizerFactories, type Regularizer } from './regularizers.js';

export type LayerClassName =
  | 'Dense'
  | 'Dropout'
  | 'Flatten'
  | 'Reshape'
  | 'Activation'
  | 'BatchNormalization'
  | 'PReLU'
  | 'Maxout'
  | 'Conv2D'
  | 'Conv1D'
  | 'Conv2DTranspose'
  | 'MaxPooling2D'
  | 'AveragePooling2D'
  | 'GlobalAveragePooling2D'
  | 'RandomTranslation'
  | 'UpSampling2D'
  | 'RepeatVector'
  | 'Permute'
  | 'ZeroPadding2D'
  | 'Cropping2D'
  | 'GaussianNoise'
  | 'GaussianDropout'
  | 'ActivityRegularization'
  | 'Sampling'
  | 'ReLU'
  | 'LeakyReLU'
  | 'ELU'
  | 'Softmax'
  | 'LayerNormalization'
  | 'Add'
  | 'Subtract'
  | 'Multiply'
  | 'Average'
  | 'Maximum'
  | 'Minimum'
  | 'Concatenate'
  | 'Dot'
  | 'Embedding'
  | 'SimpleRNN'
  | 'LSTM'
  | 'GRU'
  | 'Masking'
  | 'Bidirectional'
  | 'TimeDistributed'
  | 'SpectralNormalization'
  | 'GCNConv'
  | 'SAGEConv'
  | 'GATConv'
  | 'GlobalGraphPooling';

type SavedRegularizer = { name: keyof typeof regularizerFactories; config: Record<string, number> };
/** An initializer as describeInit wrote it: its name, or { name, config } for one made with options. */
type SavedInitializer = InitializerName | { name: InitializerName; config?: Record<string, number> };
type SavedInitializers = {
  kernelInitializer?: SavedInitializer;
  biasInitializer?: SavedInitializer;
  alphaInitializer?: SavedInitializer;
  recurrentInitializer?: SavedInitializer;
  embeddingsInitializer?: SavedInitializer;
};

/** What the registry builds: any layer but a model. */
type AnyBuilt = Layer | ListLayer | ListOutputLayer;

type OptionsOf<F extends (options: never) => AnyBuilt> = NonNullable<Parameters<F>[0]>;

/** Options less those getConfig writes as descriptions (initializers, regularizers) or does not write. */
type Saved<O> = Omit<O, 'kernelRegularizer' | 'biasRegularizer' | 'kernelInitializer' | 'biasInitializer'> &
  SavedInitializers;

/**
 * Each class's config as its getConfig wrote it to model.json: its options, with initializers and Dense's
 * regularizers as descriptions ({ name, config }).
 */
interface SavedConfigs {
  Dense: Saved<OptionsOf<typeof dense>> & { kernelRegularizer?: SavedRegularizer; biasRegularizer?: SavedRegularizer };
  Dropout: OptionsOf<typeof dropout>;
  Flatten: OptionsOf<typeof flatten>;
  Reshape: OptionsOf<typeof reshapeLayer>;
  Activation: OptionsOf<typeof activation>;
  BatchNormalization: OptionsOf<typeof batchNormalization>;
  PReLU: Omit<OptionsOf<typeof prelu>, 'alphaInitializer'> & SavedInitializers;
  Maxout: Saved<OptionsOf<typeof maxout>>;
  Conv2D: Saved<OptionsOf<typeof conv2d>> & { kernelRegularizer?: SavedRegularizer };
  Conv1D: Saved<OptionsOf<typeof conv1d>> & { kernelRegularizer?: SavedRegularizer };
  Conv2DTranspose: Saved<OptionsOf<typeof conv2dTranspose>> & { kernelRegularizer?: SavedRegularizer };
  MaxPooling2D: OptionsOf<typeof maxPooling2d>;
  AveragePooling2D: OptionsOf<typeof averagePooling2d>;
  GlobalAveragePooling2D: OptionsOf<typeof globalAveragePooling2d>;
  RandomTranslation: OptionsOf<typeof randomTranslation>;
  UpSampling2D: OptionsOf<typeof upSampling2d>;
  RepeatVector: OptionsOf<typeof repeatVector>;
  Permute: OptionsOf<typeof permute>;
  ZeroPadding2D: OptionsOf<typeof zeroPadding2d>;
  Cropping2D: OptionsOf<typeof cropping2d>;
  GaussianNoise: OptionsOf<typeof gaussianNoise>;
  GaussianDropout: OptionsOf<typeof gaussianDropout>;
  ActivityRegularization: OptionsOf<typeof activityRegularization>;
  Sampling: OptionsOf<typeof sampling>;
  ReLU: OptionsOf<typeof reluLayer>;
  LeakyReLU: OptionsOf<typeof leakyReLU>;
  ELU: OptionsOf<typeof eluLayer>;
  Softmax: OptionsOf<typeof softmaxLayer>;
  LayerNormalization: OptionsOf<typeof layerNormalization>;
  Add: OptionsOf<typeof addLayer>;
  Subtract: OptionsOf<typeof subtractLayer>;
  Multiply: OptionsOf<typeof multiplyLayer>;
  Average: OptionsOf<typeof averageLayer>;
  Maximum: OptionsOf<typeof maximumLayer>;
  Minimum: OptionsOf<typeof minimumLayer>;
  Concatenate: OptionsOf<typeof concatenate>;
  Dot: OptionsOf<typeof dot>;
  Embedding: Omit<OptionsOf<typeof embedding>, 'embeddingsInitializer'> & SavedInitializers;
  SimpleRNN: Omit<Saved<OptionsOf<typeof simpleRNN>>, 'recurrentInitializer'> & SavedInitializers;
  LSTM: Omit<Saved<OptionsOf<typeof lstm>>, 'recurrentInitializer'> & SavedInitializers;
  GRU: Omit<Saved<OptionsOf<typeof gru>>, 'recurrentInitializer'> & SavedInitializers;
  Masking: OptionsOf<typeof masking>;
  Bidirectional: Omit<OptionsOf<typeof bidirectional>, 'layer'> & {
    layer: { class_name: string; config: Record<string, unknown> };
  };
  TimeDistributed: Omit<OptionsOf<typeof timeDistributed>, 'layer'> & {
    layer: { class_name: string; config: Record<string, unknown> };
  };
  SpectralNormalization: Omit<OptionsOf<typeof spectralNormalization>, 'layer'> & {
    layer: { class_name: string; config: Record<string, unknown> };
  };
  GCNConv: Saved<OptionsOf<typeof gcnConv>>;
  SAGEConv: Saved<OptionsOf<typeof sageConv>>;
  GATConv: Saved<OptionsOf<typeof gatConv>>;
  GlobalGraphPooling: OptionsOf<typeof globalPool>;
}

/** A graph convolution's saved initializers, rebuilt as described. */
const graphConvFrom = <C extends SavedInitializers>(c: C) => ({
  ...c,
  kernelInitializer: initializerFrom(c.kernelInitializer),
  biasInitializer: initializerFrom(c.biasInitializer),
});

/** A saved { name, config } regularizer, rebuilt with its factors (l2(1e-4) stays l2(1e-4)). */
function regularizerFrom(saved: SavedRegularizer | undefined): Regularizer | undefined {
  if (!saved) return undefined;
  const factory = Object.hasOwn(regularizerFactories, saved.name) ? regularizerFactories[saved.name] : undefined;
  if (!factory) {
    throw new Error(
      `loadModel: unknown regularizer '${saved.name}'; known: ${Object.keys(regularizerFactories).join(', ')}`,
    );
  }
  return factory(saved.config);
}

/**
 * A saved initializer, rebuilt as described so that saving a loaded model writes the same model.json.
 * Nothing is drawn from it while loading (makeWeight makes zeros then; the weights are set right after).
 */
function initializerFrom(saved: SavedInitializer | undefined): InitializerName | Initializer | undefined {
  if (saved === undefined) return undefined;
  const name = typeof saved === 'string' ? saved : (saved as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || !Object.hasOwn(initializerFactories, name)) {
    throw new Error(
      `loadModel: unknown initializer ${JSON.stringify(saved)}; known: ${Object.keys(initializerFactories).join(', ')}`,
    );
  }
  if (typeof saved === 'string') return saved;
  const factory = initializerFactories[name as InitializerName] as (config?: Record<string, number>) => Initializer;
  return factory(saved.config);
}

/** A recurrent layer's three saved initializers, rebuilt as described. */
const recurrentInitializersFrom = (c: SavedInitializers) => ({
  kernelInitializer: initializerFrom(c.kernelInitializer),
  recurrentInitializer: initializerFrom(c.recurrentInitializer),
  biasInitializer: initializerFrom(c.biasInitializer),
});

const layerFactories: { readonly [K in LayerClassName]: (config: SavedConfigs[K]) => AnyBuilt } = {
  Dense: (c) =>
    dense({
      ...c,
      units: c.units,
      kernelInitializer: initializerFrom(c.kernelInitializer),
      biasInitializer: initializerFrom(c.biasInitializer),
      kernelRegularizer: regularizerFrom(c.kernelRegularizer),
      biasRegularizer: regularizerFrom(c.biasRegularizer),
    }),
  Dropout: (c) => dropout({ ...c, rate: c.rate }),
  Flatten: (c) => flatten(c),
  Reshape: (c) => reshapeLayer({ ...c, targetShape: c.targetShape }),
  Activation: (c) => activation({ ...c, activation: c.activation }),
  BatchNormalization: (c) => batchNormalization(c),
  PReLU: (c) => prelu({ ...c, alphaInitializer: initializerFrom(c.alphaInitializer) }),
  Maxout: (c) =>
    maxout({ ...c, units: c.units, pieces: c.pieces, kernelInitializer: initializerFrom(c.kernelInitializer) }),
  Conv2D: (c) =>
    conv2d({
      ...c,
      filters: c.filters,
      kernelSize: c.kernelSize,
      kernelInitializer: initializerFrom(c.kernelInitializer),
      biasInitializer: initializerFrom(c.biasInitializer),
      kernelRegularizer: regularizerFrom(c.kernelRegularizer),
    }),
  Conv1D: (c) =>
    conv1d({
      ...c,
      filters: c.filters,
      kernelSize: c.kernelSize,
      kernelInitializer: initializerFrom(c.kernelInitializer),
      biasInitializer: initializerFrom(c.biasInitializer),
      kernelRegularizer: regularizerFrom(c.kernelRegularizer),
    }),
  Conv2DTranspose: (c) =>
    conv2dTranspose({
      ...c,
      filters: c.filters,
      kernelSize: c.kernelSize,
      kernelInitializer: initializerFrom(c.kernelInitializer),
      biasInitializer: initializerFrom(c.biasInitializer),
      kernelRegularizer: regularizerFrom(c.kernelRegularizer),
    }),
  MaxPooling2D: (c) => maxPooling2d(c),
  AveragePooling2D: (c) => averagePooling2d(c),
  GlobalAveragePooling2D: (c) => globalAveragePooling2d(c),
  RandomTranslation: (c) => randomTranslation({ ...c, heightFactor: c.heightFactor }),
  UpSampling2D: (c) => upSampling2d(c),
  RepeatVector: (c) => repeatVector({ ...c, n: c.n }),
  Permute: (c) => permute({ ...c, dims: c.dims }),
  ZeroPadding2D: (c) => zeroPadding2d(c),
  Cropping2D: (c) => cropping2d(c),
  GaussianNoise: (c) => gaussianNoise({ ...c, stddev: c.stddev }),
  GaussianDropout: (c) => gaussianDropout({ ...c, rate: c.rate }),
  ActivityRegularization: (c) => activityRegularization(c),
  Sampling: (c) => sampling(c),
  ReLU: (c) => reluLayer(c),
  LeakyReLU: (c) => leakyReLU(c),
  ELU: (c) => eluLayer(c),
  Softmax: (c) => softmaxLayer(c),
  LayerNormalization: (c) => layerNormalization(c),
  Add: (c) => addLayer(c),
  Subtract: (c) => subtractLayer(c),
  Multiply: (c) => multiplyLayer(c),
  Average: (c) => averageLayer(c),
  Maximum: (c) => maximumLayer(c),
  Minimum: (c) => minimumLayer(c),
  Concatenate: (c) => concatenate(c),
  Dot: (c) => dot({ ...c, axes: c.axes }),
  Embedding: (c) =>
    embedding({
      ...c,
      inputDim: c.inputDim,
      outputDim: c.outputDim,
      embeddingsInitializer: initializerFrom(c.embeddingsInitializer),
    }),
  SimpleRNN: (c) => simpleRNN({ ...c, units: c.units, ...recurrentInitializersFrom(c) }),
  LSTM: (c) => lstm({ ...c, units: c.units, ...recurrentInitializersFrom(c) }),
  GRU: (c) => gru({ ...c, units: c.units, ...recurrentInitializersFrom(c) }),
  Masking: (c) => masking(c),
  Bidirectional: (c) => bidirectional({ ...c, layer: recurrentLayer(c.layer) }),
  TimeDistributed: (c) => timeDistributed({ ...c, layer: innerLayer(c.layer, 'TimeDistributed') }),
  SpectralNormalization: (c) => spectralNormalization({ ...c, layer: innerLayer(c.layer, 'SpectralNormalization') }),
  GCNConv: (c) => gcnConv({ ...graphConvFrom(c), units: c.units }),
  SAGEConv: (c) => sageConv({ ...graphConvFrom(c), units: c.units }),
  GATConv: (c) => gatConv({ ...graphConvFrom(c), units: c.units }),
  GlobalGraphPooling: (c) => globalPool({ ...c, numGraphs: c.numGraphs }),
};

/** Bidirectional's forward layer from its saved { class_name, config }: a recurrent layer. */
function recurrentLayer(saved: {
  class_name: string;
  config: Record<string, unknown>;
}): RecurrentLayer | RecurrentStateLayer {
  if (!['SimpleRNN', 'LSTM', 'GRU'].includes(saved?.class_name)) {
    throw new Error(
      `loadModel: Bidirectional wraps '${String(saved?.class_name)}'; expected a recurrent layer (SimpleRNN, LSTM, GRU)`,
    );
  }
  const inner = layerFromConfig(saved.class_name, saved.config, 'a Bidirectional config', 'loadModel');
  if (saved.config.trainable === false) inner.trainable = false;
  return inner as RecurrentLayer | RecurrentStateLayer;
}

/** A wrapper's inner layer from its saved { class_name, config }. */
function innerLayer(saved: { class_name: string; config: Record<string, unknown> }, wrapper: string): Layer {
  const inner = layerFromConfig(saved?.class_name, saved?.config ?? {}, `a ${wrapper} config`, 'loadModel');
  if (inner.signature !== 'one-to-one') {
    throw new Error(
      `loadModel: ${wrapper} wraps '${saved.class_name}', which takes a list; expected a one-tensor layer`,
    );
  }
  if (saved.config.trainable === false) inner.trainable = false;
  return inner;
}

const isLayerClassName = (name: string): name is LayerClassName => Object.hasOwn(layerFactories, name);

/** The layer a saved class name and config describe; `where` and `op` name the source and the caller in errors. */
export function layerFromConfig(
  className: string,
  config: Record<string, unknown>,
  where: string,
  op: string,
): AnyBuilt {
  if (!isLayerClassName(className)) {
    throw new Error(
      `${op}: unknown layer class '${className}' in ${where}; known: ${Object.keys(layerFactories).join(', ')}`,
    );
  }
  // model.json is read as this class's getConfig wrote it (its SavedConfigs entry): TypeScript cannot tie
  // className to config, hence never; the values are checked where the layer uses them.
  return layerFactories[className](config as never);
}

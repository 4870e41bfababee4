// Calling layers. defineLayer finishes a factory's plain object into a layer (apply, trainable,
// addLoss, nodes); apply on symbolic tensors records a node of the graph a model is cut from, and on
// real tensors runs the layer at once. input() starts a graph. A tensor added with addLoss inside a
// call goes to the collector of the forward pass running it (a model's, see collectLosses).
import { withBackend, type Shape, type Tensor } from '@webgrad/core';
import {
  SymbolicTensor,
  type AnyLayer,
  type ApplyOptions,
  type CallContext,
  type Layer,
  type LayerNode,
  type ListLayer,
  type ListOutputLayer,
  type MultiLayer,
  uniqueName,
} from './layer.js';

/** What defineLayer adds to a factory's object. */
type Added =
  | 'signature'
  | 'trainable'
  | 'trainableWeights'
  | 'nonTrainableWeights'
  | 'addLoss'
  | 'lossFunctions'
  | 'nodes'
  | 'output'
  | 'input'
  | 'apply';

/** A one-tensor layer as its factory writes it. */
export type LayerSpec = Omit<Layer, Added>;
/** A list-input layer as its factory writes it. */
export type ListLayerSpec = Omit<ListLayer, Added>;
/** A list-output layer (not a model) as its factory writes it: a recurrent layer with returnState. */
export type MultiLayerSpec = Omit<MultiLayer, Added>;

const fmtShape = (s: Shape): string => `[${s.join(',')}]`;

/** 'dense_1 (Dense)': how errors name a layer. */
export const describeLayer = (layer: AnyLayer): string => `layer '${layer.name}' (${layer.className})`;

function soleNode(layer: AnyLayer, what: 'output' | 'input'): LayerNode {
  if (layer.nodes.length !== 1) {
    throw new Error(
      `${describeLayer(layer)}.${what}: the layer has been called on symbolic tensors ${layer.nodes.length} times; ` +
        `.${what} needs exactly one call (use layer.nodes[i].${what === 'output' ? 'outputs' : 'inputs'})`,
    );
  }
  return layer.nodes[0];
}

// The losses of the forward passes running now, innermost last.
const lossCollectors: Tensor[][] = [];

/** Runs fn, returning what it returns and the tensors its layers added with addLoss. */
export function collectLosses<T>(fn: () => T): { result: T; losses: Tensor[] } {
  const losses: Tensor[] = [];
  lossCollectors.push(losses);
  try {
    return { result: fn(), losses };
  } finally {
    lossCollectors.pop();
  }
}

function addLoss(layer: AnyLayer, functions: (() => Tensor)[], loss: Tensor | (() => Tensor)): void {
  if (typeof loss === 'function') {
    functions.push(loss);
    return;
  }
  if (loss instanceof SymbolicTensor) {
    throw new Error(
      `${describeLayer(layer)}.addLoss: got the symbolic tensor '${loss.name}'; add a loss inside the layer's call ` +
        `(a tensor) or as a function () => tensor`,
    );
  }
  const collector = lossCollectors[lossCollectors.length - 1];
  if (!collector) {
    throw new Error(
      `${describeLayer(layer)}.addLoss: a tensor loss can be added only inside the layer's call; ` +
        `pass a function () => tensor for a loss evaluated every step`,
    );
  }
  if (loss.size !== 1) {
    throw new Error(`${describeLayer(layer)}.addLoss: a loss must be a scalar, got shape ${fmtShape(loss.shape)}`);
  }
  collector.push(loss);
}

function finish<L extends AnyLayer>(spec: object, signature: L['signature']): L {
  const layer = spec as L;
  const nodes: LayerNode[] = [];
  const lossFunctions: (() => Tensor)[] = [];
  Object.defineProperties(spec, {
    signature: { value: signature, enumerable: true },
    trainable: { value: true, writable: true, enumerable: true },
    trainableWeights: { get: () => (layer.trainable ? layer.weights.filter((w) => w.trainable) : []) },
    nonTrainableWeights: {
      get: () => (layer.trainable ? layer.weights.filter((w) => !w.trainable) : [...layer.weights]),
    },
    nodes: { value: nodes },
    lossFunctions: { value: lossFunctions },
    addLoss: { value: (loss: Tensor | (() => Tensor)) => addLoss(layer, lossFunctions, loss) },
    output: { get: () => soleNode(layer, 'output').outputs[0] },
    input: { get: () => soleNode(layer, 'input').inputs[0] },
    apply: { value: (x: never, options?: ApplyOptions) => applyLayer(layer, x, options) },
  });
  return layer;
}

/** A one-tensor layer from its factory's object (the object itself, finished in place). */
export const defineLayer = (spec: LayerSpec): Layer => finish<Layer>(spec, 'one-to-one');

/** A list-input layer from its factory's object. */
export const defineListLayer = (spec: ListLayerSpec): ListLayer => finish<ListLayer>(spec, 'many-to-one');

/** A list-output layer from its factory's object. */
export const defineMultiLayer = (spec: MultiLayerSpec): ListOutputLayer =>
  finish<MultiLayer>(spec, 'many-to-many') as ListOutputLayer;

// The input shapes each layer was built for, so a later call on other shapes is refused by name.
const builtFor = new WeakMap<AnyLayer, Shape[]>();

/** Builds the layer's weights for these input shapes (no batch axis) and remembers them. */
export function buildLayer(layer: AnyLayer, shapes: readonly Shape[], seed: number): void {
  if (layer.signature === 'one-to-one') layer.build(shapes[0], seed);
  else layer.build([...shapes], seed);
  builtFor.set(layer, layer.signature === 'one-to-one' ? [shapes[0]] : [...shapes]);
}

/**
 * Refuses shapes a built layer cannot take: its weights fix the number of inputs, their ranks and their
 * last axis (the features or channels).
 */
export function checkBuiltShapes(layer: AnyLayer, given: readonly Shape[]): void {
  let shapes = given;
  const built = builtFor.get(layer);
  if (!built || layer.weights.length === 0) return;
  // a one-tensor layer's weights fit its first input; initial states are checked by checkInitialState
  if (layer.signature === 'one-to-one') shapes = shapes.slice(0, 1);
  const fits =
    built.length === shapes.length &&
    built.every((b, i) => b.length === shapes[i].length && b[b.length - 1] === shapes[i][shapes[i].length - 1]);
  if (!fits) {
    throw new Error(
      `${describeLayer(layer)} was built for inputs ${built.map(fmtShape).join(' ')} and cannot take ` +
        `${shapes.map(fmtShape).join(' ')} (its weights fix the rank and the last axis)`,
    );
  }
}

/** The output shapes of a call on inputs of these shapes. */
export function outputShapes(layer: AnyLayer, shapes: readonly Shape[]): Shape[] {
  if (layer.signature === 'one-to-one') {
    if (shapes.length > 1) layer.checkInitialState!(shapes[0], shapes.slice(1));
    return [layer.computeOutputShape(shapes[0])];
  }
  if (layer.signature === 'many-to-one') return [layer.computeOutputShape([...shapes])];
  return layer.computeOutputShape([...shapes]);
}

/** Runs a layer on real tensors, whatever its kind, returning its outputs as a list. */
export function callLayer(layer: AnyLayer, xs: readonly Tensor[], context: CallContext): Tensor[] {
  if (layer.signature === 'one-to-one') {
    // set on every call, so states meant for one layer never reach the layers it calls in turn
    return [layer.call(xs[0], { ...context, initialState: xs.length > 1 ? xs.slice(1) : undefined })];
  }
  if (layer.signature === 'many-to-one') return [layer.call([...xs], context)];
  return layer.call([...xs], context);
}

/**
 * The masks of a call's outputs (Keras's compute_mask), given each input's mask: the layer's own
 * computeMask, else its first input's mask when it supports masking, else none (a layer that does not
 * support masking drops the mask, as in Keras 3).
 */
export function outputMasks(
  layer: AnyLayer,
  xs: readonly Tensor[],
  masks: readonly (Tensor | undefined)[],
): (Tensor | undefined)[] {
  const [mask] = masks;
  if (layer.signature === 'one-to-one') {
    return [layer.computeMask ? layer.computeMask(xs[0], mask) : layer.supportsMasking ? mask : undefined];
  }
  // a list-input layer sees every input's mask (a merge layer combines them, as Keras's)
  if (layer.signature === 'many-to-one' && layer.computeMask) return [layer.computeMask([...xs], masks)];
  if (layer.signature === 'many-to-many' && layer.computeMask) return layer.computeMask([...xs], mask);
  return [];
}

function checkArity(layer: AnyLayer, count: number, list: boolean): void {
  if (layer.signature === 'one-to-one' && list && !(layer.checkInitialState && count > 1)) {
    throw new Error(
      `${describeLayer(layer)} takes one tensor${layer.checkInitialState ? ' or [x, ...initialStates]' : ''}, got a list of ${count}`,
    );
  }
  if (layer.signature === 'many-to-one' && !list) {
    throw new Error(`${describeLayer(layer)} takes a list of tensors, got one tensor`);
  }
}

/** Records a node for a call on symbolic tensors; refuses shapes the layer cannot take, by name. */
function applySymbolic(layer: AnyLayer, inputs: readonly SymbolicTensor[]): SymbolicTensor[] {
  const shapes = inputs.map((t) => t.sampleShape);
  let shapesOut: Shape[];
  try {
    checkBuiltShapes(layer, shapes);
    shapesOut = outputShapes(layer, shapes);
  } catch (error) {
    const names = inputs.map((t) => `'${t.name}' ${fmtShape(t.sampleShape)}`).join(', ');
    throw new Error(`${describeLayer(layer)} applied to ${names}: ${(error as Error).message}`, { cause: error });
  }
  const outputs: SymbolicTensor[] = [];
  const node: LayerNode = { layer, inputs: [...inputs], outputs, index: layer.nodes.length };
  shapesOut.forEach((shape, i) => outputs.push(new SymbolicTensor(shape, 'float32', node, i)));
  (layer.nodes as LayerNode[]).push(node);
  return outputs;
}

let eagerBuilds = 0;

function applyEager(layer: AnyLayer, xs: readonly Tensor[], options: ApplyOptions): Tensor[] {
  const shapes = xs.map((t) => t.shape.slice(1));
  return withBackend(xs[0].backend, () => {
    if (!layer.built) buildLayer(layer, shapes, 7_000_000 + 10 * eagerBuilds++);
    try {
      checkBuiltShapes(layer, shapes);
      // a model checks its inputs' shapes itself, naming them, before any op sees them
      if (layer.signature === 'many-to-many') layer.computeOutputShape(shapes);
    } catch (error) {
      throw new Error(`apply: ${(error as Error).message}`, { cause: error });
    }
    const context = { training: options.training ?? false, seed: options.seed ?? 0, mask: options.mask };
    // losses added in an eager call have no training step to join; they are freed with the call's scope
    return collectLosses(() => callLayer(layer, xs, context)).result;
  });
}

/**
 * layer.apply(x): on symbolic tensors records a node and returns its symbolic outputs; on real tensors
 * runs the layer now (building it for their shapes first). A list-input layer takes a list; a model
 * used as a layer returns a list (its own apply unwraps a single output).
 */
export function applyLayer(
  layer: AnyLayer,
  x: Tensor | SymbolicTensor | readonly (Tensor | SymbolicTensor)[],
  options: ApplyOptions = {},
): Tensor | SymbolicTensor | Tensor[] | SymbolicTensor[] {
  const list = Array.isArray(x);
  const items: readonly (Tensor | SymbolicTensor)[] = list ? x : [x as Tensor | SymbolicTensor];
  if (items.length === 0) throw new Error(`${describeLayer(layer)}.apply: got an empty list of inputs`);
  checkArity(layer, items.length, list);
  const symbolic = items.filter((t) => t instanceof SymbolicTensor);
  let outputs: (Tensor | SymbolicTensor)[];
  if (symbolic.length === items.length) outputs = applySymbolic(layer, symbolic);
  else if (symbolic.length === 0) outputs = applyEager(layer, items as Tensor[], options);
  else {
    throw new Error(
      `${describeLayer(layer)}.apply: its inputs mix symbolic tensors (${symbolic.map((t) => `'${t.name}'`).join(', ')}) ` +
        `and real ones; a call is either a graph node or a computation`,
    );
  }
  if (layer.signature === 'many-to-many') return outputs as Tensor[] | SymbolicTensor[];
  return outputs[0];
}

export interface InputOptions {
  /** The shape of one sample, without the batch axis. */
  shape?: number[];
  /**
   * Instead of shape, Keras's batch_shape for an input that is not a batch of samples (a graph's edge
   * index: [2, null]): its tensor has this whole shape (null: any length), and fit, evaluate and
   * predict pass it whole instead of splitting it into batches (see wholeShapeOf).
   */
  batchShape?: (number | null)[];
  name?: string;
  dtype?: 'float32' | 'int32';
}

// The whole shapes of inputs declared with batchShape.
const wholeShapes = new WeakMap<AnyLayer, (number | null)[]>();

/** The declared whole shape of an input made with batchShape (undefined for a batch of samples). */
export const wholeShapeOf = (t: SymbolicTensor): (number | null)[] | undefined => wholeShapes.get(t.node.layer);

function checkInputShape(name: string, shape: unknown, whole: boolean): void {
  const ok = (d: unknown) => (Number.isInteger(d) && (d as number) >= 1) || (whole && d === null);
  if (!Array.isArray(shape) || !shape.every(ok) || (whole && shape.length === 0)) {
    const what = whole
      ? 'batchShape must be a non-empty list of positive integers or null (any length)'
      : 'shape must be a list of positive integers without the batch axis';
    throw new Error(`input '${name}': ${what}, got ${JSON.stringify(shape)}`);
  }
}

/** The layer behind an input(): no weights, the identity; saved as Keras's InputLayer. */
export function inputLayer(options: InputOptions): Layer {
  const { dtype = 'float32', batchShape } = options;
  const name = options.name ?? uniqueName('input');
  if ((options.shape === undefined) === (batchShape === undefined)) {
    throw new Error(`input '${name}': give either shape (one sample's) or batchShape (the whole tensor's), not both`);
  }
  checkInputShape(name, batchShape ?? options.shape, batchShape !== undefined);
  // a whole input's axes after the first stand in for its sample shape (-1: any length, which the
  // model's shape checks let through)
  const shape = options.shape ?? batchShape!.slice(1).map((d) => d ?? -1);
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new Error(`input '${name}': dtype must be 'float32' or 'int32', got ${JSON.stringify(dtype)}`);
  }
  const layer = defineLayer({
    className: 'InputLayer',
    name,
    // a whole input has no sample shape to save (its batchInputShape says it all)
    inputShape: batchShape ? undefined : [...shape],
    weights: [],
    built: true,
    build: () => {},
    computeOutputShape: (s) => s,
    call: (x) => x,
    getConfig: () => ({ batchInputShape: batchShape ? [...batchShape] : [null, ...shape], dtype }),
  });
  if (batchShape) wholeShapes.set(layer, [...batchShape]);
  const outputs: SymbolicTensor[] = [];
  const node: LayerNode = { layer, inputs: [], outputs, index: 0 };
  outputs.push(new SymbolicTensor([...shape], dtype, node, 0));
  (layer.nodes as LayerNode[]).push(node);
  return layer;
}

/** A symbolic input of a model: input({shape: [784]}) stands for a batch of 784-vectors. */
export const input = (options: InputOptions): SymbolicTensor => inputLayer(options).output;

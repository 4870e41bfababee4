// The Layer contract, and the helpers layers share. A layer is a plain object made by a factory
// (dense({units}) …) and finished by defineLayer (symbolic.ts), which adds what every layer has:
// apply, trainable, addLoss and its graph nodes. build creates its weights for an input shape,
// computeOutputShape says what it gives, call runs it, getConfig describes it for saving. Shapes here
// never include the batch axis. Three kinds by signature: one tensor in and out (most), a list in and
// one out (merge layers), a list in and out (a model used as a layer).
import { fill, variable, type DType, type Shape, type Tensor, type Variable } from '@webgrad/core';
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import { chargeWeight, loadingWeights, madeWeight } from './limits.js';
import type { Regularizer } from './regularizers.js';
export interface CallContext {
  /** Dropout and batch statistics act only in training. */
  readonly training: boolean;
  /** A seed for this call's randomness, different every training step. */
  readonly seed: number;
  /** The layer's own random stream under that seed (its index in the model), so no two layers draw the same numbers. */
  readonly stream?: number;
  /**
   * The mask of the layer's (first) input, Keras's: float [batch, timesteps], 1 where a timestep is real,
   * 0 where it is padding. A model hands each layer the mask its input came with; recurrent layers read it.
   */
  readonly mask?: Tensor;
  /** Every input's mask, for a list-input layer whose values depend on them (Keras's Multiply, Maximum, Minimum). */
  readonly masks?: readonly (Tensor | undefined)[];
  /** The states a recurrent layer starts from when applied to [x, ...states] (see checkInitialState). */
  readonly initialState?: readonly Tensor[];
}

/**
 * A tensor of a model's graph, not of values: what input() gives and what a layer applied to symbolic
 * tensors returns. It records where it comes from (its node), so model({inputs, outputs}) can find the
 * layers between them. It holds no data: eager ops refuse it.
 */
export class SymbolicTensor {
  constructor(
    /** The shape of one sample: no batch axis. */
    readonly sampleShape: Shape,
    readonly dtype: DType,
    /** The layer call that made it. */
    readonly node: LayerNode,
    /** Which of that call's outputs it is. */
    readonly outputIndex: number,
  ) {
    // marks it for core's ops, which then name it in their error instead of reading it as a number
    Object.defineProperty(this, Symbol.for('webgrad.symbolic'), { value: true });
  }

  /** Keras's shape: null for the batch axis. */
  get shape(): (number | null)[] {
    return [null, ...this.sampleShape];
  }

  /** The layer's name, and the node and output index when not the first: 'dense_1', 'dense_1:1:0'. */
  get name(): string {
    const { node, outputIndex } = this;
    return node.index === 0 && outputIndex === 0 ? node.layer.name : `${node.layer.name}:${node.index}:${outputIndex}`;
  }

  toString(): string {
    return `SymbolicTensor '${this.name}' (None, ${this.sampleShape.join(', ')}) ${this.dtype}`;
  }
}

/** One call of a layer on symbolic tensors: its inputs and the outputs it made. */
export interface LayerNode {
  readonly layer: AnyLayer;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Its position among the layer's nodes (the node index of a saved model's inbound_nodes). */
  readonly index: number;
}

/** What every kind of layer has. */
export interface LayerBase {
  readonly className: string;
  name: string;
  /** The input shape a first layer declares (Keras's inputShape). */
  readonly inputShape?: Shape;
  /** The dtype a first layer takes, when not float32 (an Embedding's int32 ids). */
  readonly inputDtype?: 'int32';
  /** Every weight in getWeights order, trainable or not (BatchNorm's moving statistics are not). */
  readonly weights: Variable[];
  readonly built: boolean;
  /**
   * False freezes the layer: fit and custom steps leave its weights alone, the optimizer keeps no slots
   * for them, and a frozen BatchNormalization runs in inference mode (as in Keras).
   */
  trainable: boolean;
  /** Its trainable weights: none when frozen. */
  readonly trainableWeights: Variable[];
  readonly nonTrainableWeights: Variable[];
  getConfig(): Record<string, unknown>;
  /** The penalty this layer's regularizers add to the loss, if any. */
  regularizationLoss?(): Tensor | undefined;
  /**
   * Adds a loss: a function is evaluated every training step (and by evaluate); a tensor is taken as
   * this call's loss, so only inside the layer's own call (Keras 3's add_loss).
   */
  addLoss(loss: Tensor | (() => Tensor)): void;
  /** The losses added by function (each step evaluates them). */
  readonly lossFunctions: readonly (() => Tensor)[];
  /** The calls of this layer on symbolic tensors, in order. */
  readonly nodes: readonly LayerNode[];
  /** The output of its one symbolic call (an error when it has none or several). */
  readonly output: SymbolicTensor;
  /** The input of its one symbolic call. */
  readonly input: SymbolicTensor;
  /** Keras's supports_masking: the layer passes its input's mask on unchanged (unless it has computeMask). */
  readonly supportsMasking?: boolean;
  /** Frees what the layer keeps besides its weights (a stateful recurrent layer's states); Model.dispose calls it. */
  disposeStates?(): void;
  /** A stateful layer's fixed batch size (Keras's batch_size): fit refuses, up front, data giving other batches. */
  readonly fixedBatchSize?: number;
}

/** A layer of one tensor in and one out. */
export interface Layer extends LayerBase {
  readonly signature: 'one-to-one';
  build(inputShape: Shape, seed: number): void;
  computeOutputShape(inputShape: Shape): Shape;
  call(x: Tensor, context: CallContext): Tensor;
  /** The activation the layer ends with, when it has one (Dense, Activation). */
  readonly activationName?: string;
  /** The layer's output before that activation: the logits a fused softmax/sigmoid loss takes. */
  callLogits?(x: Tensor, context: CallContext): Tensor;
  /** The mask its output carries, given its input and that input's mask (Embedding's maskZero, Masking, RNNs). */
  computeMask?(x: Tensor, mask?: Tensor): Tensor | undefined;
  /**
   * Present on layers that take initial states (recurrent layers): apply then also takes [x, ...states],
   * and call finds the states in its context. Refuses state shapes (no batch axis) that do not fit.
   */
  checkInitialState?(inputShape: Shape, stateShapes: Shape[]): void;
  /** On symbolic tensors records a node; on a real tensor runs eagerly (inference unless told). */
  apply(x: SymbolicTensor): SymbolicTensor;
  apply(x: Tensor, options?: ApplyOptions): Tensor;
}

/** A layer of a list of tensors in and one out (add, concatenate, a graph convolution's [x, edges]). */
export interface ListLayer extends LayerBase {
  readonly signature: 'many-to-one';
  build(inputShapes: Shape[], seed: number): void;
  computeOutputShape(inputShapes: Shape[]): Shape;
  call(xs: Tensor[], context: CallContext): Tensor;
  readonly activationName?: undefined;
  /** The mask its output carries, given its inputs and each input's mask (a merge layer combines them). */
  computeMask?(xs: Tensor[], masks: readonly (Tensor | undefined)[]): Tensor | undefined;
  apply(xs: readonly SymbolicTensor[]): SymbolicTensor;
  apply(xs: readonly Tensor[], options?: ApplyOptions): Tensor;
}

/** A layer of a list in and a list out: a model used as a layer. */
export interface MultiLayer extends LayerBase {
  readonly signature: 'many-to-many';
  build(inputShapes: Shape[], seed: number): void;
  computeOutputShape(inputShapes: Shape[]): Shape[];
  call(xs: Tensor[], context: CallContext): Tensor[];
  readonly activationName?: undefined;
  /** Each output's mask, given the inputs and the first input's mask (a recurrent layer's returnState). */
  computeMask?(xs: Tensor[], mask?: Tensor): (Tensor | undefined)[];
}

/** A list-output layer that is not a model (a recurrent layer with returnState): apply gives a list. */
export interface ListOutputLayer extends MultiLayer {
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor[];
  apply(x: Tensor | readonly Tensor[], options?: ApplyOptions): Tensor[];
}

export type AnyLayer = Layer | ListLayer | MultiLayer;

export interface ApplyOptions {
  /** Run as in training (dropout on, batch statistics): false unless given. */
  training?: boolean;
  /** The seed of this call's randomness when training. */
  seed?: number;
  /** The input's mask, float [batch, timesteps] (1 = keep), for a layer that reads one (an eager call). */
  mask?: Tensor;
}

export interface BaseLayerOptions {
  name?: string;
  inputShape?: number[];
}

let layerCount = 0;
/** A unique default name: dense_1, dropout_2, … */
export const uniqueName = (prefix: string): string => `${prefix}_${++layerCount}`;

/**
 * A weight made by an initializer (a name or an object), seeded per model, layer and weight. While a
 * load builds its layers, each weight is charged to the manifest's budget (limits.ts) before allocating,
 * and made as zeros: the load sets it right after, so the layer keeps its saved initializer undrawn.
 */
export function makeWeight(
  name: string,
  shape: Shape,
  init: InitializerName | Initializer,
  seed: number,
  trainable = true,
): Variable {
  chargeWeight(name, shape);
  const initial = loadingWeights() ? fill(shape, 0) : getInitializer(init).init(shape, seed);
  const v = variable(initial, { name, trainable });
  initial.dispose();
  madeWeight(v);
  return v;
}

/** The penalties of (weight, regularizer) pairs added together. */
export function penalties(pairs: readonly [Variable | undefined, Regularizer | undefined][]): Tensor | undefined {
  let total: Tensor | undefined;
  for (const [w, r] of pairs) {
    if (!w || !r) continue;
    const p = r.penalty(w);
    total = total ? r.add(total, p) : p;
  }
  return total;
}

/** An initializer's description for getConfig. */
export const describeInit = (init: InitializerName | Initializer): unknown =>
  typeof init === 'string' ? init : { name: init.name, config: init.config };

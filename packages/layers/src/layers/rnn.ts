// The recurrent layers SimpleRNN, LSTM and GRU: Keras's options and weights around recurrentForward.
// Beyond the sequence itself they take Keras's layer features: returnState (the layer then gives
// [output, h] or [output, h, c] and is a list-output layer), initial states at call time as
// apply([x, h0, c0]), the mask a model hands them (padding steps keep the states), stateful with
// resetStates() (the last states of a batch start the next; detached, so backpropagation is truncated
// at the batch), and dropout / recurrentDropout with Keras 3's per-sequence masks, in training only.
import { add, bernoulli, concat, fill, mul, reshape, tidy, variable, zeros } from '@webgrad/core';
import type { Shape, Tensor, Variable } from '@webgrad/core';
import { getActivation, type Activation, type ActivationName } from '../activations.js';
import { getInitializer, orthogonal, type Initializer, type InitializerName } from '../initializers.js';
import {
  describeInit,
  makeWeight,
  uniqueName,
  type ApplyOptions,
  type BaseLayerOptions,
  type CallContext,
  type Layer,
  type ListOutputLayer,
  type SymbolicTensor,
} from '../layer.js';
import { defineLayer, defineMultiLayer } from '../symbolic.js';
import { droppedForward } from './recurrent-dropout.js';
import {
  recurrentForward,
  stateCount,
  type CellName,
  type RecurrentResult,
  type SequenceSpec,
  type StepActivations,
} from './recurrent.js';

export interface RecurrentOptions extends BaseLayerOptions {
  units: number;
  /** tanh unless given (the candidate and output activation). */
  activation?: ActivationName | Activation;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  /** orthogonal unless given, as in Keras. */
  recurrentInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
  /** The output at every timestep [batch, T, units] rather than the last [batch, units]. */
  returnSequences?: boolean;
  /** Reads the sequence from its end; the outputs come in the order processed, as in Keras. */
  goBackwards?: boolean;
  /** Also give the final states: apply returns [output, h] (LSTM: [output, h, c]). */
  returnState?: boolean;
  /** Each batch starts from the last states of the previous one (sample i from sample i); needs batchSize. */
  stateful?: boolean;
  /** The fixed number of sequences per batch a stateful layer keeps states for (Keras's batch_size). */
  batchSize?: number;
  /** Fraction of the input features dropped in training, one mask per sequence (Keras's dropout). */
  dropout?: number;
  /** Fraction of h₋₁ dropped before the recurrent product in training, one mask per gate and sequence. */
  recurrentDropout?: number;
  /** Seed of the dropout masks, added to the training step's. */
  seed?: number;
}

export interface GatedOptions extends RecurrentOptions {
  /** sigmoid unless given (the gates' activation). */
  recurrentActivation?: ActivationName | Activation;
}

export interface LSTMOptions extends GatedOptions {
  /** Starts the forget gate's bias at 1 (Jozefowicz et al. 2015), Keras's default. */
  unitForgetBias?: boolean;
}

export interface GRUOptions extends GatedOptions {
  /** The reset gate after the recurrent product, with its own recurrent bias: Keras 3's default (true). */
  resetAfter?: boolean;
}

/** What every recurrent layer adds: putting a stateful layer's states back to zeros (or to given values). */
interface ResettableStates {
  /** Zeros, or `states` ([h] or [h, c], each [batchSize, units]); only for a stateful layer. */
  resetStates(states?: readonly Tensor[]): void;
}

/** A recurrent layer giving its output alone; apply also takes [x, ...initialStates]. */
export interface RecurrentLayer extends Layer, ResettableStates {
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor;
  apply(x: Tensor | readonly Tensor[], options?: ApplyOptions): Tensor;
}

/** A recurrent layer made with returnState: apply gives [output, ...states]. */
export interface RecurrentStateLayer extends ListOutputLayer, ResettableStates {}

const GATES: Record<CellName, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };
const PREFIX: Record<CellName, string> = { SimpleRNN: 'simple_rnn', LSTM: 'lstm', GRU: 'gru' };
const STATE_NAMES = ['h', 'c'];
const fmt = (s: Shape): string => `[${s.join(',')}]`;

/** Keras's bias for unitForgetBias: the initializer's values with the forget gate's block set to 1. */
function forgetBiasOnes(init: Initializer, units: number): Initializer {
  return {
    name: init.name,
    config: init.config,
    init: (_shape, seed) =>
      tidy(() => concat([init.init([units], seed), fill([units], 1), init.init([2 * units], seed + 1)], 0)),
  };
}

// each recurrent layer's cell and options, so Bidirectional can make its backward twin
const made = new WeakMap<object, { cell: CellName; options: LSTMOptions & GRUOptions }>();

/** A fresh recurrent layer with the options of `layer` but goBackwards flipped: Bidirectional's backward half. */
export function reversedCopy(layer: object, name: string): RecurrentLayer | RecurrentStateLayer | undefined {
  const origin = made.get(layer);
  if (!origin) return undefined;
  const { cell, options } = origin;
  return recurrent(cell, { ...options, name, goBackwards: !(options.goBackwards ?? false) });
}

const checkRate = (layerName: string, what: string, rate: number): void => {
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new Error(`${layerName}: ${what} must be a number in [0, 1), got ${JSON.stringify(rate)}`);
  }
};

function recurrent(cell: CellName, options: LSTMOptions & GRUOptions): RecurrentLayer | RecurrentStateLayer {
  const {
    units,
    useBias = true,
    kernelInitializer = 'glorotUniform',
    recurrentInitializer = orthogonal(),
    biasInitializer = 'zeros',
    returnSequences = false,
    goBackwards = false,
    returnState = false,
    stateful = false,
    batchSize,
    dropout = 0,
    recurrentDropout = 0,
    seed,
    unitForgetBias = true,
    resetAfter = true,
  } = options;
  const lower = PREFIX[cell];
  if (!Number.isInteger(units) || units < 1) {
    throw new Error(`${lower}: units must be a positive integer, got ${units}`);
  }
  checkRate(lower, 'dropout', dropout);
  checkRate(lower, 'recurrentDropout', recurrentDropout);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new Error(`${lower}: batchSize must be a positive integer, got ${JSON.stringify(batchSize)}`);
  }
  if (stateful && batchSize === undefined) {
    throw new Error(
      `${lower}: stateful needs a fixed batch size: pass batchSize (the number of sequences in every batch; ` +
        `sample i of a batch continues sample i of the one before)`,
    );
  }
  const acts: StepActivations = {
    activation: getActivation(options.activation ?? 'tanh'),
    recurrentActivation: getActivation(options.recurrentActivation ?? 'sigmoid'),
  };
  const gates = GATES[cell];
  const count = stateCount(cell);
  const splitBias = cell === 'GRU' && resetAfter;
  const spec: SequenceSpec = { cell, acts, returnSequences, goBackwards, resetAfter };
  let kernel: Variable | undefined, recurrentKernel: Variable | undefined, bias: Variable | undefined;
  // a stateful layer's states between batches: variables outside every tape, updated in place
  let kept: Variable[] | undefined;
  const name = options.name ?? uniqueName(lower);
  const what = `layer '${name}' (${cell})`;
  const stateList = STATE_NAMES.slice(0, count).join(', ');

  const named = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
    }
  };
  const expectRank3 = (s: Shape): void => {
    if (s.length !== 2) {
      throw new Error(
        `expected input of shape [batch, timesteps, features] (rank 3), got [batch, ${s.join(', ')}] (rank ${s.length + 1})`,
      );
    }
  };
  /** State shapes without the batch axis: `count` of them, each [units]. */
  const checkStateShapes = (stateShapes: readonly Shape[]): void => {
    if (stateShapes.length !== count) {
      throw new Error(
        `expected ${count} initial state${count > 1 ? 's' : ''} [${stateList}], got ${stateShapes.length}`,
      );
    }
    stateShapes.forEach((s, k) => {
      if (s.length !== 1 || s[0] !== units) {
        throw new Error(
          `initial state ${k} (${STATE_NAMES[k]}) has shape [batch, ${s.join(', ')}]; expected [batch, ${units}] (units)`,
        );
      }
    });
  };
  /** An eager call's checks: rank, states and mask against the batch and timesteps of x, stateful's batch. */
  const checkCall = (x: Tensor, states: readonly Tensor[] | undefined, mask: Tensor | undefined): void =>
    named(() => {
      expectRank3(x.shape.slice(1));
      const [batch, steps] = x.shape;
      if (states) {
        checkStateShapes(states.map((s) => s.shape.slice(1)));
        const off = states.findIndex((s) => s.shape[0] !== batch);
        if (off >= 0) {
          throw new Error(
            `initial state ${off} (${STATE_NAMES[off]}) has shape ${fmt(states[off].shape)}; ` +
              `expected [batch, units] = ${fmt([batch, units])} for input ${fmt(x.shape)}`,
          );
        }
      }
      if (mask && (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps || mask.dtype !== 'float32')) {
        throw new Error(
          `mask of shape ${fmt(mask.shape)} (${mask.dtype}) does not fit input ${fmt(x.shape)}; expected float32 ` +
            `[batch, timesteps] = ${fmt([batch, steps])} (1 = keep)`,
        );
      }
      if (stateful && batch !== batchSize) {
        throw new Error(
          `stateful with batchSize ${batchSize} got a batch of ${batch} (input ${fmt(x.shape)}); ` +
            `every batch must hold ${batchSize} sequences`,
        );
      }
    });

  /** Keras 3's dropout masks for this call: per sequence, scaled by 1/(1 − rate); per gate with recurrentDropout. */
  const dropMask = (shape: Shape, rate: number, context: CallContext, draw: number): Tensor =>
    mul(
      bernoulli(shape, 1 - rate, { seed: context.seed + (seed ?? 0) + 7919 * draw, stream: context.stream }),
      1 / (1 - rate),
    );

  const run = (x: Tensor, given: readonly Tensor[] | undefined, context: CallContext): RecurrentResult => {
    checkCall(x, given, context.mask);
    const [batch, , features] = x.shape;
    const weights = { kernel: kernel!, recurrentKernel: recurrentKernel!, bias };
    // a copy of the kept states, so the tape keeps what this batch read when they are overwritten below
    const initialStates = given ?? kept?.map((v) => add(v, 0));
    const inputs = { initialStates, mask: context.mask };
    let result: RecurrentResult;
    if (context.training && recurrentDropout > 0) {
      const input =
        dropout > 0
          ? Array.from({ length: gates }, (_, g) => dropMask([batch, features], dropout, context, 1 + g))
          : undefined;
      const recurrentMasks = Array.from({ length: gates }, (_, g) =>
        dropMask([batch, units], recurrentDropout, context, 1 + gates + g),
      );
      result = droppedForward(spec, x, weights, inputs, { input, recurrent: recurrentMasks });
    } else if (context.training && dropout > 0) {
      // one mask shared by the gates: the projection is linear, so it can drop x for every timestep at once
      const m = dropMask([batch, features], dropout, context, 1);
      result = recurrentForward(spec, mul(x, reshape(m, [batch, 1, features])), weights, inputs);
    } else result = recurrentForward(spec, x, weights, inputs);
    kept?.forEach((v, k) => v.assign(result.states[k]));
    return result;
  };

  const build = (inputShape: Shape, buildSeed: number): void => {
    named(() => expectRank3(inputShape));
    const features = inputShape[1];
    kernel = makeWeight(`${name}/kernel`, [features, gates * units], kernelInitializer, buildSeed);
    recurrentKernel = makeWeight(
      `${name}/recurrent_kernel`,
      [units, gates * units],
      recurrentInitializer,
      buildSeed + 1,
    );
    weights.push(kernel, recurrentKernel);
    if (useBias) {
      const biasShape = splitBias ? [2, gates * units] : [gates * units];
      const init =
        cell === 'LSTM' && unitForgetBias ? forgetBiasOnes(getInitializer(biasInitializer), units) : biasInitializer;
      bias = makeWeight(`${name}/bias`, biasShape, init, buildSeed + 2);
      weights.push(bias);
    }
    if (stateful) {
      kept = Array.from({ length: count }, (_, k) =>
        tidy(() => variable(zeros([batchSize!, units]), { name: `${name}/state_${STATE_NAMES[k]}`, trainable: false })),
      );
    }
  };
  const outputShape = (inputShape: Shape): Shape => {
    expectRank3(inputShape);
    return returnSequences ? [inputShape[0], units] : [units];
  };
  const resetStates = (states?: readonly Tensor[]): void => {
    if (!stateful) throw new Error(`${what}: resetStates needs a stateful layer (stateful: true)`);
    if (!kept) return; // not built yet: it starts from zeros
    if (states) {
      named(() => {
        checkStateShapes(states.map((s) => s.shape.slice(1)));
        const off = states.findIndex((s) => s.shape[0] !== batchSize);
        if (off >= 0) {
          throw new Error(
            `resetStates: state ${off} has shape ${fmt(states[off].shape)}; expected ${fmt([batchSize!, units])}`,
          );
        }
      });
    }
    kept.forEach((v, k) => tidy(() => v.assign(states ? states[k] : zeros(v.shape))));
  };

  const disposeStates = (): void => {
    kept?.forEach((v) => v.dispose());
    kept = undefined;
  };

  const weights: Variable[] = [];
  const common = {
    disposeStates,
    ...(stateful ? { fixedBatchSize: batchSize } : {}),
    className: cell,
    name,
    inputShape: options.inputShape,
    weights,
    getConfig: () => ({
      units,
      activation: acts.activation.name,
      ...(cell !== 'SimpleRNN' ? { recurrentActivation: acts.recurrentActivation.name } : {}),
      useBias,
      returnSequences,
      returnState,
      goBackwards,
      stateful,
      ...(batchSize !== undefined ? { batchSize } : {}),
      dropout,
      recurrentDropout,
      ...(seed !== undefined ? { seed } : {}),
      ...(cell === 'LSTM' ? { unitForgetBias } : {}),
      ...(cell === 'GRU' ? { resetAfter } : {}),
      kernelInitializer: describeInit(kernelInitializer),
      recurrentInitializer: describeInit(recurrentInitializer),
      biasInitializer: describeInit(biasInitializer),
    }),
  };
  if (returnState) {
    // getters are written in each spec: spreading an object would read them once
    const layer = defineMultiLayer({
      ...common,
      get built() {
        return kernel !== undefined;
      },
      build: (shapes, buildSeed) => build(shapes[0], buildSeed),
      computeOutputShape(shapes) {
        if (shapes.length > 1) checkStateShapes(shapes.slice(1));
        return [outputShape(shapes[0]), ...Array.from({ length: count }, () => [units])];
      },
      call(xs, context) {
        const { output, states } = run(xs[0], xs.length > 1 ? xs.slice(1) : undefined, context);
        return [output, ...states];
      },
      computeMask: (_xs, mask) => [
        returnSequences ? mask : undefined,
        ...Array.from({ length: count }, () => undefined),
      ],
    });
    made.set(layer, { cell, options });
    return Object.assign(layer, { resetStates });
  }
  const layer = defineLayer({
    ...common,
    get built() {
      return kernel !== undefined;
    },
    build,
    computeOutputShape: outputShape,
    call: (x, context) => run(x, context.initialState, context).output,
    computeMask: (_x, mask) => (returnSequences ? mask : undefined),
    checkInitialState: (_inputShape, stateShapes) => checkStateShapes(stateShapes),
  });
  made.set(layer, { cell, options });
  return Object.assign(layer, { resetStates }) as RecurrentLayer;
}

type Factory<O> = {
  (options: O & { returnState?: false }): RecurrentLayer;
  (options: O & { returnState: true }): RecurrentStateLayer;
  (options: O): RecurrentLayer | RecurrentStateLayer;
};

/** A fully connected recurrent layer: h = act(x·W + h₋₁·U + b). */
export const simpleRNN = ((options: RecurrentOptions) => recurrent('SimpleRNN', options)) as Factory<RecurrentOptions>;

/** Long short-term memory (Hochreiter & Schmidhuber 1997), Keras's LSTM. */
export const lstm = ((options: LSTMOptions) => recurrent('LSTM', options)) as Factory<LSTMOptions>;

/** Gated recurrent unit (Cho et al. 2014), Keras's GRU. */
export const gru = ((options: GRUOptions) => recurrent('GRU', options)) as Factory<GRUOptions>;

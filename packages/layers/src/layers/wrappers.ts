// Wrappers, saved as Keras saves them (the inner layer's class and config). TimeDistributed: one layer
// applied to every timestep of [batch, T, …] with the same weights, by folding the time axis into the
// batch around one call of it ([batch·T, …]), so a Dense on top of a sequence is one GEMM rather than T;
// the sequence's mask passes through. Bidirectional: a recurrent layer and its goBackwards twin over
// the same sequence, their outputs merged (the backward one put back in time order first); initial
// states given as apply([x, ...states]) go as Keras's: the first half to the forward layer, the rest to
// the backward one.
import { add, concat, gather, mul, reshape, tensor, type Shape, type Tensor } from '@webgrad/core';
import { uniqueName, type BaseLayerOptions, type CallContext, type Layer } from '../layer.js';
import { defineLayer, defineMultiLayer, describeLayer } from '../symbolic.js';
import { reversedCopy, type RecurrentLayer, type RecurrentStateLayer } from './rnn.js';

export interface TimeDistributedOptions extends BaseLayerOptions {
  /** The layer run on each timestep (a one-tensor layer). */
  layer: Layer;
}

export function timeDistributed(options: TimeDistributedOptions): Layer {
  const inner = options.layer;
  if (inner?.signature !== 'one-to-one') {
    throw new Error(
      `timeDistributed: layer must be a one-tensor layer (dense, conv2d, …), got ${String(inner?.signature ?? inner)}`,
    );
  }
  const expectTime = (s: Shape): void => {
    if (s.length < 2) {
      throw new Error(
        `expected input of shape [batch, timesteps, …] (rank 3 or more), got [batch, ${s.join(', ')}] (rank ${s.length + 1})`,
      );
    }
  };
  const named = (check: () => void): void => {
    try {
      check();
    } catch (error) {
      throw new Error(`${describeLayer(layer)}: ${(error as Error).message}`, { cause: error });
    }
  };
  const layer: Layer = defineLayer({
    className: 'TimeDistributed',
    name: options.name ?? uniqueName('time_distributed'),
    inputShape: options.inputShape,
    get weights() {
      return inner.weights;
    },
    get built() {
      return inner.built;
    },
    build(inputShape, seed) {
      named(() => expectTime(inputShape));
      if (!inner.built) inner.build(inputShape.slice(1), seed);
    },
    computeOutputShape(inputShape) {
      expectTime(inputShape);
      return [inputShape[0], ...inner.computeOutputShape(inputShape.slice(1))];
    },
    call(x: Tensor, context) {
      named(() => expectTime(x.shape.slice(1)));
      const [batch, steps] = x.shape;
      // the inner layer sees single timesteps: the sequence's mask and states are not its own
      const y = inner.call(reshape(x, [batch * steps, ...x.shape.slice(2)]), {
        ...context,
        mask: undefined,
        initialState: undefined,
      });
      return reshape(y, [batch, steps, ...y.shape.slice(1)]);
    },
    regularizationLoss: () => inner.regularizationLoss?.(),
    disposeStates: () => inner.disposeStates?.(),
    supportsMasking: true,
    getConfig: () => ({
      layer: {
        class_name: inner.className,
        config: { name: inner.name, trainable: inner.trainable, ...inner.getConfig() },
      },
    }),
  });
  return layer;
}

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

export interface BidirectionalOptions extends BaseLayerOptions {
  /** The forward recurrent layer (simpleRNN, lstm, gru); its goBackwards twin is made from its options. */
  layer: RecurrentLayer | RecurrentStateLayer;
  /** How the two outputs combine: concatenated on the features (Keras's default), summed, multiplied or averaged. */
  mergeMode?: MergeMode;
}

/** The bidirectional wrapper: [merged] or, when the inner layer has returnState, [merged, ...forward states, ...backward states]. */
export function bidirectional(options: BidirectionalOptions & { layer: RecurrentStateLayer }): RecurrentStateLayer;
export function bidirectional(options: BidirectionalOptions & { layer: RecurrentLayer }): RecurrentLayer;
export function bidirectional(options: BidirectionalOptions): RecurrentLayer | RecurrentStateLayer;
export function bidirectional(options: BidirectionalOptions): RecurrentLayer | RecurrentStateLayer {
  const { layer: forward, mergeMode = 'concat' } = options;
  if (!MERGE_MODES.includes(mergeMode)) {
    throw new Error(
      `bidirectional: mergeMode must be one of ${MERGE_MODES.join(', ')}, got ${JSON.stringify(mergeMode)}`,
    );
  }
  const name = options.name ?? uniqueName(`bidirectional`);
  const backward = forward && reversedCopy(forward, `backward_${forward.name}`);
  if (!backward) {
    throw new Error(
      `bidirectional: layer must be a recurrent layer (simpleRNN, lstm, gru), got ${String(forward?.className ?? forward)}`,
    );
  }
  const config = forward.getConfig();
  const returnSequences = config.returnSequences === true;
  const returnState = forward.signature === 'many-to-many';
  const units = config.units as number;
  const perHalf = forward.className === 'LSTM' ? 2 : 1;
  const stateShapes = (): Shape[] => Array.from({ length: 2 * perHalf }, () => [units]);
  /** Initial states' shapes without the batch axis: the forward layer's [h(, c)] then the backward layer's. */
  const checkStates = (shapes: readonly Shape[]): void => {
    const names = perHalf === 2 ? 'h, c' : 'h';
    if (shapes.length !== 2 * perHalf) {
      throw new Error(
        `expected ${2 * perHalf} initial states (the forward layer's [${names}], then the backward layer's), ` +
          `got ${shapes.length}`,
      );
    }
    const off = shapes.findIndex((s) => s.length !== 1 || s[0] !== units);
    if (off >= 0) {
      throw new Error(
        `initial state ${off} (the ${off < perHalf ? 'forward' : 'backward'} layer's) has shape ` +
          `[batch, ${shapes[off].join(', ')}]; expected [batch, ${units}] (units)`,
      );
    }
  };
  const halves = [forward, backward];
  const runHalf = (
    half: RecurrentLayer | RecurrentStateLayer,
    x: Tensor,
    context: CallContext,
    states: readonly Tensor[] | undefined,
  ): Tensor[] =>
    half.signature === 'many-to-many'
      ? half.call([x, ...(states ?? [])], context)
      : [half.call(x, { ...context, initialState: states })];

  const merge = (x: Tensor, context: CallContext, states?: readonly Tensor[]): Tensor[] => {
    if (states) {
      try {
        checkStates(states.map((s) => s.shape.slice(1)));
      } catch (error) {
        throw new Error(`layer '${name}' (Bidirectional): ${(error as Error).message}`, { cause: error });
      }
    }
    const [fwd, ...fwdStates] = runHalf(forward, x, context, states?.slice(0, perHalf));
    // the backward half draws its dropout masks from another seed than the forward half's
    const [backwardOut, ...bwdStates] = runHalf(
      backward,
      x,
      { ...context, seed: context.seed + 104_729 },
      states?.slice(perHalf),
    );
    let bwd = backwardOut;
    let ahead = fwd;
    if (returnSequences) {
      const steps = bwd.shape[1];
      const order = tensor(
        Array.from({ length: steps }, (_, i) => steps - 1 - i),
        [steps],
        'int32',
      );
      bwd = gather(bwd, order, 1);
      // Keras sets zero_output_for_mask on both halves when returning sequences: padding steps give 0
      if (context.mask) {
        const keep = reshape(context.mask, [...context.mask.shape, 1]);
        ahead = mul(ahead, keep);
        bwd = mul(bwd, keep);
      }
    }
    const merged =
      mergeMode === 'concat'
        ? concat([ahead, bwd], ahead.rank - 1)
        : mergeMode === 'sum'
          ? add(ahead, bwd)
          : mergeMode === 'mul'
            ? mul(ahead, bwd)
            : mul(add(ahead, bwd), 0.5);
    return [merged, ...fwdStates, ...bwdStates];
  };
  const outputShape = (inputShape: Shape): Shape => {
    const [inner] =
      forward.signature === 'many-to-many'
        ? forward.computeOutputShape([inputShape])
        : [forward.computeOutputShape(inputShape)];
    return mergeMode === 'concat' ? [...inner.slice(0, -1), 2 * units] : inner;
  };
  const common = {
    disposeStates: () => disposeStates(),
    ...(forward.fixedBatchSize !== undefined ? { fixedBatchSize: forward.fixedBatchSize } : {}),
    className: 'Bidirectional',
    name,
    inputShape: options.inputShape ?? forward.inputShape,
    build(inputShape: Shape, seed: number) {
      halves.forEach((half, i) => {
        if (half.built) return;
        if (half.signature === 'many-to-many') half.build([inputShape], seed + 5 * i);
        else half.build(inputShape, seed + 5 * i);
      });
    },
    getConfig: () => ({
      layer: { class_name: forward.className, config: { name: forward.name, trainable: forward.trainable, ...config } },
      mergeMode,
    }),
  };
  const disposeStates = (): void => halves.forEach((half) => half.disposeStates?.());
  const resetStates = (states?: readonly Tensor[]): void => {
    const half = states && states.length / 2;
    forward.resetStates(states?.slice(0, half));
    backward.resetStates(states?.slice(half));
  };
  if (returnState) {
    // getters are written in each spec: spreading an object would read them once
    const layer = defineMultiLayer({
      ...common,
      get weights() {
        return [...forward.weights, ...backward.weights];
      },
      get built() {
        return forward.built && backward.built;
      },
      build: (shapes, seed) => common.build(shapes[0], seed),
      computeOutputShape(shapes) {
        if (shapes.length > 1) checkStates(shapes.slice(1));
        return [outputShape(shapes[0]), ...stateShapes()];
      },
      call: (xs, context) => merge(xs[0], context, xs.length > 1 ? xs.slice(1) : undefined),
      computeMask: (_xs, mask) => [returnSequences ? mask : undefined, ...stateShapes().map(() => undefined)],
    });
    return Object.assign(layer, { resetStates });
  }
  const layer = defineLayer({
    ...common,
    get weights() {
      return [...forward.weights, ...backward.weights];
    },
    get built() {
      return forward.built && backward.built;
    },
    computeOutputShape: outputShape,
    call: (x, context) => merge(x, context, context.initialState)[0],
    computeMask: (_x, mask) => (returnSequences ? mask : undefined),
    checkInitialState: (_inputShape, shapes) => checkStates(shapes),
  });
  return Object.assign(layer, { resetStates }) as RecurrentLayer;
}

// Fused recurrent sequences (SimpleRNN, LSTM, GRU in Keras's resetAfter form): the whole time loop as
// one op. Ops have one output, so the forward returns a record [B, T, width] holding per timestep (in
// time order) the states and the gates after their activation (layouts in backend.ts), and the public
// helper slices the layer's sequence and final states out of it. Its backward runs
// backpropagation through time on the backend (one op, recurrentSequenceGrad) and leaves the weight
// gradients to single GEMMs and reductions over all B·T rows, so autodiff sees a handful of ops per
// sequence instead of tens per timestep. Only gradients reaching the record's h and c blocks flow back
// (the helper exposes nothing else).
import {
  RECURRENT_ACTIVATIONS,
  RECURRENT_GATES,
  recurrentGradWidth,
  recurrentRecordWidth,
  type RecurrentActivation,
  type RecurrentCell,
  type RecurrentConfig,
} from '../backend.js';
import { fmt, type Shape } from '../dtype.js';
import { runOp, withBackend, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { requireFloat } from './elementwise.js';
import { matmul } from './matmul.js';
import { concat, gather, reshape, slice } from './movement.js';
import { sum } from './reduce.js';

export interface RecurrentAttrs extends RecurrentConfig {
  readonly hasRecurrentBias: boolean;
  readonly hasMask: boolean;
}

/** The forward op's inputs by role: projected, recurrentKernel, h0, [c0], [recurrentBias], [mask]. */
function forwardRoles<T>(inputs: readonly T[], attrs: RecurrentAttrs) {
  const stateCount = attrs.cell === 'LSTM' ? 2 : 1;
  let next = 2 + stateCount;
  const recurrentBias = attrs.hasRecurrentBias ? inputs[next++] : undefined;
  const mask = attrs.hasMask ? inputs[next] : undefined;
  return {
    projected: inputs[0],
    recurrentKernel: inputs[1],
    states: inputs.slice(2, 2 + stateCount),
    recurrentBias,
    mask,
  };
}

const configOf = ({ cell, activation, recurrentActivation, goBackwards }: RecurrentAttrs): RecurrentConfig => ({
  cell,
  activation,
  recurrentActivation,
  goBackwards,
});

function checkShapes(
  inputs: readonly Tensor[],
  attrs: RecurrentAttrs,
): { batch: number; steps: number; units: number } {
  const { projected, recurrentKernel, states, recurrentBias, mask } = forwardRoles(inputs, attrs);
  const op = `recurrentSequence (${attrs.cell})`;
  requireFloat(op, ...inputs);
  const gates = RECURRENT_GATES[attrs.cell];
  const units = recurrentKernel.shape[0];
  const width = gates * units;
  const fail = (what: string, got: Shape, expected: string) => {
    throw new Error(`${op}: ${what} of shape ${fmt(got)}, expected ${expected}`);
  };
  if (recurrentKernel.rank !== 2 || recurrentKernel.shape[1] !== width || units < 1) {
    fail('recurrentKernel', recurrentKernel.shape, `[units, ${gates}·units] (${gates} gate blocks)`);
  }
  if (projected.rank !== 3 || projected.shape[2] !== width || projected.shape[1] < 1) {
    fail('projected (x·W + b)', projected.shape, `[batch, timesteps ≥ 1, ${width}] for ${units} units`);
  }
  const [batch, steps] = projected.shape;
  const names = ['initial state h', 'initial state c'];
  states.forEach((s, i) => {
    if (fmt(s.shape) !== fmt([batch, units])) fail(names[i], s.shape, `[batch, units] = ${fmt([batch, units])}`);
  });
  if (recurrentBias && fmt(recurrentBias.shape) !== fmt([width])) {
    fail('recurrentBias', recurrentBias.shape, `[${width}]`);
  }
  if (mask && fmt(mask.shape) !== fmt([batch, steps])) {
    fail('mask', mask.shape, `[batch, timesteps] = ${fmt([batch, steps])}`);
  }
  return { batch, steps, units };
}

/** Backpropagation through time: [dRecord, record, recurrentKernel, h0, [c0], [mask]] → the backward record. */
const recurrentSequenceGradOp: OpDef<RecurrentAttrs> = {
  name: 'recurrentSequenceGrad',
  infer: ([, record], attrs) => {
    const [batch, steps, width] = record.shape;
    const units = width / recurrentRecordWidth(attrs.cell, 1);
    return { shape: [batch, steps + 1, recurrentGradWidth(attrs.cell, units)], dtype: 'float32' };
  },
  kernel: (backend, [dRecord, record, recurrentKernel, ...rest], attrs) => {
    const stateCount = attrs.cell === 'LSTM' ? 2 : 1;
    const mask = attrs.hasMask ? rest[stateCount] : undefined;
    return backend.recurrentBackward(
      configOf(attrs),
      dRecord,
      record,
      recurrentKernel,
      rest.slice(0, stateCount),
      mask,
    );
  },
  // reached only by a gradient of a gradient through a fused recurrent layer: refused by name
  grad: (_, [, record], __, { cell }) => {
    const refuse = (): Tensor => {
      throw new Error(
        `recurrentSequenceGrad: the gradient of a fused ${cell}'s gradient (record ${fmt(record.shape)}) is not ` +
          'implemented; for a gradient penalty through a recurrent layer use recurrentForwardStepwise',
      );
    };
    return [refuse, refuse, refuse, refuse, refuse, refuse];
  },
};

const recurrentSequenceOp: OpDef<RecurrentAttrs> = {
  name: 'recurrentSequence',
  infer: (inputs, attrs) => {
    const { batch, steps, units } = checkShapes(inputs, attrs);
    return { shape: [batch, steps, recurrentRecordWidth(attrs.cell, units)], dtype: 'float32' };
  },
  kernel: (backend, inputs, attrs) => {
    const r = forwardRoles(inputs, attrs);
    return backend.recurrentForward(configOf(attrs), r.projected, r.recurrentKernel, r.states, r.recurrentBias, r.mask);
  },
  grad: (dRecord, inputs, record, attrs) => {
    const r = forwardRoles(inputs, attrs);
    const [batch, steps, width] = r.projected.shape;
    const units = r.recurrentKernel.shape[0];
    let back: Tensor | undefined, dProjected: Tensor | undefined, dInner: Tensor | undefined;
    const backward = () =>
      (back ??= runOp(
        recurrentSequenceGradOp,
        [dRecord, record, r.recurrentKernel, ...r.states, ...(r.mask ? [r.mask] : [])],
        attrs,
      ));
    const projectedGrad = () => (dProjected ??= slice(backward(), [0, 0, 0], [batch, steps, width]));
    // d(h₋₁·U + b_r): a GRU's differs from d(projected) in its candidate block (scaled by r)
    const innerGrad = () =>
      (dInner ??= attrs.cell === 'GRU' ? slice(backward(), [0, 0, width], [batch, steps, width]) : projectedGrad());
    // h₋₁ of every timestep, in time order: the state of the timestep processed before
    const previousStates = () => {
      const h0 = reshape(r.states[0], [batch, 1, units]);
      if (steps === 1) return h0;
      const from = attrs.goBackwards ? 1 : 0;
      const rest = slice(record, [0, from, 0], [batch, steps - 1, units]);
      return concat(attrs.goBackwards ? [rest, h0] : [h0, rest], 1);
    };
    const stateGrad = (block: number) => () =>
      reshape(slice(backward(), [0, steps, block * units], [batch, 1, units]), [batch, units]);
    return [
      projectedGrad,
      () =>
        matmul(
          reshape(previousStates(), [batch * steps, units]),
          reshape(innerGrad(), [batch * steps, width]),
          true,
          false,
        ),
      ...r.states.map((_, i) => stateGrad(i)),
      ...(r.recurrentBias ? [() => sum(innerGrad(), [0, 1])] : []),
      ...(r.mask ? [null] : []),
    ];
  },
};

export const recurrentOps = { recurrentSequence: recurrentSequenceOp };

export interface RecurrentSequenceArgs {
  readonly cell: RecurrentCell;
  /** x·W + b of every timestep: [batch, T, gates·units] (one GEMM over all timesteps). */
  readonly projected: Tensor;
  /** [units, gates·units], Keras's layout. */
  readonly recurrentKernel: Tensor;
  /** A resetAfter GRU's recurrent bias [3·units], added to h₋₁·U inside the reset gate's product. */
  readonly recurrentBias?: Tensor;
  /** [h0] or, for an LSTM, [h0, c0], each [batch, units]. */
  readonly initialStates: readonly Tensor[];
  /** float [batch, T]: where 0 the timestep is skipped and the states carry over (Keras's masking). */
  readonly mask?: Tensor;
  /** tanh unless given: the candidate's and the output's activation. */
  readonly activation?: RecurrentActivation;
  /** sigmoid unless given: the gates' activation. */
  readonly recurrentActivation?: RecurrentActivation;
  readonly goBackwards?: boolean;
  /** Also return the output of every timestep (in the order processed, as Keras). */
  readonly returnSequences?: boolean;
}

export interface RecurrentSequenceResult {
  /** [batch, T, units] in the order processed, when returnSequences. */
  readonly sequence?: Tensor;
  /** The states after the last timestep processed: [h] or [h, c]. */
  readonly states: Tensor[];
}

/**
 * A recurrent layer's time loop as one fused op: the recurrent product and the gates of every
 * timestep on the backend, and backpropagation through time as one backward op.
 */
export function recurrentSequence(args: RecurrentSequenceArgs): RecurrentSequenceResult {
  const { cell, projected, recurrentKernel, recurrentBias, mask, goBackwards = false } = args;
  const activation = args.activation ?? 'tanh';
  const recurrentActivation = args.recurrentActivation ?? 'sigmoid';
  for (const a of [activation, recurrentActivation]) {
    if (!RECURRENT_ACTIVATIONS.includes(a)) {
      throw new Error(
        `recurrentSequence (${cell}): activation '${String(a)}' has no fused kernel; expected one of ${RECURRENT_ACTIVATIONS.join(', ')}`,
      );
    }
  }
  const stateCount = cell === 'LSTM' ? 2 : 1;
  if (args.initialStates.length !== stateCount) {
    throw new Error(
      `recurrentSequence (${cell}): expected ${stateCount} initial state${stateCount > 1 ? 's' : ''}, got ${args.initialStates.length}`,
    );
  }
  if (recurrentBias && cell !== 'GRU') {
    throw new Error(`recurrentSequence (${cell}): a recurrent bias belongs to a resetAfter GRU only`);
  }
  const attrs: RecurrentAttrs = {
    cell,
    activation,
    recurrentActivation,
    goBackwards,
    hasRecurrentBias: recurrentBias !== undefined,
    hasMask: mask !== undefined,
  };
  const inputs = [
    projected,
    recurrentKernel,
    ...args.initialStates,
    ...(recurrentBias ? [recurrentBias] : []),
    ...(mask ? [mask] : []),
  ];
  const record = runOp(recurrentSequenceOp, inputs, attrs);
  const [batch, steps] = projected.shape;
  const units = recurrentKernel.shape[0];
  const last = goBackwards ? 0 : steps - 1;
  const states = Array.from({ length: stateCount }, (_, i) =>
    reshape(slice(record, [0, last, i * units], [batch, 1, units]), [batch, units]),
  );
  if (!args.returnSequences) return { states };
  let sequence = slice(record, [0, 0, 0], [batch, steps, units]);
  if (goBackwards) {
    const reversed = withBackend(projected.backend, () =>
      tensor(
        Int32Array.from({ length: steps }, (_, s) => steps - 1 - s),
        [steps],
        'int32',
      ),
    );
    sequence = gather(sequence, reversed, 1);
    reversed.dispose(); // the tape, if any, holds its own handle
  }
  return { sequence, states };
}

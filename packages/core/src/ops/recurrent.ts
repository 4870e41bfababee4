// Fused recurrent sequences (SimpleRNN, LSTM, GRU in Keras's resetAfter form): the whole time loop as
// one op. Ops have one output, so the forward returns a record of whole [B, U] blocks (recurrentLayout
// in backend.ts: the states before and after every step, the final states, the gates after their
// activations), and the public helper slices the layer's sequence and final states out of it, each a
// contiguous run of blocks. Its backward runs backpropagation through time on the backend once for
// all timesteps (recurrentSequenceGrad's 'sequence' part: d(inner), then a GRU's d(projected), in one
// buffer; once more only for the initial states) and leaves the recurrent kernel's and bias's
// gradients to GEMMs over all B·T rows that read the record's hPrev chunk and d(inner) in place, so
// autodiff sees a handful of ops per sequence instead of tens per timestep, and little is copied. Only
// gradients reaching the hOut, hFinal and cFinal blocks flow back (the helper exposes nothing else).
import {
  RECURRENT_ACTIVATIONS,
  RECURRENT_GATES,
  recurrentLayout,
  type RecurrentActivation,
  type RecurrentCell,
  type RecurrentConfig,
  type RecurrentGradPart,
  type TensorInfo,
} from '../backend.js';
import { fmt, type Shape } from '../dtype.js';
import { runOp, withBackend, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fill } from './creation.js';
import { requireFloat } from './elementwise.js';
import { reshape, slice } from './movement.js';

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

export interface RecurrentGradAttrs extends RecurrentAttrs {
  readonly part: RecurrentGradPart;
}

/** The second derivative through a fused sequence is not implemented: refused by name, never zero. */
const refuseSecondOrder =
  (op: string) =>
  (_: Tensor, inputs: readonly Tensor[], __: Tensor, { cell }: RecurrentAttrs) => {
    const refuse = (): Tensor => {
      throw new Error(
        `${op}: the gradient of a fused ${cell}'s gradient (record ${fmt(inputs[1].shape)}) is not ` +
          'implemented; for a gradient penalty through a recurrent layer use recurrentForwardStepwise',
      );
    };
    return inputs.map(() => refuse);
  };

/** Backpropagation through time: [dRecord, record, recurrentKernel, [mask]] → one RecurrentGradPart. */
const recurrentSequenceGradOp: OpDef<RecurrentGradAttrs> = {
  name: 'recurrentSequenceGrad',
  infer: ([dRecord, , recurrentKernel], { part, cell }) => {
    const [units, width] = recurrentKernel.shape;
    const batch = dRecord.shape[1];
    const empty = recurrentLayout(cell, 0).blocks;
    const steps = (dRecord.shape[0] - empty) / (recurrentLayout(cell, 1).blocks - empty);
    const sequence = cell === 'GRU' ? [2, batch, steps, width] : [batch, steps, width];
    const shape = part === 'initial' ? [batch, units * (cell === 'LSTM' ? 2 : 1)] : sequence;
    return { shape, dtype: 'float32' };
  },
  kernel: (backend, [dRecord, record, recurrentKernel, mask], attrs) =>
    backend.recurrentBackward(configOf(attrs), attrs.part, dRecord, record, recurrentKernel, mask),
  grad: refuseSecondOrder('recurrentSequenceGrad'),
};

/** d(inner) [1, B·T, G·U] read in place from a 'sequence' gradient (its first B·T·G·U elements). */
function innerRows(dSequence: TensorInfo): TensorInfo {
  const [batch, steps, width] = dSequence.shape.slice(-3);
  return { ...dSequence, shape: [1, batch * steps, width] };
}

/** hPrevᵀ·dz over all B·T rows, hPrev read in place from the record (its first T blocks): [record, dSequence] → [U, G·U]. */
const recurrentKernelGradOp: OpDef<RecurrentAttrs> = {
  name: 'recurrentKernelGrad',
  infer: ([record, dSequence]) => ({ shape: [record.shape[2], dSequence.shape.at(-1)!], dtype: 'float32' }),
  kernel: (backend, [record, dSequence], _, out) => {
    const [batch, steps] = dSequence.shape.slice(-3);
    const units = out.shape[0];
    const hPrev = { ...record, shape: [1, batch * steps, units] };
    return backend.matmul(hPrev, innerRows(dSequence), 1, { transposeA: true, transposeB: false });
  },
  grad: refuseSecondOrder('recurrentKernelGrad'),
};

/**
 * The recurrent bias's gradient, Σ of d(inner) over all B·T rows read in place, as a GEMM with a
 * column of ones (a reduction down columns is slow on CPU adapters): d(inner)ᵀ [G·U, B·T] times ones
 * [B·T, 1], so the operand the GEMM packs or streams is the short ones, not d(inner) (the other way
 * round, ones [1, B·T] · d(inner), a texture GEMM packs all of d(inner) for one row of output):
 * [ones [1, B·T], dSequence] → [G·U].
 */
const recurrentBiasGradOp: OpDef<RecurrentAttrs> = {
  name: 'recurrentBiasGrad',
  infer: ([, dSequence]) => ({ shape: [dSequence.shape.at(-1)!], dtype: 'float32' }),
  kernel: (backend, [ones, dSequence]) =>
    backend.matmul(innerRows(dSequence), { ...ones, shape: [1, ones.shape[1], 1] }, 1, {
      transposeA: true,
      transposeB: false,
    }),
  grad: refuseSecondOrder('recurrentBiasGrad'),
};

const recurrentSequenceOp: OpDef<RecurrentAttrs> = {
  name: 'recurrentSequence',
  infer: (inputs, attrs) => {
    const { batch, steps, units } = checkShapes(inputs, attrs);
    return { shape: [recurrentLayout(attrs.cell, steps).blocks, batch, units], dtype: 'float32' };
  },
  kernel: (backend, inputs, attrs) => {
    const r = forwardRoles(inputs, attrs);
    return backend.recurrentForward(configOf(attrs), r.projected, r.recurrentKernel, r.states, r.recurrentBias, r.mask);
  },
  grad: (dRecord, inputs, record, attrs) => {
    const r = forwardRoles(inputs, attrs);
    const units = r.recurrentKernel.shape[0];
    const parts = new Map<RecurrentGradPart, Tensor>();
    const backward = (part: RecurrentGradPart) => {
      let t = parts.get(part);
      if (!t) {
        t = runOp(recurrentSequenceGradOp, [dRecord, record, r.recurrentKernel, ...(r.mask ? [r.mask] : [])], {
          ...attrs,
          part,
        });
        parts.set(part, t);
      }
      return t;
    };
    const [batch, steps, width] = r.projected.shape;
    // a GRU's d(projected) differs from d(inner) in its candidate block (x_h enters unscaled by r): the
    // second block of its 'sequence' gradient; the other cells' are one block, both at once
    const projectedGrad = () => {
      const sequence = backward('sequence');
      if (attrs.cell !== 'GRU') return sequence;
      // sliced as one flat run: a rank-1 copy has the least index arithmetic per element
      const elements = batch * steps * width;
      return reshape(slice(reshape(sequence, [2 * elements]), [elements], [elements]), [batch, steps, width]);
    };
    const biasGrad = () => {
      const ones = withBackend(dRecord.backend, () => fill([1, batch * steps], 1));
      return runOp(recurrentBiasGradOp, [ones, backward('sequence')], attrs);
    };
    const stateGrad = (i: number) => () => {
      const initial = backward('initial');
      if (attrs.cell !== 'LSTM') return initial;
      return slice(initial, [0, i * units], [initial.shape[0], units]);
    };
    return [
      projectedGrad,
      () => runOp(recurrentKernelGradOp, [record, backward('sequence')], attrs),
      ...r.states.map((_, i) => stateGrad(i)),
      ...(r.recurrentBias ? [biasGrad] : []),
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
  const layout = recurrentLayout(cell, steps);
  const blocks = (first: number, count: number) => slice(record, [first, 0, 0], [count, batch, units]);
  const states = [layout.hFinal, layout.cFinal]
    .slice(0, stateCount)
    .map((first) => reshape(blocks(first, 1), [batch, units]));
  if (!args.returnSequences) return { states };
  const sequence = reshape(blocks(layout.hOut, steps), [batch, steps, units]);
  return { sequence, states };
}

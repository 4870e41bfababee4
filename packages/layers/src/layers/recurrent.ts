// Recurrent layers with Keras semantics and weight layouts: SimpleRNN, LSTM (gates i, f, c, o) and GRU
// (gates z, r, h; resetAfter as Keras 3's default). kernel [inputDim, gates·units], recurrent_kernel
// [units, gates·units], bias [gates·units] (a resetAfter GRU: [2, 3·units], input and recurrent rows).
// The input projection of every timestep is one GEMM; the time loop is then one fused op (core's
// recurrentSequence: the recurrent product and gates of a timestep in one kernel, backpropagation
// through time as one backward op). Each cell's math also lives in its step function, written with
// differentiable core ops: the op-by-op path (recurrentForwardStepwise), the reference in tests and
// the fallback for what the fused op does not cover. The layer factories (options, states, masks,
// dropout) are in rnn.ts.
import {
  add,
  concat,
  fill,
  fusedMatmul,
  matmul,
  mul,
  RECURRENT_ACTIVATIONS,
  recurrentSequence,
  reshape,
  slice,
  sub,
  where,
  zeros,
  type RecurrentActivation,
  type Tensor,
} from '@webgrad/core';
import { getActivation, type Activation } from '../activations.js';

/** Columns [gate·units, (gate + 1)·units) of a [batch, gates·units] tensor. */
const gate = (z: Tensor, index: number, units: number): Tensor => slice(z, [0, index * units], [z.shape[0], units]);

/** The weights a step reads: the recurrent kernel, and a resetAfter GRU's recurrent bias. */
export interface StepWeights {
  readonly recurrentKernel: Tensor;
  readonly recurrentBias?: Tensor;
}

export interface StepActivations {
  readonly activation: Activation;
  readonly recurrentActivation: Activation;
}

/** SimpleRNN: h = act(x·W + b + h₋₁·U). `projected` is x·W + b of this timestep. */
export function simpleRnnStep(projected: Tensor, [h]: Tensor[], w: StepWeights, acts: StepActivations): Tensor[] {
  return [acts.activation.apply(add(projected, matmul(h, w.recurrentKernel)))];
}

/**
 * LSTM: z = x·W + b + h₋₁·U split into i, f, c, o; c = f⊙c₋₁ + i⊙act(z_c); h = o⊙act(c), with the
 * recurrent activation on i, f, o. States [h, c].
 */
export function lstmStep(projected: Tensor, [h, c]: Tensor[], w: StepWeights, acts: StepActivations): Tensor[] {
  const units = h.shape[1];
  const z = add(projected, matmul(h, w.recurrentKernel));
  const { activation, recurrentActivation } = acts;
  const inputGate = recurrentActivation.apply(gate(z, 0, units));
  const forgetGate = recurrentActivation.apply(gate(z, 1, units));
  const candidate = activation.apply(gate(z, 2, units));
  const outputGate = recurrentActivation.apply(gate(z, 3, units));
  const cell = add(mul(forgetGate, c), mul(inputGate, candidate));
  return [mul(outputGate, activation.apply(cell)), cell];
}

/**
 * GRU, Keras's equations: z = σ(x_z + h₋₁·U_z), r = σ(x_r + h₋₁·U_r), and the candidate
 * ĥ = act(x_h + r⊙(h₋₁·U_h + b_rh)) when resetAfter (biases of the recurrent product inside, cuDNN's
 * form) or act(x_h + (r⊙h₋₁)·U_h) when not; h = z⊙h₋₁ + (1 − z)⊙ĥ. x_· include the input bias.
 */
export function gruStep(
  projected: Tensor,
  [h]: Tensor[],
  w: StepWeights,
  acts: StepActivations,
  resetAfter: boolean,
): Tensor[] {
  const units = h.shape[1];
  const { activation, recurrentActivation } = acts;
  let candidate: Tensor, update: Tensor;
  if (resetAfter) {
    const inner = fusedMatmul({ a: h, b: w.recurrentKernel, bias: w.recurrentBias });
    update = recurrentActivation.apply(add(gate(projected, 0, units), gate(inner, 0, units)));
    const reset = recurrentActivation.apply(add(gate(projected, 1, units), gate(inner, 1, units)));
    candidate = activation.apply(add(gate(projected, 2, units), mul(reset, gate(inner, 2, units))));
  } else {
    const kernelZR = slice(w.recurrentKernel, [0, 0], [units, 2 * units]);
    const kernelH = slice(w.recurrentKernel, [0, 2 * units], [units, units]);
    const innerZR = matmul(h, kernelZR);
    update = recurrentActivation.apply(add(gate(projected, 0, units), gate(innerZR, 0, units)));
    const reset = recurrentActivation.apply(add(gate(projected, 1, units), gate(innerZR, 1, units)));
    candidate = activation.apply(add(gate(projected, 2, units), matmul(mul(reset, h), kernelH)));
  }
  // z⊙h₋₁ + (1 − z)⊙ĥ = ĥ + z⊙(h₋₁ − ĥ)
  return [add(candidate, mul(update, sub(h, candidate)))];
}

export type CellName = 'SimpleRNN' | 'LSTM' | 'GRU';

/** What a recurrent layer's forward needs besides its weights. */
export interface SequenceSpec {
  readonly cell: CellName;
  readonly acts: StepActivations;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  /** A GRU's form (ignored by the other cells). */
  readonly resetAfter: boolean;
}

export interface RecurrentWeights {
  readonly kernel: Tensor;
  readonly recurrentKernel: Tensor;
  readonly bias?: Tensor;
}

const step = (spec: SequenceSpec, projected: Tensor, states: Tensor[], w: StepWeights): Tensor[] =>
  spec.cell === 'LSTM'
    ? lstmStep(projected, states, w, spec.acts)
    : spec.cell === 'GRU'
      ? gruStep(projected, states, w, spec.acts, spec.resetAfter)
      : simpleRnnStep(projected, states, w, spec.acts);

/** What a recurrent forward starts from besides its input: zero states unless given. */
export interface RecurrentInputs {
  /** [h] (SimpleRNN, GRU) or [h, c] (LSTM), each [batch, units]. */
  readonly initialStates?: readonly Tensor[];
  /**
   * float32 [batch, T]: where 0 the timestep is skipped, its states carried over unchanged and its
   * output that of the timestep before (the initial h at the start), as Keras 3 does.
   */
  readonly mask?: Tensor;
}

/** A recurrent forward's results: the layer output, and the states after the last timestep processed. */
export interface RecurrentResult {
  /** [batch, T, units] when returnSequences, else the last output [batch, units]. */
  readonly output: Tensor;
  /** [h] or [h, c], each [batch, units]. */
  readonly states: Tensor[];
}

/** The number of state tensors a cell carries: LSTM [h, c], the others [h]. */
export const stateCount = (cell: CellName): number => (cell === 'LSTM' ? 2 : 1);

/** Every timestep's x·W + b as one GEMM ([batch·T, features]·[features, gates·units]), and a resetAfter GRU's recurrent bias. */
function project(x: Tensor, { kernel, recurrentKernel, bias }: RecurrentWeights) {
  const [batch, steps, features] = x.shape;
  const width = recurrentKernel.shape[1]; // gates·units
  const splitBias = bias !== undefined && bias.rank === 2;
  const inputBias = bias && (splitBias ? reshape(slice(bias, [0, 0], [1, width]), [width]) : bias);
  const recurrentBias = bias && splitBias ? reshape(slice(bias, [1, 0], [1, width]), [width]) : undefined;
  const flat = fusedMatmul({ a: reshape(x, [batch * steps, features]), b: kernel, bias: inputBias });
  return { projected: reshape(flat, [batch, steps, width]), recurrentBias };
}

/**
 * The fused path's projection: x·W + b as one GEMM of x with a column of ones against W with b as its
 * last row, so the bias's gradient comes out of the kernel's gradient GEMM rather than a reduction over
 * all B·T rows (which costs more on CPU adapters than the GEMM it rides along).
 */
function projectAugmented(x: Tensor, { kernel, recurrentKernel, bias }: RecurrentWeights) {
  const [batch, steps, features] = x.shape;
  const width = recurrentKernel.shape[1]; // gates·units
  const splitBias = bias !== undefined && bias.rank === 2;
  const rows = batch * steps;
  const flatX = reshape(x, [rows, features]);
  if (!bias) return { projected: reshape(matmul(flatX, kernel), [batch, steps, width]), recurrentBias: undefined };
  const inputBias = splitBias ? slice(bias, [0, 0], [1, width]) : reshape(bias, [1, width]);
  const recurrentBias = splitBias ? reshape(slice(bias, [1, 0], [1, width]), [width]) : undefined;
  const withOnes = concat([flatX, fill([rows, 1], 1)], 1);
  const projected = matmul(withOnes, concat([kernel, inputBias], 0));
  return { projected: reshape(projected, [batch, steps, width]), recurrentBias };
}

const initialStatesOf = (spec: SequenceSpec, batch: number, units: number, inputs: RecurrentInputs): Tensor[] =>
  inputs.initialStates
    ? [...inputs.initialStates]
    : Array.from({ length: stateCount(spec.cell) }, () => zeros([batch, units]));

/**
 * The op-by-op forward: the input projection as one GEMM, then one step function per timestep written
 * with core ops, so backpropagation through time comes from autodiff. The reference the fused path is
 * tested against, and the path of what it does not cover (a resetAfter=false GRU, activations without a
 * fused kernel).
 */
export function recurrentForwardStepwise(
  spec: SequenceSpec,
  x: Tensor,
  weights: RecurrentWeights,
  inputs: RecurrentInputs = {},
): RecurrentResult {
  const [batch, steps] = x.shape;
  const units = weights.recurrentKernel.shape[0];
  const width = weights.recurrentKernel.shape[1];
  const { projected, recurrentBias } = project(x, weights);
  const stepWeights: StepWeights = { recurrentKernel: weights.recurrentKernel, recurrentBias };
  let states = initialStatesOf(spec, batch, units, inputs);
  const outputs: Tensor[] = [];
  for (let i = 0; i < steps; i++) {
    const t = spec.goBackwards ? steps - 1 - i : i;
    const projectedStep = reshape(slice(projected, [0, t, 0], [batch, 1, width]), [batch, width]);
    const next = step(spec, projectedStep, states, stepWeights);
    const { mask } = inputs;
    if (mask) {
      const keep = slice(mask, [0, t], [batch, 1]);
      states = next.map((n, k) => where(keep, n, states[k]));
    } else {
      states = next;
    }
    if (spec.returnSequences) outputs.push(reshape(states[0], [batch, 1, units]));
  }
  return { output: spec.returnSequences ? concat(outputs, 1) : states[0], states };
}

/** The fused kernels' name for an activation, if they have it (a custom function of the same name does not count). */
function fusedActivation(a: Activation): RecurrentActivation | undefined {
  const name = a.name as string;
  if (!(RECURRENT_ACTIVATIONS as readonly string[]).includes(name)) return undefined;
  return getActivation(a.name).apply === a.apply ? (name as RecurrentActivation) : undefined;
}

/**
 * A recurrent layer's forward on x [batch, T, features] as a function of its weights (so gradients can
 * be checked with respect to them): the input projection of all timesteps as one GEMM, then the time
 * loop as one fused op (core's recurrentSequence: one dispatch per timestep on the GPU, and
 * backpropagation through time as one op), from the given initial states or zeros. A resetAfter=false
 * GRU and activations without a fused kernel run op by op (recurrentForwardStepwise).
 */
export function recurrentForward(
  spec: SequenceSpec,
  x: Tensor,
  weights: RecurrentWeights,
  inputs: RecurrentInputs = {},
): RecurrentResult {
  const activation = fusedActivation(spec.acts.activation);
  const recurrentActivation = fusedActivation(spec.acts.recurrentActivation);
  if (!activation || !recurrentActivation || (spec.cell === 'GRU' && !spec.resetAfter)) {
    return recurrentForwardStepwise(spec, x, weights, inputs);
  }
  const [batch] = x.shape;
  const units = weights.recurrentKernel.shape[0];
  const { projected, recurrentBias } = projectAugmented(x, weights);
  const { sequence, states } = recurrentSequence({
    cell: spec.cell,
    projected,
    recurrentKernel: weights.recurrentKernel,
    recurrentBias,
    initialStates: initialStatesOf(spec, batch, units, inputs),
    mask: inputs.mask,
    activation,
    recurrentActivation,
    goBackwards: spec.goBackwards,
    returnSequences: spec.returnSequences,
  });
  return { output: sequence ?? states[0], states };
}

// Recurrent layers with Keras semantics and weight layouts: SimpleRNN, LSTM (gates i, f, c, o) and GRU
// (gates z, r, h; resetAfter as Keras 3's default). kernel [inputDim, gates·units], recurrent_kernel
// [units, gates·units], bias [gates·units] (a resetAfter GRU: [2, 3·units], input and recurrent rows).
// The input projection of every timestep is one GEMM; a TypeScript loop then runs one step function per
// timestep, written with differentiable core ops, so backpropagation through time comes from autodiff.
// Each cell's math lives in its one step function, the seam where a fused kernel can replace it. The
// layer factories (options, states, masks, dropout) are in rnn.ts.
import { add, concat, fusedMatmul, matmul, mul, reshape, slice, sub, zeros, type Tensor } from '@webgrad/core';
import type { Activation } from '../activations.js';

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
   * Keras's mask, float [batch, T] (1 = a real timestep): at a masked timestep the states carry over,
   * and the output (h) with them, as Keras 3's rnn does.
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

/**
 * A recurrent layer's forward on x [batch, T, features] as a function of its weights (so gradients can
 * be checked with respect to them): the input projection of all timesteps as one GEMM, then one step
 * per timestep, from the given initial states or zeros.
 */
export function recurrentForward(
  spec: SequenceSpec,
  x: Tensor,
  weights: RecurrentWeights,
  inputs: RecurrentInputs = {},
): RecurrentResult {
  const { kernel, recurrentKernel, bias } = weights;
  const [batch, steps, features] = x.shape;
  const units = recurrentKernel.shape[0];
  const width = recurrentKernel.shape[1]; // gates·units
  const splitBias = bias !== undefined && bias.rank === 2;
  const inputBias = bias && (splitBias ? reshape(slice(bias, [0, 0], [1, width]), [width]) : bias);
  const recurrentBias = bias && splitBias ? reshape(slice(bias, [1, 0], [1, width]), [width]) : undefined;
  // every timestep's x·W + b as one GEMM: [batch·T, features] · [features, gates·units]
  const projected = reshape(fusedMatmul({ a: reshape(x, [batch * steps, features]), b: kernel, bias: inputBias }), [
    batch,
    steps,
    width,
  ]);
  const stepWeights: StepWeights = { recurrentKernel, recurrentBias };
  let states = inputs.initialStates
    ? [...inputs.initialStates]
    : Array.from({ length: stateCount(spec.cell) }, () => zeros([batch, units]));
  const outputs: Tensor[] = [];
  for (let i = 0; i < steps; i++) {
    const t = spec.goBackwards ? steps - 1 - i : i;
    const projectedStep = reshape(slice(projected, [0, t, 0], [batch, 1, width]), [batch, width]);
    const next = step(spec, projectedStep, states, stepWeights);
    // --- the mask (Keras 3's rnn): where keep is 0 the states stay, so the output (h) repeats h₋₁
    const keep = inputs.mask && reshape(slice(inputs.mask, [0, t], [batch, 1]), [batch, 1]);
    states = keep ? next.map((s, k) => add(states[k], mul(keep, sub(s, states[k])))) : next;
    // --- end of the mask
    if (spec.returnSequences) outputs.push(reshape(states[0], [batch, 1, units]));
  }
  return { output: spec.returnSequences ? concat(outputs, 1) : states[0], states };
}

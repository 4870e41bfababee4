// A recurrent forward in training with recurrentDropout, as Keras 3 runs it (its cells' implementation 1):
// one dropout mask per gate on the input (when dropout > 0) and one per gate on h₋₁, each drawn once
// per sequence and kept for every timestep (Gal & Ghahramani's variational dropout). The per-gate
// products do not fit recurrentForward's one product per step, so this path has its own loop; without
// recurrentDropout the layer takes recurrentForward with the input mask folded into x.
import { add, concat, fusedMatmul, matmul, mul, reshape, slice, sub, zeros, type Tensor } from '@webgrad/core';
import {
  stateCount,
  type RecurrentInputs,
  type RecurrentResult,
  type RecurrentWeights,
  type SequenceSpec,
} from './recurrent.js';

/** Per-gate dropout masks: input [batch, features] each (absent without dropout), recurrent [batch, units] each. */
export interface GateMasks {
  readonly input?: readonly Tensor[];
  readonly recurrent: readonly Tensor[];
}

/** Columns [g·units, (g + 1)·units) of a [rows, gates·units] tensor. */
const columns = (t: Tensor, g: number, units: number): Tensor => slice(t, [0, g * units], [t.shape[0], units]);

/** One timestep with per-gate masked h₋₁; `p` is this step's input projection (bias included). */
function droppedStep(
  spec: SequenceSpec,
  p: Tensor,
  [h, c]: Tensor[],
  w: RecurrentWeights & { recurrentBias?: Tensor },
  r: readonly Tensor[],
): Tensor[] {
  const units = h.shape[1];
  const { activation, recurrentActivation } = spec.acts;
  // (h₋₁ ⊙ r_g)·U_g, plus the recurrent bias of a resetAfter GRU
  const rec = (g: number): Tensor => {
    const product = matmul(mul(h, r[g]), columns(w.recurrentKernel, g, units));
    const bias = w.recurrentBias && slice(w.recurrentBias, [g * units], [units]);
    return bias ? add(product, bias) : product;
  };
  const input = (g: number): Tensor => columns(p, g, units);
  if (spec.cell === 'SimpleRNN') return [activation.apply(add(input(0), rec(0)))];
  if (spec.cell === 'LSTM') {
    const [i, f, o] = [0, 1, 3].map((g) => recurrentActivation.apply(add(input(g), rec(g))));
    const cell = add(mul(f, c), mul(i, activation.apply(add(input(2), rec(2)))));
    return [mul(o, activation.apply(cell)), cell];
  }
  const update = recurrentActivation.apply(add(input(0), rec(0)));
  const reset = recurrentActivation.apply(add(input(1), rec(1)));
  const inner = spec.resetAfter
    ? mul(reset, rec(2))
    : matmul(mul(reset, mul(h, r[2])), columns(w.recurrentKernel, 2, units));
  const candidate = activation.apply(add(input(2), inner));
  // the carry z⊙h₋₁ takes h₋₁ itself: Keras drops only what enters the recurrent products
  return [add(candidate, mul(update, sub(h, candidate)))];
}

/** recurrentForward's contract (states, mask, output order) with Keras's per-gate dropout masks. */
export function droppedForward(
  spec: SequenceSpec,
  x: Tensor,
  weights: RecurrentWeights,
  inputs: RecurrentInputs,
  masks: GateMasks,
): RecurrentResult {
  const { kernel, recurrentKernel, bias } = weights;
  const [batch, steps, features] = x.shape;
  const units = recurrentKernel.shape[0];
  const gates = recurrentKernel.shape[1] / units;
  const splitBias = bias !== undefined && bias.rank === 2;
  const width = gates * units;
  const inputBias = bias && (splitBias ? reshape(slice(bias, [0, 0], [1, width]), [width]) : bias);
  const recurrentBias = bias && splitBias ? reshape(slice(bias, [1, 0], [1, width]), [width]) : undefined;
  // each gate's (x ⊙ m_g)·W_g + b_g over every timestep, one GEMM per gate
  const perGate = Array.from({ length: gates }, (_, g) => {
    const xg = masks.input ? mul(x, reshape(masks.input[g], [batch, 1, features])) : x;
    return fusedMatmul({
      a: reshape(xg, [batch * steps, features]),
      b: columns(kernel, g, units),
      bias: inputBias && slice(inputBias, [g * units], [units]),
    });
  });
  const projected = reshape(concat(perGate, 1), [batch, steps, width]);
  const w = { ...weights, recurrentBias };
  let states = inputs.initialStates
    ? [...inputs.initialStates]
    : Array.from({ length: stateCount(spec.cell) }, () => zeros([batch, units]));
  const outputs: Tensor[] = [];
  for (let i = 0; i < steps; i++) {
    const t = spec.goBackwards ? steps - 1 - i : i;
    const next = droppedStep(
      spec,
      reshape(slice(projected, [0, t, 0], [batch, 1, width]), [batch, width]),
      states,
      w,
      masks.recurrent,
    );
    // as recurrentForward's mask block: masked steps keep the states, and the output is h
    const keep = inputs.mask && reshape(slice(inputs.mask, [0, t], [batch, 1]), [batch, 1]);
    states = keep ? next.map((s, k) => add(states[k], mul(keep, sub(s, states[k])))) : next;
    if (spec.returnSequences) outputs.push(reshape(states[0], [batch, 1, units]));
  }
  return { output: spec.returnSequences ? concat(outputs, 1) : states[0], states };
}

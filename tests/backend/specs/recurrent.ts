// The recurrent family's part of the spec table: the fused recurrentSequence of each cell (SimpleRNN,
// LSTM, resetAfter GRU with its recurrent bias), forwards and backwards in time, with a mask that
// skips timesteps (int32 0/1 inputs cast to float), nonzero initial states and each fused activation.
// Each spec's output is what the layer sees (the sequence, and an LSTM's final c), so its gradient
// reaches projected, the recurrent kernel, the initial states and the bias. Small cases are checked
// element by element; the large ones have batches and unit counts off the kernels' tiles (8 and 4
// rows, 64 and 128 units).
import {
  cast,
  concat,
  mul,
  recurrentSequence,
  reshape,
  RECURRENT_GATES,
  type RecurrentActivation,
  type RecurrentCell,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import type { Spec, SpecPart } from '../../kernel-spec.js';

interface Variant {
  readonly cell: RecurrentCell;
  readonly goBackwards?: boolean;
  readonly masked?: boolean;
  readonly activation?: RecurrentActivation;
  readonly recurrentActivation?: RecurrentActivation;
}

/** Input shapes for batch B, T timesteps and U units: projected, kernel, h0, [c0], [recurrent bias], [mask]. */
function shapesOf(v: Variant, batch: number, steps: number, units: number): Shape[] {
  const width = RECURRENT_GATES[v.cell] * units;
  return [
    [batch, steps, width],
    [units, width],
    [batch, units],
    ...(v.cell === 'LSTM' ? [[batch, units]] : []),
    ...(v.cell === 'GRU' ? [[width]] : []),
    ...(v.masked ? [[batch, steps]] : []),
  ];
}

function spec(v: Variant): Spec {
  const name =
    `${v.cell} (${v.activation ?? 'tanh'}, ${v.recurrentActivation ?? 'sigmoid'})` +
    `${v.goBackwards ? ', goBackwards' : ''}${v.masked ? ', masked timesteps' : ''}`;
  const shapes = shapesOf(v, 3, 4, 5);
  return {
    name,
    fn: (...xs: Tensor[]) => {
      const [projected, kernel, h0] = xs;
      let next = 3;
      const c0 = v.cell === 'LSTM' ? xs[next++] : undefined;
      const recurrentBias = v.cell === 'GRU' ? xs[next++] : undefined;
      const mask = v.masked ? cast(xs[next], 'float32') : undefined;
      const units = kernel.shape[0];
      // U of a trained net: its products stay in the activations' working range
      const recurrentKernel = mul(kernel, 1 / Math.sqrt(units));
      const { sequence, states } = recurrentSequence({
        cell: v.cell,
        projected,
        recurrentKernel,
        recurrentBias,
        initialStates: c0 ? [h0, c0] : [h0],
        mask,
        activation: v.activation,
        recurrentActivation: v.recurrentActivation,
        goBackwards: v.goBackwards,
        returnSequences: true,
      });
      if (v.cell !== 'LSTM') return sequence!;
      return concat([sequence!, reshape(states[1], [h0.shape[0], 1, units])], 1);
    },
    cases: [shapes, shapesOf(v, 1, 1, 2)],
    domains: shapes.map(() => 'any'),
    integerInputs: v.masked ? { [shapes.length - 1]: 2 } : undefined,
    large: [shapesOf(v, 11, 7, 70), shapesOf(v, 9, 3, 130)],
    tolerance: { rtol: 1e-4, atol: 1e-5 },
  };
}

export const recurrentSpecs = {
  recurrentSequence: [
    spec({ cell: 'SimpleRNN' }),
    spec({ cell: 'SimpleRNN', activation: 'relu', goBackwards: true, masked: true }),
    spec({ cell: 'LSTM' }),
    spec({ cell: 'LSTM', goBackwards: true, masked: true }),
    spec({ cell: 'LSTM', activation: 'linear', recurrentActivation: 'hardSigmoid' }),
    spec({ cell: 'GRU' }),
    spec({ cell: 'GRU', goBackwards: true, masked: true, recurrentActivation: 'tanh' }),
  ],
} satisfies SpecPart;

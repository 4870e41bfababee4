// Fused recurrent sequences on the GPU (shaders/recurrent/): the forward records one recurrent_step
// dispatch per timestep, each reading the states the last one wrote (two scratch buffers taking
// turns; the first reads the initial states), and the backward T + 1 recurrent_step_grad dispatches
// over Uᵀ (transposed once, so the product's loads run along rows). All are recorded back to back
// with nothing read back; the recorder submits them in batches as for any op.
import {
  recurrentGradWidth,
  recurrentRecordWidth,
  type RecurrentActivation,
  type RecurrentCell,
  type RecurrentConfig,
  type TensorInfo,
} from '@webgrad/core';
import type { GpuContext, GpuStorage } from '../context.js';
import { KERNEL_OPS } from '../generated/kernels.js';
import { concat, transpose } from './movement.js';

const CODES = KERNEL_OPS.recurrent_step;
const CELL_CODES: { readonly [K in RecurrentCell]: number } = {
  SimpleRNN: CODES.cellSimpleRnn,
  LSTM: CODES.cellLstm,
  GRU: CODES.cellGru,
};
const ACTIVATION_CODES: { readonly [K in RecurrentActivation]: number } = {
  linear: CODES.actLinear,
  relu: CODES.actRelu,
  sigmoid: CODES.actSigmoid,
  tanh: CODES.actTanh,
  hardSigmoid: CODES.actHardSigmoid,
};
// rows and units per workgroup of each kernel (their ROWS, and WG_SIZE·TN)
const FORWARD_ROWS = 8;
const FORWARD_UNITS = 64;
const BACKWARD_ROWS = 4;
const BACKWARD_UNITS = 128;

/** The initial states as one [B, S] buffer: h0, or [h0, c0] side by side for an LSTM. */
function initialBuffer(ctx: GpuContext, states: readonly TensorInfo[]): { buffer: GPUBuffer; owned?: GpuStorage } {
  if (states.length === 1) return { buffer: ctx.buffer(states[0]) };
  const [batch, units] = states[0].shape;
  const owned = concat(ctx, states, 1, [batch, 2 * units]);
  return { buffer: owned.buffer, owned };
}

function commonParams(config: RecurrentConfig, batch: number, steps: number, units: number) {
  return {
    batch,
    steps,
    units,
    go_backwards: config.goBackwards ? 1 : 0,
    activation: ACTIVATION_CODES[config.activation],
    recurrent_activation: ACTIVATION_CODES[config.recurrentActivation],
  };
}

export function recurrentForward(
  ctx: GpuContext,
  config: RecurrentConfig,
  projected: TensorInfo,
  recurrentKernel: TensorInfo,
  initialStates: readonly TensorInfo[],
  recurrentBias?: TensorInfo,
  mask?: TensorInfo,
): GpuStorage {
  const [batch, steps] = projected.shape;
  const units = recurrentKernel.shape[0];
  const stateWidth = config.cell === 'LSTM' ? 2 * units : units;
  const record = ctx.allocate([batch, steps, recurrentRecordWidth(config.cell, units)]);
  const initial = initialBuffer(ctx, initialStates);
  const turns = [ctx.allocate([batch, stateWidth]), ctx.allocate([batch, stateWidth])];
  const common = commonParams(config, batch, steps, units);
  for (let s = 0; s < steps; s++) {
    const prev = s === 0 ? initial.buffer : turns[(s + 1) % 2].buffer;
    ctx.dispatch({
      kernel: 'recurrent_step',
      inputs: [
        ctx.buffer(projected),
        ctx.buffer(recurrentKernel),
        ctx.buffer(recurrentBias ?? recurrentKernel),
        ctx.buffer(mask ?? projected),
        prev,
      ],
      outputs: [record.buffer, turns[s % 2].buffer],
      params: { ...common, step: s, has_bias: recurrentBias ? 1 : 0, has_mask: mask ? 1 : 0 },
      overrides: { CELL: CELL_CODES[config.cell] },
      grid: [Math.ceil(units / FORWARD_UNITS), Math.ceil(batch / FORWARD_ROWS), 1],
    });
  }
  for (const s of [...turns, ...(initial.owned ? [initial.owned] : [])]) ctx.release(s);
  return record;
}

export function recurrentBackward(
  ctx: GpuContext,
  config: RecurrentConfig,
  dRecord: TensorInfo,
  record: TensorInfo,
  recurrentKernel: TensorInfo,
  initialStates: readonly TensorInfo[],
  mask?: TensorInfo,
): GpuStorage {
  const [batch, steps, recordWidth] = record.shape;
  const units = recurrentKernel.shape[0];
  const stateWidth = config.cell === 'LSTM' ? 2 * units : units;
  const grads = ctx.allocate([batch, steps + 1, recurrentGradWidth(config.cell, units)]);
  const kernelT = transpose(ctx, recurrentKernel, [1, 0]);
  const initial = initialBuffer(ctx, initialStates);
  const carry = ctx.allocate([batch, 2 * units]);
  const common = commonParams(config, batch, steps, units);
  const timeOf = (s: number) => (config.goBackwards ? steps - 1 - s : s);
  for (let k = 0; k <= steps; k++) {
    const s = steps - 1 - k;
    // the states before step s: the record at the step processed before, or the initial states
    const fromRecord = s > 0;
    ctx.dispatch({
      kernel: 'recurrent_step_grad',
      inputs: [
        ctx.buffer(dRecord),
        ctx.buffer(record),
        kernelT.buffer,
        ctx.buffer(mask ?? record),
        fromRecord ? ctx.buffer(record) : initial.buffer,
      ],
      outputs: [grads.buffer, carry.buffer],
      params: {
        ...common,
        step: k,
        has_mask: mask ? 1 : 0,
        prev_offset: fromRecord ? timeOf(s - 1) * recordWidth : 0,
        prev_stride: fromRecord ? steps * recordWidth : stateWidth,
      },
      overrides: { CELL: CELL_CODES[config.cell] },
      grid: [Math.ceil(units / BACKWARD_UNITS), Math.ceil(batch / BACKWARD_ROWS), 1],
    });
  }
  for (const s of [kernelT, carry, ...(initial.owned ? [initial.owned] : [])]) ctx.release(s);
  return grads;
}

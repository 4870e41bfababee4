// Fused recurrent sequences on the GPU (shaders/recurrent/): the forward records one recurrent_step
// dispatch per timestep (after one that places the initial states), each reading the states the last
// one wrote into the record (recurrent_step_subgroups, sharing h₋₁ through subgroup broadcasts, for a
// GRU or SimpleRNN where ctx.recurrentSubgroups), and the backward one recurrent_step_grad dispatch per timestep (one more
// for the initial states' gradients) over Uᵀ (transposed once, so the product's loads run along rows),
// a GRU's writing d(inner) and d(projected) into the two blocks of one scratch in the same pass.
// All are recorded back to back with nothing read back; the recorder submits them in batches as for
// any op.
import {
  recurrentLayout,
  type RecurrentActivation,
  type RecurrentCell,
  type RecurrentConfig,
  type RecurrentGradPart,
  type TensorInfo,
} from '@webgrad/core';
import type { GpuContext, GpuStorage } from '../context.js';
import { ACTIVATION_CODES, KERNEL_OPS } from '../generated/kernels.js';
import { transpose } from './movement.js';

const CODES = KERNEL_OPS.recurrent_step;
const CELL_CODES: { readonly [K in RecurrentCell]: number } = {
  SimpleRNN: CODES.cellSimpleRnn,
  LSTM: CODES.cellLstm,
  GRU: CODES.cellGru,
};
// the prelude's activate() codes, shared with the GEMM epilogue
const ACTIVATIONS: { readonly [K in RecurrentActivation]: number } = ACTIVATION_CODES;
// rows and units per workgroup of each kernel (their ROWS, and WG_SIZE·TN)
const FORWARD_ROWS = 8;
const FORWARD_UNITS = 64;
const BACKWARD_ROWS = 8;
const BACKWARD_UNITS = 128;

/** The params both kernels share: sizes, direction, activations, and the record's chunk offsets in elements. */
function commonParams(config: RecurrentConfig, batch: number, steps: number, units: number) {
  const layout = recurrentLayout(config.cell, steps);
  const block = batch * units;
  return {
    batch,
    steps,
    units,
    go_backwards: config.goBackwards ? 1 : 0,
    activation: ACTIVATIONS[config.activation],
    recurrent_activation: ACTIVATIONS[config.recurrentActivation],
    h_prev: layout.hPrev * block,
    h_out: layout.hOut * block,
    h_final: layout.hFinal * block,
    c_prev: Math.max(0, layout.cPrev) * block,
    c_final: Math.max(0, layout.cFinal) * block,
    gates: layout.gates * block,
    gate_blocks: layout.gateBlocks,
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
  const record = ctx.allocate([recurrentLayout(config.cell, steps).blocks, batch, units]);
  const common = commonParams(config, batch, steps, units);
  const inputs = [
    ctx.buffer(projected),
    ctx.buffer(recurrentKernel),
    ctx.buffer(recurrentBias ?? recurrentKernel),
    ctx.buffer(mask ?? projected),
    ctx.buffer(initialStates[0]),
    ctx.buffer(initialStates[1] ?? initialStates[0]),
  ];
  // the LSTM's four gate columns keep more accumulators live, and its subgroup kernel measured slower
  const kernel = ctx.recurrentSubgroups && config.cell !== 'LSTM' ? 'recurrent_step_subgroups' : 'recurrent_step';
  const flags = { has_bias: recurrentBias ? 1 : 0, has_mask: mask ? 1 : 0 };
  // the init dispatch (the initial states into the first step's slots), then one per timestep
  for (let s = -1; s < steps; s++) {
    ctx.dispatch({
      kernel,
      inputs,
      outputs: [record.buffer],
      params: { ...common, ...flags, step: Math.max(s, 0), init: s < 0 ? 1 : 0 },
      overrides: { CELL: CELL_CODES[config.cell] },
      grid: [Math.ceil(units / FORWARD_UNITS), Math.ceil(batch / FORWARD_ROWS), 1],
    });
  }
  return record;
}

export function recurrentBackward(
  ctx: GpuContext,
  config: RecurrentConfig,
  part: RecurrentGradPart,
  dRecord: TensorInfo,
  record: TensorInfo,
  recurrentKernel: TensorInfo,
  mask?: TensorInfo,
): GpuStorage {
  const [, batch, units] = record.shape;
  const empty = recurrentLayout(config.cell, 0).blocks;
  const timesteps = (record.shape[0] - empty) / (recurrentLayout(config.cell, 1).blocks - empty);
  const width = recurrentKernel.shape[1];
  const initial = part === 'initial';
  // scratch holds d(inner), which the product reads back (for the other cells d(projected) itself),
  // then a GRU's d(projected) in a second block: the 'sequence' part whole
  const writeProjected = !initial && config.cell === 'GRU';
  const scratch = ctx.allocate(writeProjected ? [2, batch, timesteps, width] : [batch, timesteps, width]);
  const out = initial ? ctx.allocate([batch, config.cell === 'LSTM' ? 2 * units : units]) : ctx.allocate([1]);
  const kernelT = transpose(ctx, recurrentKernel, [1, 0]);
  const carry = ctx.allocate([batch, 2 * units]);
  const common = commonParams(config, batch, timesteps, units);
  const dispatches = initial ? timesteps + 1 : timesteps;
  for (let k = 0; k < dispatches; k++) {
    ctx.dispatch({
      kernel: 'recurrent_step_grad',
      inputs: [ctx.buffer(dRecord), ctx.buffer(record), kernelT.buffer, ctx.buffer(mask ?? record)],
      outputs: [out.buffer, scratch.buffer, carry.buffer],
      params: {
        ...common,
        step: k,
        has_mask: mask ? 1 : 0,
        write_out: writeProjected ? 1 : 0,
        projected_at: batch * timesteps * width,
      },
      overrides: { CELL: CELL_CODES[config.cell] },
      grid: [Math.ceil(units / BACKWARD_UNITS), Math.ceil(batch / BACKWARD_ROWS), 1],
    });
  }
  for (const s of [kernelT, carry]) ctx.release(s);
  if (initial) {
    ctx.release(scratch);
    return out;
  }
  ctx.release(out);
  return scratch;
}

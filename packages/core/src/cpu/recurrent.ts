// The CPU reference for fused recurrent sequences, in float64: the forward record (states and gates of
// every timestep) and backpropagation through time from it, one loop per timestep exactly as the
// equations read, so the GPU kernels (shaders/recurrent/) have an oracle. The record's layout is in
// backend.ts (recurrentLayout).
import {
  RECURRENT_GATES,
  recurrentLayout,
  type RecurrentActivation,
  type RecurrentCell,
  type RecurrentConfig,
  type RecurrentGradPart,
  type TensorInfo,
} from '../backend.js';

const values = (x: TensorInfo) => x.storage as Float64Array;

/** T from a record's block count (recurrentLayout's blocks are linear in T). */
export function stepsOf(cell: RecurrentCell, blocks: number): number {
  const perStep = recurrentLayout(cell, 1).blocks - recurrentLayout(cell, 0).blocks;
  return (blocks - recurrentLayout(cell, 0).blocks) / perStep;
}

/** Keras's activations; hardSigmoid is Keras 3's relu6(x + 3) / 6. */
export function activate(code: RecurrentActivation, z: number): number {
  if (code === 'sigmoid') return 1 / (1 + Math.exp(-z));
  if (code === 'tanh') return Math.tanh(z);
  if (code === 'relu') return Math.max(z, 0);
  if (code === 'hardSigmoid') return Math.min(Math.max(z / 6 + 0.5, 0), 1);
  return z;
}

/** The derivative at the input whose activation is y, from y alone. */
export function derivative(code: RecurrentActivation, y: number): number {
  if (code === 'sigmoid') return y * (1 - y);
  if (code === 'tanh') return 1 - y * y;
  if (code === 'relu') return y > 0 ? 1 : 0;
  if (code === 'hardSigmoid') return y > 0 && y < 1 ? 1 / 6 : 0;
  return 1;
}

/** Sizes, the time index of processing step s (the sequence read from its end when goBackwards), and the record's offsets. */
function geometry(config: RecurrentConfig, batch: number, steps: number, kernel: TensorInfo) {
  const units = kernel.shape[0];
  const width = kernel.shape[1];
  const timeOf = (s: number) => (config.goBackwards ? steps - 1 - s : s);
  const layout = recurrentLayout(config.cell, steps);
  const block = batch * units;
  // element offsets of [B, T, ·] chunks and [B, U] blocks
  const at = {
    hPrev: (b: number, t: number, j: number) => layout.hPrev * block + (b * steps + t) * units + j,
    hOut: (b: number, s: number, j: number) => layout.hOut * block + (b * steps + s) * units + j,
    hFinal: (b: number, j: number) => layout.hFinal * block + b * units + j,
    cPrev: (b: number, t: number, j: number) => layout.cPrev * block + (b * steps + t) * units + j,
    cFinal: (b: number, j: number) => layout.cFinal * block + b * units + j,
    gate: (b: number, t: number, g: number, j: number) =>
      layout.gates * block + ((b * steps + t) * layout.gateBlocks + g) * units + j,
  };
  return { units, width, timeOf, layout, at };
}

export function recurrentForward(
  config: RecurrentConfig,
  projected: TensorInfo,
  recurrentKernel: TensorInfo,
  initialStates: readonly TensorInfo[],
  recurrentBias?: TensorInfo,
  mask?: TensorInfo,
): Float64Array {
  const [batch, steps] = projected.shape;
  const { units, width, timeOf, layout, at } = geometry(config, batch, steps, recurrentKernel);
  const { cell, activation: act, recurrentActivation: gateAct } = config;
  const p = values(projected),
    kernel = values(recurrentKernel),
    h0 = values(initialStates[0]),
    c0 = initialStates[1] && values(initialStates[1]);
  const rb = recurrentBias && values(recurrentBias),
    m = mask && values(mask);
  const record = new Float64Array(layout.blocks * batch * units);
  const inner = new Float64Array(width);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      record[at.hPrev(b, timeOf(0), j)] = h0[b * units + j];
      if (c0) record[at.cPrev(b, timeOf(0), j)] = c0[b * units + j];
    }
  }
  for (let s = 0; s < steps; s++) {
    const t = timeOf(s);
    const last = s === steps - 1;
    for (let b = 0; b < batch; b++) {
      const hPrev = (j: number) => record[at.hPrev(b, t, j)];
      const cPrev = (j: number) => record[at.cPrev(b, t, j)];
      for (let k = 0; k < width; k++) {
        let acc = rb ? rb[k] : 0;
        for (let j = 0; j < units; j++) acc += hPrev(j) * kernel[j * width + k];
        inner[k] = acc;
      }
      const keep = !m || m[b * steps + t] !== 0;
      const x = (k: number) => p[(b * steps + t) * width + k];
      for (let j = 0; j < units; j++) {
        let h: number;
        if (cell === 'SimpleRNN') {
          h = activate(act, x(j) + inner[j]);
          record[at.gate(b, t, 0, j)] = h;
        } else if (cell === 'LSTM') {
          const i = activate(gateAct, x(j) + inner[j]);
          const f = activate(gateAct, x(units + j) + inner[units + j]);
          const g = activate(act, x(2 * units + j) + inner[2 * units + j]);
          const o = activate(gateAct, x(3 * units + j) + inner[3 * units + j]);
          const c = keep ? f * cPrev(j) + i * g : cPrev(j);
          h = o * activate(act, c);
          record[last ? at.cFinal(b, j) : at.cPrev(b, timeOf(s + 1), j)] = c;
          [i, f, g, o].forEach((v, q) => (record[at.gate(b, t, q, j)] = v));
        } else {
          const z = activate(gateAct, x(j) + inner[j]);
          const r = activate(gateAct, x(units + j) + inner[units + j]);
          const n = inner[2 * units + j];
          const candidate = activate(act, x(2 * units + j) + r * n);
          h = candidate + z * (hPrev(j) - candidate);
          [z, r, candidate, n].forEach((v, q) => (record[at.gate(b, t, q, j)] = v));
        }
        const state = keep ? h : hPrev(j);
        record[at.hOut(b, s, j)] = state;
        record[last ? at.hFinal(b, j) : at.hPrev(b, timeOf(s + 1), j)] = state;
      }
    }
  }
  return record;
}

export function recurrentBackward(
  config: RecurrentConfig,
  part: RecurrentGradPart,
  dRecord: TensorInfo,
  recordInfo: TensorInfo,
  recurrentKernel: TensorInfo,
  mask?: TensorInfo,
): Float64Array {
  const [, batch] = recordInfo.shape;
  const steps = mask ? mask.shape[1] : stepsOf(config.cell, recordInfo.shape[0]);
  const { units, width, timeOf, at } = geometry(config, batch, steps, recurrentKernel);
  const { cell, activation: act, recurrentActivation: gateAct } = config;
  const dRec = values(dRecord),
    record = values(recordInfo),
    kernel = values(recurrentKernel),
    m = mask && values(mask);
  const gates = RECURRENT_GATES[cell];
  const dProjected = new Float64Array(batch * steps * width);
  const dInners = new Float64Array(batch * steps * width);
  // what flows into step s − 1's states from step s: dh (the recurrent product and a direct part) and dc
  const carryH = new Float64Array(batch * units),
    carryC = new Float64Array(batch * units);
  const dInner = new Float64Array(width);
  for (let s = steps - 1; s >= 0; s--) {
    const t = timeOf(s);
    const last = s === steps - 1;
    for (let b = 0; b < batch; b++) {
      const row = (b * steps + t) * width;
      const gate = (g: number, j: number) => record[at.gate(b, t, g, j)];
      const keep = !m || m[b * steps + t] !== 0;
      const direct = new Float64Array(units);
      for (let j = 0; j < units; j++) {
        const dh = dRec[at.hOut(b, s, j)] + (last ? dRec[at.hFinal(b, j)] : 0) + carryH[b * units + j];
        const dcIn = (cell === 'LSTM' && last ? dRec[at.cFinal(b, j)] : 0) + carryC[b * units + j];
        for (let g = 0; g < gates; g++) dInner[g * units + j] = 0;
        if (!keep) {
          // a masked step passed its states through: so do their gradients
          direct[j] = dh;
          carryC[b * units + j] = dcIn;
          continue;
        }
        if (cell === 'SimpleRNN') {
          dInner[j] = dh * derivative(act, gate(0, j));
        } else if (cell === 'LSTM') {
          const [i, f, g, o] = [0, 1, 2, 3].map((q) => gate(q, j));
          const c = record[last ? at.cFinal(b, j) : at.cPrev(b, timeOf(s + 1), j)];
          const actC = activate(act, c);
          const dc = dcIn + dh * o * derivative(act, actC);
          dInner[j] = dc * g * derivative(gateAct, i);
          dInner[units + j] = dc * record[at.cPrev(b, t, j)] * derivative(gateAct, f);
          dInner[2 * units + j] = dc * i * derivative(act, g);
          dInner[3 * units + j] = dh * actC * derivative(gateAct, o);
          carryC[b * units + j] = dc * f;
        } else {
          const [z, r, candidate, n] = [0, 1, 2, 3].map((q) => gate(q, j));
          const dCandidate = dh * (1 - z) * derivative(act, candidate);
          dInner[j] = dh * (record[at.hPrev(b, t, j)] - candidate) * derivative(gateAct, z);
          dInner[units + j] = dCandidate * n * derivative(gateAct, r);
          dInner[2 * units + j] = dCandidate * r;
          direct[j] = dh * z;
          // d(projected) differs from d(inner) in the candidate block only: x_h enters unscaled by r
          dProjected[row + 2 * units + j] = dCandidate;
        }
      }
      for (let k = 0; k < width; k++) {
        dInners[row + k] = dInner[k];
        if (cell !== 'GRU' || k < 2 * units) dProjected[row + k] = dInner[k];
      }
      for (let j = 0; j < units; j++) {
        let acc = direct[j];
        for (let k = 0; k < width; k++) acc += dInner[k] * kernel[j * width + k];
        carryH[b * units + j] = acc;
      }
    }
  }
  if (part === 'sequence') {
    if (cell !== 'GRU') return dInners;
    const both = new Float64Array(2 * dInners.length);
    both.set(dInners);
    both.set(dProjected, dInners.length);
    return both;
  }
  // [B, S]: each row dh0, then an LSTM's dc0
  const stateWidth = cell === 'LSTM' ? 2 * units : units;
  const initial = new Float64Array(batch * stateWidth);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      initial[b * stateWidth + j] = carryH[b * units + j];
      if (cell === 'LSTM') initial[b * stateWidth + units + j] = carryC[b * units + j];
    }
  }
  return initial;
}

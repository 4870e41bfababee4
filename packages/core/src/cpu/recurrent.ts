// The CPU reference for fused recurrent sequences, in float64: the forward record (states and gates of
// every timestep) and backpropagation through time from it, one loop per timestep exactly as the
// equations read, so the GPU kernels (shaders/recurrent/) have an oracle. Record layouts are in
// backend.ts (recurrentRecordWidth, recurrentGradWidth).
import {
  RECURRENT_GATES,
  recurrentGradWidth,
  recurrentRecordWidth,
  type RecurrentActivation,
  type RecurrentConfig,
  type TensorInfo,
} from '../backend.js';

const values = (x: TensorInfo) => x.storage as Float64Array;

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

/** Sizes and the time index of processing step s (the sequence read from its end when goBackwards). */
function geometry(config: RecurrentConfig, projected: { shape: readonly number[] }, kernel: TensorInfo) {
  const [batch, steps] = projected.shape;
  const units = kernel.shape[0];
  const width = kernel.shape[1];
  const timeOf = (s: number) => (config.goBackwards ? steps - 1 - s : s);
  return { batch, steps, units, width, timeOf };
}

export function recurrentForward(
  config: RecurrentConfig,
  projected: TensorInfo,
  recurrentKernel: TensorInfo,
  initialStates: readonly TensorInfo[],
  recurrentBias?: TensorInfo,
  mask?: TensorInfo,
): Float64Array {
  const { batch, steps, units, width, timeOf } = geometry(config, projected, recurrentKernel);
  const { cell, activation: act, recurrentActivation: gateAct } = config;
  const p = values(projected),
    kernel = values(recurrentKernel),
    h0 = values(initialStates[0]),
    c0 = initialStates[1] && values(initialStates[1]);
  const rb = recurrentBias && values(recurrentBias),
    m = mask && values(mask);
  const recordWidth = recurrentRecordWidth(cell, units);
  const record = new Float64Array(batch * steps * recordWidth);
  const inner = new Float64Array(width);
  for (let s = 0; s < steps; s++) {
    const t = timeOf(s);
    for (let b = 0; b < batch; b++) {
      const row = (b * steps + t) * recordWidth;
      const previous = s > 0 ? (b * steps + timeOf(s - 1)) * recordWidth : -1;
      const hPrev = (j: number) => (previous < 0 ? h0[b * units + j] : record[previous + j]);
      const cPrev = (j: number) => (previous < 0 ? c0![b * units + j] : record[previous + units + j]);
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
        } else if (cell === 'LSTM') {
          const i = activate(gateAct, x(j) + inner[j]);
          const f = activate(gateAct, x(units + j) + inner[units + j]);
          const g = activate(act, x(2 * units + j) + inner[2 * units + j]);
          const o = activate(gateAct, x(3 * units + j) + inner[3 * units + j]);
          const c = f * cPrev(j) + i * g;
          h = o * activate(act, c);
          record[row + units + j] = keep ? c : cPrev(j);
          [i, f, g, o].forEach((v, q) => (record[row + (2 + q) * units + j] = v));
        } else {
          const z = activate(gateAct, x(j) + inner[j]);
          const r = activate(gateAct, x(units + j) + inner[units + j]);
          const n = inner[2 * units + j];
          const candidate = activate(act, x(2 * units + j) + r * n);
          h = candidate + z * (hPrev(j) - candidate);
          [z, r, candidate, n].forEach((v, q) => (record[row + (1 + q) * units + j] = v));
        }
        record[row + j] = keep ? h : hPrev(j);
      }
    }
  }
  return record;
}

export function recurrentBackward(
  config: RecurrentConfig,
  dRecord: TensorInfo,
  recordInfo: TensorInfo,
  recurrentKernel: TensorInfo,
  initialStates: readonly TensorInfo[],
  mask?: TensorInfo,
): Float64Array {
  const { batch, steps, units, width, timeOf } = geometry(config, recordInfo, recurrentKernel);
  const { cell, activation: act, recurrentActivation: gateAct } = config;
  const dRec = values(dRecord),
    record = values(recordInfo),
    kernel = values(recurrentKernel),
    h0 = values(initialStates[0]),
    c0 = initialStates[1] && values(initialStates[1]),
    m = mask && values(mask);
  const recordWidth = recurrentRecordWidth(cell, units);
  const gradWidth = recurrentGradWidth(cell, units);
  const gates = RECURRENT_GATES[cell];
  const grads = new Float64Array(batch * (steps + 1) * gradWidth);
  // what flows into step s − 1's states from step s: dh (the recurrent product and a direct part) and dc
  const carryH = new Float64Array(batch * units),
    carryC = new Float64Array(batch * units);
  const dInner = new Float64Array(width);
  for (let s = steps - 1; s >= 0; s--) {
    const t = timeOf(s);
    for (let b = 0; b < batch; b++) {
      const row = (b * steps + t) * recordWidth;
      const out = (b * (steps + 1) + t) * gradWidth;
      const previous = s > 0 ? (b * steps + timeOf(s - 1)) * recordWidth : -1;
      const hPrev = (j: number) => (previous < 0 ? h0[b * units + j] : record[previous + j]);
      const cPrev = (j: number) => (previous < 0 ? c0![b * units + j] : record[previous + units + j]);
      const at = (block: number, j: number) => record[row + block * units + j];
      const keep = !m || m[b * steps + t] !== 0;
      const direct = new Float64Array(units);
      for (let j = 0; j < units; j++) {
        const dh = dRec[row + j] + carryH[b * units + j];
        if (!keep) {
          // a masked step passed its states through: so do their gradients
          direct[j] = dh;
          if (cell === 'LSTM') carryC[b * units + j] += dRec[row + units + j];
          for (let g = 0; g < gates; g++) dInner[g * units + j] = 0;
          continue;
        }
        if (cell === 'SimpleRNN') {
          dInner[j] = dh * derivative(act, at(0, j));
        } else if (cell === 'LSTM') {
          const [c, i, f, g, o] = [1, 2, 3, 4, 5].map((block) => at(block, j));
          const actC = activate(act, c);
          const dc = dRec[row + units + j] + carryC[b * units + j] + dh * o * derivative(act, actC);
          dInner[j] = dc * g * derivative(gateAct, i);
          dInner[units + j] = dc * cPrev(j) * derivative(gateAct, f);
          dInner[2 * units + j] = dc * i * derivative(act, g);
          dInner[3 * units + j] = dh * actC * derivative(gateAct, o);
          carryC[b * units + j] = dc * f;
        } else {
          const [z, r, candidate, n] = [1, 2, 3, 4].map((block) => at(block, j));
          const dCandidate = dh * (1 - z) * derivative(act, candidate);
          dInner[j] = dh * (hPrev(j) - candidate) * derivative(gateAct, z);
          dInner[units + j] = dCandidate * n * derivative(gateAct, r);
          dInner[2 * units + j] = dCandidate * r;
          direct[j] = dh * z;
          // d(projected) differs from d(inner) in the candidate block only: x_h enters unscaled by r
          grads[out + 2 * units + j] = dCandidate;
        }
      }
      for (let k = 0; k < width; k++) {
        if (cell === 'GRU') {
          grads[out + width + k] = dInner[k];
          if (k < 2 * units) grads[out + k] = dInner[k];
        } else {
          grads[out + k] = dInner[k];
        }
      }
      for (let j = 0; j < units; j++) {
        let acc = direct[j];
        for (let k = 0; k < width; k++) acc += dInner[k] * kernel[j * width + k];
        carryH[b * units + j] = acc;
      }
    }
  }
  for (let b = 0; b < batch; b++) {
    const out = (b * (steps + 1) + steps) * gradWidth;
    for (let j = 0; j < units; j++) {
      grads[out + j] = carryH[b * units + j];
      if (cell === 'LSTM') grads[out + units + j] = carryC[b * units + j];
    }
  }
  return grads;
}

// recurrent_step: one timestep of a fused recurrent sequence (SimpleRNN, LSTM, or a resetAfter GRU by
// the CELL override): the recurrent product h₋₁·U for every gate of a unit and all the gate math after
// it. ops/recurrent.ts records one dispatch per timestep, the step index in params. For the time index
// t of processing step s (T − 1 − s when go_backwards):
//   inner = h₋₁·U (+ b_r), z = projected[b, t] + inner (GRU: x_h + r ⊙ inner_h in the candidate block),
//   record[b, t] = the cell's states and gates (layouts in packages/core/src/backend.ts), and
//   next[b] = the states [h] or [h, c], the `prev` of the next dispatch; where mask[b, t] = 0 both carry
//   prev over unchanged, as Keras does.
//
// Bindings: 0 projected (read, [B, T, G·U]), 1 kernel (read, [U, G·U]), 2 recurrent_bias (read, [G·U];
// any buffer when has_bias = 0), 3 mask (read, [B, T]; any buffer when has_mask = 0), 4 prev (read,
// [B, S]: the initial states or the last dispatch's next; S = 2U for an LSTM, else U), 5 record
// (read_write, [B, T, R]), 6 next (read_write, [B, S]), 7 params (uniform).
// Mapping: each workgroup owns ROWS batch rows (the same for all its invocations, so their h₋₁ loads
// have one address) and WG_SIZE units; each invocation owns one unit and accumulates its G ≤ 4 gate
// columns of U as one vec4 per row, so per step along U it makes ROWS + G loads for 4·ROWS fused
// multiply-adds, with no workgroup memory or barriers (as matmul_rows, for CPU adapters). Loads past
// the edges read the last row or unit and their results are never stored.

const OP_CELL_SIMPLE_RNN: u32 = 0u;
const OP_CELL_LSTM: u32 = 1u;
const OP_CELL_GRU: u32 = 2u;
// the activation codes params.activation and params.recurrent_activation take
const OP_ACT_LINEAR: u32 = 10u;
const OP_ACT_RELU: u32 = 11u;
const OP_ACT_SIGMOID: u32 = 12u;
const OP_ACT_TANH: u32 = 13u;
const OP_ACT_HARD_SIGMOID: u32 = 14u;

override CELL: u32;
override WG_SIZE: u32 = 64u;

struct Params {
  batch: u32,
  steps: u32,
  units: u32,
  step: u32,
  go_backwards: u32,
  has_bias: u32,
  has_mask: u32,
  activation: u32,
  recurrent_activation: u32,
}

@group(0) @binding(0) var<storage, read> projected: array<f32>;
@group(0) @binding(1) var<storage, read> kernel: array<f32>;
@group(0) @binding(2) var<storage, read> recurrent_bias: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read> prev: array<f32>;
@group(0) @binding(5) var<storage, read_write> record: array<f32>;
@group(0) @binding(6) var<storage, read_write> next: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

fn act(z: f32, code: u32) -> f32 {
  if (code == OP_ACT_TANH) { let e = exp(-2.0 * abs(z)); return sign(z) * (1.0 - e) / (1.0 + e); }
  if (code == OP_ACT_SIGMOID) { return 1.0 / (1.0 + exp(-z)); }
  if (code == OP_ACT_RELU) { return max(z, 0.0); }
  if (code == OP_ACT_LINEAR) { return z; }
  if (code == OP_ACT_HARD_SIGMOID) { return clamp(z / 6.0 + 0.5, 0.0, 1.0); }
  return poison();
}

fn gate_count() -> u32 {
  if (CELL == OP_CELL_LSTM) { return 4u; }
  if (CELL == OP_CELL_GRU) { return 3u; }
  return 1u;
}

fn state_width() -> u32 {
  return select(params.units, 2u * params.units, CELL == OP_CELL_LSTM);
}

fn record_width() -> u32 {
  if (CELL == OP_CELL_LSTM) { return 6u * params.units; }
  if (CELL == OP_CELL_GRU) { return 5u * params.units; }
  if (CELL == OP_CELL_SIMPLE_RNN) { return params.units; }
  return u32(poison());
}

const ROWS: u32 = 8u;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let U = params.units;
  let B = params.batch;
  let G = gate_count();
  let width = G * U;
  let S = state_width();
  let row0 = wid.y * ROWS;
  let j = wid.x * WG_SIZE + lid.x;
  let jc = min(j, U - 1u);

  // h₋₁ of the ROWS rows (clamped at the batch's edge), and the four gate columns of U (clamped to G)
  let first = min(row0, B - 1u) * S;
  let r1 = min(row0 + 1u, B - 1u) * S - first;
  let r2 = min(row0 + 2u, B - 1u) * S - first;
  let r3 = min(row0 + 3u, B - 1u) * S - first;
  let r4 = min(row0 + 4u, B - 1u) * S - first;
  let r5 = min(row0 + 5u, B - 1u) * S - first;
  let r6 = min(row0 + 6u, B - 1u) * S - first;
  let r7 = min(row0 + 7u, B - 1u) * S - first;
  var h_at = first;
  var u0 = jc;
  var u1 = min(1u, G - 1u) * U + jc;
  var u2 = min(2u, G - 1u) * U + jc;
  var u3 = min(3u, G - 1u) * U + jc;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var k = 0u; k < U; k++) {
    let uv = vec4<f32>(kernel[u0], kernel[u1], kernel[u2], kernel[u3]);
    acc0 = fma(vec4<f32>(prev[h_at]), uv, acc0);
    acc1 = fma(vec4<f32>(prev[h_at + r1]), uv, acc1);
    acc2 = fma(vec4<f32>(prev[h_at + r2]), uv, acc2);
    acc3 = fma(vec4<f32>(prev[h_at + r3]), uv, acc3);
    acc4 = fma(vec4<f32>(prev[h_at + r4]), uv, acc4);
    acc5 = fma(vec4<f32>(prev[h_at + r5]), uv, acc5);
    acc6 = fma(vec4<f32>(prev[h_at + r6]), uv, acc6);
    acc7 = fma(vec4<f32>(prev[h_at + r7]), uv, acc7);
    h_at += 1u;
    u0 += width;
    u1 += width;
    u2 += width;
    u3 += width;
  }
  if (j >= U) { return; }
  var bias = vec4<f32>(0.0);
  if (params.has_bias != 0u) {
    bias = vec4<f32>(
      recurrent_bias[j],
      recurrent_bias[min(1u, G - 1u) * U + j],
      recurrent_bias[min(2u, G - 1u) * U + j],
      recurrent_bias[min(3u, G - 1u) * U + j],
    );
  }
  finish_row(row0, j, acc0 + bias);
  finish_row(row0 + 1u, j, acc1 + bias);
  finish_row(row0 + 2u, j, acc2 + bias);
  finish_row(row0 + 3u, j, acc3 + bias);
  finish_row(row0 + 4u, j, acc4 + bias);
  finish_row(row0 + 5u, j, acc5 + bias);
  finish_row(row0 + 6u, j, acc6 + bias);
  finish_row(row0 + 7u, j, acc7 + bias);
}

// The gate math of unit j of batch row b from its recurrent products inner (one gate a component).
fn finish_row(b: u32, j: u32, inner: vec4<f32>) {
  if (b >= params.batch) { return; }
  let U = params.units;
  let T = params.steps;
  let t = select(params.step, T - 1u - params.step, params.go_backwards != 0u);
  let width = gate_count() * U;
  let x = (b * T + t) * width + j;
  let out = (b * T + t) * record_width() + j;
  let S = state_width();
  let h_prev = prev[b * S + j];
  let keep = params.has_mask == 0u || mask[b * T + t] != 0.0;
  let a = params.activation;
  let ra = params.recurrent_activation;
  var h = h_prev;
  if (CELL == OP_CELL_SIMPLE_RNN) {
    h = act(projected[x] + inner.x, a);
  } else if (CELL == OP_CELL_LSTM) {
    let c_prev = prev[b * S + U + j];
    let i = act(projected[x] + inner.x, ra);
    let f = act(projected[x + U] + inner.y, ra);
    let g = act(projected[x + 2u * U] + inner.z, a);
    let o = act(projected[x + 3u * U] + inner.w, ra);
    let c_new = f * c_prev + i * g;
    h = o * act(c_new, a);
    let c = select(c_prev, c_new, keep);
    record[out + U] = c;
    record[out + 2u * U] = i;
    record[out + 3u * U] = f;
    record[out + 4u * U] = g;
    record[out + 5u * U] = o;
    next[b * S + U + j] = c;
  } else if (CELL == OP_CELL_GRU) {
    let z = act(projected[x] + inner.x, ra);
    let r = act(projected[x + U] + inner.y, ra);
    let candidate = act(projected[x + 2u * U] + r * inner.z, a);
    h = candidate + z * (h_prev - candidate);
    record[out + U] = z;
    record[out + 2u * U] = r;
    record[out + 3u * U] = candidate;
    record[out + 4u * U] = inner.z;
  } else {
    h = poison();
  }
  h = select(h_prev, h, keep);
  record[out] = h;
  next[b * S + j] = h;
}

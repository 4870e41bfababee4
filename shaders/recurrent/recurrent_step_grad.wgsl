// recurrent_step_grad: one timestep of backpropagation through time for recurrent_step.wgsl (the CELL
// override as there). ops/recurrent.ts records T dispatches (T + 1 for the initial states' part),
// params.step k = 0..T for processing step s = T − 1 − k (time index t of s as in the forward).
// Dispatch k first gathers what step s + 1 sends back to the states of step s:
//   dh = (dInner of step s + 1)·Uᵀ + carry_h,  dc = carry_c,
// (dInner from scratch, written by dispatch k − 1; carry the direct paths: a GRU's z ⊙ dh, a masked
// step's dh and dc, an LSTM's f ⊙ dc). It adds d(record) at hOut (and hFinal, cFinal after the last
// step) and runs the cell's gate backward from the saved gates (their derivatives from their outputs),
// writing d(h₋₁·U + b_r) into scratch [B, T, G·U] and, when write_out (a GRU's, whose differ in the
// candidate block), d(projected) into scratch too, from element projected_at (the second [B, T, G·U]
// block of a [2, B, T, G·U] scratch: one pass gives both). Dispatch T writes the initial states'
// gradients into out [B, S] (dh0, then an LSTM's dc0). A masked step writes zeros and passes dh and dc
// through.
//
// Bindings: 0 d_record (read), 1 record (read; recurrentLayout, chunk offsets in params), 2 kernel_t
// (read, Uᵀ [G·U, U]), 3 mask (read, [B, T]; any buffer when has_mask = 0), 4 out (read_write, the
// initial states' part), 5 scratch (read_write, [B, T, G·U] or [2, B, T, G·U]), 6 carry (read_write,
// [B, 2U]), 7 params (uniform).
// Mapping: each workgroup owns ROWS batch rows and WG_SIZE·TN units; each invocation owns TN units
// WG_SIZE apart, so per step along G·U of the product it makes ROWS + TN loads (neighbouring lanes,
// neighbouring elements of Uᵀ) for ROWS·TN fused multiply-adds, with no workgroup memory or
// barriers. Each (row, unit) reads and writes only its own carry elements.

const OP_CELL_SIMPLE_RNN: u32 = 0u;
const OP_CELL_LSTM: u32 = 1u;
const OP_CELL_GRU: u32 = 2u;
// params.activation and params.recurrent_activation take the prelude's ACT_* codes (activate())

override CELL: u32;
override WG_SIZE: u32 = 32u;

const ROWS: u32 = 8u;
const TN: u32 = 4u;

struct Params {
  batch: u32,
  steps: u32,
  units: u32,
  step: u32,
  go_backwards: u32,
  has_mask: u32,
  activation: u32,
  recurrent_activation: u32,
  write_out: u32,
  projected_at: u32,
  // element offsets of the record's chunks
  h_prev: u32,
  h_out: u32,
  h_final: u32,
  c_prev: u32,
  c_final: u32,
  gates: u32,
  gate_blocks: u32,
}

@group(0) @binding(0) var<storage, read> d_record: array<f32>;
@group(0) @binding(1) var<storage, read> record: array<f32>;
@group(0) @binding(2) var<storage, read> kernel_t: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(6) var<storage, read_write> carry: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

// The derivative at the input whose activation is y, from y alone.
fn derivative(y: f32, code: u32) -> f32 {
  if (code == ACT_TANH) { return 1.0 - y * y; }
  if (code == ACT_SIGMOID) { return y * (1.0 - y); }
  if (code == ACT_RELU) { return select(0.0, 1.0, y > 0.0); }
  if (code == ACT_LINEAR) { return 1.0; }
  if (code == ACT_HARD_SIGMOID) { return select(0.0, 1.0 / 6.0, y > 0.0 && y < 1.0); }
  return poison();
}

fn gate_count() -> u32 {
  if (CELL == OP_CELL_LSTM) { return 4u; }
  if (CELL == OP_CELL_GRU) { return 3u; }
  return 1u;
}

fn time_of(s: u32) -> u32 {
  return select(s, params.steps - 1u - s, params.go_backwards != 0u);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let U = params.units;
  let B = params.batch;
  let T = params.steps;
  let width = gate_count() * U;
  let row0 = wid.y * ROWS;
  let col0 = wid.x * WG_SIZE * TN + lid.x;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  if (params.step > 0u) {
    // dInner of step s + 1 (the previous dispatch's) times Uᵀ
    let t_next = time_of(T - params.step);
    let first = (min(row0, B - 1u) * T + t_next) * width;
    let r1 = (min(row0 + 1u, B - 1u) * T + t_next) * width - first;
    let r2 = (min(row0 + 2u, B - 1u) * T + t_next) * width - first;
    let r3 = (min(row0 + 3u, B - 1u) * T + t_next) * width - first;
    let r4 = (min(row0 + 4u, B - 1u) * T + t_next) * width - first;
    let r5 = (min(row0 + 5u, B - 1u) * T + t_next) * width - first;
    let r6 = (min(row0 + 6u, B - 1u) * T + t_next) * width - first;
    let r7 = (min(row0 + 7u, B - 1u) * T + t_next) * width - first;
    var d_at = first;
    var k0 = min(col0, U - 1u);
    var k1 = min(col0 + WG_SIZE, U - 1u);
    var k2 = min(col0 + 2u * WG_SIZE, U - 1u);
    var k3 = min(col0 + 3u * WG_SIZE, U - 1u);
    for (var q = 0u; q < width; q++) {
      let kv = vec4<f32>(kernel_t[k0], kernel_t[k1], kernel_t[k2], kernel_t[k3]);
      acc0 = fma(vec4<f32>(scratch[d_at]), kv, acc0);
      acc1 = fma(vec4<f32>(scratch[d_at + r1]), kv, acc1);
      acc2 = fma(vec4<f32>(scratch[d_at + r2]), kv, acc2);
      acc3 = fma(vec4<f32>(scratch[d_at + r3]), kv, acc3);
      acc4 = fma(vec4<f32>(scratch[d_at + r4]), kv, acc4);
      acc5 = fma(vec4<f32>(scratch[d_at + r5]), kv, acc5);
      acc6 = fma(vec4<f32>(scratch[d_at + r6]), kv, acc6);
      acc7 = fma(vec4<f32>(scratch[d_at + r7]), kv, acc7);
      d_at += 1u;
      k0 += U;
      k1 += U;
      k2 += U;
      k3 += U;
    }
  }
  finish_row(row0, col0, acc0);
  finish_row(row0 + 1u, col0, acc1);
  finish_row(row0 + 2u, col0, acc2);
  finish_row(row0 + 3u, col0, acc3);
  finish_row(row0 + 4u, col0, acc4);
  finish_row(row0 + 5u, col0, acc5);
  finish_row(row0 + 6u, col0, acc6);
  finish_row(row0 + 7u, col0, acc7);
}

fn finish_row(b: u32, col0: u32, product: vec4<f32>) {
  if (b >= params.batch) { return; }
  for (var n = 0u; n < TN; n++) {
    let j = col0 + n * WG_SIZE;
    if (j < params.units) { finish(b, j, product[n]); }
  }
}

// The gate backward of unit j of batch row b, given dh's recurrent part from step s + 1.
fn finish(b: u32, j: u32, product: f32) {
  let U = params.units;
  let T = params.steps;
  let first = params.step == 0u;
  let dh_in = product + select(carry[b * 2u * U + j], 0.0, first);
  let dc_in = select(carry[b * 2u * U + U + j], 0.0, first);
  if (params.step == T) {
    let S = select(U, 2u * U, CELL == OP_CELL_LSTM);
    out[b * S + j] = dh_in;
    if (CELL == OP_CELL_LSTM) { out[b * S + U + j] = dc_in; }
    return;
  }
  let s = T - 1u - params.step;
  let t = time_of(s);
  let last = params.step == 0u;
  let width = gate_count() * U;
  let row = (b * T + t) * width + j;
  let gate = params.gates + (b * T + t) * params.gate_blocks * U + j;
  var dh = d_record[params.h_out + (b * T + s) * U + j] + dh_in;
  if (last) { dh += d_record[params.h_final + b * U + j]; }
  let keep = params.has_mask == 0u || mask[b * T + t] != 0.0;
  let a = params.activation;
  let ra = params.recurrent_activation;
  var direct = 0.0;
  var dc_out = 0.0;
  var d_candidate = 0.0;
  if (CELL == OP_CELL_SIMPLE_RNN) {
    scratch[row] = select(0.0, dh * derivative(record[gate], a), keep);
    direct = select(dh, 0.0, keep);
  } else if (CELL == OP_CELL_LSTM) {
    let i = record[gate];
    let f = record[gate + U];
    let g = record[gate + 2u * U];
    let o = record[gate + 3u * U];
    let t_next = time_of(min(s + 1u, T - 1u));
    let c = record[select(params.c_prev + (b * T + t_next) * U + j, params.c_final + b * U + j, last)];
    let c_prev = record[params.c_prev + (b * T + t) * U + j];
    let act_c = activate(c, a);
    var dc_total = dc_in;
    if (last) { dc_total += d_record[params.c_final + b * U + j]; }
    let dc = dc_total + dh * o * derivative(act_c, a);
    scratch[row] = select(0.0, dc * g * derivative(i, ra), keep);
    scratch[row + U] = select(0.0, dc * c_prev * derivative(f, ra), keep);
    scratch[row + 2u * U] = select(0.0, dc * i * derivative(g, a), keep);
    scratch[row + 3u * U] = select(0.0, dh * act_c * derivative(o, ra), keep);
    direct = select(dh, 0.0, keep);
    dc_out = select(dc_total, dc * f, keep);
  } else if (CELL == OP_CELL_GRU) {
    let z = record[gate];
    let r = record[gate + U];
    let candidate = record[gate + 2u * U];
    let n_inner = record[gate + 3u * U];
    let h_prev = record[params.h_prev + (b * T + t) * U + j];
    d_candidate = select(0.0, dh * (1.0 - z) * derivative(candidate, a), keep);
    scratch[row] = select(0.0, dh * (h_prev - candidate) * derivative(z, ra), keep);
    scratch[row + U] = select(0.0, d_candidate * n_inner * derivative(r, ra), keep);
    scratch[row + 2u * U] = d_candidate * r;
    direct = select(dh, dh * z, keep);
  } else {
    direct = poison();
  }
  if (params.write_out != 0u) {
    // d(projected): d(inner) but for a GRU's candidate block, which x_h enters unscaled by r
    let projected = params.projected_at + row;
    for (var g = 0u; g < gate_count(); g++) { scratch[projected + g * U] = scratch[row + g * U]; }
    if (CELL == OP_CELL_GRU) { scratch[projected + 2u * U] = d_candidate; }
  }
  carry[b * 2u * U + j] = direct;
  carry[b * 2u * U + U + j] = dc_out;
}

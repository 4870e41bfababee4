// recurrent_step: one timestep of a fused recurrent sequence (SimpleRNN, LSTM, or a resetAfter GRU by
// the CELL override): the recurrent product h₋₁·U for every gate of a unit and all the gate math after
// it. ops/recurrent.ts records an init dispatch (params.init = 1: the initial states into the record's
// hPrev and cPrev slots of the first step) and then one dispatch per timestep, the step index in
// params. For the time index t of processing step s (T − 1 − s when go_backwards):
//   inner = h₋₁·U (+ b_r), z = projected[b, t] + inner (GRU: x_h + r ⊙ inner_h in the candidate block);
// it writes the gates at t, the new states into hOut at s and into the hPrev (cPrev) slot of the next
// step or hFinal (cFinal) after the last; where mask[b, t] = 0 the states carry over, as Keras does.
// The record is a run of [B, U] blocks (recurrentLayout, packages/core/src/backend.ts); params carry
// each chunk's element offset.
//
// Bindings: 0 projected (read, [B, T, G·U]), 1 kernel (read, [U, G·U]), 2 recurrent_bias (read, [G·U];
// any buffer when has_bias = 0), 3 mask (read, [B, T]; any buffer when has_mask = 0), 4 initial_h
// (read, [B, U]), 5 initial_c (read, [B, U]; any buffer but for an LSTM), 6 record (read_write),
// 7 params (uniform).
// Mapping: each workgroup owns ROWS batch rows (the same for all its invocations, so their h₋₁ loads
// have one address) and WG_SIZE units; each invocation owns one unit and accumulates its G ≤ 4 gate
// columns of U in one vec4 per gate and block of 4 rows (a GRU's three gates compute no fourth
// column), so per step along U it makes ROWS + G loads for G·ROWS fused multiply-adds, with no
// workgroup memory or barriers (as matmul_rows, for CPU adapters). Loads past the edges read the last
// row or unit and their results are never stored.

const OP_CELL_SIMPLE_RNN: u32 = 0u;
const OP_CELL_LSTM: u32 = 1u;
const OP_CELL_GRU: u32 = 2u;
// params.activation and params.recurrent_activation take the prelude's ACT_* codes (activate())

override CELL: u32;
override WG_SIZE: u32 = 64u;

struct Params {
  batch: u32,
  steps: u32,
  units: u32,
  step: u32,
  init: u32,
  go_backwards: u32,
  has_bias: u32,
  has_mask: u32,
  activation: u32,
  recurrent_activation: u32,
  // element offsets of the record's chunks
  h_prev: u32,
  h_out: u32,
  h_final: u32,
  c_prev: u32,
  c_final: u32,
  gates: u32,
  gate_blocks: u32,
}

@group(0) @binding(0) var<storage, read> projected: array<f32>;
@group(0) @binding(1) var<storage, read> kernel: array<f32>;
@group(0) @binding(2) var<storage, read> recurrent_bias: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read> initial_h: array<f32>;
@group(0) @binding(5) var<storage, read> initial_c: array<f32>;
@group(0) @binding(6) var<storage, read_write> record: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

fn gate_count() -> u32 {
  if (CELL == OP_CELL_LSTM) { return 4u; }
  if (CELL == OP_CELL_GRU) { return 3u; }
  return 1u;
}

fn time_of(s: u32) -> u32 {
  return select(s, params.steps - 1u - s, params.go_backwards != 0u);
}

const ROWS: u32 = 8u;

// The recurrent product, one accumulator per gate and block of 4 rows (gate g of rows 0–3 in
// g_lo, 4–7 in g_hi), so that a GRU's three gates compute no fourth column.
var<private> g0_lo: vec4<f32>;
var<private> g0_hi: vec4<f32>;
var<private> g1_lo: vec4<f32>;
var<private> g1_hi: vec4<f32>;
var<private> g2_lo: vec4<f32>;
var<private> g2_hi: vec4<f32>;
var<private> g3_lo: vec4<f32>;
var<private> g3_hi: vec4<f32>;
// Offsets of this invocation's gate columns of U in its first row, and how far a step along U moves them.
var<private> u_cols: vec4<u32>;
var<private> u_step: u32;

// One step along U (row k of U) against the 8 rows' h₋₁ at k (rows 0–3 in ha, 4–7 in hb).
fn step(k: u32, ha: vec4<f32>, hb: vec4<f32>) {
  let at = u_cols + vec4<u32>(k * u_step);
  let u0 = vec4<f32>(kernel[at.x]);
  g0_lo = fma(ha, u0, g0_lo);
  g0_hi = fma(hb, u0, g0_hi);
  if (gate_count() > 1u) {
    let u1 = vec4<f32>(kernel[at.y]);
    g1_lo = fma(ha, u1, g1_lo);
    g1_hi = fma(hb, u1, g1_hi);
  }
  if (gate_count() > 2u) {
    let u2 = vec4<f32>(kernel[at.z]);
    g2_lo = fma(ha, u2, g2_lo);
    g2_hi = fma(hb, u2, g2_hi);
  }
  if (gate_count() > 3u) {
    let u3 = vec4<f32>(kernel[at.w]);
    g3_lo = fma(ha, u3, g3_lo);
    g3_hi = fma(hb, u3, g3_hi);
  }
}


@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let U = params.units;
  let B = params.batch;
  let T = params.steps;
  let G = gate_count();
  let width = G * U;
  let row0 = wid.y * ROWS;
  let j = wid.x * WG_SIZE + lid.x;
  let t = time_of(params.step);
  if (params.init != 0u) {
    if (j >= U) { return; }
    for (var r = 0u; r < ROWS; r++) {
      let b = row0 + r;
      if (b < B) {
        record[params.h_prev + (b * T + t) * U + j] = initial_h[b * U + j];
        if (CELL == OP_CELL_LSTM) { record[params.c_prev + (b * T + t) * U + j] = initial_c[b * U + j]; }
      }
    }
    return;
  }
  let jc = min(j, U - 1u);

  // h₋₁ of the ROWS rows (clamped at the batch's edge), and the four gate columns of U (clamped to G)
  let row_stride = T * U;
  let first = params.h_prev + min(row0, B - 1u) * row_stride + t * U;
  let r1 = min(row0 + 1u, B - 1u) * row_stride + params.h_prev + t * U - first;
  let r2 = min(row0 + 2u, B - 1u) * row_stride + params.h_prev + t * U - first;
  let r3 = min(row0 + 3u, B - 1u) * row_stride + params.h_prev + t * U - first;
  let r4 = min(row0 + 4u, B - 1u) * row_stride + params.h_prev + t * U - first;
  let r5 = min(row0 + 5u, B - 1u) * row_stride + params.h_prev + t * U - first;
  let r6 = min(row0 + 6u, B - 1u) * row_stride + params.h_prev + t * U - first;
  let r7 = min(row0 + 7u, B - 1u) * row_stride + params.h_prev + t * U - first;
  u_cols = vec4<u32>(jc, min(1u, G - 1u) * U + jc, min(2u, G - 1u) * U + jc, min(3u, G - 1u) * U + jc);
  u_step = width;
  for (var k = 0u; k < U; k++) {
    let at = first + k;
    let ha = vec4<f32>(record[at], record[at + r1], record[at + r2], record[at + r3]);
    let hb = vec4<f32>(record[at + r4], record[at + r5], record[at + r6], record[at + r7]);
    step(k, ha, hb);
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
  // the new states go to the next step's slots (or the final ones), never to the h₋₁ read here
  for (var r = 0u; r < 4u; r++) {
    finish_row(row0 + r, j, vec4<f32>(g0_lo[r], g1_lo[r], g2_lo[r], g3_lo[r]) + bias);
    finish_row(row0 + 4u + r, j, vec4<f32>(g0_hi[r], g1_hi[r], g2_hi[r], g3_hi[r]) + bias);
  }
}

// The gate math of unit j of batch row b from its recurrent products inner (one gate a component).
fn finish_row(b: u32, j: u32, inner: vec4<f32>) {
  if (b >= params.batch) { return; }
  let U = params.units;
  let T = params.steps;
  let s = params.step;
  let t = time_of(s);
  let last = s + 1u == T;
  let t_next = time_of(min(s + 1u, T - 1u));
  let width = gate_count() * U;
  let x = (b * T + t) * width + j;
  let gate = params.gates + (b * T + t) * params.gate_blocks * U + j;
  let h_prev = record[params.h_prev + (b * T + t) * U + j];
  let keep = params.has_mask == 0u || mask[b * T + t] != 0.0;
  let a = params.activation;
  let ra = params.recurrent_activation;
  var h = h_prev;
  if (CELL == OP_CELL_SIMPLE_RNN) {
    h = activate(projected[x] + inner.x, a);
    record[gate] = h;
  } else if (CELL == OP_CELL_LSTM) {
    let c_prev = record[params.c_prev + (b * T + t) * U + j];
    let i = activate(projected[x] + inner.x, ra);
    let f = activate(projected[x + U] + inner.y, ra);
    let g = activate(projected[x + 2u * U] + inner.z, a);
    let o = activate(projected[x + 3u * U] + inner.w, ra);
    let c = select(c_prev, f * c_prev + i * g, keep);
    h = o * activate(c, a);
    record[gate] = i;
    record[gate + U] = f;
    record[gate + 2u * U] = g;
    record[gate + 3u * U] = o;
    record[select(params.c_prev + (b * T + t_next) * U + j, params.c_final + b * U + j, last)] = c;
  } else if (CELL == OP_CELL_GRU) {
    let z = activate(projected[x] + inner.x, ra);
    let r = activate(projected[x + U] + inner.y, ra);
    let candidate = activate(projected[x + 2u * U] + r * inner.z, a);
    h = candidate + z * (h_prev - candidate);
    record[gate] = z;
    record[gate + U] = r;
    record[gate + 2u * U] = candidate;
    record[gate + 3u * U] = inner.z;
  } else {
    h = poison();
  }
  let state = select(h_prev, h, keep);
  record[params.h_out + (b * T + s) * U + j] = state;
  record[select(params.h_prev + (b * T + t_next) * U + j, params.h_final + b * U + j, last)] = state;
}

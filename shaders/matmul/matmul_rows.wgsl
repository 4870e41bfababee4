// matmul_rows: the same product and epilogue as matmul.wgsl — out[z] = act(op(a[z]) · op(b[z]) + bias)
// — with no workgroup memory and no barriers, for adapters that run invocations as SIMD lanes on a
// CPU (lavapipe/llvmpipe, SwiftShader), where workgroup memory and barriers are costly and plain
// loads hit the CPU caches. Each workgroup owns TM rows of out, the same for all its invocations (so
// their a loads have one address across the workgroup), and each invocation owns TN columns of them,
// WG_SIZE apart so neighbouring lanes read neighbouring b elements: per step along K, TM + TN loads
// feed TM·TN fused multiply-adds held in eight vec4 registers. On lavapipe it runs ~3× the tiled
// kernel per CPU second; the a loads are still two thirds of its time (bench/RESULTS.md).
//
// Bindings: 0 a (read), 1 b (read), 2 bias (read, [N]; any buffer when has_bias = 0), 3 out
// (read_write), 4 params (uniform). Layouts and params as matmul.wgsl.
// Tiling: workgroup_id.x over blocks of WG_SIZE·TN columns, .y over blocks of TM rows, .z over the
// batch. Loads past the edges read the last row/column (clamped, so the loop has no branches) and
// their results are never stored.

override WG_SIZE: u32 = 64u;

const TM: u32 = 8u;
const TN: u32 = 4u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  trans_a: u32,
  trans_b: u32,
  a_batch_stride: u32,
  b_batch_stride: u32,
  has_bias: u32,
  activation: u32, // ACT_* (prelude.wgsl)
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn epilogue(v: f32, col: u32) -> f32 {
  var z = v;
  if (params.has_bias != 0u) { z += bias[col]; }
  return activate(z, params.activation);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = wid.y * TM;
  let col0 = wid.x * WG_SIZE * TN + lid.x;
  let trans_a = params.trans_a != 0u;
  let trans_b = params.trans_b != 0u;

  // Where each of the TM rows of a and TN columns of b starts, and how far one step along K moves
  // it; written out by hand (no private arrays), so every value stays in a register.
  let a_base = wid.z * params.a_batch_stride;
  let a_step = select(1u, M, trans_a);
  let a_row = select(K, 1u, trans_a);
  var a_at = a_base + min(row0, M - 1u) * a_row;
  let r1 = min(row0 + 1u, M - 1u) * a_row - min(row0, M - 1u) * a_row; // row strides, 0 past the edge
  let r2 = min(row0 + 2u, M - 1u) * a_row - min(row0, M - 1u) * a_row;
  let r3 = min(row0 + 3u, M - 1u) * a_row - min(row0, M - 1u) * a_row;
  let r4 = min(row0 + 4u, M - 1u) * a_row - min(row0, M - 1u) * a_row;
  let r5 = min(row0 + 5u, M - 1u) * a_row - min(row0, M - 1u) * a_row;
  let r6 = min(row0 + 6u, M - 1u) * a_row - min(row0, M - 1u) * a_row;
  let r7 = min(row0 + 7u, M - 1u) * a_row - min(row0, M - 1u) * a_row;
  let b_base = wid.z * params.b_batch_stride;
  let b_step = select(N, 1u, trans_b);
  let b_col = select(1u, K, trans_b);
  var b0 = b_base + min(col0, N - 1u) * b_col;
  var b1 = b_base + min(col0 + WG_SIZE, N - 1u) * b_col;
  var b2 = b_base + min(col0 + 2u * WG_SIZE, N - 1u) * b_col;
  var b3 = b_base + min(col0 + 3u * WG_SIZE, N - 1u) * b_col;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var k = 0u; k < K; k++) {
    let bv = vec4<f32>(b[b0], b[b1], b[b2], b[b3]);
    acc0 = fma(vec4<f32>(a[a_at]), bv, acc0);
    acc1 = fma(vec4<f32>(a[a_at + r1]), bv, acc1);
    acc2 = fma(vec4<f32>(a[a_at + r2]), bv, acc2);
    acc3 = fma(vec4<f32>(a[a_at + r3]), bv, acc3);
    acc4 = fma(vec4<f32>(a[a_at + r4]), bv, acc4);
    acc5 = fma(vec4<f32>(a[a_at + r5]), bv, acc5);
    acc6 = fma(vec4<f32>(a[a_at + r6]), bv, acc6);
    acc7 = fma(vec4<f32>(a[a_at + r7]), bv, acc7);
    a_at += a_step;
    b0 += b_step;
    b1 += b_step;
    b2 += b_step;
    b3 += b_step;
  }

  let out_base = wid.z * M * N;
  store_row(out_base, row0, col0, acc0);
  store_row(out_base, row0 + 1u, col0, acc1);
  store_row(out_base, row0 + 2u, col0, acc2);
  store_row(out_base, row0 + 3u, col0, acc3);
  store_row(out_base, row0 + 4u, col0, acc4);
  store_row(out_base, row0 + 5u, col0, acc5);
  store_row(out_base, row0 + 6u, col0, acc6);
  store_row(out_base, row0 + 7u, col0, acc7);
}

// Writes one row's TN results (columns col0 + WG_SIZE·j), skipping those past the edges.
fn store_row(out_base: u32, row: u32, col0: u32, v: vec4<f32>) {
  if (row >= params.M) { return; }
  for (var j = 0u; j < TN; j++) {
    let col = col0 + WG_SIZE * j;
    if (col < params.N) { out[out_base + row * params.N + col] = epilogue(v[j], col); }
  }
}

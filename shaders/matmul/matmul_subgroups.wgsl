// matmul_subgroups: the same product and epilogue as matmul.wgsl — out[z] = act(op(a[z]) · op(b[z]) + bias)
// — sharing a through the subgroup instead of workgroup memory: no barriers. As in matmul_rows, a
// workgroup owns a block of rows and each invocation TN columns WG_SIZE apart; but instead of every
// lane loading the same a element on every step along K, lane l loads a's elements k0 + l of its rows
// for a chunk of CHUNK steps and subgroupBroadcast hands lane j's value to all lanes on step k0 + j.
// On lavapipe a subgroup is one SIMD register of 8 lanes and a broadcast is a register shuffle, so a
// is read with one load per lane per chunk instead of one per lane per step.
//
// Bindings: 0 a (read), 1 b (read), 2 bias (read, [N]; any buffer when has_bias = 0), 3 out
// (read_write), 4 params (uniform). Layouts and params as matmul.wgsl.
// Tiling: workgroup_id.x over blocks of 4·ROW_BLOCKS rows, .y over blocks of WG_SIZE·TN columns, .z
// over the batch. Rows run fastest so that workgroups run one after another share their strip of b
// (K × WG_SIZE·TN floats, 2 MB at K = 2048): with columns fastest each block of rows streamed all
// of b again, and on lavapipe at 2048³ this kernel fell ~1.5× behind matmul_rows. Each invocation
// keeps one mat4x4 accumulator per block of 4 rows (its column j: out's column col0 + WG_SIZE·j
// over the 4 rows). K runs in chunks of CHUNK through the broadcasts, the remainder (K mod CHUNK)
// with direct loads. Loads past the edges read the last row/column (clamped, so every lane takes
// part in every broadcast) and their results are never stored.
// Needs subgroups of at least CHUNK lanes, and M ≤ 65535·4·ROW_BLOCKS (ops/matmul.ts checks both).

enable subgroups;

override WG_SIZE: u32 = 64u;
// Blocks of 4 rows per invocation (1–4): more reuse of each b load against more registers.
override ROW_BLOCKS: u32 = 2u;

const TN: u32 = 4u;
// Steps along K per round of broadcasts: the lanes that load a (subgroupBroadcast needs constant lanes).
const CHUNK: u32 = 8u;

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

var<private> acc0: mat4x4<f32>;
var<private> acc1: mat4x4<f32>;
var<private> acc2: mat4x4<f32>;
var<private> acc3: mat4x4<f32>;
// Offsets of b's TN columns and how far one step along K moves them.
var<private> b_cols: vec4<u32>;
var<private> b_step: u32;

fn epilogue(v: f32, col: u32) -> f32 {
  var z = v;
  if (params.has_bias != 0u) { z += bias[col]; }
  return activate(z, params.activation);
}

// a's elements at offset `at` past each of 4 rows' starts.
fn load_a4(rows: vec4<u32>, at: u32) -> vec4<f32> {
  return vec4<f32>(a[rows.x + at], a[rows.y + at], a[rows.z + at], a[rows.w + at]);
}

// acc += av ⊗ bv: 4 rows × TN columns of fused multiply-adds.
fn outer(acc: ptr<private, mat4x4<f32>>, av: vec4<f32>, bv: vec4<f32>) {
  (*acc)[0] = fma(av, vec4<f32>(bv.x), (*acc)[0]);
  (*acc)[1] = fma(av, vec4<f32>(bv.y), (*acc)[1]);
  (*acc)[2] = fma(av, vec4<f32>(bv.z), (*acc)[2]);
  (*acc)[3] = fma(av, vec4<f32>(bv.w), (*acc)[3]);
}

// One step along K (row k of op(b)) against each block's 4 a values for that step.
fn step(k: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) {
  let at = b_cols + vec4<u32>(k * b_step);
  let bv = vec4<f32>(b[at.x], b[at.y], b[at.z], b[at.w]);
  outer(&acc0, a0, bv);
  if (ROW_BLOCKS > 1u) { outer(&acc1, a1, bv); }
  if (ROW_BLOCKS > 2u) { outer(&acc2, a2, bv); }
  if (ROW_BLOCKS > 3u) { outer(&acc3, a3, bv); }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = wid.x * 4u * ROW_BLOCKS;
  let col0 = wid.y * WG_SIZE * TN + lid.x;
  let trans_a = params.trans_a != 0u;
  let trans_b = params.trans_b != 0u;

  // Where each row of a starts (clamped to the last row), one vec4 per block; a step along K moves by a_step.
  let a_base = wid.z * params.a_batch_stride;
  let a_step = select(1u, M, trans_a);
  let a_row = select(K, 1u, trans_a);
  let r = vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u);
  let last = vec4<u32>(M - 1u);
  let rows0 = a_base + min(r, last) * a_row;
  let rows1 = a_base + min(r + 4u, last) * a_row;
  let rows2 = a_base + min(r + 8u, last) * a_row;
  let rows3 = a_base + min(r + 12u, last) * a_row;
  let cols = min(vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u) * WG_SIZE, vec4<u32>(N - 1u));
  b_cols = wid.z * params.b_batch_stride + cols * select(1u, K, trans_b);
  b_step = select(N, 1u, trans_b);

  // Lane l reads step k0 + l of the chunk; lanes past CHUNK (wider subgroups) repeat the first CHUNK.
  let lane_at = (lane % CHUNK) * a_step;
  let full = K - K % CHUNK;
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < full; k0 += CHUNK) {
    let at = k0 * a_step + lane_at;
    let a0 = load_a4(rows0, at);
    if (ROW_BLOCKS > 1u) { a1 = load_a4(rows1, at); }
    if (ROW_BLOCKS > 2u) { a2 = load_a4(rows2, at); }
    if (ROW_BLOCKS > 3u) { a3 = load_a4(rows3, at); }
    step(k0, subgroupBroadcast(a0, 0u), subgroupBroadcast(a1, 0u), subgroupBroadcast(a2, 0u), subgroupBroadcast(a3, 0u));
    step(k0 + 1u, subgroupBroadcast(a0, 1u), subgroupBroadcast(a1, 1u), subgroupBroadcast(a2, 1u), subgroupBroadcast(a3, 1u));
    step(k0 + 2u, subgroupBroadcast(a0, 2u), subgroupBroadcast(a1, 2u), subgroupBroadcast(a2, 2u), subgroupBroadcast(a3, 2u));
    step(k0 + 3u, subgroupBroadcast(a0, 3u), subgroupBroadcast(a1, 3u), subgroupBroadcast(a2, 3u), subgroupBroadcast(a3, 3u));
    step(k0 + 4u, subgroupBroadcast(a0, 4u), subgroupBroadcast(a1, 4u), subgroupBroadcast(a2, 4u), subgroupBroadcast(a3, 4u));
    step(k0 + 5u, subgroupBroadcast(a0, 5u), subgroupBroadcast(a1, 5u), subgroupBroadcast(a2, 5u), subgroupBroadcast(a3, 5u));
    step(k0 + 6u, subgroupBroadcast(a0, 6u), subgroupBroadcast(a1, 6u), subgroupBroadcast(a2, 6u), subgroupBroadcast(a3, 6u));
    step(k0 + 7u, subgroupBroadcast(a0, 7u), subgroupBroadcast(a1, 7u), subgroupBroadcast(a2, 7u), subgroupBroadcast(a3, 7u));
  }
  // The last K mod CHUNK steps: every lane loads the same a elements.
  for (var k = full; k < K; k++) {
    let at = k * a_step;
    if (ROW_BLOCKS > 1u) { a1 = load_a4(rows1, at); }
    if (ROW_BLOCKS > 2u) { a2 = load_a4(rows2, at); }
    if (ROW_BLOCKS > 3u) { a3 = load_a4(rows3, at); }
    step(k, load_a4(rows0, at), a1, a2, a3);
  }

  let out_base = wid.z * M * N;
  store_block(out_base, row0, col0, acc0);
  if (ROW_BLOCKS > 1u) { store_block(out_base, row0 + 4u, col0, acc1); }
  if (ROW_BLOCKS > 2u) { store_block(out_base, row0 + 8u, col0, acc2); }
  if (ROW_BLOCKS > 3u) { store_block(out_base, row0 + 12u, col0, acc3); }
}

// Writes one block's 4 rows × TN columns (columns col0 + WG_SIZE·j), skipping those past the edges.
fn store_block(out_base: u32, row0: u32, col0: u32, acc: mat4x4<f32>) {
  for (var j = 0u; j < TN; j++) {
    let col = col0 + WG_SIZE * j;
    if (col >= params.N) { continue; }
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row < params.M) { out[out_base + row * params.N + col] = epilogue(acc[j][i], col); }
    }
  }
}

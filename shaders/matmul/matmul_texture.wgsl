// matmul_texture: the same product and epilogue as matmul.wgsl — out[z] = act(op(a[z]) · op(b[z]) + bias)
// — with op(b) read from an rgba32float texture that pack_b_texture.wgsl filled (texel (n4, z·K + k)
// = op(b[z])[k, 4·n4 .. 4·n4 + 3]). It is matmul_subgroups with 4 blocks of 4 rows an invocation, except
// that each invocation's 4 columns are neighbours and one texel load fetches them. Why a texture: on
// CPU adapters (lavapipe/llvmpipe) a storage-buffer load is a loop over the SIMD lanes with a bounds
// check and a branch per lane, ~10 instructions a float, while a texel fetch is a branch-free gather
// of all lanes (bounds checks as selects): b's loads, most of the GEMM's time, cost about half as
// much, and on lavapipe this kernel runs ~2× matmul_subgroups from 512³ to 2048³ (bench/RESULTS.md).
// As in matmul_subgroups, a is shared through the subgroup: lane l loads step k0 + l of a chunk of
// CHUNK steps along K and subgroupBroadcast hands lane j's value to all lanes on step k0 + j.
//
// Bindings: 0 a (read), 1 b (texture_2d<f32>, packed as above), 2 bias (read, [N]; any buffer when
// has_bias = 0), 3 out (read_write), 4 params (uniform). a's layout and the params as matmul.wgsl
// (trans_b and b_batch_stride are pack_b_texture's business; b_batch_stride here is K, or 0 when
// one b serves the whole batch).
// Tiling: workgroup_id.x over blocks of 16 rows, .y over blocks of WG_SIZE·4 columns, .z over the
// batch. K runs in chunks of CHUNK through the broadcasts, the remainder (K mod CHUNK) with direct
// loads. Loads of a past the last row read the last row (clamped, so every lane takes part in every
// broadcast), texels past the last column hold zeros, and neither is ever stored. Needs subgroups of
// at least CHUNK lanes, M ≤ 65535·16, and a texture of batch·K rows (ops/matmul.ts checks all three).

enable subgroups;

override WG_SIZE: u32 = 64u;

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
@group(0) @binding(1) var b: texture_2d<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// Row i of the 16 rows' accumulators: out's columns col .. col + 3.
var<private> acc: array<vec4<f32>, 16>;
var<private> b_row0: u32;
var<private> b_col: u32;

// a's elements at offset `at` past each of 4 rows' starts.
fn load_a4(rows: vec4<u32>, at: u32) -> vec4<f32> {
  return vec4<f32>(a[rows.x + at], a[rows.y + at], a[rows.z + at], a[rows.w + at]);
}

// One step along K (row k of op(b)) against the 16 rows' a values for that step.
fn step(k: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) {
  let bv = textureLoad(b, vec2<u32>(b_col, b_row0 + k), 0);
  acc[0] = fma(vec4<f32>(a0.x), bv, acc[0]);
  acc[1] = fma(vec4<f32>(a0.y), bv, acc[1]);
  acc[2] = fma(vec4<f32>(a0.z), bv, acc[2]);
  acc[3] = fma(vec4<f32>(a0.w), bv, acc[3]);
  acc[4] = fma(vec4<f32>(a1.x), bv, acc[4]);
  acc[5] = fma(vec4<f32>(a1.y), bv, acc[5]);
  acc[6] = fma(vec4<f32>(a1.z), bv, acc[6]);
  acc[7] = fma(vec4<f32>(a1.w), bv, acc[7]);
  acc[8] = fma(vec4<f32>(a2.x), bv, acc[8]);
  acc[9] = fma(vec4<f32>(a2.y), bv, acc[9]);
  acc[10] = fma(vec4<f32>(a2.z), bv, acc[10]);
  acc[11] = fma(vec4<f32>(a2.w), bv, acc[11]);
  acc[12] = fma(vec4<f32>(a3.x), bv, acc[12]);
  acc[13] = fma(vec4<f32>(a3.y), bv, acc[13]);
  acc[14] = fma(vec4<f32>(a3.z), bv, acc[14]);
  acc[15] = fma(vec4<f32>(a3.w), bv, acc[15]);
}

fn epilogue(v: f32, col: u32) -> f32 {
  var z = v;
  if (params.has_bias != 0u) { z += bias[col]; }
  return activate(z, params.activation);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = wid.x * 16u;
  let col4 = wid.y * WG_SIZE + lid.x;
  let width = (N + 3u) / 4u;
  b_col = min(col4, width - 1u); // past the edge: read the last texel, store nothing
  b_row0 = wid.z * params.b_batch_stride;

  // Where each row of a starts (clamped to the last row), one vec4 per block; a step along K moves by a_step.
  let trans_a = params.trans_a != 0u;
  let a_base = wid.z * params.a_batch_stride;
  let a_step = select(1u, M, trans_a);
  let a_row = select(K, 1u, trans_a);
  let r = vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u);
  let last = vec4<u32>(M - 1u);
  let rows0 = a_base + min(r, last) * a_row;
  let rows1 = a_base + min(r + 4u, last) * a_row;
  let rows2 = a_base + min(r + 8u, last) * a_row;
  let rows3 = a_base + min(r + 12u, last) * a_row;

  // Lane l reads step k0 + l of the chunk; lanes past CHUNK (wider subgroups) repeat the first CHUNK.
  let lane_at = (lane % CHUNK) * a_step;
  let full = K - K % CHUNK;
  for (var k0 = 0u; k0 < full; k0 += CHUNK) {
    let at = k0 * a_step + lane_at;
    let a0 = load_a4(rows0, at);
    let a1 = load_a4(rows1, at);
    let a2 = load_a4(rows2, at);
    let a3 = load_a4(rows3, at);
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
    step(k, load_a4(rows0, at), load_a4(rows1, at), load_a4(rows2, at), load_a4(rows3, at));
  }

  if (col4 >= width) { return; }
  let out_base = wid.z * M * N;
  for (var i = 0u; i < 16u; i++) {
    let row = row0 + i;
    if (row >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = 4u * col4 + j;
      if (col < N) { out[out_base + row * N + col] = epilogue(acc[i][j], col); }
    }
  }
}

// pack_b_texture: lays out a matmul's right operand for matmul_texture. Texel (n4, z·K + k) of the
// rgba32float texture holds op(b[z])[k, 4·n4 .. 4·n4 + 3], where op transposes when params.trans_b is
// set (b stored [batch, K, N], or [batch, N, K] transposed), with zeros past column N - 1. The
// texture is ceil(N/4) texels wide and batch·K tall.
//
// Bindings: 0 b (read), 1 packed (write-only storage texture), 2 params (uniform).
// Tiling: one invocation a texel, workgroups of 64 covering 2^params.lanes_log2 texels (at most 64) of
// each of 64 / 2^lanes_log2 rows: workgroup_id.x over blocks of texels along a row, .y over blocks of
// rows, .z over the batch. Shifts and masks, no division (on CPU adapters a division costs more than
// the copy), and a narrow b (N = 10: 3 texels a row) still fills its lanes. The width is a param, not
// an override, so one pipeline packs every b (on lavapipe each pipeline costs ~1-2 MB).

struct Params {
  K: u32,
  N: u32,
  trans_b: u32,
  batch_stride: u32,
  lanes_log2: u32, // texels of a row per workgroup: 2^lanes_log2
}

@group(0) @binding(0) var<storage, read> b: array<f32>;
@group(0) @binding(1) var packed: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let shift = params.lanes_log2;
  let n4 = (wid.x << shift) + (lane & ((1u << shift) - 1u));
  let k = (wid.y << (6u - shift)) + (lane >> shift);
  let z = wid.z;
  if (4u * n4 >= params.N || k >= params.K) { return; }
  let base = z * params.batch_stride;
  // where op(b)[k, n] is, and how far the next column is
  let at = base + select(k * params.N, k, params.trans_b != 0u) + 4u * n4 * select(1u, params.K, params.trans_b != 0u);
  let step = select(1u, params.K, params.trans_b != 0u);
  // columns past N - 1 read the last one (so no load needs a branch) and store zeros
  let last = params.N - 1u - 4u * n4;
  let v = vec4<f32>(b[at], b[at + min(1u, last) * step], b[at + min(2u, last) * step], b[at + min(3u, last) * step]);
  textureStore(packed, vec2<u32>(n4, z * params.K + k), select(vec4<f32>(0.0), v, vec4<u32>(0u, 1u, 2u, 3u) <= vec4<u32>(last)));
}

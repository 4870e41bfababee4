// pack_b_texture: lays out a matmul's right operand for matmul_texture. Texel (n4, z·K + k) of the
// rgba32float texture holds op(b[z])[k, 4·n4 .. 4·n4 + 3], where op transposes when params.trans_b is
// set (b stored [batch, K, N], or [batch, N, K] transposed), with zeros past column N - 1. The
// texture is ceil(N/4) texels wide and batch·K tall.
//
// Bindings: 0 b (read), 1 packed (write-only storage texture), 2 params (uniform).
// Tiling: one invocation a texel, workgroups of 64 over the texels in row-major order (the grid's x
// axis wraps into y past 65535 workgroups).

struct Params {
  K: u32,
  N: u32,
  trans_b: u32,
  batch_stride: u32,
  texels: u32,
}

@group(0) @binding(0) var<storage, read> b: array<f32>;
@group(0) @binding(1) var packed: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let texel = gid.x + gid.y * groups.x * 64u;
  if (texel >= params.texels) { return; }
  let width = (params.N + 3u) / 4u;
  let n4 = texel % width;
  let row = texel / width;
  let z = row / params.K;
  let k = row % params.K;
  let base = z * params.batch_stride;
  var v = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) {
    let n = 4u * n4 + i;
    if (n < params.N) {
      v[i] = select(b[base + k * params.N + n], b[base + n * params.K + k], params.trans_b != 0u);
    }
  }
  textureStore(packed, vec2<u32>(n4, row), v);
}

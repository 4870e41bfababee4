// matmul: out[z] = act(op(a[z]) · op(b[z]) + bias) for each batch z, where op transposes when
// params.trans_a / params.trans_b is set, and the epilogue (bias over columns when params.has_bias,
// then params.activation) is applied to the accumulators before the one write: a Dense layer's forward
// in one dispatch. The epilogue is set by params, not override constants, so one pipeline serves every
// layer: on lavapipe each pipeline costs ~2 MB, and an MLP's GEMMs compiled five. a is stored [batch_a, M, K] (or [batch_a, K, M] transposed), b [batch_b, K, N]
// (or [batch_b, N, K]); a batch of 1 is shared by all (params.a_batch_stride = 0).
//
// Bindings: 0 a (read), 1 b (read), 2 bias (read, [N]; any buffer when has_bias = 0), 3 out
// (read_write), 4 params (uniform).
// Tiling: a workgroup of 16×16 invocations computes a 64×64 tile of out (workgroup_id.x over N,
// .y over M, .z over the batch). Per step of 16 along K it stages a 64×16 tile of a and a 16×64
// tile of b in workgroup memory (zero-filled past the edges), then each invocation accumulates a
// 4×4 block in registers: rows ly + 16i, columns lx + 16j, so neighbouring invocations write
// neighbouring columns.


const TILE: u32 = 64u;
const TK: u32 = 16u;

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

var<workgroup> a_tile: array<array<f32, TILE>, TK>; // [k][m]
var<workgroup> b_tile: array<array<f32, TILE>, TK>; // [k][n]

fn epilogue(v: f32, col: u32) -> f32 {
  var z = v;
  if (params.has_bias != 0u) { z += bias[col]; }
  return activate(z, params.activation);
}

fn load_a(base: u32, m: u32, k: u32) -> f32 {
  if (m >= params.M || k >= params.K) { return 0.0; }
  if (params.trans_a != 0u) { return a[base + k * params.M + m]; }
  return a[base + m * params.K + k];
}

fn load_b(base: u32, k: u32, n: u32) -> f32 {
  if (k >= params.K || n >= params.N) { return 0.0; }
  if (params.trans_b != 0u) { return b[base + n * params.K + k]; }
  return b[base + k * params.N + n];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let a_base = wid.z * params.a_batch_stride;
  let b_base = wid.z * params.b_batch_stride;
  var acc: array<array<f32, 4>, 4>;

  for (var k0 = 0u; k0 < params.K; k0 += TK) {
    // 1024 elements per tile, 4 per invocation; the index runs fastest along the stored rows.
    for (var r = 0u; r < 4u; r++) {
      let e = t + r * 256u;
      if (params.trans_a != 0u) { a_tile[e / TILE][e % TILE] = load_a(a_base, row0 + e % TILE, k0 + e / TILE); }
      else { a_tile[e % TK][e / TK] = load_a(a_base, row0 + e / TK, k0 + e % TK); }
      if (params.trans_b != 0u) { b_tile[e % TK][e / TK] = load_b(b_base, k0 + e % TK, col0 + e / TK); }
      else { b_tile[e / TILE][e % TILE] = load_b(b_base, k0 + e / TILE, col0 + e % TILE); }
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { av[i] = a_tile[k][lid.y + 16u * i]; bv[i] = b_tile[k][lid.x + 16u * i]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }

  let out_base = wid.z * params.M * params.N;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y + 16u * i;
    if (row >= params.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x + 16u * j;
      if (col < params.N) { out[out_base + row * params.N + col] = epilogue(acc[i][j], col); }
    }
  }
}

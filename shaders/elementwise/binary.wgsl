// binary: out[i] = a[ia(i)] OP b[ib(i)] with NumPy broadcasting (OP override): add, sub, mul, div,
// pow (for a > 0, as WGSL's pow), maximum, minimum; comparisons give float32 1/0; SIGMOID_BCE is the
// binary cross-entropy of logits a against labels b, max(a,0) - a·b + log(1 + e^{-|a|}), stable for any a.
//
// Bindings: 0 a (read), 1 b (read), 2 out (read_write), 3 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y (flat_index).
// An input with its *_broadcast flag clear has the output's shape and is read at i; otherwise it
// is read through its strides (0 along broadcast axes) over params.out_shape.

const OP_ADD: u32 = 0u;
const OP_SUB: u32 = 1u;
const OP_MUL: u32 = 2u;
const OP_DIV: u32 = 3u;
const OP_POW: u32 = 4u;
const OP_MAXIMUM: u32 = 5u;
const OP_MINIMUM: u32 = 6u;
const OP_GREATER: u32 = 7u;
const OP_LESS: u32 = 8u;
const OP_EQUAL: u32 = 9u;
const OP_GREATER_EQUAL: u32 = 10u;
const OP_LESS_EQUAL: u32 = 11u;
const OP_SIGMOID_BCE: u32 = 12u;

override OP: u32;

struct Params {
  size: u32,
  rank: u32,
  a_broadcast: u32,
  b_broadcast: u32,
  out_shape: Dims,
  a_strides: Dims,
  b_strides: Dims,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn apply(u: f32, v: f32) -> f32 {
  if (OP == OP_ADD) { return u + v; }
  if (OP == OP_SUB) { return u - v; }
  if (OP == OP_MUL) { return u * v; }
  if (OP == OP_DIV) { return u / v; }
  if (OP == OP_POW) { return pow(u, v); }
  if (OP == OP_MAXIMUM) { return max(u, v); }
  if (OP == OP_MINIMUM) { return min(u, v); }
  if (OP == OP_GREATER) { return select(0.0, 1.0, u > v); }
  if (OP == OP_LESS) { return select(0.0, 1.0, u < v); }
  if (OP == OP_EQUAL) { return select(0.0, 1.0, u == v); }
  if (OP == OP_GREATER_EQUAL) { return select(0.0, 1.0, u >= v); }
  if (OP == OP_LESS_EQUAL) { return select(0.0, 1.0, u <= v); }
  if (OP == OP_SIGMOID_BCE) { return max(u, 0.0) - u * v + log(1.0 + exp(-abs(u))); }
  return poison();
}

// strided_offset without the outermost axis's remainder (i is below the output's size) and with one
// division per other axis: the host merges axes first, so a batch norm's operands have rank 2 here.
fn broadcast_offset(i: u32, strides: Dims) -> u32 {
  var rest = i;
  var offset = 0u;
  for (var d = params.rank - 1u; d > 0u; d--) {
    let size = dim_at(params.out_shape, d);
    let outer = rest / size;
    offset += (rest - outer * size) * dim_at(strides, d);
    rest = outer;
  }
  return offset + rest * dim_at(strides, 0u);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  var ai = i;
  var bi = i;
  if (params.a_broadcast != 0u) { ai = broadcast_offset(i, params.a_strides); }
  if (params.b_broadcast != 0u) { bi = broadcast_offset(i, params.b_strides); }
  out[i] = apply(a[ai], b[bi]);
}

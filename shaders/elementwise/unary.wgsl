// unary: out[i] = f(x[offset(i)]) for f chosen by the OP override (params.alpha for leakyRelu and
// elu). (broadcastTo is the copy kernel's, with stride 0 along broadcast axes.)
//
// Bindings: 0 x (read), 1 out (read_write), 2 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y (flat_index).
// x is read contiguously unless params.x_broadcast is set, then through params.x_strides over
// params.out_shape (rank params.rank).

const OP_NEG: u32 = 0u;
const OP_EXP: u32 = 1u;
const OP_LOG: u32 = 2u;
const OP_RELU: u32 = 3u;
const OP_SIGMOID: u32 = 4u;
const OP_TANH: u32 = 5u;
const OP_ABS: u32 = 7u;
const OP_SQRT: u32 = 8u;
const OP_RSQRT: u32 = 9u;
const OP_SQUARE: u32 = 10u;
const OP_RECIPROCAL: u32 = 11u;
const OP_LEAKY_RELU: u32 = 12u;
const OP_ELU: u32 = 13u;
const OP_SELU: u32 = 14u;
const OP_SOFTPLUS: u32 = 15u;
const OP_GELU: u32 = 16u;
const OP_IS_FINITE: u32 = 17u;

override OP: u32;

struct Params {
  size: u32,
  rank: u32,
  x_broadcast: u32,
  alpha: f32,
  out_shape: Dims,
  x_strides: Dims,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn apply(v: f32) -> f32 {
  if (OP == OP_NEG) { return -v; }
  if (OP == OP_EXP) { return exp(v); }
  if (OP == OP_LOG) { return log(v); }
  if (OP == OP_RELU) { return max(v, 0.0); }
  // 1 / (1 + e^-v) overflows gracefully: e^-v = inf gives 0.
  if (OP == OP_SIGMOID) { return 1.0 / (1.0 + exp(-v)); }
  // tanh from e^{-2|v|} <= 1, so large |v| gives ±1 instead of inf/inf = NaN.
  if (OP == OP_TANH) { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }
  if (OP == OP_ABS) { return abs(v); }
  if (OP == OP_SQRT) { return sqrt(v); }
  if (OP == OP_RSQRT) { return inverseSqrt(v); }
  if (OP == OP_SQUARE) { return v * v; }
  if (OP == OP_RECIPROCAL) { return 1.0 / v; }
  if (OP == OP_LEAKY_RELU) { return select(params.alpha * v, v, v > 0.0); }
  if (OP == OP_ELU) { return select(params.alpha * (exp(v) - 1.0), v, v > 0.0); }
  if (OP == OP_SELU) { return SELU_SCALE * select(SELU_ALPHA * (exp(v) - 1.0), v, v > 0.0); }
  // max(v, 0) + log(1 + e^{-|v|}): never overflows
  if (OP == OP_SOFTPLUS) { return max(v, 0.0) + log(1.0 + exp(-abs(v))); }
  if (OP == OP_GELU) { return v * normal_cdf(v); }
  // from the bits (an all-ones exponent is NaN or ±∞): WGSL lets compilers assume no NaN in arithmetic
  if (OP == OP_IS_FINITE) { return select(1.0, 0.0, (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u); }
  return poison();
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  var xi = i;
  if (params.x_broadcast != 0u) { xi = strided_offset(i, params.rank, params.out_shape, params.x_strides); }
  out[i] = apply(x[xi]);
}

// unary_grad: the fused derivative of a unary op, dx[i] = dy[i] * f'(x[i]), written from whichever
// of x and y = f(x) is cheaper (OP override): relu 1[x > 0], sigmoid y(1 - y), tanh 1 - y²,
// abs sign(x), sqrt 1/(2y), rsqrt -y³/2, square 2x, reciprocal -y², leakyRelu 1 or α, elu 1 or y + α,
// selu λ or y + λα, softplus σ(x), gelu Φ(x) + xφ(x). SIGMOID_BCE is the gradient of the binary
// cross-entropy from logits x with labels z passed as y: σ(x) - z.
//
// Bindings: 0 x (read), 1 y (read), 2 dy (read), 3 dx (read_write), 4 params (uniform).
// Mapping: one invocation per element, 256 per workgroup, grid wrapped into y (flat_index).

const OP_RELU: u32 = 0u;
const OP_SIGMOID: u32 = 1u;
const OP_TANH: u32 = 2u;
const OP_ABS: u32 = 3u;
const OP_SQRT: u32 = 4u;
const OP_RSQRT: u32 = 5u;
const OP_SQUARE: u32 = 6u;
const OP_RECIPROCAL: u32 = 7u;
const OP_LEAKY_RELU: u32 = 8u;
const OP_ELU: u32 = 9u;
const OP_SELU: u32 = 10u;
const OP_SOFTPLUS: u32 = 11u;
const OP_GELU: u32 = 12u;
const OP_SIGMOID_BCE: u32 = 13u;

override OP: u32;

struct Params {
  size: u32,
  alpha: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  dx[i] = dy[i] * derivative(x[i], y[i]);
}

fn derivative(v: f32, w: f32) -> f32 {
  if (OP == OP_RELU) { return select(0.0, 1.0, v > 0.0); }
  if (OP == OP_SIGMOID) { return w * (1.0 - w); }
  if (OP == OP_TANH) { return 1.0 - w * w; }
  if (OP == OP_ABS) { return sign(v); }
  if (OP == OP_SQRT) { return 0.5 / w; }
  if (OP == OP_RSQRT) { return -0.5 * w * w * w; }
  if (OP == OP_SQUARE) { return 2.0 * v; }
  if (OP == OP_RECIPROCAL) { return -w * w; }
  if (OP == OP_LEAKY_RELU) { return select(params.alpha, 1.0, v > 0.0); }
  if (OP == OP_ELU) { return select(w + params.alpha, 1.0, v > 0.0); }
  if (OP == OP_SELU) { return select(w + SELU_SCALE * SELU_ALPHA, SELU_SCALE, v > 0.0); }
  if (OP == OP_SOFTPLUS) { return 1.0 / (1.0 + exp(-v)); }
  if (OP == OP_GELU) { return normal_cdf(v) + v * normal_pdf(v); }
  // SIGMOID_BCE: σ(x) - z
  if (OP == OP_SIGMOID_BCE) { return 1.0 / (1.0 + exp(-v)) - w; }
  return poison();
}

// unary_grad: the fused derivative of a unary op, dx[i] = dy[i] * f'(x[i]), written from whichever
// of x and y = f(x) is cheaper (OP override): relu 1[x > 0], sigmoid y(1 - y), tanh 1 - y².
//
// Bindings: 0 x (read), 1 y (read), 2 dy (read), 3 dx (read_write), 4 params (uniform).
// Mapping: one invocation per element, 256 per workgroup, grid wrapped into y (flat_index).

const OP_RELU: u32 = 0u;
const OP_SIGMOID: u32 = 1u;
const OP_TANH: u32 = 2u;

override OP: u32;

struct Params {
  size: u32,
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
  if (OP == OP_RELU) { dx[i] = select(0.0, dy[i], x[i] > 0.0); }
  if (OP == OP_SIGMOID) { let s = y[i]; dx[i] = dy[i] * s * (1.0 - s); }
  if (OP == OP_TANH) { let t = y[i]; dx[i] = dy[i] * (1.0 - t * t); }
}

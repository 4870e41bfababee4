// binary_vec4: out = a OP b for float32 operands four elements at a time: the ops and OP codes of
// binary.wgsl (its header gives their meaning), each written with the same formula on vec4s so
// results match it element for element. Each operand has the output's shape, or is one row repeated
// down an output of rows whose length is a multiple of 4 (a batch norm's per-channel statistics
// against its [N·H·W, C] input): *_cols is then the row's length in vec4s, else 0. ops/elementwise.ts
// picks this kernel for those two cases alone.
//
// Bindings: 0 a (read), 1 b (read), 2 out (read_write), 3 params (uniform).
// Mapping: one invocation per vec4 (params.size counts vec4s), 256 per workgroup, grid wrapped into
// y (flat_index). A 16-byte load per operand per invocation instead of four 4-byte ones, and a
// row's index is one remainder per four elements.

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
  a_cols: u32,
  b_cols: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

fn apply(u: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  let one = vec4<f32>(1.0);
  let zero = vec4<f32>(0.0);
  if (OP == OP_ADD) { return u + v; }
  if (OP == OP_SUB) { return u - v; }
  if (OP == OP_MUL) { return u * v; }
  if (OP == OP_DIV) { return u / v; }
  if (OP == OP_POW) { return pow(u, v); }
  if (OP == OP_MAXIMUM) { return max(u, v); }
  if (OP == OP_MINIMUM) { return min(u, v); }
  if (OP == OP_GREATER) { return select(zero, one, u > v); }
  if (OP == OP_LESS) { return select(zero, one, u < v); }
  if (OP == OP_EQUAL) { return select(zero, one, u == v); }
  if (OP == OP_GREATER_EQUAL) { return select(zero, one, u >= v); }
  if (OP == OP_LESS_EQUAL) { return select(zero, one, u <= v); }
  if (OP == OP_SIGMOID_BCE) { return max(u, zero) - u * v + log(one + exp(-abs(u))); }
  return vec4<f32>(poison());
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  var ai = i;
  var bi = i;
  if (params.a_cols != 0u) { ai = i % params.a_cols; }
  if (params.b_cols != 0u) { bi = i % params.b_cols; }
  out[i] = apply(a[ai], b[bi]);
}

// where: out[i] = condition[ic(i)] != 0 ? a[ia(i)] : b[ib(i)], all three broadcast to the output.
//
// Bindings: 0 condition (read; float32 or int32, tested as raw bits != 0 except -0.0), 1 a (read),
// 2 b (read), 3 out (read_write), 4 params (uniform).
// Mapping: one invocation per output element, 256 per workgroup, grid wrapped into y. Each input is
// read through its strides (0 along broadcast axes) over params.out_shape.

struct Params {
  size: u32,
  rank: u32,
  out_shape: Dims,
  c_strides: Dims,
  a_strides: Dims,
  b_strides: Dims,
}

@group(0) @binding(0) var<storage, read> condition: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = condition[strided_offset(i, params.rank, params.out_shape, params.c_strides)];
  let ai = strided_offset(i, params.rank, params.out_shape, params.a_strides);
  let bi = strided_offset(i, params.rank, params.out_shape, params.b_strides);
  // 0x80000000 is float -0.0, which is false like +0.0
  out[i] = select(b[bi], a[ai], (c & 0x7fffffffu) != 0u);
}

// copy: dst[dst_offset + Σ c_d·dst_strides_d] = src[src_offset + Σ c_d·src_strides_d] for every
// coordinate c of params.shape. With the right strides and offsets this one kernel is transpose
// (permuted source strides), slice (source offset), concat and pad (destination offset/strides,
// into an output already holding the other pieces or zeros).
//
// Bindings: 0 src (read), 1 dst (read_write), 2 params (uniform).
// Mapping: one invocation per element of params.shape, 256 per workgroup, grid wrapped into y.
// Elements are moved as raw 32-bit words, so it serves float32 and int32 alike.

struct Params {
  size: u32,
  rank: u32,
  src_offset: u32,
  dst_offset: u32,
  shape: Dims,
  src_strides: Dims,
  dst_strides: Dims,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let src_index = params.src_offset + strided_offset(i, params.rank, params.shape, params.src_strides);
  let dst_index = params.dst_offset + strided_offset(i, params.rank, params.shape, params.dst_strides);
  dst[dst_index] = src[src_index];
}

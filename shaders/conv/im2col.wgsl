// im2col: unrolls conv2d's input windows into rows of a patch matrix, so that a convolution becomes a
// GEMM: patches[m, k] with m = (n, oh, ow) and k = (kh, kw, c), row-major, holds
// x[n, oh·stride_h − pad_top + kh·dilation_h, ow·stride_w − pad_left + kw·dilation_w, c], or 0 where that
// lands in the padding. Then conv2d = patches · filter[KH·KW·C, CO] and its filter gradient = patchesᵀ · dy.
//
// Bindings: 0 x (read, [N, H, W, C]), 1 patches (read_write, [N·OH·OW, KH·KW·C]), 2 params (uniform).
// Mapping: one invocation per patch element (consecutive invocations read consecutive channels),
// 256 per workgroup, grid wrapped into y.

struct Params {
  size: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  dilation_h: u32, dilation_w: u32,
  pad_top: u32, pad_left: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> patches: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let row_length = params.KH * params.KW * params.C;
  let k = i % row_length;
  let m = i / row_length;
  let c = k % params.C;
  let kw = (k / params.C) % params.KW;
  let kh = k / (params.C * params.KW);
  let ow = m % params.OW;
  let oh = (m / params.OW) % params.OH;
  let n = m / (params.OW * params.OH);
  let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
  let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
  var value = 0.0;
  if (ih >= 0 && u32(ih) < params.H && iw >= 0 && u32(iw) < params.W) {
    value = x[((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C + c];
  }
  patches[i] = value;
}

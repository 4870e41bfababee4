// conv2d_filter_grad: the gradient of conv2d with respect to its filter,
// dfilter[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, ih, iw, ci] · dy[n, oh, ow, co] with ih = oh·stride_h −
// pad_top + kh·dilation_h (and likewise iw), skipping taps that fall in the padding. The batch is cut
// into `splits` chunks of `chunk` images; this kernel writes one partial sum per (chunk, filter
// element) and the backend sums the chunks with the reduce kernel. The loops run over n, oh, ow
// directly, so the inner loop does no integer division (costly on CPU-emulated GPUs).
//
// Bindings: 0 x (read, [N, H, W, C]), 1 dy (read, [N, OH, OW, CO]), 2 partial (read_write,
// [splits, KH·KW·C·CO]), 3 params (uniform, conv2d's members plus N, splits and chunk).
// Mapping: one invocation per (chunk, filter element), the element fastest (co fastest: neighbours
// read one x value and neighbouring dy values), 256 per workgroup, grid wrapped into y.

struct Params {
  size: u32,
  N: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32, CO: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  dilation_h: u32, dilation_w: u32,
  pad_top: u32, pad_left: u32,
  splits: u32,
  chunk: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size * params.splits) { return; }
  let f = i % params.size;
  let split = i / params.size;
  let co = f % params.CO;
  let ci = (f / params.CO) % params.C;
  let kw = (f / (params.CO * params.C)) % params.KW;
  let kh = f / (params.CO * params.C * params.KW);
  let first = split * params.chunk;
  let last = min(first + params.chunk, params.N);
  var acc = 0.0;
  for (var n = first; n < last; n++) {
    for (var oh = 0u; oh < params.OH; oh++) {
      let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
      if (ih < 0 || ih >= i32(params.H)) { continue; }
      let x_row = (n * params.H + u32(ih)) * params.W;
      let dy_row = (n * params.OH + oh) * params.OW;
      for (var ow = 0u; ow < params.OW; ow++) {
        let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
        if (iw < 0 || iw >= i32(params.W)) { continue; }
        acc = fma(x[(x_row + u32(iw)) * params.C + ci], dy[(dy_row + ow) * params.CO + co], acc);
      }
    }
  }
  partial[i] = acc;
}

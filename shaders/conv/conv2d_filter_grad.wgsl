// conv2d_filter_grad: the gradient of conv2d with respect to its filter,
// dfilter[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, ih, iw, ci] · dy[n, oh, ow, co] with ih = oh·stride_h −
// pad_top + kh·dilation_h (and likewise iw), skipping taps that fall in the padding.
//
// Bindings: 0 x (read, [N, H, W, C]), 1 dy (read, [N, OH, OW, CO]), 2 dfilter (read_write,
// [KH, KW, C, CO]), 3 params (uniform, conv2d's members plus N).
// Mapping: one workgroup of 64 invocations per filter element; the invocations stride over the
// N·OH·OW output positions and a tree in workgroup memory adds their partial sums.

struct Params {
  size: u32,
  N: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32, CO: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  dilation_h: u32, dilation_w: u32,
  pad_top: u32, pad_left: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dfilter: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let f = flat_workgroup(wid, nwg);
  if (f >= params.size) { return; }
  let co = f % params.CO;
  let ci = (f / params.CO) % params.C;
  let kw = (f / (params.CO * params.C)) % params.KW;
  let kh = f / (params.CO * params.C * params.KW);
  let positions = params.N * params.OH * params.OW;
  var acc = 0.0;
  for (var p = t; p < positions; p += WG) {
    let ow = p % params.OW;
    let oh = (p / params.OW) % params.OH;
    let n = p / (params.OW * params.OH);
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
    if (ih < 0 || ih >= i32(params.H) || iw < 0 || iw >= i32(params.W)) { continue; }
    acc = fma(x[((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C + ci], dy[p * params.CO + co], acc);
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { partial[t] += partial[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) { dfilter[f] = partial[0]; }
}

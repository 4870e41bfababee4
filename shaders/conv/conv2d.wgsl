// conv2d: out[n, oh, ow, co] = act(Σ_{kh, kw, ci} x[n, ih, iw, ci] · weights[kh, kw, ci, co] + bias[co])
// with ih = oh·stride_h − pad_top + kh·dilation_h (and likewise iw); positions outside x read as 0.
// NHWC tensors, HWIO filter. The epilogue (HAS_BIAS, ACTIVATION overrides) matches matmul's, so a
// Conv2D layer's forward pass is one dispatch.
//
// Bindings: 0 x (read), 1 weights (read), 2 bias (read, [CO]; any buffer when HAS_BIAS = 0),
// 3 out (read_write), 4 params (uniform).
// Mapping: one invocation per output element, co fastest (neighbours read one x value and
// neighbouring filter columns), 256 per workgroup, grid wrapped into y. Direct convolution: no im2col
// buffer; see ops/conv.ts for why.

const ACT_LINEAR: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_SIGMOID: u32 = 2u;
const ACT_TANH: u32 = 3u;

override HAS_BIAS: bool = false;
override ACTIVATION: u32 = ACT_LINEAR;

struct Params {
  size: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32, CO: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  dilation_h: u32, dilation_w: u32,
  pad_top: u32, pad_left: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let co = i % params.CO;
  let ow = (i / params.CO) % params.OW;
  let oh = (i / (params.CO * params.OW)) % params.OH;
  let n = i / (params.CO * params.OW * params.OH);
  var acc = 0.0;
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
      if (iw < 0 || iw >= i32(params.W)) { continue; }
      let x_base = ((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C;
      let f_base = (kh * params.KW + kw) * params.C * params.CO + co;
      for (var ci = 0u; ci < params.C; ci++) {
        acc = fma(x[x_base + ci], weights[f_base + ci * params.CO], acc);
      }
    }
  }
  var z = acc;
  if (HAS_BIAS) { z += bias[co]; }
  if (ACTIVATION == ACT_RELU) { z = max(z, 0.0); }
  if (ACTIVATION == ACT_SIGMOID) { z = 1.0 / (1.0 + exp(-z)); }
  if (ACTIVATION == ACT_TANH) { let e = exp(-2.0 * abs(z)); z = sign(z) * (1.0 - e) / (1.0 + e); }
  out[i] = z;
}

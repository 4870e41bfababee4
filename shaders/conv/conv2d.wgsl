// conv2d: out[n, oh, ow, co] = act(Σ_{kh, kw, ci} x[n, ih, iw, ci] · weights[kh, kw, ci, co] + bias[co])
// with ih = oh·stride_h − pad_top + kh·dilation_h (and likewise iw); positions outside x read as 0.
// NHWC tensors, HWIO filter. The epilogue (HAS_BIAS, ACTIVATION overrides) matches matmul's, so a
// Conv2D layer's forward pass is one dispatch.
//
// Bindings: 0 x (read), 1 weights (read), 2 bias (read, [CO]; any buffer when HAS_BIAS = 0),
// 3 out (read_write), 4 params (uniform).
// Mapping: one invocation per 4 consecutive output channels of one position (each x value loaded
// once feeds 4 FMAs; neighbours read neighbouring filter columns), 256 per workgroup, grid wrapped
// into y. Direct convolution: no im2col buffer; see ops/conv.ts for why.

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

const PER_THREAD: u32 = 4u;

fn epilogue(v: f32, co: u32) -> f32 {
  var z = v;
  if (HAS_BIAS) { z += bias[co]; }
  if (ACTIVATION == ACT_RELU) { z = max(z, 0.0); }
  if (ACTIVATION == ACT_SIGMOID) { z = 1.0 / (1.0 + exp(-z)); }
  if (ACTIVATION == ACT_TANH) { let e = exp(-2.0 * abs(z)); z = sign(z) * (1.0 - e) / (1.0 + e); }
  return z;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_index(gid, nwg, 256u);
  let groups = (params.CO + PER_THREAD - 1u) / PER_THREAD;
  if (t >= (params.size / params.CO) * groups) { return; }
  let co0 = (t % groups) * PER_THREAD;
  let position = t / groups;
  let ow = position % params.OW;
  let oh = (position / params.OW) % params.OH;
  let n = position / (params.OW * params.OH);
  let lanes = min(PER_THREAD, params.CO - co0);
  var acc = vec4<f32>(0.0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
      if (iw < 0 || iw >= i32(params.W)) { continue; }
      let x_base = ((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C;
      let f_base = (kh * params.KW + kw) * params.C * params.CO + co0;
      for (var ci = 0u; ci < params.C; ci++) {
        let v = x[x_base + ci];
        let f = f_base + ci * params.CO;
        var w = vec4<f32>(0.0);
        for (var j = 0u; j < lanes; j++) { w[j] = weights[f + j]; }
        acc = fma(vec4<f32>(v), w, acc);
      }
    }
  }
  let out_base = position * params.CO + co0;
  for (var j = 0u; j < lanes; j++) { out[out_base + j] = epilogue(acc[j], co0 + j); }
}

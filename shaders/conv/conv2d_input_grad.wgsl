// conv2d_input_grad: the gradient of conv2d with respect to its input,
// dx[n, ih, iw, ci] = Σ_{kh, kw, co} dy[n, oh, ow, co] · weights[kh, kw, ci, co] over the (oh, ow) that
// read (ih, iw) through tap (kh, kw): oh = (ih + pad_top − kh·dilation_h) / stride_h when that divides
// exactly and lands inside the output (likewise ow).
//
// Bindings: 0 dy (read, [N, OH, OW, CO]), 1 weights (read, [KH, KW, C, CO]), 2 dx (read_write,
// [N, H, W, C]), 3 params (uniform, the same members as conv2d's).
// Mapping: one invocation per 4 consecutive input channels of one position (each dy value loaded
// once feeds 4 FMAs), 256 per workgroup, grid wrapped into y.

struct Params {
  size: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32, CO: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  dilation_h: u32, dilation_w: u32,
  pad_top: u32, pad_left: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const PER_THREAD: u32 = 4u;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_index(gid, nwg, 256u);
  let groups = (params.C + PER_THREAD - 1u) / PER_THREAD;
  if (t >= (params.size / params.C) * groups) { return; }
  let ci0 = (t % groups) * PER_THREAD;
  let position = t / groups;
  let iw = position % params.W;
  let ih = (position / params.W) % params.H;
  let n = position / (params.W * params.H);
  let lanes = min(PER_THREAD, params.C - ci0);
  var acc = vec4<f32>(0.0);
  for (var kh = 0u; kh < params.KH; kh++) {
    let th = i32(ih + params.pad_top) - i32(kh * params.dilation_h);
    if (th < 0 || u32(th) % params.stride_h != 0u) { continue; }
    let oh = u32(th) / params.stride_h;
    if (oh >= params.OH) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let tw = i32(iw + params.pad_left) - i32(kw * params.dilation_w);
      if (tw < 0 || u32(tw) % params.stride_w != 0u) { continue; }
      let ow = u32(tw) / params.stride_w;
      if (ow >= params.OW) { continue; }
      let dy_base = ((n * params.OH + oh) * params.OW + ow) * params.CO;
      let f_base = ((kh * params.KW + kw) * params.C + ci0) * params.CO;
      for (var co = 0u; co < params.CO; co++) {
        var w = vec4<f32>(0.0);
        for (var j = 0u; j < lanes; j++) { w[j] = weights[f_base + j * params.CO + co]; }
        acc = fma(vec4<f32>(dy[dy_base + co]), w, acc);
      }
    }
  }
  let out_base = position * params.C + ci0;
  for (var j = 0u; j < lanes; j++) { dx[out_base + j] = acc[j]; }
}

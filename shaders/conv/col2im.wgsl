// col2im: folds a patch-matrix gradient back onto the input, the adjoint of im2col:
// dx[n, ih, iw, c] = Σ_{kh, kw} dpatches[(n, oh, ow), (kh, kw, c)] over the windows (oh, ow) that read
// (ih, iw) through tap (kh, kw): oh = (ih + pad_top − kh·dilation_h) / stride_h when that divides exactly
// and lands inside the output (likewise ow). Written as a gather, so no two invocations add to one element.
// As conv2dTranspose's last step it adds conv2d's epilogue: dx = act(Σ + bias[c]) (has_bias, activation).
//
// Bindings: 0 dpatches (read, [N·OH·OW, KH·KW·C]), 1 bias (read, [C]; any buffer when has_bias = 0),
// 2 dx (read_write, [N, H, W, C]), 3 params (uniform, im2col's members and the epilogue's, size = N·H·W·C).
// Mapping: one invocation per input element, 256 per workgroup, grid wrapped into y.

struct Params {
  size: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  dilation_h: u32, dilation_w: u32,
  pad_top: u32, pad_left: u32,
  has_bias: u32,
  activation: u32, // ACT_* (prelude.wgsl)
}

@group(0) @binding(0) var<storage, read> dpatches: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = i % params.C;
  let iw = (i / params.C) % params.W;
  let ih = (i / (params.C * params.W)) % params.H;
  let n = i / (params.C * params.W * params.H);
  let row_length = params.KH * params.KW * params.C;
  var acc = 0.0;
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
      let m = (n * params.OH + oh) * params.OW + ow;
      acc += dpatches[m * row_length + (kh * params.KW + kw) * params.C + c];
    }
  }
  if (params.has_bias != 0u) { acc += bias[c]; }
  dx[i] = activate(acc, params.activation);
}

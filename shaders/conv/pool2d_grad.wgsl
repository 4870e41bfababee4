// pool2d_grad: the gradient of pool2d with respect to x. For OP_MAX, dy of each window flows only to
// the element that won its max (the first in scan order on ties), as the course notes have it: the
// kernel recomputes each covering window's winner from x rather than storing indices. For OP_AVG,
// each window spreads dy / (its count of unpadded elements) over its elements.
//
// Bindings: 0 x (read, NHWC), 1 dy (read, [N, OH, OW, C]), 2 dx (read_write, like x), 3 params
// (uniform, pool2d's members).
// Mapping: one invocation per element of dx, c fastest, 256 per workgroup, grid wrapped into y; each
// visits the windows that cover its element.

const OP_MAX: u32 = 0u;
const OP_AVG: u32 = 1u;

override OP: u32;

struct Params {
  size: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  pad_top: u32, pad_left: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// The flat x index of the window's max (first in scan order) and its count of unpadded elements.
fn window_stats(n: u32, oh: u32, ow: u32, c: u32) -> vec2<u32> {
  var best = -F32_MAX;
  var best_index = 0xffffffffu;
  var count = 0u;
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = i32(oh * params.stride_h + kh) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = i32(ow * params.stride_w + kw) - i32(params.pad_left);
      if (iw < 0 || iw >= i32(params.W)) { continue; }
      let index = ((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C + c;
      if (best_index == 0xffffffffu || x[index] > best) { best = x[index]; best_index = index; }
      count += 1u;
    }
  }
  return vec2<u32>(best_index, count);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = i % params.C;
  let iw = (i / params.C) % params.W;
  let ih = (i / (params.C * params.W)) % params.H;
  let n = i / (params.C * params.W * params.H);
  var acc = 0.0;
  for (var kh = 0u; kh < params.KH; kh++) {
    let th = i32(ih + params.pad_top) - i32(kh);
    if (th < 0 || u32(th) % params.stride_h != 0u) { continue; }
    let oh = u32(th) / params.stride_h;
    if (oh >= params.OH) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let tw = i32(iw + params.pad_left) - i32(kw);
      if (tw < 0 || u32(tw) % params.stride_w != 0u) { continue; }
      let ow = u32(tw) / params.stride_w;
      if (ow >= params.OW) { continue; }
      let g = dy[((n * params.OH + oh) * params.OW + ow) * params.C + c];
      let stats = window_stats(n, oh, ow, c);
      if (OP == OP_MAX) {
        if (stats.x == i) { acc += g; }
      } else if (OP == OP_AVG) {
        acc += g / f32(stats.y);
      } else {
        acc = poison();
      }
    }
  }
  dx[i] = acc;
}

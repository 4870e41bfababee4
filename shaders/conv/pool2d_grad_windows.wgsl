// pool2d_grad_windows: pool2d_grad for windows that do not overlap (stride ≥ kernel size on both axes),
// computed window by window: each window's dy goes to the element that won its max (OP_MAX, the first
// in scan order on ties, as pool2d_grad) or is spread as dy / (its count of unpadded elements) over
// its elements (OP_AVG); the window's other elements get 0. Because no element lies in two windows,
// every dx element is written by at most one invocation. Elements no window covers (the rows and
// columns a 'valid' pooling drops) are not written: the backend zero-fills dx first when there are any.
// This form costs a handful of integer divisions per window instead of a dozen per dx element, the
// dominant cost of pool2d_grad on CPU-emulated GPUs, which divide lane by lane.
//
// Bindings: 0 x (read, NHWC), 1 dy (read, [N, OH, OW, C]), 2 dx (read_write, like x), 3 params
// (uniform, pool2d's members; size = N·OH·OW·C windows).
// Mapping: one invocation per window (per element of dy), c fastest, 256 per workgroup, grid wrapped
// into y.

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

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = i % params.C;
  let ow = (i / params.C) % params.OW;
  let oh = (i / (params.C * params.OW)) % params.OH;
  let n = i / (params.C * params.OW * params.OH);
  let g = dy[i];
  // First pass: the winner (max) or the count of unpadded elements (avg).
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
  // Second pass: write the window.
  let share = g / f32(max(count, 1u));
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = i32(oh * params.stride_h + kh) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = i32(ow * params.stride_w + kw) - i32(params.pad_left);
      if (iw < 0 || iw >= i32(params.W)) { continue; }
      let index = ((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C + c;
      if (OP == OP_MAX) {
        dx[index] = select(0.0, g, index == best_index);
      } else if (OP == OP_AVG) {
        dx[index] = share;
      } else {
        dx[index] = poison();
      }
    }
  }
}

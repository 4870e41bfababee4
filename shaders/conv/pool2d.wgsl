// pool2d: out[n, oh, ow, c] = the max (OP_MAX) or mean (OP_AVG) of x[n, ih, iw, c] over the window
// ih = oh·stride_h − pad_top + kh for kh < KH (likewise iw). Padded positions are skipped: they never
// win a max and are not counted in a mean (TF's convention for 'same' padding).
//
// Bindings: 0 x (read, NHWC), 1 out (read_write), 2 params (uniform).
// Mapping: one invocation per output element, c fastest, 256 per workgroup, grid wrapped into y.

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
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = i % params.C;
  let ow = (i / params.C) % params.OW;
  let oh = (i / (params.C * params.OW)) % params.OH;
  let n = i / (params.C * params.OW * params.OH);
  var best = -F32_MAX;
  var total = 0.0;
  var count = 0u;
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = i32(oh * params.stride_h + kh) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let iw = i32(ow * params.stride_w + kw) - i32(params.pad_left);
      if (iw < 0 || iw >= i32(params.W)) { continue; }
      let v = x[((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C + c];
      best = max(best, v);
      total += v;
      count += 1u;
    }
  }
  if (OP == OP_MAX) {
    out[i] = best;
  } else if (OP == OP_AVG) {
    out[i] = total / f32(max(count, 1u));
  } else {
    out[i] = poison();
  }
}

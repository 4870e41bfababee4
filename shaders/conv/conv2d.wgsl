// conv2d: out[n, oh, ow, co] = act(Σ_{kh, kw, ci} x[n, ih, iw, ci] · weights[kh, kw, ci, co] + bias[co])
// with ih = oh·stride_h − pad_top + kh·dilation_h (and likewise iw); positions outside x read as 0.
// NHWC tensors, HWIO filter. The epilogue (params.has_bias, params.activation) matches matmul's, so a
// Conv2D layer's forward pass is one dispatch.
//
// Bindings: 0 x (read), 1 weights (read), 2 bias (read, [CO]; any buffer when has_bias = 0),
// 3 out (read_write), 4 params (uniform; `size` counts invocations).
// Mapping: register blocking. One invocation computes a BLOCK_W × 8 block of out: BLOCK_W (override,
// 4 or 8) consecutive ow of one (n, oh) row times 8 consecutive co, so each step over ci loads BLOCK_W
// x values and 8 weights for 8·BLOCK_W FMAs (a CPU-emulated GPU is bound by loads; the host takes 4
// where 8 would leave too many lanes past OW). co blocks fastest, then ow blocks, then rows; 256 per
// workgroup, grid wrapped into y. Lanes past OW or CO read clamped, in-bounds addresses and are never
// written. Direct convolution, no im2col buffer: see packages/webgpu/src/ops/conv.ts for the choice.


struct Params {
  size: u32,
  H: u32, W: u32, C: u32,
  OH: u32, OW: u32, CO: u32,
  KH: u32, KW: u32,
  stride_h: u32, stride_w: u32,
  dilation_h: u32, dilation_w: u32,
  pad_top: u32, pad_left: u32,
  has_bias: u32,
  activation: u32, // ACT_* (prelude.wgsl)
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override BLOCK_W: u32 = 8u; // output positions along ow per invocation, at most MAX_W
const MAX_W: u32 = 8u;
const BLOCK_CO: u32 = 8u; // output channels per invocation, as two vec4

fn epilogue(v: f32, co: u32) -> f32 {
  var z = v;
  if (params.has_bias != 0u) { z += bias[co]; }
  return activate(z, params.activation);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_index(gid, nwg, 256u);
  if (t >= params.size) { return; }
  let co_blocks = (params.CO + BLOCK_CO - 1u) / BLOCK_CO;
  let w_blocks = (params.OW + BLOCK_W - 1u) / BLOCK_W;
  let co0 = (t % co_blocks) * BLOCK_CO;
  let ow0 = ((t / co_blocks) % w_blocks) * BLOCK_W;
  let row = t / (co_blocks * w_blocks); // n·OH + oh
  let oh = row % params.OH;
  let n = row / params.OH;
  // Filter columns of the 8 lanes, clamped into the filter.
  var col: array<u32, BLOCK_CO>;
  for (var j = 0u; j < BLOCK_CO; j++) { col[j] = min(co0 + j, params.CO - 1u); }

  var acc: array<vec4<f32>, 2u * MAX_W>; // acc[2p], acc[2p + 1]: position p, channels 0-3 and 4-7
  for (var kh = 0u; kh < params.KH; kh++) {
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.H)) { continue; }
    let x_row = (n * params.H + u32(ih)) * params.W;
    for (var kw = 0u; kw < params.KW; kw++) {
      var x_base: array<u32, MAX_W>;
      var inside: array<bool, MAX_W>;
      for (var p = 0u; p < BLOCK_W; p++) {
        let iw = i32((ow0 + p) * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
        inside[p] = iw >= 0 && iw < i32(params.W);
        x_base[p] = select(0u, (x_row + u32(iw)) * params.C, inside[p]);
      }
      let f_base = (kh * params.KW + kw) * params.C * params.CO;
      for (var ci = 0u; ci < params.C; ci++) {
        let f = f_base + ci * params.CO;
        let w0 = vec4<f32>(weights[f + col[0]], weights[f + col[1]], weights[f + col[2]], weights[f + col[3]]);
        let w1 = vec4<f32>(weights[f + col[4]], weights[f + col[5]], weights[f + col[6]], weights[f + col[7]]);
        for (var p = 0u; p < BLOCK_W; p++) {
          let v = vec4<f32>(select(0.0, x[x_base[p] + ci], inside[p]));
          acc[2u * p] = fma(v, w0, acc[2u * p]);
          acc[2u * p + 1u] = fma(v, w1, acc[2u * p + 1u]);
        }
      }
    }
  }
  for (var p = 0u; p < BLOCK_W; p++) {
    if (ow0 + p >= params.OW) { break; }
    let out_base = (row * params.OW + ow0 + p) * params.CO;
    for (var j = 0u; j < BLOCK_CO; j++) {
      if (co0 + j >= params.CO) { break; }
      out[out_base + co0 + j] = epilogue(acc[2u * p + j / 4u][j % 4u], co0 + j);
    }
  }
}

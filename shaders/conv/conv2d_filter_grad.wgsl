// conv2d_filter_grad: the gradient of conv2d with respect to its filter,
// dfilter[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, ih, iw, ci] · dy[n, oh, ow, co] with ih = oh·stride_h −
// pad_top + kh·dilation_h (and likewise iw), skipping taps that fall in the padding. The batch is cut
// into `splits` chunks of `chunk` images; this kernel writes one partial sum per (chunk, filter
// element) and the backend sums the chunks with the reduce kernel. The loops run over n, oh, ow
// directly, so the inner loop does no integer division (costly on CPU-emulated GPUs).
//
// Bindings: 0 x (read, [N, H, W, C]), 1 dy (read, [N, OH, OW, CO]), 2 partial (read_write,
// [splits, KH·KW·C·CO]), 3 params (uniform, conv2d's members plus N, splits and chunk; `size` counts
// the invocations of one chunk).
// Mapping: register blocking. One invocation computes a BLOCK_C × 8 block of one chunk's partial sum:
// BLOCK_C (override, 4 or 8) consecutive ci times 8 consecutive co of one tap (kh, kw), so each step
// over (n, oh, ow) loads BLOCK_C x values and 8 dy values for 8·BLOCK_C FMAs. co blocks fastest, then
// ci blocks, kw, kh, chunk; 256 per workgroup, grid wrapped into y. Lanes past C or CO read clamped,
// in-bounds addresses and are never written.

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

override BLOCK_C: u32 = 4u; // input channels per invocation, at most MAX_C
const MAX_C: u32 = 8u;
const BLOCK_CO: u32 = 8u; // output channels per invocation, as two vec4

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_index(gid, nwg, 256u);
  if (t >= params.size * params.splits) { return; }
  let co_blocks = (params.CO + BLOCK_CO - 1u) / BLOCK_CO;
  let c_blocks = (params.C + BLOCK_C - 1u) / BLOCK_C;
  let co0 = (t % co_blocks) * BLOCK_CO;
  let ci0 = ((t / co_blocks) % c_blocks) * BLOCK_C;
  let tap = (t / (co_blocks * c_blocks)) % (params.KH * params.KW);
  let split = t / params.size;
  let kw = tap % params.KW;
  let kh = tap / params.KW;
  var ci: array<u32, MAX_C>;
  for (var j = 0u; j < BLOCK_C; j++) { ci[j] = min(ci0 + j, params.C - 1u); }
  var co: array<u32, BLOCK_CO>;
  for (var j = 0u; j < BLOCK_CO; j++) { co[j] = min(co0 + j, params.CO - 1u); }

  var acc: array<vec4<f32>, 2u * MAX_C>; // acc[2i], acc[2i + 1]: input channel i, output channels 0-3 and 4-7
  let first = split * params.chunk;
  let last = min(first + params.chunk, params.N);
  for (var n = first; n < last; n++) {
    for (var oh = 0u; oh < params.OH; oh++) {
      let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
      if (ih < 0 || ih >= i32(params.H)) { continue; }
      let x_row = (n * params.H + u32(ih)) * params.W;
      let dy_row = (n * params.OH + oh) * params.OW;
      for (var ow = 0u; ow < params.OW; ow++) {
        let iw = i32(ow * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
        if (iw < 0 || iw >= i32(params.W)) { continue; }
        let xb = (x_row + u32(iw)) * params.C;
        let db = (dy_row + ow) * params.CO;
        let g0 = vec4<f32>(dy[db + co[0]], dy[db + co[1]], dy[db + co[2]], dy[db + co[3]]);
        let g1 = vec4<f32>(dy[db + co[4]], dy[db + co[5]], dy[db + co[6]], dy[db + co[7]]);
        for (var i = 0u; i < BLOCK_C; i++) {
          let v = vec4<f32>(x[xb + ci[i]]);
          acc[2u * i] = fma(v, g0, acc[2u * i]);
          acc[2u * i + 1u] = fma(v, g1, acc[2u * i + 1u]);
        }
      }
    }
  }
  let out_base = split * params.KH * params.KW * params.C * params.CO + tap * params.C * params.CO;
  for (var i = 0u; i < BLOCK_C; i++) {
    if (ci0 + i >= params.C) { break; }
    for (var j = 0u; j < BLOCK_CO; j++) {
      if (co0 + j >= params.CO) { break; }
      partial[out_base + (ci0 + i) * params.CO + co0 + j] = acc[2u * i + j / 4u][j % 4u];
    }
  }
}

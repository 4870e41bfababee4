// conv2d_input_grad: the gradient of conv2d with respect to its input,
// dx[n, ih, iw, ci] = Σ_{kh, kw, co} dy[n, oh, ow, co] · weights[kh, kw, ci, co] over the (oh, ow) that
// read (ih, iw) through tap (kh, kw): oh = (ih + pad_top − kh·dilation_h) / stride_h when that divides
// exactly and lands inside the output (likewise ow). The same sum is conv2dTranspose's forward (dy its
// input, dx its output), which adds conv2d's epilogue: dx = act(Σ + bias[ci]) (has_bias, activation).
//
// Bindings: 0 dy (read, [N, OH, OW, CO]), 1 weights (read, [KH, KW, C, CO]), 2 bias (read, [C]; any
// buffer when has_bias = 0), 3 dx (read_write, [N, H, W, C]), 4 params (uniform, the same members as
// conv2d's; `size` counts invocations).
// Mapping: register blocking, as in conv2d. One invocation computes a BLOCK_W × 8 block of dx: BLOCK_W
// (override, 4 or 8) positions of one (n, ih) row times 8 consecutive ci, so each step over co loads
// BLOCK_W dy values and 8 weights for 8·BLOCK_W FMAs (a CPU-emulated GPU is bound by loads; 16
// channels spill). The positions share their phase modulo stride_w (iw = r + stride_w·(q0 + p)), so a
// tap kw either reaches all of them, from consecutive ow, or none of them and is skipped whole: at
// stride 2, blocks of consecutive iw would multiply by zero half the time. ci blocks fastest, then
// position blocks, images, ih, and the phase slowest, so that neighbouring invocations (the SIMD
// lanes of a CPU-emulated GPU) skip the same taps kh and kw rather than diverge; 256 per workgroup,
// grid wrapped into y. Lanes past W or C read clamped, in-bounds addresses and are never written.

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

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override BLOCK_W: u32 = 8u; // input positions of one phase per invocation, at most MAX_W
const MAX_W: u32 = 8u;
const BLOCK_C: u32 = 8u; // input channels per invocation, as two vec4

fn epilogue(v: f32, ci: u32) -> f32 {
  var z = v;
  if (params.has_bias != 0u) { z += bias[ci]; }
  return activate(z, params.activation);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_index(gid, nwg, 256u);
  if (t >= params.size) { return; }
  let sw = params.stride_w;
  let c_blocks = (params.C + BLOCK_C - 1u) / BLOCK_C;
  // blocks of BLOCK_W positions of one phase, per row; the batch; the rows; the phases outermost
  let q_blocks = ((params.W + sw - 1u) / sw + BLOCK_W - 1u) / BLOCK_W;
  let per_row = c_blocks * q_blocks;
  let batch = params.size / (per_row * params.H * sw);
  let ci0 = (t % c_blocks) * BLOCK_C;
  let q0 = ((t / c_blocks) % q_blocks) * BLOCK_W;
  let n = (t / per_row) % batch;
  let ih = (t / (per_row * batch)) % params.H;
  let phase = t / (per_row * batch * params.H);
  let row = n * params.H + ih;
  // Offsets of the 8 lanes' filter rows (ci · CO), clamped into the filter.
  var lane: array<u32, BLOCK_C>;
  for (var j = 0u; j < BLOCK_C; j++) { lane[j] = min(ci0 + j, params.C - 1u) * params.CO; }

  var acc: array<vec4<f32>, 2u * MAX_W>; // acc[2p], acc[2p + 1]: position p, channels 0-3 and 4-7
  for (var kh = 0u; kh < params.KH; kh++) {
    let th = i32(ih + params.pad_top) - i32(kh * params.dilation_h);
    if (th < 0 || u32(th) % params.stride_h != 0u) { continue; }
    let oh = u32(th) / params.stride_h;
    if (oh >= params.OH) { continue; }
    let dy_row = (n * params.OH + oh) * params.OW;
    for (var kw = 0u; kw < params.KW; kw++) {
      // position p reads ow = ow0 + p, when tw0 (position 0's offset) is a multiple of the stride
      let tw0 = i32(phase + q0 * sw + params.pad_left) - i32(kw * params.dilation_w);
      if (((tw0 % i32(sw)) + i32(sw)) % i32(sw) != 0) { continue; }
      let ow0 = tw0 / i32(sw);
      var dy_base: array<u32, MAX_W>;
      var inside: array<bool, MAX_W>;
      for (var p = 0u; p < BLOCK_W; p++) {
        let ow = ow0 + i32(p);
        inside[p] = ow >= 0 && ow < i32(params.OW);
        dy_base[p] = select(0u, (dy_row + u32(ow)) * params.CO, inside[p]);
      }
      let f_base = (kh * params.KW + kw) * params.C * params.CO;
      for (var co = 0u; co < params.CO; co++) {
        let f = f_base + co;
        let w0 = vec4<f32>(weights[f + lane[0]], weights[f + lane[1]], weights[f + lane[2]], weights[f + lane[3]]);
        let w1 = vec4<f32>(weights[f + lane[4]], weights[f + lane[5]], weights[f + lane[6]], weights[f + lane[7]]);
        for (var p = 0u; p < BLOCK_W; p++) {
          let g = vec4<f32>(select(0.0, dy[dy_base[p] + co], inside[p]));
          acc[2u * p] = fma(g, w0, acc[2u * p]);
          acc[2u * p + 1u] = fma(g, w1, acc[2u * p + 1u]);
        }
      }
    }
  }
  for (var p = 0u; p < BLOCK_W; p++) {
    let iw = phase + (q0 + p) * sw;
    if (iw >= params.W) { break; }
    let out_base = (row * params.W + iw) * params.C;
    for (var j = 0u; j < BLOCK_C; j++) {
      if (ci0 + j >= params.C) { break; }
      dx[out_base + ci0 + j] = epilogue(acc[2u * p + j / 4u][j % 4u], ci0 + j);
    }
  }
}

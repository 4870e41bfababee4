// conv2d_input_grad_narrow: conv2d_input_grad (see that file for the sum, the epilogue and the phase
// blocking) for inputs of fewer than 4 channels, such as a generator's last transposed convolution to
// one-channel images: there the wide kernel's 8 channel lanes would compute 7 clamped copies of one.
//
// Bindings: as conv2d_input_grad's: 0 dy (read), 1 weights (read), 2 bias (read), 3 dx (read_write),
// 4 params (uniform; `size` counts invocations).
// Mapping: one invocation computes 8 positions of one (n, ih) row and one phase modulo stride_w
// (iw = r + stride_w·(q0 + p)) for one ci, so each step over co loads 8 dy values and one weight for
// 8 FMAs. ci fastest, then position blocks, images, ih, and the phase slowest (neighbouring
// invocations skip the same taps, as in the wide kernel); 256 per workgroup, grid wrapped into y.
// Lanes past W read clamped, in-bounds addresses and are never written.

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

const BLOCK_W: u32 = 8u; // input positions of one phase per invocation

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
  // blocks of BLOCK_W positions of one phase, per row; the batch; the rows; the phases outermost
  let q_blocks = ((params.W + sw - 1u) / sw + BLOCK_W - 1u) / BLOCK_W;
  let per_row = params.C * q_blocks;
  let batch = params.size / (per_row * params.H * sw);
  let ci = t % params.C;
  let q0 = ((t / params.C) % q_blocks) * BLOCK_W;
  let n = (t / per_row) % batch;
  let ih = (t / (per_row * batch)) % params.H;
  let phase = t / (per_row * batch * params.H);
  let row = n * params.H + ih;

  var acc: array<f32, BLOCK_W>;
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
      var dy_base: array<u32, BLOCK_W>;
      var inside: array<bool, BLOCK_W>;
      for (var p = 0u; p < BLOCK_W; p++) {
        let ow = ow0 + i32(p);
        inside[p] = ow >= 0 && ow < i32(params.OW);
        dy_base[p] = select(0u, (dy_row + u32(ow)) * params.CO, inside[p]);
      }
      let f_base = ((kh * params.KW + kw) * params.C + ci) * params.CO;
      for (var co = 0u; co < params.CO; co++) {
        let w = weights[f_base + co];
        for (var p = 0u; p < BLOCK_W; p++) {
          acc[p] = fma(select(0.0, dy[dy_base[p] + co], inside[p]), w, acc[p]);
        }
      }
    }
  }
  for (var p = 0u; p < BLOCK_W; p++) {
    let iw = phase + (q0 + p) * sw;
    if (iw >= params.W) { break; }
    dx[(row * params.W + iw) * params.C + ci] = epilogue(acc[p], ci);
  }
}

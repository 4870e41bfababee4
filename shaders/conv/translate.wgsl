// translate: images moved by whole pixels, one shift per image (random translation, as data
// augmentation): out[n, h, w, c] = x[n, h − d·shift_h, w − d·shift_w, c], or 0 where that falls
// outside the image, with (shift_h, shift_w) = shifts[n] and d = params.direction (1, or −1 for the
// adjoint, which is the gradient).
//
// Bindings: 0 x (read, [N, H, W, C]), 1 shifts (read, int32 [N, 2]), 2 out (read_write, like x),
// 3 params (uniform).
// Mapping: one invocation per output element, c fastest, 256 per workgroup, grid wrapped into y.

struct Params {
  size: u32,
  N: u32, H: u32, W: u32, C: u32,
  direction: i32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> shifts: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let c = i % params.C;
  let w = (i / params.C) % params.W;
  let h = (i / (params.C * params.W)) % params.H;
  let n = i / (params.C * params.W * params.H);
  let ih = i32(h) - params.direction * shifts[2u * n];
  let iw = i32(w) - params.direction * shifts[2u * n + 1u];
  var value = 0.0;
  if (ih >= 0 && ih < i32(params.H) && iw >= 0 && iw < i32(params.W)) {
    value = x[((n * params.H + u32(ih)) * params.W + u32(iw)) * params.C + c];
  }
  out[i] = value;
}

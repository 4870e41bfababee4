// clip_scale: out[0] = min(1, clip_norm / sqrt(sum_squares[0])), the factor that rescales gradients
// whose (global) L2 norm exceeds clip_norm — computed on the device so clipping needs no readback.
// A zero norm gives 1.
//
// Bindings: 0 sum_squares (read, 1 element), 1 out (read_write, 1 element), 2 params (uniform).
// Mapping: a single invocation.

struct Params {
  clip_norm: f32,
}

@group(0) @binding(0) var<storage, read> sum_squares: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
  let norm = sqrt(sum_squares[0]);
  out[0] = select(1.0, min(1.0, params.clip_norm / norm), norm > 0.0);
}

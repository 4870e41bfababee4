// optimizer_step: one fused, in-place update of a parameter and its optimizer state from its
// gradient (OP override picks the rule). Per element, the gradient is first scaled by scale[0]
// (clip-by-norm: min(1, c / ‖g‖), computed on the device), then clipped to ±clip_value (when > 0),
// then given the L2 term weight_decay·θ (all rules but AdamW, whose decay is decoupled). Then, with
// ε the learning rate and δ epsilon (the Deep Learning book's names; the forms Keras uses):
//   SGD                θ ← θ − εg
//   MOMENTUM           v ← αv − εg;  θ ← θ + v
//   NESTEROV           v ← αv − εg;  θ ← θ + αv − εg          (look-ahead rewritten on θ, as Keras)
//   ADAGRAD            r ← r + g²;   θ ← θ − εg / (δ + √r)
//   RMSPROP            r ← ρr + (1−ρ)g²;  θ ← θ − εg / (√r + δ)
//   RMSPROP_MOMENTUM   r as RMSPROP;  v ← αv − εg / (√r + δ);  θ ← θ + v
//   RMSPROP_NESTEROV   r as RMSPROP;  v ← αv − εg / (√r + δ);  θ ← θ + αv − εg / (√r + δ)
//   ADAM               s ← ρ1 s + (1−ρ1)g;  r ← ρ2 r + (1−ρ2)g²;  θ ← θ − ε ŝ / (√r̂ + δ)
//                      with ŝ = s·bias1, r̂ = r·bias2, bias_i = 1 / (1 − ρi^t) from the host
//   ADAMW              θ ← θ − ελθ, then ADAM
//
// Bindings: 0 grad (read), 1 scale (read, 1 element), 2 param (read_write), 3 state0 (read_write:
// v, r or s), 4 state1 (read_write: r for the two-state rules; any spare buffer otherwise),
// 5 params (uniform).
// Mapping: one invocation per element, 256 per workgroup, grid wrapped into y.

const OP_SGD: u32 = 0u;
const OP_MOMENTUM: u32 = 1u;
const OP_NESTEROV: u32 = 2u;
const OP_ADAGRAD: u32 = 3u;
const OP_RMSPROP: u32 = 4u;
const OP_RMSPROP_MOMENTUM: u32 = 5u;
const OP_RMSPROP_NESTEROV: u32 = 6u;
const OP_ADAM: u32 = 7u;
const OP_ADAMW: u32 = 8u;

override OP: u32;

struct Params {
  size: u32,
  learning_rate: f32,
  momentum: f32,
  rho: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  weight_decay: f32,
  clip_value: f32,
  bias1: f32,
  bias2: f32,
}

@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> state0: array<f32>;
@group(0) @binding(4) var<storage, read_write> state1: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let lr = params.learning_rate;
  var theta = param[i];
  var g = grad[i] * scale[0];
  if (params.clip_value > 0.0) { g = clamp(g, -params.clip_value, params.clip_value); }
  if (OP != OP_ADAMW) { g += params.weight_decay * theta; }

  if (OP == OP_SGD) {
    theta -= lr * g;
  } else if (OP == OP_MOMENTUM || OP == OP_NESTEROV) {
    let v = params.momentum * state0[i] - lr * g;
    state0[i] = v;
    theta += select(v, params.momentum * v - lr * g, OP == OP_NESTEROV);
  } else if (OP == OP_ADAGRAD) {
    let r = state0[i] + g * g;
    state0[i] = r;
    theta -= lr * g / (params.epsilon + sqrt(r));
  } else if (OP == OP_RMSPROP || OP == OP_RMSPROP_MOMENTUM || OP == OP_RMSPROP_NESTEROV) {
    let r = params.rho * state0[i] + (1.0 - params.rho) * g * g;
    state0[i] = r;
    let step = lr * g / (sqrt(r) + params.epsilon);
    if (OP == OP_RMSPROP) {
      theta -= step;
    } else if (OP == OP_RMSPROP_MOMENTUM || OP == OP_RMSPROP_NESTEROV) {
      let v = params.momentum * state1[i] - step;
      state1[i] = v;
      theta += select(v, params.momentum * v - step, OP == OP_RMSPROP_NESTEROV);
    }
  } else if (OP == OP_ADAM || OP == OP_ADAMW) {
    if (OP == OP_ADAMW) { theta -= lr * params.weight_decay * theta; }
    let s = params.beta1 * state0[i] + (1.0 - params.beta1) * g;
    let r = params.beta2 * state1[i] + (1.0 - params.beta2) * g * g;
    state0[i] = s;
    state1[i] = r;
    theta -= lr * (s * params.bias1) / (sqrt(r * params.bias2) + params.epsilon);
  } else {
    theta = poison();
  }
  param[i] = theta;
}

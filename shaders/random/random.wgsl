// random: out[i] from Philox4x32-10 (Salmon et al., SC'11) of counter (i, stream, 0, 0) under key
// (seed_lo, seed_hi), bit for bit the generator of packages/core/src/rng.ts. OP override:
//   uniform    out = a + (b - a)·u0                         (a = low, b = high)
//   normal     out = a + b·sqrt(-2 ln(1 - u0))·cos(2π u1)   (a = mean, b = std; Box–Muller)
//   bernoulli  out = 1 if u0 < a else 0                     (a = p)
// where u0, u1 = top 24 bits of words 0 and 1 times 2^-24 (the prelude's to_unit): exact in float32,
// so uniform [0, 1) and bernoulli match the CPU reference exactly. The generator is the prelude's.
//
// Bindings: 0 out (read_write), 1 params (uniform).
// Mapping: one invocation per element, 256 per workgroup, grid wrapped into y (flat_index).
// Normal accuracy: ln(1 - t) for small t uses its series (a float32 log near 1 loses the digits that
// matter there), and cos is taken of an angle reduced exactly in turns to [-1/8, 1/8] (u1 is exact,
// so the reduction is too), leaving float32 rounding of the small argument as the only error.

const OP_UNIFORM: u32 = 0u;
const OP_NORMAL: u32 = 1u;
const OP_BERNOULLI: u32 = 2u;

override OP: u32;

struct Params {
  size: u32,
  stream: u32,
  seed_lo: u32,
  seed_hi: u32,
  a: f32,
  b: f32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

const TWO_PI: f32 = 6.283185307179586;

// -ln(1 - t) for t in [0, 1): t + t²/2 + ... + t⁶/6 below 1/32 (next term < 3e-10 relative).
fn neg_log1m(t: f32) -> f32 {
  if (t < 0.03125) {
    return t * (1.0 + t * (0.5 + t * (1.0 / 3.0 + t * (0.25 + t * (0.2 + t * (1.0 / 6.0))))));
  }
  return -log(1.0 - t);
}

// cos(2π u) for u in [0, 1): fold to w = |u - round(u)| in [0, 1/2] (exact for 24-bit u), then to an
// argument within 1/8 turn of 0 using cos(2πw) = sin(2π(1/4 - w)) = -cos(2π(1/2 - w)).
fn cos_turns(u: f32) -> f32 {
  let w = abs(u - floor(u + 0.5));
  if (w < 0.125) { return cos(TWO_PI * w); }
  if (w < 0.375) { return sin(TWO_PI * (0.25 - w)); }
  return -cos(TWO_PI * (0.5 - w));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.size) { return; }
  let words = philox4x32(vec4<u32>(i, params.stream, 0u, 0u), vec2<u32>(params.seed_lo, params.seed_hi));
  let u0 = to_unit(words.x);
  if (OP == OP_UNIFORM) {
    out[i] = params.a + (params.b - params.a) * u0;
  } else if (OP == OP_NORMAL) {
    out[i] = params.a + params.b * sqrt(2.0 * neg_log1m(u0)) * cos_turns(to_unit(words.y));
  } else if (OP == OP_BERNOULLI) {
    out[i] = select(0.0, 1.0, u0 < params.a);
  } else {
    out[i] = poison();
  }
}

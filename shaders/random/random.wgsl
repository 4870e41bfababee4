// random: out[i] from Philox4x32-10 (Salmon et al., SC'11) of counter (i, stream, 0, 0) under key
// (seed_lo, seed_hi), bit for bit the generator of packages/core/src/rng.ts. OP override:
//   uniform    out = a + (b - a)·u0                         (a = low, b = high)
//   normal     out = a + b·sqrt(-2 ln(1 - u0))·cos(2π u1)   (a = mean, b = std; Box–Muller)
//   bernoulli  out = 1 if u0 < a else 0                     (a = p)
// where u0, u1 = top 24 bits of words 0 and 1 times 2^-24: exact in float32, so uniform [0, 1) and
// bernoulli match the CPU reference exactly. WGSL has no 64-bit integers, so the 32x32 -> 64-bit
// product's high word is assembled from 16-bit limbs, as rng.ts does.
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

const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W: vec2<u32> = vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
const TWO_PI: f32 = 6.283185307179586;

// High 32 bits of a·b: the four 16x16-bit partial products, carries summed in the middle word.
fn mulhi(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var n = 0u; n < 10u; n++) {
    if (n > 0u) { k += PHILOX_W; }
    let hi0 = mulhi(PHILOX_M0, c.x); let lo0 = PHILOX_M0 * c.x;
    let hi1 = mulhi(PHILOX_M1, c.z); let lo1 = PHILOX_M1 * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
  }
  return c;
}

fn to_unit(w: u32) -> f32 {
  return f32(w >> 8u) * (1.0 / 16777216.0);
}

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

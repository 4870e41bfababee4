// prelude: prepended by the kernel registry to every kernel in shaders/. Shared index math, and the
// activations the GEMM and convolution kernels fuse into their epilogues.
//
// Shapes and strides of up to MAX_RANK axes travel in uniforms as array<vec4<u32>, 2> (uniform
// arrays need a 16-byte stride). Dispatches of more than 65535 workgroups wrap into the y axis of
// the grid, so a kernel recovers its flat invocation index with flat_index.

const MAX_RANK: u32 = 8u;

alias Dims = array<vec4<u32>, 2>;

fn dim_at(v: Dims, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

// Flat invocation index over a 2-D grid of 1-D workgroups of wg_size invocations.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>, wg_size: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wg_size;
}

// Flat workgroup index over a 2-D grid of workgroups.
fn flat_workgroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Offset into a tensor read through `strides` (0 on broadcast axes) at flat index i of `shape`.
fn strided_offset(i: u32, rank: u32, shape: Dims, strides: Dims) -> u32 {
  var rest = i;
  var offset = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let size = dim_at(shape, u32(d));
    offset += (rest % size) * dim_at(strides, u32(d));
    rest /= size;
  }
  return offset;
}

// What an OP chain returns for an OP code it has no branch for: NaN, which fails any comparison of
// values, so a missing branch fails its op's spec instead of returning something plausible. Read from
// a private variable: a constant NaN is not valid WGSL.
var<private> POISON_BITS: u32 = 0x7fc00000u;
fn poison() -> f32 {
  return bitcast<f32>(POISON_BITS);
}

// SELU's constants (Klambauer et al. 2017).
const SELU_SCALE: f32 = 1.0507009873554805;
const SELU_ALPHA: f32 = 1.6732632423543772;

// erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7; WGSL has no erf), odd-extended.
fn erf_approx(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-a * a));
}

// Φ(x), the standard normal CDF, and φ(x), its density: GELU(x) = xΦ(x), GELU'(x) = Φ(x) + xφ(x).
fn normal_cdf(x: f32) -> f32 {
  return 0.5 * (1.0 + erf_approx(x * 0.7071067811865476));
}

fn normal_pdf(x: f32) -> f32 {
  return 0.3989422804014327 * exp(-0.5 * x * x);
}

// The largest finite f32 (3.4028234663852886e38, written short of it so the literal rounds down).
const F32_MAX: f32 = 3.40282346e38;

// The activations a GEMM or convolution applies in its epilogue and the recurrent kernels apply to
// their gates (their params.activation takes these codes), with the unary kernel's formulas, so fused
// and unfused results agree. hardSigmoid (Keras 3's relu6(x + 3) / 6) is a recurrent activation only.
const ACT_LINEAR: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_SIGMOID: u32 = 2u;
const ACT_TANH: u32 = 3u;
const ACT_HARD_SIGMOID: u32 = 4u;

fn activate(z: f32, activation: u32) -> f32 {
  if (activation == ACT_RELU) { return max(z, 0.0); }
  if (activation == ACT_SIGMOID) { return 1.0 / (1.0 + exp(-z)); }
  if (activation == ACT_TANH) { let e = exp(-2.0 * abs(z)); return sign(z) * (1.0 - e) / (1.0 + e); }
  if (activation == ACT_LINEAR) { return z; }
  if (activation == ACT_HARD_SIGMOID) { return clamp(z / 6.0 + 0.5, 0.0, 1.0); }
  return poison();
}

// Philox4x32-10 (Salmon et al., SC'11), bit for bit the generator of packages/core/src/rng.ts: the
// random kernels and the multinomial sampler draw from it. WGSL has no 64-bit integers, so the
// 32x32 -> 64-bit product's high word is assembled from 16-bit limbs (rng.ts, in doubles, needs
// only two partial products of under 48 bits).
const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W: vec2<u32> = vec2<u32>(0x9e3779b9u, 0xbb67ae85u);

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

// A word as a float in [0, 1): its top 24 bits times 2^-24, exact in float32.
fn to_unit(w: u32) -> f32 {
  return f32(w >> 8u) * (1.0 / 16777216.0);
}

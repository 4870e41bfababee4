// Elementwise ops, forward and backward: unary activations and math, binary arithmetic and
// comparisons with broadcasting, and where. Each unary derivative is one fused kernel (unary_grad),
// itself differentiable through composed ops, so gradients of gradients work.
// Backward rules return gradients in the broadcast output shape; the tape sums them back to each
// input's shape. Each table is keyed by the contract's op-name union, so an op without a definition
// here does not compile.
import { UNARY_GRAD_OPS, type BinaryOp, type FusedActivation, type UnaryGradOp, type UnaryOp } from '../backend.js';
import { broadcastShapes, fmt, sameShape } from '../dtype.js';
import { notATensor, runOp, type GradRule, type OpDef } from '../engine.js';
import { Tensor } from '../tensor.js';
import { asTensor } from './creation.js';

export function requireFloat(op: string, ...inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    if (t.dtype !== 'float32') {
      throw new Error(`${op}: expected float32 input, got ${t.dtype} (shape ${fmt(t.shape)}); this op is float-only`);
    }
  }
}

const unaryDef = (name: UnaryOp, grad: GradRule<undefined>): OpDef<undefined> => ({
  name,
  infer: ([x]) => {
    requireFloat(name, x);
    return { shape: x.shape, dtype: x.dtype };
  },
  kernel: (backend, [x]) => backend.unary(name, x),
  grad,
});

export interface AlphaAttrs {
  readonly alpha: number;
}

/**
 * ∂f'/∂x and ∂f'/∂y of each fused derivative f'(x, y) (y = f(x), or the labels for sigmoidBce), as
 * composed ops: what a gradient of a gradient (a gradient penalty, a Hessian-vector product) needs.
 * Absent where f' is constant in that argument almost everywhere (relu, abs, leakyRelu).
 */
const secondDerivatives: {
  readonly [K in UnaryGradOp]: { x?: (x: Tensor, y: Tensor) => Tensor; y?: (x: Tensor, y: Tensor) => Tensor };
} = {
  relu: {},
  abs: {},
  leakyRelu: {},
  sigmoid: { y: (_, y) => sub(1, mul(y, 2)) }, // f' = y(1 − y)
  tanh: { y: (_, y) => mul(y, -2) }, // f' = 1 − y²
  sqrt: { y: (_, y) => div(-0.5, square(y)) }, // f' = 0.5 / y
  rsqrt: { y: (_, y) => mul(square(y), -1.5) }, // f' = −0.5·y³
  square: { x: (x) => mul(onesLikeOf(x), 2) }, // f' = 2x
  reciprocal: { y: (_, y) => mul(y, -2) }, // f' = −y²
  elu: { y: (x) => lessEqual(x, 0) }, // f' = y + α where x ≤ 0
  selu: { y: (x) => lessEqual(x, 0) }, // f' = y + scale·α where x ≤ 0
  softplus: { x: (x) => derivative('sigmoid', x, sigmoid(x), onesLikeOf(x)) }, // f' = σ(x)
  gelu: { x: (x) => mul(exp(mul(square(x), -0.5)), div(sub(2, square(x)), Math.sqrt(2 * Math.PI))) }, // f' = Φ + xφ
  sigmoidBce: { x: (x) => derivative('sigmoid', x, sigmoid(x), onesLikeOf(x)), y: (x) => mul(onesLikeOf(x), -1) }, // σ(x) − labels
};
const onesLikeOf = (x: Tensor): Tensor => add(mul(x, 0), 1);

// dx = dy * f'(x), fused into one kernel; its own gradient is composed (secondDerivatives).
const unaryGradDef = (name: UnaryGradOp): OpDef<AlphaAttrs> => ({
  name: `${name}Grad`,
  infer: ([x, , dy]) => ({ shape: dy.shape, dtype: x.dtype }),
  kernel: (backend, [x, y, dy], { alpha }) => backend.unaryGrad(name, x, y, dy, alpha),
  grad: (g, [x, y, dy], _, { alpha }) => {
    const { x: byX, y: byY } = secondDerivatives[name];
    return [
      byX ? () => mul(mul(g, dy), byX(x, y)) : null,
      byY ? () => mul(mul(g, dy), byY(x, y)) : null,
      () => derivative(name, x, y, g, alpha),
    ];
  },
});
const unaryGradOps = Object.fromEntries(UNARY_GRAD_OPS.map((name) => [name, unaryGradDef(name)])) as Record<
  UnaryGradOp,
  OpDef<AlphaAttrs>
>;

/** dy · f'(x) in one kernel, from x and y = f(x). */
export const derivative = (op: UnaryGradOp, x: Tensor, y: Tensor, dy: Tensor, alpha = 0): Tensor =>
  runOp(unaryGradOps[op], [x, y, dy], { alpha });
const fusedGrad =
  (op: UnaryGradOp): GradRule<undefined> =>
  (dy, [x], y) => [() => derivative(op, x, y, dy)];

/** The unary ops with an α attribute; the others take none. */
export type AlphaUnaryOp = 'leakyRelu' | 'elu';
/** sigmoidBce is a binary kernel behind sigmoidBinaryCrossEntropy (loss.ts), not an op of its own. */
export type ElementwiseBinaryOp = Exclude<BinaryOp, 'sigmoidBce'>;

const alphaDef = (name: AlphaUnaryOp): OpDef<AlphaAttrs> => ({
  name,
  infer: ([x]) => {
    requireFloat(name, x);
    return { shape: x.shape, dtype: x.dtype };
  },
  kernel: (backend, [x], { alpha }) => backend.unary(name, x, alpha),
  grad: (dy, [x], y, { alpha }) => [() => derivative(name, x, y, dy, alpha)],
});

const comparisonDef = (name: BinaryOp): OpDef<undefined> => ({
  ...binaryDef(name, () => []),
  grad: 'nonDifferentiable',
});

/**
 * dy·f'(x) for a fused activation, from its output y alone: relu'(x) = 1[y > 0], σ' = y(1 - y),
 * tanh' = 1 - y² (the unary_grad kernels read x only for relu, and x > 0 ⇔ y > 0 there).
 */
export function activationGrad(activation: FusedActivation, y: Tensor, dy: Tensor): Tensor {
  return activation === 'linear' ? dy : derivative(activation, y, y, dy);
}

function binaryDef(name: BinaryOp, grad: GradRule<undefined>): OpDef<undefined> {
  return {
    name,
    infer: ([a, b]) => {
      requireFloat(name, a, b);
      return { shape: sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(name, a.shape, b.shape), dtype: a.dtype };
    },
    kernel: (backend, [a, b], _, out) => backend.binary(name, a, b, out.shape),
    grad,
  };
}

export const unaryOps: { readonly [K in Exclude<UnaryOp, AlphaUnaryOp>]: OpDef<undefined> } = {
  neg: unaryDef('neg', (dy) => [() => neg(dy)]),
  exp: unaryDef('exp', (dy, _, y) => [() => mul(dy, y)]), // d/dx e^x = e^x = y
  log: unaryDef('log', (dy, [x]) => [() => div(dy, x)]), // d/dx ln x = 1/x
  // The derivatives, one fused kernel each, are listed in shaders/elementwise/unary_grad.wgsl.
  relu: unaryDef('relu', fusedGrad('relu')),
  sigmoid: unaryDef('sigmoid', fusedGrad('sigmoid')),
  tanh: unaryDef('tanh', fusedGrad('tanh')),
  abs: unaryDef('abs', fusedGrad('abs')),
  sqrt: unaryDef('sqrt', fusedGrad('sqrt')),
  rsqrt: unaryDef('rsqrt', fusedGrad('rsqrt')),
  square: unaryDef('square', fusedGrad('square')),
  reciprocal: unaryDef('reciprocal', fusedGrad('reciprocal')),
  selu: unaryDef('selu', fusedGrad('selu')),
  softplus: unaryDef('softplus', fusedGrad('softplus')),
  gelu: unaryDef('gelu', fusedGrad('gelu')),
  isFinite: { ...unaryDef('isFinite', () => []), grad: 'nonDifferentiable' },
};

export const parameterisedOps: { readonly [K in AlphaUnaryOp]: OpDef<AlphaAttrs> } = {
  leakyRelu: alphaDef('leakyRelu'),
  elu: alphaDef('elu'),
};

export const binaryOps: { readonly [K in ElementwiseBinaryOp]: OpDef<undefined> } = {
  add: binaryDef('add', (dy) => [() => dy, () => dy]),
  sub: binaryDef('sub', (dy) => [() => dy, () => neg(dy)]),
  mul: binaryDef('mul', (dy, [a, b]) => [() => mul(dy, b), () => mul(dy, a)]),
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b² = -y/b
  div: binaryDef('div', (dy, [, b], y) => [() => div(dy, b), () => neg(div(mul(dy, y), b))]),
  // d(aᵇ)/da = b·aᵇ⁻¹; d(aᵇ)/db = aᵇ·ln a
  pow: binaryDef('pow', (dy, [a, b], y) => [() => mul(dy, mul(b, pow(a, sub(b, 1)))), () => mul(dy, mul(y, log(a)))]),
  // the gradient goes to the larger (smaller) input; a tie sends it to a
  maximum: binaryDef('maximum', (dy, [a, b]) => [() => mul(dy, greaterEqual(a, b)), () => mul(dy, less(a, b))]),
  minimum: binaryDef('minimum', (dy, [a, b]) => [() => mul(dy, lessEqual(a, b)), () => mul(dy, greater(a, b))]),
  // Comparisons give float32 1/0 masks (there is no bool dtype), ready to multiply with.
  greater: comparisonDef('greater'),
  less: comparisonDef('less'),
  equal: comparisonDef('equal'),
  greaterEqual: comparisonDef('greaterEqual'),
  lessEqual: comparisonDef('lessEqual'),
};

export const whereOp: OpDef<undefined> = {
  name: 'where',
  infer: ([condition, a, b]) => {
    requireFloat('where', a, b);
    const shape = broadcastShapes('where', broadcastShapes('where', condition.shape, a.shape), b.shape);
    return { shape, dtype: a.dtype };
  },
  kernel: (backend, [condition, a, b], _, out) => backend.where(condition, a, b, out.shape),
  // dy flows to a where the condition holds and to b elsewhere; the condition gets none
  grad: (dy, [condition]) => [null, () => where(condition, dy, 0), () => where(condition, 0, dy)],
};

export const neg = (x: Tensor): Tensor => runOp(unaryOps.neg, [x], undefined);
export const exp = (x: Tensor): Tensor => runOp(unaryOps.exp, [x], undefined);
export const log = (x: Tensor): Tensor => runOp(unaryOps.log, [x], undefined);
export const relu = (x: Tensor): Tensor => runOp(unaryOps.relu, [x], undefined);
export const sigmoid = (x: Tensor): Tensor => runOp(unaryOps.sigmoid, [x], undefined);
export const tanh = (x: Tensor): Tensor => runOp(unaryOps.tanh, [x], undefined);
export const abs = (x: Tensor): Tensor => runOp(unaryOps.abs, [x], undefined);
export const sqrt = (x: Tensor): Tensor => runOp(unaryOps.sqrt, [x], undefined);
export const rsqrt = (x: Tensor): Tensor => runOp(unaryOps.rsqrt, [x], undefined);
export const square = (x: Tensor): Tensor => runOp(unaryOps.square, [x], undefined);
export const reciprocal = (x: Tensor): Tensor => runOp(unaryOps.reciprocal, [x], undefined);
/** x for x > 0, else αx (TF.js's default α = 0.2). */
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => runOp(parameterisedOps.leakyRelu, [x], { alpha });
/** x for x > 0, else α(eˣ − 1). */
export const elu = (x: Tensor, alpha = 1): Tensor => runOp(parameterisedOps.elu, [x], { alpha });
/** λ·elu(x, α) with the self-normalising constants λ ≈ 1.0507, α ≈ 1.6733. */
export const selu = (x: Tensor): Tensor => runOp(unaryOps.selu, [x], undefined);
/** ln(1 + eˣ), computed without overflow. */
export const softplus = (x: Tensor): Tensor => runOp(unaryOps.softplus, [x], undefined);
/** A float32 mask: 1 where x is finite, 0 where it is NaN or ±∞ (read from the bits, so reliable on any GPU). */
export const isFinite = (x: Tensor): Tensor => runOp(unaryOps.isFinite, [x], undefined);
/** xΦ(x), the exact GELU (Keras's default, approximate = false). */
export const gelu = (x: Tensor): Tensor => runOp(unaryOps.gelu, [x], undefined);

const binary = (op: OpDef<undefined>, a: Tensor | number, b: Tensor | number): Tensor => {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new Error(`${op.name}: at least one input must be a Tensor`);
  }
  [a, b].forEach((v, i) => {
    if (typeof v !== 'number' && !(v instanceof Tensor)) throw new Error(notATensor(op.name, `input ${i}`, v));
  });
  const ta = asTensor(a, b as Tensor);
  return runOp(op, [ta, asTensor(b, ta)], undefined);
};
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.add, a, b);
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.sub, a, b);
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.mul, a, b);
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.div, a, b);
export const pow = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.pow, a, b);
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.maximum, a, b);
export const minimum = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.minimum, a, b);
export const greater = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.greater, a, b);
export const less = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.less, a, b);
export const equal = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.equal, a, b);
export const greaterEqual = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.greaterEqual, a, b);
export const lessEqual = (a: Tensor | number, b: Tensor | number): Tensor => binary(binaryOps.lessEqual, a, b);

/** condition ? a : b elementwise with broadcasting; condition is a float32 mask or int32 (nonzero = true). */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  if (!like) throw new Error('where: a or b must be a Tensor');
  return runOp(whereOp, [condition, asTensor(a, like), asTensor(b, like)], undefined);
}

// Elementwise ops, forward and backward: unary (neg, exp, log, relu, sigmoid, tanh) and binary with
// broadcasting (add, sub, mul, div). Backward rules return gradients in the broadcast output shape;
// the tape sums them back to each input's shape. Imports the engine, creation and dtype helpers.
import type { BinaryOp, FusedActivation, UnaryGradOp, UnaryOp } from '../backend.js';
import { broadcastShapes, fmt, sameShape } from '../dtype.js';
import { runOp, type GradRule, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { asTensor } from './creation.js';

export function requireFloat(op: string, ...inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    if (t.dtype !== 'float32') throw new Error(`${op}: expected float32 input, got ${t.dtype} (shape ${fmt(t.shape)}); this op is float-only`);
  }
}

const unaryDef = (name: UnaryOp, grad: GradRule<undefined>): OpDef<undefined> => ({
  name,
  infer: ([x]) => { requireFloat(name, x); return { shape: x.shape, dtype: x.dtype }; },
  kernel: (backend, [x]) => backend.unary(name, x),
  grad,
});

// dx = dy * f'(x), fused into one kernel; the derivative of a derivative is not needed yet.
const unaryGradDef = (name: UnaryGradOp): OpDef<undefined> => ({
  name: `${name}Grad`,
  infer: ([x, , dy]) => ({ shape: dy.shape, dtype: x.dtype }),
  kernel: (backend, [x, y, dy]) => backend.unaryGrad(name, x, y, dy),
  grad: 'nonDifferentiable',
});
const reluGradOp = unaryGradDef('relu');
const sigmoidGradOp = unaryGradDef('sigmoid');
const tanhGradOp = unaryGradDef('tanh');

/**
 * dy·f'(x) for a fused activation, from its output y alone: relu'(x) = 1[y > 0], σ' = y(1 - y),
 * tanh' = 1 - y² (the unary_grad kernels read x only for relu, and x > 0 ⇔ y > 0 there).
 */
export function activationGrad(activation: FusedActivation, y: Tensor, dy: Tensor): Tensor {
  const op = { relu: reluGradOp, sigmoid: sigmoidGradOp, tanh: tanhGradOp, linear: null }[activation];
  return op ? runOp(op, [y, y, dy], undefined) : dy;
}

const binaryDef = (name: BinaryOp, grad: GradRule<undefined>): OpDef<undefined> => ({
  name,
  infer: ([a, b]) => {
    requireFloat(name, a, b);
    return { shape: sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(name, a.shape, b.shape), dtype: a.dtype };
  },
  kernel: (backend, [a, b], _, out) => backend.binary(name, a, b, out.shape),
  grad,
});

export const elementwiseOps = {
  neg: unaryDef('neg', (dy) => [() => neg(dy)]),
  exp: unaryDef('exp', (dy, _, y) => [() => mul(dy, y)]), // d/dx e^x = e^x = y
  log: unaryDef('log', (dy, [x]) => [() => div(dy, x)]), // d/dx ln x = 1/x
  relu: unaryDef('relu', (dy, [x], y) => [() => runOp(reluGradOp, [x, y, dy], undefined)]), // 1[x > 0]
  sigmoid: unaryDef('sigmoid', (dy, [x], y) => [() => runOp(sigmoidGradOp, [x, y, dy], undefined)]), // y(1 - y)
  tanh: unaryDef('tanh', (dy, [x], y) => [() => runOp(tanhGradOp, [x, y, dy], undefined)]), // 1 - y²
  add: binaryDef('add', (dy) => [() => dy, () => dy]),
  sub: binaryDef('sub', (dy) => [() => dy, () => neg(dy)]),
  mul: binaryDef('mul', (dy, [a, b]) => [() => mul(dy, b), () => mul(dy, a)]),
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b² = -y/b
  div: binaryDef('div', (dy, [, b], y) => [() => div(dy, b), () => neg(div(mul(dy, y), b))]),
} satisfies Record<string, OpDef<undefined>>;

export const neg = (x: Tensor): Tensor => runOp(elementwiseOps.neg, [x], undefined);
export const exp = (x: Tensor): Tensor => runOp(elementwiseOps.exp, [x], undefined);
export const log = (x: Tensor): Tensor => runOp(elementwiseOps.log, [x], undefined);
export const relu = (x: Tensor): Tensor => runOp(elementwiseOps.relu, [x], undefined);
export const sigmoid = (x: Tensor): Tensor => runOp(elementwiseOps.sigmoid, [x], undefined);
export const tanh = (x: Tensor): Tensor => runOp(elementwiseOps.tanh, [x], undefined);

const binary = (op: OpDef<undefined>, a: Tensor | number, b: Tensor | number): Tensor => {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op.name}: at least one input must be a Tensor`);
  const ta = asTensor(a, b as Tensor);
  return runOp(op, [ta, asTensor(b, ta)], undefined);
};
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary(elementwiseOps.add, a, b);
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary(elementwiseOps.sub, a, b);
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary(elementwiseOps.mul, a, b);
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary(elementwiseOps.div, a, b);

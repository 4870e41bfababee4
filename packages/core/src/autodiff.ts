// Reverse-mode autodiff, as the computation-graph lectures teach it: run f with a tape watching its
// arguments, then walk the tape backwards applying each op's chain-rule thunks. Gradients that reach
// a tensor by several paths are summed, and broadcast gradients are summed back to the input's shape,
// both here in the walk and nowhere else.
import { fmt, sameShape, type Shape } from './dtype.js';
import { shareStorage, Tape, tapes, tidy, type TapeNode } from './engine.js';
import { add } from './ops/elementwise.js';
import { onesLike, zerosLike } from './ops/creation.js';
import { reshape } from './ops/movement.js';
import { sum } from './ops/reduce.js';
import { Tensor } from './tensor.js';

/** Sums g over the axes along which `shape` was broadcast to g's shape, then gives it `shape`. */
function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
  return reshape(sum(g, axes), shape);
}

/** What one consumer sends back to input i of a node: trace.ts shows these as the terms of a sum. */
export type EdgeGradObserver = (node: TapeNode, inputIndex: number, g: Tensor) => void;

/**
 * Walks the tape from y (seeded with dy) and returns each reached tensor's gradient by id. A tape that
 * records all gives every input a gradient, not only watched ones.
 */
export function backward(tape: Tape, y: Tensor, dy: Tensor, onEdge?: EdgeGradObserver): Map<number, Tensor> {
  const grads = new Map<number, Tensor>([[y.id, dy]]);
  for (let n = tape.nodes.length - 1; n >= 0; n--) {
    const node = tape.nodes[n];
    const gy = grads.get(node.outputId);
    if (!gy || node.op.grad === 'nonDifferentiable') continue;
    const thunks = node.op.grad(gy, node.inputs, node.output, node.attrs as never);
    node.inputs.forEach((input, i) => {
      const thunk = thunks[i];
      if (!thunk || !(tape.recordsAll || tape.watched.has(node.inputIds[i]))) return;
      const g = unbroadcast(thunk(), input.shape);
      onEdge?.(node, i, g);
      const prev = grads.get(node.inputIds[i]);
      grads.set(node.inputIds[i], prev ? add(prev, g) : g); // several paths: sum
    });
  }
  return grads;
}

export interface ValueAndGrads {
  value: Tensor;
  grads: Tensor[];
}

/**
 * valueAndGrad(f)(...xs) gives f's value and d(sum of f)/dx for each argument (the seed is ones, so a
 * non-scalar f is summed, as in TF.js). Arguments f does not depend on get zero gradients.
 */
export function valueAndGrad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => ValueAndGrads {
  return (...xs) => {
    xs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new Error(`grad: argument ${i} is ${typeof x}, expected a Tensor`);
      if (x.dtype !== 'float32') {
        throw new Error(`grad: argument ${i} (shape ${fmt(x.shape)}) is ${x.dtype}; gradients need float32`);
      }
    });
    const tape = new Tape();
    xs.forEach((x) => tape.watched.add(x.id));
    try {
      return tidy(() => {
        tapes.push(tape);
        let value: Tensor;
        try {
          value = f(...xs);
        } finally {
          tapes.pop();
        }
        if (!(value instanceof Tensor)) throw new Error(`grad: f must return a Tensor, got ${typeof value}`);
        const grads = backward(tape, value, onesLike(value));
        // Each result is its own tensor, so disposing one gradient never frees another or an argument.
        const handedOut = new Set<Tensor>([value, ...xs]);
        const distinct = (g: Tensor) => (handedOut.has(g) ? shareStorage(g) : (handedOut.add(g), g));
        return { value, grads: xs.map((x) => distinct(grads.get(x.id) ?? zerosLike(x))) };
      });
    } finally {
      tape.release();
    }
  };
}

/** grad(f)(...xs) gives one gradient per argument: d(sum of f)/dx. */
export function grad(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Tensor[] {
  const vg = valueAndGrad(f);
  return (...xs) => {
    const { value, grads } = vg(...xs);
    if (!xs.includes(value)) value.dispose();
    return grads;
  };
}

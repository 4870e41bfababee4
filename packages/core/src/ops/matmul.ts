// Matrix multiplication, 2-D and batched (leading axes broadcast), with transpose flags as TF.js has
// them. The backend sees rank-3 views [batch, rows, cols]. Imports the engine and movement ops.
import { broadcastShapes, fmt, sizeOf, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { requireFloat } from './elementwise.js';
import { broadcastTo } from './movement.js';

export interface MatmulAttrs { readonly transposeA: boolean; readonly transposeB: boolean }

const rows = (s: Shape) => s[s.length - 2];
const cols = (s: Shape) => s[s.length - 1];

function matmulShape(a: Shape, b: Shape, { transposeA, transposeB }: MatmulAttrs): { batch: number[]; m: number; n: number } {
  if (a.length < 2 || b.length < 2) {
    throw new Error(`matmul: inputs must have rank >= 2, got shapes ${fmt(a)} and ${fmt(b)}`);
  }
  const [m, ka] = transposeA ? [cols(a), rows(a)] : [rows(a), cols(a)];
  const [kb, n] = transposeB ? [cols(b), rows(b)] : [rows(b), cols(b)];
  if (ka !== kb) {
    throw new Error(`matmul: inner dimensions differ: ${fmt(a)}${transposeA ? 'ᵀ' : ''} · ${fmt(b)}${transposeB ? 'ᵀ' : ''} ` +
      `multiplies ${m}×${ka} by ${kb}×${n}; expected equal inner sizes (${ka} vs ${kb})`);
  }
  return { batch: broadcastShapes('matmul (batch axes)', a.slice(0, -2), b.slice(0, -2)), m, n };
}

const matmulOp: OpDef<MatmulAttrs> = {
  name: 'matmul',
  infer: ([a, b], attrs) => {
    requireFloat('matmul', a, b);
    const { batch, m, n } = matmulShape(a.shape, b.shape, attrs);
    return { shape: [...batch, m, n], dtype: a.dtype };
  },
  kernel: (backend, [a, b], attrs, out) => {
    const batch = sizeOf(out.shape.slice(0, -2));
    const view = (t: typeof a) => ({ ...t, shape: [sizeOf(t.shape.slice(0, -2)), rows(t.shape), cols(t.shape)] });
    return backend.matmul(view(a), view(b), batch, attrs);
  },
  // C = op(A)·op(B): dA and dB by the four transpose cases; batch axes are summed back by the tape.
  grad: (dy, [a, b], _, { transposeA, transposeB }) => [
    () => (transposeA ? matmul(b, dy, transposeB, true) : matmul(dy, b, false, !transposeB)),
    () => (transposeB ? matmul(dy, a, true, transposeA) : matmul(a, dy, !transposeA, false)),
  ],
};
export const matmulOps = { matmul: matmulOp };

/** op(a)·op(b) over the last two axes; leading (batch) axes broadcast. */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const attrs = { transposeA, transposeB };
  const { batch } = matmulShape(a.shape, b.shape, attrs);
  // The kernel handles a batch of 1 against many; other batch broadcasts are materialised first.
  const expand = (t: Tensor) => {
    const own = t.shape.slice(0, -2);
    return sizeOf(own) === 1 || sizeOf(own) === sizeOf(batch) ? t : broadcastTo(t, [...batch, ...t.shape.slice(-2)]);
  };
  return runOp(matmulOp, [expand(a), expand(b)], attrs);
}


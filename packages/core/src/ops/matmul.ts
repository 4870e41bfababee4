// Matrix multiplication, 2-D and batched (leading axes broadcast), with transpose flags as TF.js has
// them. The backend sees rank-3 views [batch, rows, cols].
import { broadcastShapes, fmt, sizeOf, type Shape } from '../dtype.js';
import { runOp, type OpDef } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { FUSED_ACTIVATIONS, type FusedActivation } from '../backend.js';
import { activationGrad, requireFloat } from './elementwise.js';
import { broadcastTo } from './movement.js';

export interface MatmulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const rows = (s: Shape) => s[s.length - 2];
const cols = (s: Shape) => s[s.length - 1];

function matmulShape(
  a: Shape,
  b: Shape,
  { transposeA, transposeB }: MatmulAttrs,
): { batch: number[]; m: number; n: number } {
  if (a.length < 2 || b.length < 2) {
    throw new Error(`matmul: inputs must have rank >= 2, got shapes ${fmt(a)} and ${fmt(b)}`);
  }
  const [m, ka] = transposeA ? [cols(a), rows(a)] : [rows(a), cols(a)];
  const [kb, n] = transposeB ? [cols(b), rows(b)] : [rows(b), cols(b)];
  if (ka !== kb) {
    throw new Error(
      `matmul: inner dimensions differ: ${fmt(a)}${transposeA ? 'ᵀ' : ''} · ${fmt(b)}${transposeB ? 'ᵀ' : ''} ` +
        `multiplies ${m}×${ka} by ${kb}×${n}; expected equal inner sizes (${ka} vs ${kb})`,
    );
  }
  return { batch: broadcastShapes('matmul (batch axes)', a.slice(0, -2), b.slice(0, -2)), m, n };
}

// The kernel handles a batch of 1 against many; other batch broadcasts are materialised first.
function expandBatch(a: Tensor, b: Tensor, attrs: MatmulAttrs): [Tensor, Tensor] {
  const { batch } = matmulShape(a.shape, b.shape, attrs);
  const expand = (t: Tensor) => {
    const own = t.shape.slice(0, -2);
    return sizeOf(own) === 1 || sizeOf(own) === sizeOf(batch) ? t : broadcastTo(t, [...batch, ...t.shape.slice(-2)]);
  };
  return [expand(a), expand(b)];
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
export interface FusedMatmulAttrs extends MatmulAttrs {
  readonly activation: FusedActivation;
  readonly hasBias: boolean;
}

// y = act(z), z = op(A)·op(B) + bias: dz from y, then the matmul rules on dz; the bias gradient is dz,
// summed over rows and batch by the tape's un-broadcasting.
const fusedMatmulOp: OpDef<FusedMatmulAttrs> = {
  name: 'fusedMatmul',
  infer: ([a, b, bias], attrs) => {
    const out = matmulOp.infer([a, b], attrs);
    const n = out.shape[out.shape.length - 1];
    if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) {
      throw new Error(
        `fusedMatmul: bias of shape ${fmt(bias.shape)} does not fit the result ${fmt(out.shape)}; expected [${n}]`,
      );
    }
    if (bias) requireFloat('fusedMatmul', bias);
    return out;
  },
  kernel: (backend, [a, b, bias], attrs, out) => {
    const batch = sizeOf(out.shape.slice(0, -2));
    const view = (t: typeof a) => ({ ...t, shape: [sizeOf(t.shape.slice(0, -2)), rows(t.shape), cols(t.shape)] });
    return backend.matmul(view(a), view(b), batch, attrs, { bias, activation: attrs.activation });
  },
  grad: (dy, [a, b], y, attrs) => {
    let dz: Tensor | undefined;
    const gradZ = () => (dz ??= activationGrad(attrs.activation, y, dy));
    return [
      () =>
        attrs.transposeA ? matmul(b, gradZ(), attrs.transposeB, true) : matmul(gradZ(), b, false, !attrs.transposeB),
      () =>
        attrs.transposeB ? matmul(gradZ(), a, true, attrs.transposeA) : matmul(a, gradZ(), !attrs.transposeA, false),
      () => gradZ(),
    ];
  },
};

export const matmulOps = { matmul: matmulOp, fusedMatmul: fusedMatmulOp };

export interface FusedMatmulArgs {
  a: Tensor;
  b: Tensor;
  transposeA?: boolean;
  transposeB?: boolean;
  /** [N], added to every row of the product. */
  bias?: Tensor;
  activation?: FusedActivation;
}

/** act(op(a)·op(b) + bias) in one kernel (TF.js's tf.fused.matMul): a Dense layer's forward pass. */
export function fusedMatmul({
  a,
  b,
  transposeA = false,
  transposeB = false,
  bias,
  activation = 'linear',
}: FusedMatmulArgs): Tensor {
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `fusedMatmul: activation '${activation as string}' cannot be fused; expected one of ${FUSED_ACTIVATIONS.join(', ')}`,
    );
  }
  const attrs = { transposeA, transposeB, activation, hasBias: !!bias };
  const [ea, eb] = expandBatch(a, b, attrs);
  return runOp(fusedMatmulOp, bias ? [ea, eb, bias] : [ea, eb], attrs);
}

/** op(a)·op(b) over the last two axes; leading (batch) axes broadcast. */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const attrs = { transposeA, transposeB };
  return runOp(matmulOp, expandBatch(a, b, attrs), attrs);
}

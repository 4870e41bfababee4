// Merge layers: a list of tensors in, one out (Keras's Add, Subtract, Multiply, Average, Maximum,
// Minimum, Concatenate, Dot). The elementwise ones broadcast sample shapes as Keras 3 does (a lower-rank
// input gains size-1 axes after the batch axis; a size-1 axis stretches); shapes that cannot meet are
// refused in computeOutputShape, so a symbolic apply names the layer and the shapes before any graph
// is built. Gradients come from the core ops each is written with. Masks combine as Keras 3's do: the
// elementwise layers keep a timestep any input's mask keeps, and give no mask when an input has none;
// Concatenate keeps an element of the joined axis any input's mask keeps (an unmasked input counting as
// all kept); Dot gives none. In a model, Multiply, Maximum and Minimum also leave masked values out of
// the result as Keras 3's do: Multiply reads them as 1 (and zeros the steps no mask keeps, when every
// input has one), Maximum and Minimum take the other operand there.
import {
  add,
  broadcastTo,
  concat,
  matmul,
  max,
  maximum,
  minimum,
  mul,
  reshape,
  rsqrt,
  ones,
  square,
  sub,
  sum,
  transpose,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import { uniqueName, type BaseLayerOptions, type ListLayer } from '../layer.js';
import { defineListLayer, describeLayer } from '../symbolic.js';

const fmtShape = (s: Shape): string => `(None, ${s.join(', ')})`;
const fmtShapes = (shapes: readonly Shape[]): string => shapes.map(fmtShape).join(' and ');

type MaskRule = (xs: Tensor[], masks: readonly (Tensor | undefined)[]) => Tensor | undefined;

/** Keras 3's Merge.compute_mask: the masks or'ed, or none when an input has none. */
const eitherKept: MaskRule = (_xs, masks) =>
  masks.some((m) => m === undefined) ? undefined : (masks as Tensor[]).reduce((kept, m) => maximum(kept, m));

/** A merge layer's object: no weights, a shape rule, a call on the list and how its inputs' masks combine. */
function merge(
  className: string,
  prefix: string,
  options: BaseLayerOptions,
  outputShape: (shapes: Shape[]) => Shape,
  run: (xs: Tensor[], masks: readonly (Tensor | undefined)[]) => Tensor,
  config: Record<string, unknown> = {},
  maskRule: MaskRule | null = eitherKept,
): ListLayer {
  const layer: ListLayer = defineListLayer({
    className,
    name: options.name ?? uniqueName(prefix),
    inputShape: options.inputShape,
    weights: [],
    built: true,
    build: () => {},
    computeOutputShape: outputShape,
    call(xs: Tensor[], context) {
      // an eager call checks what a symbolic apply does, and names the layer as it would
      try {
        outputShape(xs.map((x) => x.shape.slice(1)));
      } catch (error) {
        throw new Error(`${describeLayer(layer)}: ${(error as Error).message}`, { cause: error });
      }
      return run(xs, context.masks ?? []);
    },
    computeMask: maskRule ?? undefined,
    getConfig: () => ({ ...config }),
  });
  return layer;
}

function requireCount(className: string, shapes: readonly Shape[], min: number, max = Infinity): void {
  if (shapes.length < min || shapes.length > max) {
    const wanted = min === max ? `exactly ${min}` : `at least ${min}`;
    throw new Error(`${className} takes ${wanted} inputs, got ${shapes.length}: ${fmtShapes(shapes)}`);
  }
}

/** The broadcast of sample shapes, right-aligned, as Keras 3's merge layers take them. */
function broadcastSamples(className: string, shapes: readonly Shape[]): Shape {
  requireCount(className, shapes, 1);
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    const sizes = shapes.map((s) => s[s.length - rank + d] ?? 1);
    const size = Math.max(...sizes);
    if (sizes.some((n) => n !== 1 && n !== size)) {
      throw new Error(
        `${className} needs inputs of one shape (or shapes that broadcast), got ${fmtShapes(shapes)}; ` +
          `axis ${d + 1} differs (${sizes.join(' vs ')})`,
      );
    }
    out.push(size);
  }
  return out;
}

/** Each input with size-1 axes after its batch axis up to the broadcast rank, then folded by `op`. */
function elementwise(xs: Tensor[], op: (a: Tensor, b: Tensor) => Tensor): Tensor {
  const rank = Math.max(...xs.map((x) => x.rank));
  const lifted = xs.map((x) =>
    x.rank === rank ? x : reshape(x, [x.shape[0], ...Array<number>(rank - x.rank).fill(1), ...x.shape.slice(1)]),
  );
  return lifted.reduce((total, x) => op(total, x));
}

/** A [batch, T] mask with size-1 axes after T, to broadcast over x. */
const lift = (m: Tensor, x: Tensor): Tensor => reshape(m, [...m.shape, ...Array<number>(x.rank - m.rank).fill(1)]);
/** where(m, a, b) for a 0/1 float mask. */
const where01 = (m: Tensor, a: Tensor, b: Tensor | number): Tensor => add(b, mul(m, sub(a, b)));

/** Keras 3's Multiply: a masked value counts as 1; with every input masked, steps no mask keeps give 0. */
function maskedProduct(xs: Tensor[], masks: readonly (Tensor | undefined)[]): Tensor {
  if (masks.every((m) => m === undefined)) return elementwise(xs, mul);
  const ones = xs.map((x, i) => (masks[i] ? where01(lift(masks[i], x), x, 1) : x));
  const product = elementwise(ones, mul);
  const kept = eitherKept(xs, masks);
  return kept ? mul(product, lift(kept, product)) : product;
}

/** Keras 3's _apply_merge_op_and_or_mask (Maximum, Minimum): a masked value gives way to the other operand. */
function maskedFold(
  xs: Tensor[],
  masks: readonly (Tensor | undefined)[],
  op: (a: Tensor, b: Tensor) => Tensor,
): Tensor {
  if (masks.every((m) => m === undefined)) return elementwise(xs, op);
  let output = xs[0];
  let outputMask = masks[0];
  for (let i = 1; i < xs.length; i++) {
    let x = xs[i];
    const mask = masks[i];
    if (mask) x = where01(lift(mask, x), x, output);
    if (outputMask) output = where01(lift(outputMask, output), output, x);
    outputMask = mask && outputMask ? maximum(outputMask, mask) : undefined;
    output = op(output, x);
  }
  return output;
}

type ElementwiseOptions = BaseLayerOptions;

/** The sum of its inputs. */
export const addLayer = (options: ElementwiseOptions = {}): ListLayer =>
  merge(
    'Add',
    'add',
    options,
    (s) => broadcastSamples('Add', s),
    (xs) => elementwise(xs, add),
  );

/** Its first input less its second (exactly two). */
export const subtractLayer = (options: ElementwiseOptions = {}): ListLayer =>
  merge(
    'Subtract',
    'subtract',
    options,
    (s) => {
      requireCount('Subtract', s, 2, 2);
      return broadcastSamples('Subtract', s);
    },
    (xs) => elementwise(xs, sub),
  );

/** The elementwise product of its inputs. */
export const multiplyLayer = (options: ElementwiseOptions = {}): ListLayer =>
  merge('Multiply', 'multiply', options, (s) => broadcastSamples('Multiply', s), maskedProduct);

/** The mean of its inputs. */
export const averageLayer = (options: ElementwiseOptions = {}): ListLayer =>
  merge(
    'Average',
    'average',
    options,
    (s) => broadcastSamples('Average', s),
    (xs) => mul(elementwise(xs, add), 1 / xs.length),
  );

/** The elementwise maximum of its inputs (a tie sends the gradient where core's maximum does). */
export const maximumLayer = (options: ElementwiseOptions = {}): ListLayer =>
  merge(
    'Maximum',
    'maximum',
    options,
    (s) => broadcastSamples('Maximum', s),
    (xs, masks) => maskedFold(xs, masks, maximum),
  );

/** The elementwise minimum of its inputs. */
export const minimumLayer = (options: ElementwiseOptions = {}): ListLayer =>
  merge(
    'Minimum',
    'minimum',
    options,
    (s) => broadcastSamples('Minimum', s),
    (xs, masks) => maskedFold(xs, masks, minimum),
  );

/** A Keras axis (counting the batch axis; negative from the end) as an index into the sample shape. */
function sampleAxis(className: string, axis: number, rank: number, shapes: readonly Shape[]): number {
  const full = axis < 0 ? axis + rank + 1 : axis;
  if (!Number.isInteger(axis) || full < 1 || full > rank) {
    throw new Error(
      `${className}: axis ${axis} is not an axis of ${fmtShapes(shapes)} other than the batch axis ` +
        `(expected 1..${rank} or -${rank}..-1)`,
    );
  }
  return full - 1;
}

export interface ConcatenateOptions extends BaseLayerOptions {
  /** The axis to join along, counting the batch axis (Keras: -1). */
  axis?: number;
}

/** Its inputs joined along `axis`; every other axis must agree. */
export function concatenate(options: ConcatenateOptions = {}): ListLayer {
  const { axis = -1 } = options;
  if (!Number.isInteger(axis) || axis === 0) {
    throw new Error(`concatenate: axis must be a non-zero integer (0 is the batch axis), got ${JSON.stringify(axis)}`);
  }
  const outputShape = (shapes: Shape[]): Shape => {
    requireCount('Concatenate', shapes, 1);
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) {
      throw new Error(`Concatenate needs inputs of one rank, got ${fmtShapes(shapes)}`);
    }
    const a = sampleAxis('Concatenate', axis, rank, shapes);
    if (shapes.some((s) => s.some((d, i) => i !== a && d !== shapes[0][i]))) {
      throw new Error(
        `Concatenate along axis ${axis} needs inputs that agree on every other axis, got ${fmtShapes(shapes)}`,
      );
    }
    const out = [...shapes[0]];
    out[a] = shapes.reduce((n, s) => n + s[a], 0);
    return out;
  };
  const joinAxis = (xs: Tensor[]): number => sampleAxis('Concatenate', axis, xs[0].rank - 1, []) + 1;
  // Keras's Concatenate.compute_mask: each mask stretched over its input (an unmasked input all kept),
  // joined as the inputs are, then an element of the output's mask kept where any feature is
  const anyKept: MaskRule = (xs, masks) => {
    if (masks.every((m) => m === undefined)) return undefined;
    const full = xs.map((x, i) => {
      const m = masks[i];
      return m ? broadcastTo(lift(m, x), x.shape) : ones(x.shape);
    });
    return max(concat(full, joinAxis(xs)), -1);
  };
  return merge('Concatenate', 'concatenate', options, outputShape, (xs) => concat(xs, joinAxis(xs)), { axis }, anyKept);
}

export interface DotOptions extends BaseLayerOptions {
  /** The axis of each input summed over (counting the batch axis): one for both or a pair. */
  axes: number | [number, number];
  /** L2-normalise both inputs along their axes first: the dot is then the cosine similarity. */
  normalize?: boolean;
}

/** x / max(‖x‖, 1e-7) along `axis`, as Keras 3's ops.normalize (its norm bounded below by epsilon 1e-7). */
const l2Normalize = (x: Tensor, axis: number): Tensor => mul(x, rsqrt(maximum(sum(square(x), axis, true), 1e-14)));

/**
 * The batched dot product of two inputs over one axis each (Keras's batch_dot): (None, n)·(None, n)
 * gives (None, 1); (None, m, n)·(None, n, p) over axes [2, 1] gives (None, m, p).
 */
export function dot(options: DotOptions): ListLayer {
  const { axes, normalize = false } = options;
  const pair: unknown[] = typeof axes === 'number' ? [axes, axes] : Array.isArray(axes) ? axes : [];
  if (pair.length !== 2 || !pair.every((a) => Number.isInteger(a) && a !== 0)) {
    throw new Error(
      `dot: axes must be a non-zero integer or a pair of them (0 is the batch axis), got ${JSON.stringify(axes)}`,
    );
  }
  const [ax, ay] = pair as [number, number];
  // the contracted axes as sample-shape indices, and the output's sample shape
  const plan = (shapes: Shape[]) => {
    requireCount('Dot', shapes, 2, 2);
    const [sx, sy] = shapes;
    const a = sampleAxis('Dot', ax, sx.length, shapes);
    const b = sampleAxis('Dot', ay, sy.length, shapes);
    if (sx[a] !== sy[b]) {
      throw new Error(
        `Dot over axes [${ax}, ${ay}] needs those axes of equal size, got ${fmtShapes(shapes)} (${sx[a]} vs ${sy[b]})`,
      );
    }
    const rest = [...sx.filter((_, i) => i !== a), ...sy.filter((_, i) => i !== b)];
    return { a, b, out: rest.length ? rest : [1] };
  };
  const run = ([x, y]: Tensor[]): Tensor => {
    const { a, b, out } = plan([x.shape.slice(1), y.shape.slice(1)]);
    const [nx, ny] = normalize ? [l2Normalize(x, a + 1), l2Normalize(y, b + 1)] : [x, y];
    // x as [batch, rest, k] and y as [batch, k, rest]: one batched matmul
    const keepX = nx.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a + 1);
    const keepY = ny.shape.map((_, i) => i).filter((i) => i !== 0 && i !== b + 1);
    const k = nx.shape[a + 1];
    const left = reshape(transpose(nx, [0, ...keepX, a + 1]), [nx.shape[0], -1, k]);
    const right = reshape(transpose(ny, [0, b + 1, ...keepY]), [ny.shape[0], k, -1]);
    return reshape(matmul(left, right), [nx.shape[0], ...out]);
  };
  // Keras's Dot has no mask: a product over a sequence axis has no timesteps left to mask
  return merge('Dot', 'dot', options, (s) => plan(s).out, run, { axes, normalize }, null);
}

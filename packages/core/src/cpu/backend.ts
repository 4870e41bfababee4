// The CPU reference backend: plain, obviously-correct TypeScript computing in float64. It is the
// oracle for every kernel test and the fallback where no GPU exists; speed is not sought here.
// Storage is a Float64Array for every dtype. Every op-code dispatch is a table keyed by the contract's
// union (or a switch ending in a `never` check), so an op missing here does not compile.
import type {
  Backend,
  BinaryOp,
  Conv2DGeometry,
  MatmulEpilogue,
  PoolKind,
  MatmulOptions,
  OptimizerHyper,
  OptimizerKind,
  RecurrentConfig,
  RecurrentGradPart,
  ReduceOp,
  SummarySegment,
  TensorInfo,
  UnaryGradOp,
  UnaryOp,
} from '../backend.js';
import { broadcastStrides, sizeOf, stridesOf, type DType, type Shape } from '../dtype.js';
import { bernoulliValues, categoricalValues, normalValues, uniformValues } from '../rng.js';
import * as conv from './conv.js';
import * as loss from './loss.js';
import * as recurrent from './recurrent.js';
import * as segment from './segment.js';

const values = (x: TensorInfo) => x.storage as Float64Array;

const SELU_SCALE = 1.0507009873554805,
  SELU_ALPHA = 1.6732632423543772;

/** erf to float64 accuracy: its Taylor series for |x| < 2.5, the continued fraction of erfc beyond. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a,
      total = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      total += term / (2 * n + 1);
    }
    return Math.sign(x) * total * (2 / Math.sqrt(Math.PI));
  }
  let f = a; // erfc(a) = e^{-a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated from the tail
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f));
}
const normalCdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
const normalPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const sigmoidOf = (x: number) => 1 / (1 + Math.exp(-x));

const unaryFns: { readonly [K in UnaryOp]: (x: number, alpha: number) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: sigmoidOf,
  tanh: Math.tanh,
  abs: Math.abs,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  leakyRelu: (x, alpha) => (x > 0 ? x : alpha * x),
  elu: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  gelu: (x) => x * normalCdf(x),
  isFinite: (x) => +Number.isFinite(x),
};

// f'(x), from x or from y = f(x); dx = dy · f'(x)
const derivativeFns: { readonly [K in UnaryGradOp]: (x: number, y: number, alpha: number) => number } = {
  relu: (x) => (x > 0 ? 1 : 0),
  sigmoid: (_, y) => y * (1 - y),
  tanh: (_, y) => 1 - y * y,
  abs: Math.sign,
  sqrt: (_, y) => 0.5 / y,
  rsqrt: (_, y) => -0.5 * y * y * y,
  square: (x) => 2 * x,
  reciprocal: (_, y) => -y * y,
  leakyRelu: (x, _, alpha) => (x > 0 ? 1 : alpha),
  elu: (x, y, alpha) => (x > 0 ? 1 : y + alpha),
  selu: (x, y) => (x > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA),
  softplus: (x) => sigmoidOf(x),
  gelu: (x) => normalCdf(x) + x * normalPdf(x),
  sigmoidBce: (x, labels) => sigmoidOf(x) - labels,
};

/** The activation a matmul or convolution epilogue applies (the identity without one). */
const epilogueActivation = (epilogue: MatmulEpilogue | undefined): ((z: number) => number) => {
  const activation = epilogue?.activation ?? 'linear';
  return activation === 'linear' ? (z) => z : (z) => unaryFns[activation](z, 0);
};

const binaryFns: { readonly [K in BinaryOp]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
  greater: (a, b) => +(a > b),
  less: (a, b) => +(a < b),
  equal: (a, b) => +(a === b),
  greaterEqual: (a, b) => +(a >= b),
  lessEqual: (a, b) => +(a <= b),
  sigmoidBce: (x, z) => Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x))),
};

/** Each reduction as a fold: where it starts, how it takes in one element, and how it ends given the count. */
interface Fold {
  readonly identity: number;
  readonly combine: (a: number, b: number) => number;
  readonly finish: (total: number, count: number) => number;
}
const folds: { readonly [K in ReduceOp]: Fold } = {
  sum: { identity: 0, combine: (a, b) => a + b, finish: (total) => total },
  mean: { identity: 0, combine: (a, b) => a + b, finish: (total, count) => total / count },
  max: { identity: -Infinity, combine: Math.max, finish: (total) => total },
  min: { identity: Infinity, combine: Math.min, finish: (total) => total },
};

/** For each flat index of `outShape`, the flat index into a tensor of `inShape` broadcast to it. */
function broadcastIndex(inShape: Shape, outShape: Shape): (i: number) => number {
  // The common case, no broadcast: the reference backend runs large specs, and the index math would dominate them.
  if (inShape.length === outShape.length && inShape.every((n, d) => n === outShape[d])) return (i) => i;
  const inStrides = broadcastStrides(inShape, outShape);
  const outStrides = stridesOf(outShape);
  return (i) => {
    let offset = 0;
    for (let d = 0; d < outShape.length; d++) offset += (Math.floor(i / outStrides[d]) % outShape[d]) * inStrides[d];
    return offset;
  };
}

export class CpuBackend implements Backend {
  readonly name = 'cpu';

  describe(): string {
    return 'CPU reference (float64, TypeScript)';
  }

  write(data: ArrayLike<number>, _shape: Shape, dtype: DType): Float64Array {
    const out = Float64Array.from(data);
    return dtype === 'int32' ? out.map((v) => v | 0) : out;
  }

  async read(x: TensorInfo): Promise<Float64Array | Int32Array> {
    return x.dtype === 'int32' ? Int32Array.from(values(x)) : values(x).slice();
  }

  dispose(): void {
    /* garbage collected */
  }

  fill(shape: Shape, value: number): Float64Array {
    return new Float64Array(sizeOf(shape)).fill(value);
  }

  broadcastTo(x: TensorInfo, shape: Shape): Float64Array {
    const src = values(x),
      index = broadcastIndex(x.shape, shape);
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = src[index(i)];
    return out;
  }

  /** dst[dstOffset + c·dstStrides] = src[srcOffset + c·srcStrides] for every coordinate c of `shape`. */
  private copyStrided(
    src: Float64Array,
    srcOffset: number,
    srcStrides: readonly number[],
    dst: Float64Array,
    dstOffset: number,
    dstStrides: readonly number[],
    shape: Shape,
  ): void {
    const strides = stridesOf(shape);
    for (let i = 0; i < sizeOf(shape); i++) {
      let from = srcOffset,
        to = dstOffset;
      for (let d = 0; d < shape.length; d++) {
        const c = Math.floor(i / strides[d]) % shape[d];
        from += c * srcStrides[d];
        to += c * dstStrides[d];
      }
      dst[to] = src[from];
    }
  }

  transpose(x: TensorInfo, perm: readonly number[]): Float64Array {
    const shape = perm.map((p) => x.shape[p]),
      strides = stridesOf(x.shape);
    const out = new Float64Array(sizeOf(shape));
    this.copyStrided(
      values(x),
      0,
      perm.map((p) => strides[p]),
      out,
      0,
      stridesOf(shape),
      shape,
    );
    return out;
  }

  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): Float64Array {
    const strides = stridesOf(x.shape);
    const out = new Float64Array(sizeOf(size));
    this.copyStrided(
      values(x),
      begin.reduce((o, b, d) => o + b * strides[d], 0),
      strides,
      out,
      0,
      stridesOf(size),
      size,
    );
    return out;
  }

  concat(xs: readonly TensorInfo[], axis: number, outShape: Shape): Float64Array {
    const out = new Float64Array(sizeOf(outShape)),
      outStrides = stridesOf(outShape);
    let at = 0;
    for (const x of xs) {
      this.copyStrided(values(x), 0, stridesOf(x.shape), out, at * outStrides[axis], outStrides, x.shape);
      at += x.shape[axis];
    }
    return out;
  }

  pad(x: TensorInfo, before: readonly number[], outShape: Shape, value: number): Float64Array {
    const out = new Float64Array(sizeOf(outShape)).fill(value),
      outStrides = stridesOf(outShape);
    this.copyStrided(
      values(x),
      0,
      stridesOf(x.shape),
      out,
      before.reduce((o, b, d) => o + b * outStrides[d], 0),
      outStrides,
      x.shape,
    );
    return out;
  }

  gather(x: TensorInfo, indices: TensorInfo, axis: number): Float64Array {
    const outer = sizeOf(x.shape.slice(0, axis)),
      inner = sizeOf(x.shape.slice(axis + 1)),
      n = x.shape[axis];
    const idx = values(indices),
      src = values(x),
      out = new Float64Array(outer * idx.length * inner);
    const bad = idx.findIndex((k) => !(k >= 0 && k < n));
    if (bad >= 0) {
      const count = idx.filter((k) => !(k >= 0 && k < n)).length;
      throw new Error(
        `gather: ${count} ind${count > 1 ? 'ices' : 'ex'} out of range [0, ${n}), ` +
          `the first at position ${bad} of the indices (${idx[bad]})`,
      );
    }
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        for (let i = 0; i < inner; i++) {
          out[(o * idx.length + j) * inner + i] = idx[j] >= 0 && idx[j] < n ? src[(o * n + idx[j]) * inner + i] : 0;
        }
      }
    }
    return out;
  }

  segmentReduce(
    op: ReduceOp,
    data: TensorInfo,
    ids: TensorInfo,
    numSegments: number,
    axis: number,
    sorted: boolean,
    caller: string,
  ): Float64Array {
    return segment.segmentReduce(op, data, ids, numSegments, axis, sorted, caller);
  }

  flatIndices(indices: TensorInfo, dims: readonly number[], caller: string): Float64Array {
    return segment.flatIndices(indices, dims, caller);
  }

  sparseMatmul(rowPtr: TensorInfo, colIdx: TensorInfo, vals: TensorInfo, dense: TensorInfo): Float64Array {
    return segment.sparseMatmul(rowPtr, colIdx, vals, dense);
  }

  csrRowIds(rowPtr: TensorInfo, nnz: number): Float64Array {
    return segment.csrRowIds(rowPtr, nnz);
  }

  oneHot(indices: TensorInfo, depth: number, onValue: number, offValue: number): Float64Array {
    const idx = values(indices),
      out = new Float64Array(idx.length * depth).fill(offValue);
    idx.forEach((c, n) => {
      if (c >= 0 && c < depth) out[n * depth + c] = onValue;
    });
    return out;
  }

  cast(x: TensorInfo, dtype: DType): Float64Array {
    // saturating, as WGSL's f32 → i32 conversion is
    return dtype === 'int32'
      ? values(x).map((v) => (Number.isNaN(v) ? 0 : Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(v)))))
      : values(x).slice();
  }

  unary(op: UnaryOp, x: TensorInfo, alpha = 0): Float64Array {
    return values(x).map((v) => unaryFns[op](v, alpha));
  }

  unaryGrad(op: UnaryGradOp, x: TensorInfo, y: TensorInfo, dy: TensorInfo, alpha = 0): Float64Array {
    const xs = values(x),
      ys = values(y),
      f = derivativeFns[op];
    return values(dy).map((g, i) => g * f(xs[i], ys[i], alpha));
  }

  where(condition: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): Float64Array {
    const cv = values(condition),
      av = values(a),
      bv = values(b);
    const ic = broadcastIndex(condition.shape, outShape),
      ia = broadcastIndex(a.shape, outShape),
      ib = broadcastIndex(b.shape, outShape);
    const out = new Float64Array(sizeOf(outShape));
    for (let i = 0; i < out.length; i++) out[i] = cv[ic(i)] !== 0 ? av[ia(i)] : bv[ib(i)];
    return out;
  }

  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): Float64Array {
    const av = values(a),
      bv = values(b),
      f = binaryFns[op];
    const ia = broadcastIndex(a.shape, outShape),
      ib = broadcastIndex(b.shape, outShape);
    const out = new Float64Array(sizeOf(outShape));
    for (let i = 0; i < out.length; i++) out[i] = f(av[ia(i)], bv[ib(i)]);
    return out;
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): Float64Array {
    const keptShape = x.shape.filter((_, d) => !axes.includes(d));
    const keptStrides = stridesOf(keptShape);
    const inStrides = stridesOf(x.shape);
    const fold = folds[op];
    const out = new Float64Array(sizeOf(keptShape)).fill(fold.identity);
    const src = values(x);
    for (let i = 0; i < src.length; i++) {
      let o = 0,
        k = 0;
      for (let d = 0; d < x.shape.length; d++) {
        if (axes.includes(d)) continue;
        o += (Math.floor(i / inStrides[d]) % x.shape[d]) * keptStrides[k++];
      }
      out[o] = fold.combine(out[o], src[i]);
    }
    const count = sizeOf(axes.map((a) => x.shape[a]));
    return out.map((total) => fold.finish(total, count));
  }

  optimizerStep(
    kind: OptimizerKind,
    param: TensorInfo,
    grad: TensorInfo,
    state: readonly TensorInfo[],
    h: OptimizerHyper,
    scale?: TensorInfo,
  ): void {
    const theta = values(param),
      grads = values(grad),
      s0 = state[0] && values(state[0]),
      s1 = state[1] && values(state[1]);
    const factor = scale ? values(scale)[0] : 1,
      lr = h.learningRate;
    for (let i = 0; i < theta.length; i++) {
      let g = grads[i] * factor;
      if (h.clipValue > 0) g = Math.min(h.clipValue, Math.max(-h.clipValue, g));
      if (kind !== 'adamw') g += h.weightDecay * theta[i];
      switch (kind) {
        case 'sgd':
          theta[i] -= lr * g;
          break;
        case 'momentum':
        case 'nesterov':
          s0[i] = h.momentum * s0[i] - lr * g;
          theta[i] += kind === 'nesterov' ? h.momentum * s0[i] - lr * g : s0[i];
          break;
        case 'adagrad':
          s0[i] += g * g;
          theta[i] -= (lr * g) / (h.epsilon + Math.sqrt(s0[i]));
          break;
        case 'rmsprop':
        case 'rmspropMomentum':
        case 'rmspropNesterov': {
          s0[i] = h.rho * s0[i] + (1 - h.rho) * g * g;
          const step = (lr * g) / (Math.sqrt(s0[i]) + h.epsilon);
          if (kind === 'rmsprop') {
            theta[i] -= step;
            break;
          }
          s1[i] = h.momentum * s1[i] - step;
          theta[i] += kind === 'rmspropNesterov' ? h.momentum * s1[i] - step : s1[i];
          break;
        }
        case 'adam':
        case 'adamw':
          if (kind === 'adamw') theta[i] -= lr * h.weightDecay * theta[i];
          s0[i] = h.beta1 * s0[i] + (1 - h.beta1) * g;
          s1[i] = h.beta2 * s1[i] + (1 - h.beta2) * g * g;
          theta[i] -= (lr * s0[i] * h.bias1) / (Math.sqrt(s1[i] * h.bias2) + h.epsilon);
          break;
        default:
          throw new Error(`optimizerStep: unknown kind '${kind satisfies never as string}'`);
      }
    }
  }

  randomUniform(shape: Shape, seed: number, low: number, high: number, stream: number): Float64Array {
    return uniformValues(sizeOf(shape), seed, low, high, stream);
  }

  randomNormal(shape: Shape, seed: number, mean: number, std: number, stream: number): Float64Array {
    return normalValues(sizeOf(shape), seed, mean, std, stream);
  }

  bernoulli(shape: Shape, seed: number, p: number, stream: number): Float64Array {
    return bernoulliValues(sizeOf(shape), seed, p, stream);
  }

  multinomial(logits: TensorInfo, numSamples: number, temperature: number, seed: number, stream: number): Float64Array {
    const [rows, classes] = logits.shape;
    return Float64Array.from(categoricalValues(values(logits), rows, classes, numSamples, temperature, seed, stream));
  }

  assign(target: TensorInfo, source: TensorInfo): void {
    values(target).set(values(source));
  }

  clipScale(sumSquares: TensorInfo, clipNorm: number): Float64Array {
    const norm = Math.sqrt(values(sumSquares)[0]);
    return Float64Array.of(norm > 0 ? Math.min(1, clipNorm / norm) : 1);
  }

  conv2d(x: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): Float64Array {
    const act = epilogueActivation(epilogue);
    return conv.conv2d(values(x), values(filter), g, filter.shape[3], epilogue?.bias && values(epilogue.bias), act);
  }

  conv2dInputGrad(dy: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): Float64Array {
    const act = epilogueActivation(epilogue);
    const bias = epilogue?.bias && values(epilogue.bias);
    return conv.conv2dInputGrad(values(dy), values(filter), g, filter.shape[3], bias, act);
  }

  conv2dFilterGrad(x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): Float64Array {
    return conv.conv2dFilterGrad(values(x), values(dy), g, dy.shape[3]);
  }

  pool2d(kind: PoolKind, x: TensorInfo, g: Conv2DGeometry): Float64Array {
    return conv.pool2d(kind, values(x), g);
  }

  pool2dGrad(kind: PoolKind, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): Float64Array {
    return conv.pool2dGrad(kind, values(x), values(dy), g);
  }

  translate(x: TensorInfo, shifts: TensorInfo, direction: 1 | -1): Float64Array {
    return conv.translate(values(x), x.shape, values(shifts), direction);
  }

  recurrentForward(
    config: RecurrentConfig,
    projected: TensorInfo,
    recurrentKernel: TensorInfo,
    initialStates: readonly TensorInfo[],
    recurrentBias?: TensorInfo,
    mask?: TensorInfo,
  ): Float64Array {
    return recurrent.recurrentForward(config, projected, recurrentKernel, initialStates, recurrentBias, mask);
  }

  recurrentBackward(
    config: RecurrentConfig,
    part: RecurrentGradPart,
    dRecord: TensorInfo,
    record: TensorInfo,
    recurrentKernel: TensorInfo,
    mask?: TensorInfo,
  ): Float64Array {
    return recurrent.recurrentBackward(config, part, dRecord, record, recurrentKernel, mask);
  }

  argmax(x: TensorInfo, axis: number): Float64Array {
    const n = x.shape[axis],
      inner = sizeOf(x.shape.slice(axis + 1)),
      outer = sizeOf(x.shape.slice(0, axis));
    const src = values(x),
      out = new Float64Array(outer * inner);
    for (let o = 0; o < out.length; o++) {
      const base = Math.floor(o / inner) * n * inner + (o % inner);
      let best = 0;
      for (let k = 1; k < n; k++) if (src[base + k * inner] > src[base + best * inner]) best = k;
      out[o] = best;
    }
    return out;
  }

  summaryStats(xs: readonly TensorInfo[], segments: readonly SummarySegment[]): Float64Array {
    const out: number[] = [];
    for (const { input, start, size, bins, below, above, minus, spread: wanted } of segments) {
      const read = values(xs[input]).subarray(start, start + size);
      // a run less another input: the difference rounded to float32, as the kernel takes it
      const subtracted = minus >= 0 ? values(xs[minus]).subarray(start, start + size) : undefined;
      const src = subtracted ? read.map((v, i) => Math.fround(v - subtracted[i])) : read;
      let total = 0,
        squares = 0,
        lo = Infinity,
        hi = -Infinity,
        nBelow = 0,
        nAbove = 0;
      for (const v of src) {
        total += v;
        squares += v * v;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        if (v < below) nBelow++;
        if (v > above) nAbove++;
      }
      // the bin of each element in float32 steps, as the kernel takes it: the reference is exact
      // arithmetic on the same rounded operands, so an element on a bin's edge lands alike
      const scale = Math.fround(bins / Math.fround(hi - lo));
      const counts = new Array<number>(bins).fill(0);
      const mean = total / size;
      let spread = 0;
      for (const v of src) {
        spread += (v - mean) ** 2;
        const at = Math.floor(Math.fround(Math.fround(v - lo) * scale));
        counts[hi > lo ? Math.min(bins - 1, Math.max(0, at)) : bins - 1]++;
      }
      out.push(total, squares, wanted ? spread : 0, lo, hi, nBelow, nAbove, ...counts);
    }
    return Float64Array.from(out);
  }

  softmax(x: TensorInfo, log: boolean): Float64Array {
    return loss.softmax(x, log);
  }
  softmaxGrad(y: TensorInfo, dy: TensorInfo, log: boolean): Float64Array {
    return loss.softmaxGrad(y, dy, log);
  }
  softmaxCrossEntropy(logits: TensorInfo, labels: TensorInfo): Float64Array {
    return loss.softmaxCrossEntropy(logits, labels);
  }
  softmaxCrossEntropyGrad(logits: TensorInfo, labels: TensorInfo, dy: TensorInfo): Float64Array {
    return loss.softmaxCrossEntropyGrad(logits, labels, dy);
  }

  matmul(
    a: TensorInfo,
    b: TensorInfo,
    batch: number,
    { transposeA, transposeB }: MatmulOptions,
    epilogue?: MatmulEpilogue,
  ): Float64Array {
    const [batchA, ra, ca] = a.shape,
      [batchB, rb, cb] = b.shape;
    const [m, k] = transposeA ? [ca, ra] : [ra, ca];
    const n = transposeB ? rb : cb;
    const av = values(a),
      bv = values(b),
      out = new Float64Array(batch * m * n);
    for (let t = 0; t < batch; t++) {
      const ao = batchA === 1 ? 0 : t * ra * ca,
        bo = batchB === 1 ? 0 : t * rb * cb;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) {
            acc += av[ao + (transposeA ? p * ca + i : i * ca + p)] * bv[bo + (transposeB ? j * cb + p : p * cb + j)];
          }
          out[(t * m + i) * n + j] = acc;
        }
      }
    }
    if (!epilogue) return out;
    const bias = epilogue.bias && values(epilogue.bias);
    const act = epilogueActivation(epilogue);
    return out.map((z, e) => act(bias ? z + bias[e % n] : z));
  }
}

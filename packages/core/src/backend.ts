// The Backend contract: the one seam between the math (ops, autodiff) and a device. Both the CPU
// reference backend and the WebGPU backend implement all of it. A backend sees storage handles and
// shapes, never Tensors or the tape.
import type { DType, Shape } from './dtype.js';

/** A backend-owned handle to a tensor's data (a GPUBuffer, a Float64Array, ...). */
export type Storage = unknown;

/** What a kernel needs to know about an input: where its data is, and its shape and dtype. */
export interface TensorInfo {
  readonly storage: Storage;
  readonly shape: Shape;
  readonly dtype: DType;
}

export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'relu',
  'sigmoid',
  'tanh',
  'abs',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'leakyRelu',
  'elu',
  'selu',
  'softplus',
  'gelu',
  'isFinite', // 1 where finite, 0 for NaN and ±∞
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];
/** Fused derivatives: dx = dy * f'(x), computed from whichever of x and y = f(x) is cheaper. */
export const UNARY_GRAD_OPS = [
  'relu',
  'sigmoid',
  'tanh',
  'abs',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'leakyRelu',
  'elu',
  'selu',
  'softplus',
  'gelu',
  'sigmoidBce', // d/dx of the binary cross-entropy from logits x against labels y: σ(x) − y
] as const;
export type UnaryGradOp = (typeof UNARY_GRAD_OPS)[number];
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'greater',
  'less',
  'equal',
  'greaterEqual',
  'lessEqual',
  'sigmoidBce', // binary cross-entropy of logits a against labels b, stable form
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
export const REDUCE_OPS = ['sum', 'mean', 'max', 'min'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export const OPTIMIZER_KINDS = [
  'sgd',
  'momentum',
  'nesterov',
  'adagrad',
  'rmsprop',
  'rmspropMomentum',
  'rmspropNesterov',
  'adam',
  'adamw',
] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];
/** State tensors each rule keeps per parameter (v, r or s; Adam: s and r; RMSProp+momentum: r and v). */
export const OPTIMIZER_STATE_COUNT: Readonly<Record<OptimizerKind, number>> = {
  sgd: 0,
  momentum: 1,
  nesterov: 1,
  adagrad: 1,
  rmsprop: 1,
  rmspropMomentum: 2,
  rmspropNesterov: 2,
  adam: 2,
  adamw: 2,
};
/** One step's hyperparameters; bias1/bias2 = 1/(1 − β^t) for Adam's bias correction, from the host. */
export interface OptimizerHyper {
  readonly learningRate: number;
  readonly momentum: number;
  readonly rho: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly clipValue: number;
  readonly bias1: number;
  readonly bias2: number;
}

/** The geometry of a 2-D convolution or pooling window over NHWC data, padding resolved. */
export interface Conv2DGeometry {
  readonly N: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly OH: number;
  readonly OW: number;
  readonly KH: number;
  readonly KW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
}
export type PoolKind = 'max' | 'avg';

export interface MatmulOptions {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}
/** Activations a matmul can apply in its epilogue: those whose derivative follows from the output. */
export const FUSED_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];
/** A matmul epilogue: bias [N] added to every row, then the activation. */
export interface MatmulEpilogue {
  readonly bias?: TensorInfo;
  readonly activation: FusedActivation;
}

/** Activations a fused recurrent kernel applies: each one's derivative follows from its output. */
export const RECURRENT_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'hardSigmoid'] as const;
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number];
export const RECURRENT_CELLS = ['SimpleRNN', 'LSTM', 'GRU'] as const;
export type RecurrentCell = (typeof RECURRENT_CELLS)[number];
/** Gate blocks of a cell's projection and recurrent kernel (Keras's layouts: LSTM i, f, c, o; GRU z, r, h). */
export const RECURRENT_GATES: Readonly<Record<RecurrentCell, number>> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };
/**
 * A fused recurrent sequence (ops/recurrent.ts): the cell (a GRU is Keras's resetAfter form), its
 * activation (candidate and output) and recurrent activation (gates), and whether it reads from the end.
 */
export interface RecurrentConfig {
  readonly cell: RecurrentCell;
  readonly activation: RecurrentActivation;
  readonly recurrentActivation: RecurrentActivation;
  readonly goBackwards: boolean;
}
/**
 * The forward record of a recurrent sequence: [blocks, B, U], read as consecutive chunks of whole
 * [B, U] blocks (offsets below in blocks), each chunk batch-major inside: hPrev [B, T, U], the state
 * before the step at time t (so hPrevᵀ·dz over all B·T rows is the recurrent kernel's gradient);
 * hOut [B, T, U], the output of processing step s (Keras's sequence order); hFinal [B, U]; an LSTM's
 * cPrev [B, T, U] and cFinal [B, U]; gates [B, T, gateBlocks·U] after their activations (LSTM i, f,
 * g, o; GRU z, r, ĥ, n with n = h₋₁·U_h + b_rh; SimpleRNN its output before masking).
 */
export interface RecurrentLayout {
  readonly blocks: number;
  readonly hPrev: number;
  readonly hOut: number;
  readonly hFinal: number;
  readonly cPrev: number;
  readonly cFinal: number;
  readonly gates: number;
  readonly gateBlocks: number;
}

export function recurrentLayout(cell: RecurrentCell, steps: number): RecurrentLayout {
  const lstm = cell === 'LSTM';
  const gates = lstm ? 3 * steps + 2 : 2 * steps + 1;
  const gateBlocks = cell === 'SimpleRNN' ? 1 : 4;
  return {
    blocks: gates + gateBlocks * steps,
    hPrev: 0,
    hOut: steps,
    hFinal: 2 * steps,
    cPrev: lstm ? 2 * steps + 1 : -1,
    cFinal: lstm ? 3 * steps + 1 : -1,
    gates,
    gateBlocks,
  };
}

/**
 * What a recurrent backward returns, from one pass of backpropagation through time: 'sequence', the
 * timesteps' gradients, d(h₋₁·U + b_r) in its first B·T·G·U elements and d(projected) in its last
 * (a GRU's differ in the candidate block, scaled by r, so a GRU's is [2, B, T, G·U] holding both; the
 * others' are one [B, T, G·U] block, both at once); or 'initial', the initial states' gradients [B, S]
 * (dh0, then an LSTM's dc0).
 */
export type RecurrentGradPart = 'sequence' | 'initial';

/**
 * One run of summaryStats's inputs: the input, where the run starts in it and its element count, bins,
 * the thresholds it counts against, the input subtracted element by element (−1: none), and whether
 * its spread is wanted.
 */
export interface SummarySegment {
  readonly input: number;
  readonly start: number;
  readonly size: number;
  readonly bins: number;
  readonly below: number;
  readonly above: number;
  readonly minus: number;
  /** Whether Σ(x − x̄)² is wanted (else it is given as 0). */
  readonly spread: boolean;
}

export interface Backend {
  readonly name: string;
  /** One line naming the device, e.g. the GPU adapter. */
  describe(): string;
  /** The most elements one tensor may hold here (a GPU's largest storage buffer), if less than 2³¹ − 1. */
  readonly maxElements?: number;
  /** Device memory allocated, where the backend keeps count (optional: the CPU's is garbage collected). */
  memory?(): {
    readonly buffers: number;
    readonly bytes: number;
    readonly pooledBytes: number;
    readonly created?: number;
  };

  /**
   * Resolves once the work recorded so far waits on nothing but the device: a GPU backend holds work
   * back while the kernels it needs compile. A training loop awaits it between steps, so that it does
   * not record a whole epoch ahead of work that cannot start yet (optional: elsewhere work runs at once).
   */
  settle?(): Promise<void>;

  write(values: ArrayLike<number>, shape: Shape, dtype: DType): Storage;
  /** Float32Array/Int32Array by dtype; the CPU reference may return its float64 values. */
  read(x: TensorInfo): Promise<Float32Array | Int32Array | Float64Array>;
  dispose(storage: Storage): void;

  fill(shape: Shape, value: number, dtype: DType): Storage;
  /** Copies x into `shape`, repeating it along broadcast axes. */
  broadcastTo(x: TensorInfo, shape: Shape): Storage;

  // ---- data movement: every one a copy; reshape is free and never reaches a backend ----
  /** out axis d is x axis perm[d]. */
  transpose(x: TensorInfo, perm: readonly number[]): Storage;
  /** The block of x starting at `begin`, of shape `size`. */
  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): Storage;
  /** xs joined along `axis` (all other axes equal); result shape given. */
  concat(xs: readonly TensorInfo[], axis: number, outShape: Shape): Storage;
  /** x placed at offset `before` inside a tensor of `outShape` filled with `value` (slice's gradient). */
  pad(x: TensorInfo, before: readonly number[], outShape: Shape, value: number): Storage;
  /** Elements of x along `axis` at int32 `indices`; result x.shape[:axis] + indices.shape + x.shape[axis+1:]. */
  gather(x: TensorInfo, indices: TensorInfo, axis: number): Storage;
  /** float32 [...indices.shape, depth]: onValue where the index matches, offValue elsewhere. */
  oneHot(indices: TensorInfo, depth: number, onValue: number, offValue: number): Storage;
  /** float32 ↔ int32; float to int truncates toward zero. */
  cast(x: TensorInfo, dtype: DType): Storage;
  /** `alpha` parameterises leakyRelu and elu. */
  unary(op: UnaryOp, x: TensorInfo, alpha?: number): Storage;
  unaryGrad(op: UnaryGradOp, x: TensorInfo, y: TensorInfo, dy: TensorInfo, alpha?: number): Storage;
  /** a and b broadcast to `outShape`; comparisons give float32 1/0. */
  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): Storage;
  /** condition (nonzero = true) ? a : b, all broadcast to `outShape`. */
  where(condition: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): Storage;
  /** Reduces over `axes` (sorted, unique); the result has x's shape with those axes removed. */
  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): Storage;
  /** int32 index of the largest element along `axis` (the first on ties); that axis is removed. */
  argmax(x: TensorInfo, axis: number): Storage;
  /**
   * xs read flat, each cut into consecutive segments (listed input by input); for each, float32 [7 + bins]: Σx, Σx², Σ(x − x̄)², min,
   * max, #(x < below), #(x > above), then the counts of `bins` equal bins from min to max, x going to
   * ⌊f32(x − min) · f32(bins / f32(max − min))⌋ clamped to [0, bins − 1] (all to the last bin when
   * max = min); the segments' results one after another.
   */
  summaryStats(xs: readonly TensorInfo[], segments: readonly SummarySegment[]): Storage;

  // ---- segments and sparse rows (ops/segment.ts): deterministic, each output reduces its own rows in
  // ascending row order, never through float atomics. `caller` names the public op in errors. ----
  /**
   * data viewed as [outer, N, inner] (N = data.shape[axis]), int32 ids [N]: out [outer, numSegments,
   * inner] holds the sum, mean, max or min of the rows with each id (0 for an empty segment). `sorted`
   * promises nondecreasing ids. An id outside [0, numSegments) is an error naming `caller` (the GPU
   * skips that row and reports it at the next readback). An empty `caller` marks a second pass over ids
   * already checked, which the GPU does not report again.
   */
  segmentReduce(
    op: ReduceOp,
    data: TensorInfo,
    ids: TensorInfo,
    numSegments: number,
    axis: number,
    sorted: boolean,
    caller: string,
  ): Storage;
  /** int32 indices [M, K] into a tensor whose leading axes are `dims` (K of them): row-major flat indices [M]. */
  flatIndices(indices: TensorInfo, dims: readonly number[], caller: string): Storage;
  /**
   * CSR matrix (int32 rowPtr [rows + 1], int32 colIdx [nnz], float32 values [nnz]) times dense
   * [cols, K]: [rows, K], each output row summing its entries in stored order.
   */
  sparseMatmul(rowPtr: TensorInfo, colIdx: TensorInfo, values: TensorInfo, dense: TensorInfo): Storage;
  /** int32 [nnz]: the row of each stored entry of a CSR matrix (r with rowPtr[r] ≤ p < rowPtr[r + 1]). */
  csrRowIds(rowPtr: TensorInfo, nnz: number): Storage;

  // ---- convolution and pooling, NHWC data, HWIO filters ----
  /** act(conv(x, filter) + bias): [N, OH, OW, CO]. */
  conv2d(x: TensorInfo, filter: TensorInfo, geometry: Conv2DGeometry, epilogue?: MatmulEpilogue): Storage;
  /**
   * d/dx of conv2d given dy [N, OH, OW, CO]: [N, H, W, C]. The same sum is conv2dTranspose's forward
   * (dy its input, C its output channels), which adds the epilogue: act(Σ + bias[c]).
   */
  conv2dInputGrad(dy: TensorInfo, filter: TensorInfo, geometry: Conv2DGeometry, epilogue?: MatmulEpilogue): Storage;
  /** d/dfilter of conv2d given x and dy: [KH, KW, C, CO]. */
  conv2dFilterGrad(x: TensorInfo, dy: TensorInfo, geometry: Conv2DGeometry): Storage;
  /** Max or mean over each window (padding skipped): [N, OH, OW, C]. */
  pool2d(kind: PoolKind, x: TensorInfo, geometry: Conv2DGeometry): Storage;
  /** d/dx of pool2d: max windows send dy to their winner (first on ties), mean windows spread it. */
  pool2dGrad(kind: PoolKind, x: TensorInfo, dy: TensorInfo, geometry: Conv2DGeometry): Storage;
  /**
   * Images x [N, H, W, C] moved by whole pixels, one int32 shift (rows, columns) per image in shifts
   * [N, 2], times `direction` (1 or −1): out[n, h, w] = x[n, h − d·sy, w − d·sx], 0 where that falls
   * outside. direction −1 is the adjoint of 1, so it is also the gradient.
   */
  translate(x: TensorInfo, shifts: TensorInfo, direction: 1 | -1): Storage;

  // ---- softmax and losses, over the last axis of x viewed as [rows, cols] ----
  /** softmax (or logSoftmax when `log`) of each row, with the max trick. */
  softmax(x: TensorInfo, log: boolean): Storage;
  /** Their backward from the output y: y ⊙ (dy − Σ dy⊙y), or dy − e^y Σ dy when `log`. */
  softmaxGrad(y: TensorInfo, dy: TensorInfo, log: boolean): Storage;
  /**
   * Per-row cross-entropy of softmax(logits) against labels: int32 class indices [rows] or float32
   * probabilities [rows, classes]. Out-of-range class indices are reported as an error naming the op.
   */
  softmaxCrossEntropy(logits: TensorInfo, labels: TensorInfo): Storage;
  /** Its gradient with respect to the logits in one pass: (softmax(logits) − p) ⊙ dy[row]. */
  softmaxCrossEntropyGrad(logits: TensorInfo, labels: TensorInfo, dy: TensorInfo): Storage;
  /**
   * a: [batchA, rows, cols], b: [batchB, rows, cols], with batchA and batchB each 1 or `batch`.
   * Result [batch, M, N] of act(op(a)·op(b) + bias), where op transposes the last two axes when asked.
   */
  matmul(a: TensorInfo, b: TensorInfo, batch: number, options: MatmulOptions, epilogue?: MatmulEpilogue): Storage;

  // ---- recurrent sequences (ops/recurrent.ts), timesteps in time order, processed in `config`'s direction ----
  /**
   * The forward record (RecurrentLayout) of a cell over projected [B, T, G·U] (x·W + b of every
   * timestep), recurrentKernel [U, G·U] (+ a GRU's recurrentBias [G·U]), from initialStates [h0] or
   * [h0, c0] ([B, U] each). Where float mask [B, T] is 0 the states carry over unchanged (Keras).
   */
  recurrentForward(
    config: RecurrentConfig,
    projected: TensorInfo,
    recurrentKernel: TensorInfo,
    initialStates: readonly TensorInfo[],
    recurrentBias?: TensorInfo,
    mask?: TensorInfo,
  ): Storage;
  /**
   * Backpropagation through time from dRecord (only its hOut, hFinal and cFinal blocks are read: what
   * a layer can see) and the record: one RecurrentGradPart.
   */
  recurrentBackward(
    config: RecurrentConfig,
    part: RecurrentGradPart,
    dRecord: TensorInfo,
    record: TensorInfo,
    recurrentKernel: TensorInfo,
    mask?: TensorInfo,
  ): Storage;

  // ---- random numbers: element i of a tensor comes from Philox4x32-10 of counter (i, stream, 0, 0)
  // under key seedKey(seed) (rng.ts), so every backend produces the same values for the same seed ----
  /** low + (high - low)·u, u = toUnit(word 0) in [0, 1). */
  randomUniform(shape: Shape, seed: number, low: number, high: number, stream: number): Storage;
  /** mean + std·z, z by Box–Muller on words 0 and 1 (rng.ts normalValues). */
  randomNormal(shape: Shape, seed: number, mean: number, std: number, stream: number): Storage;
  /** 1 where toUnit(word 0) < p, else 0 (float32). */
  bernoulli(shape: Shape, seed: number, p: number, stream: number): Storage;
  /**
   * int32 [rows, numSamples] of classes drawn from softmax(logits / temperature) per row of logits
   * [rows, classes], sample s of row r from block r·numSamples + s, in float32 (rng.ts categoricalValues).
   */
  multinomial(logits: TensorInfo, numSamples: number, temperature: number, seed: number, stream: number): Storage;

  // ---- in place, no new storage: variables and optimizers ----
  /** Copies source's elements into target's storage (same size), after all work recorded so far. */
  assign(target: TensorInfo, source: TensorInfo): void;
  /**
   * Updates param and its state in place from grad (see shaders/optim/optimizer_step.wgsl for the rules);
   * the gradient is first multiplied by scale[0] when a scale is given (clip by norm).
   */
  optimizerStep(
    kind: OptimizerKind,
    param: TensorInfo,
    grad: TensorInfo,
    state: readonly TensorInfo[],
    hyper: OptimizerHyper,
    scale?: TensorInfo,
  ): void;
  /** [1]: min(1, clipNorm / √sumSquares[0]) (1 for a zero norm). */
  clipScale(sumSquares: TensorInfo, clipNorm: number): Storage;
}

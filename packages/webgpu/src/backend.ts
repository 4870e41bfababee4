// WebGPUBackend: the Backend contract on WGSL kernels. It builds a GpuContext (context.ts) and
// delegates each op to its family's module under ops/ (mirroring shaders/ and core's ops); it keeps
// only what is the backend's own: readback with its error reports, profiling, memory counts.
import type {
  Backend,
  BinaryOp,
  Conv2DGeometry,
  DType,
  MatmulEpilogue,
  MatmulOptions,
  OptimizerHyper,
  OptimizerKind,
  PoolKind,
  RecurrentConfig,
  RecurrentGradPart,
  ReduceOp,
  SummarySegment,
  Shape,
  TensorInfo,
  UnaryGradOp,
  UnaryOp,
} from '@webgrad/core';
import { sizeOf } from '@webgrad/core';
import type { BufferPool } from './buffer-pool.js';
import type { CommandRecorder } from './commands.js';
import { GpuContext, subgroupsAtLeast, type ConvAlgorithm, type GemmChoice, type GpuStorage } from './context.js';
import { DATA_ERRORS_BYTES } from './data-errors.js';
import { acquireDevice, inBrowser, type DeviceOptions } from './device.js';
import { DeviceLostError, type DeviceLossWatch } from './device-loss.js';
import {
  chooseGemm,
  tuneAndKeep,
  type AutotuneMode,
  type AutotuneProgress,
  type GemmChoiceSource,
} from './gemm-autotune.js';
import type { KernelRegistry } from './kernels.js';
import * as conv from './ops/conv.js';
import * as elementwise from './ops/elementwise.js';
import * as loss from './ops/loss.js';
import * as matmul from './ops/matmul.js';
import * as movement from './ops/movement.js';
import * as optim from './ops/optim.js';
import * as random from './ops/random.js';
import * as reduce from './ops/reduce.js';
import * as recurrent from './ops/recurrent.js';
import * as segment from './ops/segment.js';
import { KernelProfiler, type KernelTime } from './profiler.js';
import type { ScratchTextures } from './scratch-textures.js';
import { defaultTuningCache, type TuningCache } from './tuning-cache.js';

export type { GpuStorage } from './context.js';

/**
 * The device options (pacing, installGlobals, hideLimitNotices: what acquiring a device changes in a
 * Node process) and the backend's own.
 */
export interface WebGPUBackendOptions extends DeviceOptions {
  /** Fill every kernel's output with NaN before the kernel runs, so unwritten elements show (tests). */
  poisonOutputs?: boolean;
  /**
   * Compile each kernel asynchronously, holding the work that needs it meanwhile (commands.ts), so
   * the calling thread never waits on a shader compile (in a browser, a blocked thread is a frozen
   * page). Default true in a browser; in Node, where no page waits, false: each kernel compiles on
   * first use, on the calling thread. Compiles on Dawn's worker threads leave the compiler's scratch
   * memory in those threads' malloc arenas, raising the process's peak for a first epoch no shorter
   * (bench/RESULTS.md has the figures).
   */
  compileAsync?: boolean;
  /**
   * Where the GEMM autotune's answer is kept between runs (tuning-cache.ts): by default localStorage
   * in a page and ~/.cache/webgrad (or $WEBGRAD_CACHE_DIR) in Node; false keeps nothing.
   */
  tuningCache?: TuningCache | false;
  /**
   * How the GEMM kernel is chosen at start (gemm-autotune.ts). `true`: the cached answer, else every
   * choice is timed now and the fastest cached (under a second on a native adapter, seconds on a
   * browser's software one). `'cached'`: the cached answer, else a default for the adapter's class
   * (GPU or CPU), nothing timed. `false`: that default. Default: true in Node, 'cached' in a browser,
   * where a page may call `backend.autotune()` later, when it can afford the wait.
   */
  autotune?: AutotuneMode;
  /** Called after each step of a tuning run (at start, or by `backend.autotune()`), for a progress bar. */
  onAutotuneProgress?: (progress: AutotuneProgress) => void;
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  /** What the ops run on: device, registry, recorder, pool and the choices below. */
  readonly context: GpuContext;
  /** Ops check it first (engine.ts), so a tensor too large for one buffer is refused naming the op. */
  readonly maxElements: number;
  /** Where matmulKernel came from at start or at the last autotune(): timed, the tuning cache, or the default. */
  matmulKernelSource: GemmChoiceSource = 'default';
  /** Where the GEMM autotune's answers are kept (options.tuningCache); undefined keeps none. */
  readonly tuningCache: TuningCache | undefined;
  private deviceError: string | null = null;

  constructor(
    readonly device: GPUDevice,
    readonly adapterName: string,
    options: WebGPUBackendOptions = {},
  ) {
    this.context = new GpuContext(device);
    this.maxElements = Math.floor(this.pool.maxBytes / 4);
    this.poisonOutputs = options.poisonOutputs ?? false;
    this.commands.compileAsync = options.compileAsync ?? inBrowser();
    this.tuningCache = options.tuningCache === false ? undefined : (options.tuningCache ?? defaultTuningCache());
    device.addEventListener('uncapturederror', (event) => {
      this.deviceError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  get registry(): KernelRegistry {
    return this.context.registry;
  }
  get pool(): BufferPool {
    return this.context.pool;
  }
  get commands(): CommandRecorder {
    return this.context.commands;
  }
  /** Packed operands of the texture GEMM (ops/matmul.ts). */
  get textures(): ScratchTextures {
    return this.context.textures;
  }
  /** Observes device.lost: every call after a loss throws a DeviceLostError (device-loss.ts). */
  get loss(): DeviceLossWatch {
    return this.context.loss;
  }
  get poisonOutputs(): boolean {
    return this.context.poisonOutputs;
  }
  set poisonOutputs(on: boolean) {
    this.context.poisonOutputs = on;
  }
  /** How convolutions run: direct kernels (the default, see ops/conv.ts), or im2col + the GEMM. */
  get convAlgorithm(): ConvAlgorithm {
    return this.context.convAlgorithm;
  }
  set convAlgorithm(algorithm: ConvAlgorithm) {
    this.context.convAlgorithm = algorithm;
  }
  /** Whether recurrent sequences run on the subgroup kernels (where the device has subgroups of 8 lanes or more). */
  get recurrentSubgroups(): boolean {
    return this.context.recurrentSubgroups;
  }
  set recurrentSubgroups(on: boolean) {
    if (on && !subgroupsAtLeast(this.device, 8)) {
      throw new Error('recurrentSubgroups: this device has no subgroups of 8 lanes or more');
    }
    this.context.recurrentSubgroups = on;
  }
  /** The GEMM kernel (and its rows per invocation) matmuls run on: the autotune's pick (gemm-autotune.ts). */
  get matmulKernel(): GemmChoice {
    return this.context.gemmChoice;
  }
  set matmulKernel(choice: GemmChoice) {
    this.context.gemmChoice = choice;
  }

  /**
   * Tunes the GEMM now: times every choice (whatever is cached), switches matmuls to the fastest and
   * writes it to the tuning cache, so the next start takes it from there. For a page that started
   * without tuning: call it between training steps (awaited), e.g. behind a progress bar.
   */
  async autotune(onProgress?: (progress: AutotuneProgress) => void): Promise<GemmChoice> {
    await this.commands.settled();
    this.matmulKernel = await tuneAndKeep(this, this.tuningCache, onProgress);
    this.matmulKernelSource = 'tuned';
    return this.matmulKernel;
  }

  describe(): string {
    return `WebGPU: ${this.adapterName}`;
  }

  /**
   * Runs `fn` (awaited) with every kernel it dispatches timed on the GPU by timestamp queries:
   * each kernel's dispatch count and summed GPU time, the most expensive first, and the wall time
   * until the last result was in. For finding where the time goes (see profiler.ts).
   */
  async profile(fn: () => unknown): Promise<{ kernels: KernelTime[]; wallMs: number }> {
    if (!this.device.features.has('timestamp-query')) {
      throw new Error(
        `profile: the adapter (${this.adapterName}) has no 'timestamp-query' feature, so kernels cannot be timed`,
      );
    }
    if (this.commands.profiler) throw new Error('profile: a profile is already running on this backend');
    await this.commands.settled();
    this.commands.flush(); // work recorded before the profile is not counted in it
    const profiler = new KernelProfiler(this.device);
    const started = performance.now();
    this.commands.profiler = profiler;
    try {
      await fn();
      await this.commands.settled();
      this.commands.flush();
    } finally {
      this.commands.profiler = null;
    }
    const kernels = await profiler.results();
    profiler.destroy();
    return { kernels, wallMs: performance.now() - started };
  }

  settle(): Promise<void> {
    return this.commands.settled();
  }

  memory(): { buffers: number; bytes: number; pooledBytes: number; created: number } {
    const { liveBuffers, liveBytes, pooledBytes, created } = this.pool.stats();
    return { buffers: liveBuffers, bytes: liveBytes, pooledBytes, created };
  }

  /** A pooled output buffer for `shape` (NaN-filled first when poisonOutputs is on). */
  allocateOutput(shape: Shape): GpuStorage {
    return this.context.allocate(shape);
  }

  write(values: ArrayLike<number>, _shape: Shape, dtype: DType): GpuStorage {
    return this.context.upload(values, dtype);
  }

  async read(x: TensorInfo): Promise<Float32Array | Int32Array> {
    const n = sizeOf(x.shape);
    this.loss.check('read');
    let data: ArrayBuffer;
    let errorWords: ArrayBuffer;
    try {
      [data, errorWords] = await this.commands.read(
        [this.context.buffer(x), n * 4],
        [this.context.dataErrors.buffer, DATA_ERRORS_BYTES],
      );
    } catch (error) {
      const lost = await this.loss.lostWithin(1000);
      throw lost ? new DeviceLostError(lost, 'read') : error;
    }
    const dataError = this.context.dataErrors.take(errorWords);
    if (dataError) throw dataError;
    if (this.deviceError) {
      const message = this.deviceError;
      this.deviceError = null; // reported once; later work is judged on its own
      throw new Error(`webgpu backend: the device reported an error: ${message}`);
    }
    return x.dtype === 'int32' ? new Int32Array(data) : new Float32Array(data);
  }

  dispose(storage: unknown): void {
    this.context.release(storage);
  }

  fill(shape: Shape, value: number, dtype: DType): GpuStorage {
    return movement.fill(this.context, shape, value, dtype);
  }
  broadcastTo(x: TensorInfo, shape: Shape): GpuStorage {
    return movement.broadcastTo(this.context, x, shape);
  }
  transpose(x: TensorInfo, perm: readonly number[]): GpuStorage {
    return movement.transpose(this.context, x, perm);
  }
  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): GpuStorage {
    return movement.slice(this.context, x, begin, size);
  }
  concat(xs: readonly TensorInfo[], axis: number, outShape: Shape): GpuStorage {
    return movement.concat(this.context, xs, axis, outShape);
  }
  pad(x: TensorInfo, before: readonly number[], outShape: Shape, value: number): GpuStorage {
    return movement.pad(this.context, x, before, outShape, value);
  }
  gather(x: TensorInfo, indices: TensorInfo, axis: number): GpuStorage {
    return movement.gather(this.context, x, indices, axis);
  }
  segmentReduce(
    op: ReduceOp,
    data: TensorInfo,
    ids: TensorInfo,
    numSegments: number,
    axis: number,
    sorted: boolean,
    caller: string,
  ): GpuStorage {
    return segment.segmentReduce(this.context, op, data, ids, numSegments, axis, sorted, caller);
  }
  recurrentForward(
    config: RecurrentConfig,
    projected: TensorInfo,
    recurrentKernel: TensorInfo,
    initialStates: readonly TensorInfo[],
    recurrentBias?: TensorInfo,
    mask?: TensorInfo,
  ): GpuStorage {
    return recurrent.recurrentForward(
      this.context,
      config,
      projected,
      recurrentKernel,
      initialStates,
      recurrentBias,
      mask,
    );
  }
  recurrentBackward(
    config: RecurrentConfig,
    part: RecurrentGradPart,
    dRecord: TensorInfo,
    record: TensorInfo,
    recurrentKernel: TensorInfo,
    mask?: TensorInfo,
  ): GpuStorage {
    return recurrent.recurrentBackward(this.context, config, part, dRecord, record, recurrentKernel, mask);
  }
  flatIndices(indices: TensorInfo, dims: readonly number[], caller: string): GpuStorage {
    return segment.flatIndices(this.context, indices, dims, caller);
  }
  sparseMatmul(rowPtr: TensorInfo, colIdx: TensorInfo, values: TensorInfo, dense: TensorInfo): GpuStorage {
    return segment.sparseMatmul(this.context, rowPtr, colIdx, values, dense);
  }
  csrRowIds(rowPtr: TensorInfo, nnz: number): GpuStorage {
    return segment.csrRowIds(this.context, rowPtr, nnz);
  }
  oneHot(indices: TensorInfo, depth: number, onValue: number, offValue: number): GpuStorage {
    return movement.oneHot(this.context, indices, depth, onValue, offValue);
  }
  cast(x: TensorInfo, dtype: DType): GpuStorage {
    return movement.cast(this.context, x, dtype);
  }
  assign(target: TensorInfo, source: TensorInfo): void {
    movement.assign(this.context, target, source);
  }

  unary(op: UnaryOp, x: TensorInfo, alpha = 0): GpuStorage {
    return elementwise.unary(this.context, op, x, alpha);
  }
  unaryGrad(op: UnaryGradOp, x: TensorInfo, y: TensorInfo, dy: TensorInfo, alpha = 0): GpuStorage {
    return elementwise.unaryGrad(this.context, op, x, y, dy, alpha);
  }
  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): GpuStorage {
    return elementwise.binary(this.context, op, a, b, outShape);
  }
  where(condition: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): GpuStorage {
    return elementwise.where(this.context, condition, a, b, outShape);
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): GpuStorage {
    return reduce.reduce(this.context, op, x, axes);
  }
  argmax(x: TensorInfo, axis: number): GpuStorage {
    return reduce.argmax(this.context, x, axis);
  }
  summaryStats(xs: readonly TensorInfo[], segments: readonly SummarySegment[]): GpuStorage {
    return reduce.summaryStats(this.context, xs, segments);
  }

  matmul(a: TensorInfo, b: TensorInfo, batch: number, options: MatmulOptions, epilogue?: MatmulEpilogue): GpuStorage {
    return matmul.matmul(this.context, a, b, batch, options, epilogue);
  }

  conv2d(x: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): GpuStorage {
    return conv.conv2d(this.context, x, filter, g, epilogue);
  }
  conv2dInputGrad(dy: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): GpuStorage {
    return conv.conv2dInputGrad(this.context, dy, filter, g, epilogue);
  }
  conv2dFilterGrad(x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
    return conv.conv2dFilterGrad(this.context, x, dy, g);
  }
  pool2d(kind: PoolKind, x: TensorInfo, g: Conv2DGeometry): GpuStorage {
    return conv.pool2d(this.context, kind, x, g);
  }
  pool2dGrad(kind: PoolKind, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage {
    return conv.pool2dGrad(this.context, kind, x, dy, g);
  }
  translate(x: TensorInfo, shifts: TensorInfo, direction: 1 | -1): GpuStorage {
    return conv.translate(this.context, x, shifts, direction);
  }

  softmax(x: TensorInfo, log: boolean): GpuStorage {
    return loss.softmax(this.context, x, log);
  }
  softmaxGrad(y: TensorInfo, dy: TensorInfo, log: boolean): GpuStorage {
    return loss.softmaxGrad(this.context, y, dy, log);
  }
  softmaxCrossEntropy(logits: TensorInfo, labels: TensorInfo): GpuStorage {
    return loss.softmaxCrossEntropy(this.context, logits, labels);
  }
  softmaxCrossEntropyGrad(logits: TensorInfo, labels: TensorInfo, dy: TensorInfo): GpuStorage {
    return loss.softmaxCrossEntropyGrad(this.context, logits, labels, dy);
  }

  randomUniform(shape: Shape, seed: number, low: number, high: number, stream: number): GpuStorage {
    return random.randomUniform(this.context, shape, seed, low, high, stream);
  }
  randomNormal(shape: Shape, seed: number, mean: number, std: number, stream: number): GpuStorage {
    return random.randomNormal(this.context, shape, seed, mean, std, stream);
  }
  bernoulli(shape: Shape, seed: number, p: number, stream: number): GpuStorage {
    return random.bernoulli(this.context, shape, seed, p, stream);
  }
  multinomial(logits: TensorInfo, numSamples: number, temperature: number, seed: number, stream: number): GpuStorage {
    return random.multinomial(this.context, logits, numSamples, temperature, seed, stream);
  }

  optimizerStep(
    kind: OptimizerKind,
    param: TensorInfo,
    grad: TensorInfo,
    state: readonly TensorInfo[],
    h: OptimizerHyper,
    scale?: TensorInfo,
  ): void {
    optim.optimizerStep(this.context, kind, param, grad, state, h, scale);
  }
  clipScale(sumSquares: TensorInfo, clipNorm: number): GpuStorage {
    return optim.clipScale(this.context, sumSquares, clipNorm);
  }
}

/** Acquires a device (navigator.gpu, or Dawn in Node) and starts a backend on it, its GEMM chosen as `options.autotune` says. */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const { device, adapterName } = await acquireDevice(options);
  const backend = new WebGPUBackend(device, adapterName, options);
  const { choice, source } = await chooseGemm(backend, backend.tuningCache, {
    mode: options.autotune ?? (inBrowser() ? 'cached' : true),
    onProgress: options.onAutotuneProgress,
  });
  backend.matmulKernel = choice;
  backend.matmulKernelSource = source;
  return backend;
}

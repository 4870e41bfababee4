// WebGPUBackend: the Backend contract on WGSL kernels. Each method turns shapes into a kernel's
// params and grid and records one dispatch; nothing here waits on the GPU except `read`.
// Imports the contract from @webgrad/core and this package's registry, recorder and pool.
import {
  broadcastStrides, sameShape, seedKey, sizeOf, stridesOf,
  type Backend, type BinaryOp, type Conv2DGeometry, type DType, type MatmulEpilogue, type PoolKind, type MatmulOptions, type OptimizerHyper, type OptimizerKind, type ReduceOp, type Shape, type TensorInfo, type UnaryGradOp, type UnaryOp,
} from '@webgrad/core';
import { BufferPool } from './buffer-pool.js';
import { CommandRecorder, gridFor, lanesFor } from './commands.js';
import * as conv from './conv.js';
import { acquireDevice, inBrowser } from './device.js';
import { DeviceLostError, DeviceLossWatch } from './device-loss.js';
import { DATA_ERRORS_BYTES, DataErrors } from './data-errors.js';
import { autotuneGemm, gemm, type GemmChoice } from './gemm.js';
import { defaultTuningCache, type TuningCache } from './tuning-cache.js';
import { KernelRegistry } from './kernels.js';
import { KernelProfiler, type KernelTime } from './profiler.js';
import { reduce } from './reduce.js';
import { ScratchTextures } from './scratch-textures.js';

/** A tensor's storage on the GPU. Every dtype is 4 bytes an element. */
export interface GpuStorage { readonly buffer: GPUBuffer; readonly bytes: number }

/** A quiet NaN with a recognisable payload, written into fresh outputs when poisoning is on. */
const POISON = 0x7fc0dead;

const buf = (x: TensorInfo) => (x.storage as GpuStorage).buffer;

export interface WebGPUBackendOptions {
  /** Fill every kernel's output with NaN before the kernel runs, so unwritten elements show (tests). */
  poisonOutputs?: boolean;
  /**
   * Compile each kernel asynchronously, holding the work that needs it meanwhile (commands.ts), so
   * the calling thread never waits on a shader compile (in a browser, a blocked thread is a frozen
   * page). Default true in a browser; in Node, where no page waits, false: each kernel compiles on
   * first use, on the calling thread. Compiles on Dawn's worker threads leave the compiler's scratch
   * memory in those threads' malloc arenas: on lavapipe the bench's MLP peaked 4–6 MB higher with them
   * (bench/RESULTS.md), for a first epoch no shorter.
   */
  compileAsync?: boolean;
  /**
   * Where the GEMM autotune's answer is kept between runs (tuning-cache.ts): by default localStorage
   * in a page and ~/.cache/webgrad (or $WEBGRAD_CACHE_DIR) in Node; false tunes at every start.
   */
  tuningCache?: TuningCache | false;
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  readonly registry: KernelRegistry;
  readonly pool: BufferPool;
  readonly commands: CommandRecorder;
  /** Packed operands of the texture GEMM (gemm.ts). */
  readonly textures: ScratchTextures;
  poisonOutputs: boolean;
  /** How convolutions run: direct kernels (faster at every shape measured, see conv.ts), or im2col + the GEMM. */
  convAlgorithm: conv.ConvAlgorithm = 'direct';
  /** The GEMM kernel (and its rows per invocation) matmuls run on: the autotune's pick (gemm.ts). */
  matmulKernel: GemmChoice = { kernel: 'matmul', rowBlocks: 1 };
  private deviceError: string | null = null;
  /** Observes device.lost: every call after a loss throws a DeviceLostError (device-loss.ts). */
  readonly loss: DeviceLossWatch;
  /** Ops check it first (engine.ts), so a tensor too large for one buffer is refused naming the op. */
  readonly maxElements: number;
  /** Errors kernels found in their data (bad labels, bad gather indices), read with every readback. */
  private readonly dataErrors: DataErrors;

  constructor(readonly device: GPUDevice, readonly adapterName: string, options: WebGPUBackendOptions = {}) {
    this.loss = new DeviceLossWatch(device);
    this.registry = new KernelRegistry(device);
    this.pool = new BufferPool(device);
    this.maxElements = Math.floor(this.pool.maxBytes / 4);
    this.commands = new CommandRecorder(device, this.registry, this.pool);
    this.textures = new ScratchTextures(device, this.commands);
    this.poisonOutputs = options.poisonOutputs ?? false;
    this.commands.compileAsync = options.compileAsync ?? inBrowser();
    this.dataErrors = new DataErrors(device);
    device.addEventListener('uncapturederror', (event) => {
      this.deviceError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  describe(): string { return `WebGPU: ${this.adapterName}`; }

  /**
   * Runs `fn` (awaited) with every kernel it dispatches timed on the GPU by timestamp queries:
   * each kernel's dispatch count and summed GPU time, the most expensive first, and the wall time
   * until the last result was in. For finding where the time goes (see profiler.ts).
   */
  async profile(fn: () => unknown): Promise<{ kernels: KernelTime[]; wallMs: number }> {
    if (!this.device.features.has('timestamp-query')) throw new Error(`profile: the adapter (${this.adapterName}) has no 'timestamp-query' feature, so kernels cannot be timed`);
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

  settle(): Promise<void> { return this.commands.settled(); }

  memory(): { buffers: number; bytes: number; pooledBytes: number; created: number } {
    const { liveBuffers, liveBytes, pooledBytes, created } = this.pool.stats();
    return { buffers: liveBuffers, bytes: liveBytes, pooledBytes, created };
  }

  /** A pooled output buffer for `shape` (NaN-filled first when poisonOutputs is on). */
  allocateOutput(shape: Shape): GpuStorage {
    this.loss.check('webgpu backend');
    const bytes = Math.max(4, sizeOf(shape) * 4);
    const storage = { buffer: this.pool.acquire(bytes, false), bytes };
    if (this.poisonOutputs) this.fillBuffer(storage.buffer, sizeOf(shape), POISON);
    return storage;
  }

  private fillBuffer(buffer: GPUBuffer, size: number, bits: number): void {
    this.commands.dispatch({ kernel: 'fill', inputs: [], outputs: [buffer], params: { size, value: bits }, grid: gridFor(Math.ceil(size / 256)) });
  }

  write(values: ArrayLike<number>, shape: Shape, dtype: DType): GpuStorage {
    this.loss.check('webgpu backend (write)');
    // queue.writeBuffer copies the bytes, so a typed array of the right type is uploaded as it is
    const data = dtype === 'int32'
      ? (values instanceof Int32Array ? values : Int32Array.from(values))
      : (values instanceof Float32Array ? values : Float32Array.from(values));
    const bytes = Math.max(4, data.byteLength);
    const buffer = this.pool.acquire(bytes, true);
    if (data.byteLength) this.device.queue.writeBuffer(buffer, 0, data as ArrayBufferView<ArrayBuffer>);
    return { buffer, bytes };
  }

  async read(x: TensorInfo): Promise<Float32Array | Int32Array> {
    const n = sizeOf(x.shape);
    this.loss.check('read');
    let data: ArrayBuffer, errorWords: ArrayBuffer;
    try {
      [data, errorWords] = await this.commands.read([buf(x), n * 4], [this.dataErrors.buffer, DATA_ERRORS_BYTES]);
    } catch (error) {
      const lost = await this.loss.lostWithin(1000);
      throw lost ? new DeviceLostError(lost, 'read') : error;
    }
    const dataError = this.dataErrors.take(errorWords);
    if (dataError) throw dataError;
    if (this.deviceError) {
      const message = this.deviceError;
      this.deviceError = null; // reported once; later work is judged on its own
      throw new Error(`webgpu backend: the device reported an error: ${message}`);
    }
    return x.dtype === 'int32' ? new Int32Array(data) : new Float32Array(data);
  }

  dispose(storage: unknown): void { this.pool.release((storage as GpuStorage).buffer); }

  fill(shape: Shape, value: number, dtype: DType): GpuStorage {
    const out = this.allocateOutput(shape);
    const bits = new DataView(new ArrayBuffer(4));
    if (dtype === 'int32') bits.setInt32(0, value, true);
    else bits.setFloat32(0, value, true);
    this.fillBuffer(out.buffer, sizeOf(shape), bits.getUint32(0, true));
    return out;
  }

  private unaryKernel(op: string, x: TensorInfo, shape: Shape, alpha = 0): GpuStorage {
    const out = this.allocateOutput(shape);
    const size = sizeOf(shape);
    const broadcast = !sameShape(x.shape, shape);
    this.commands.dispatch({
      kernel: 'unary', inputs: [buf(x)], outputs: [out.buffer], overrides: { OP: this.registry.opCode('unary', op) },
      params: { size, rank: shape.length, x_broadcast: broadcast ? 1 : 0, alpha, out_shape: shape, x_strides: broadcast ? broadcastStrides(x.shape, shape) : [] },
      grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  // the copy kernel with stride 0 along broadcast axes: raw 32-bit words, so int32 passes unchanged
  broadcastTo(x: TensorInfo, shape: Shape): GpuStorage {
    const out = this.allocateOutput(shape);
    this.copy(buf(x), 0, broadcastStrides(x.shape, shape), out.buffer, 0, stridesOf(shape), shape);
    return out;
  }

  /** One `copy` dispatch: the elements of `shape` from src (offset, strides) to dst (offset, strides). */
  private copy(src: GPUBuffer, srcOffset: number, srcStrides: readonly number[], dst: GPUBuffer, dstOffset: number,
    dstStrides: readonly number[], shape: Shape): void {
    const size = sizeOf(shape);
    this.commands.dispatch({
      kernel: 'copy', inputs: [src], outputs: [dst], grid: gridFor(Math.ceil(size / 256)),
      params: { size, rank: shape.length, src_offset: srcOffset, dst_offset: dstOffset, shape, src_strides: srcStrides, dst_strides: dstStrides },
    });
  }

  transpose(x: TensorInfo, perm: readonly number[]): GpuStorage {
    const shape = perm.map((p) => x.shape[p]), strides = stridesOf(x.shape);
    const out = this.allocateOutput(shape);
    this.copy(buf(x), 0, perm.map((p) => strides[p]), out.buffer, 0, stridesOf(shape), shape);
    return out;
  }

  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): GpuStorage {
    const strides = stridesOf(x.shape);
    const out = this.allocateOutput(size);
    this.copy(buf(x), begin.reduce((o, b, d) => o + b * strides[d], 0), strides, out.buffer, 0, stridesOf(size), size);
    return out;
  }

  concat(xs: readonly TensorInfo[], axis: number, outShape: Shape): GpuStorage {
    const out = this.allocateOutput(outShape), outStrides = stridesOf(outShape);
    let at = 0;
    for (const x of xs) {
      this.copy(buf(x), 0, stridesOf(x.shape), out.buffer, at * outStrides[axis], outStrides, x.shape);
      at += x.shape[axis];
    }
    return out;
  }

  pad(x: TensorInfo, before: readonly number[], outShape: Shape, value: number): GpuStorage {
    const out = this.fill(outShape, value, x.dtype), outStrides = stridesOf(outShape);
    this.copy(buf(x), 0, stridesOf(x.shape), out.buffer, before.reduce((o, b, d) => o + b * outStrides[d], 0), outStrides, x.shape);
    return out;
  }

  private gatherParams(axis: number, xShape: Shape, indices: TensorInfo, size: number) {
    return { size, axis_size: xShape[axis], num_indices: sizeOf(indices.shape), inner: Math.max(1, sizeOf(xShape.slice(axis + 1))) };
  }

  gather(x: TensorInfo, indices: TensorInfo, axis: number): GpuStorage {
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = this.allocateOutput(shape), size = sizeOf(shape);
    this.commands.dispatch({
      kernel: 'gather', inputs: [buf(x), buf(indices)], outputs: [out.buffer, this.dataErrors.buffer],
      params: this.gatherParams(axis, x.shape, indices, size), grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  gatherGrad(dy: TensorInfo, indices: TensorInfo, axis: number, xShape: Shape): GpuStorage {
    const out = this.allocateOutput(xShape), size = sizeOf(xShape);
    this.commands.dispatch({
      kernel: 'gather_grad', inputs: [buf(dy), buf(indices)], outputs: [out.buffer],
      params: this.gatherParams(axis, xShape, indices, size), grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  oneHot(indices: TensorInfo, depth: number, onValue: number, offValue: number): GpuStorage {
    const shape = [...indices.shape, depth], size = sizeOf(shape);
    const out = this.allocateOutput(shape);
    this.commands.dispatch({
      kernel: 'one_hot', inputs: [buf(indices)], outputs: [out.buffer],
      params: { size, depth, on_value: onValue, off_value: offValue }, grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  cast(x: TensorInfo, dtype: DType): GpuStorage {
    const out = this.allocateOutput(x.shape), size = sizeOf(x.shape);
    this.commands.dispatch({
      kernel: 'cast', inputs: [buf(x)], outputs: [out.buffer], overrides: { OP: this.registry.opCode('cast', dtype === 'int32' ? 'toInt32' : 'toFloat32') },
      params: { size }, grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  unary(op: UnaryOp, x: TensorInfo, alpha = 0): GpuStorage { return this.unaryKernel(op, x, x.shape, alpha); }

  where(condition: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): GpuStorage {
    const out = this.allocateOutput(outShape), size = sizeOf(outShape);
    this.commands.dispatch({
      kernel: 'where', inputs: [buf(condition), buf(a), buf(b)], outputs: [out.buffer], grid: gridFor(Math.ceil(size / 256)),
      params: {
        size, rank: outShape.length, out_shape: outShape, c_strides: broadcastStrides(condition.shape, outShape),
        a_strides: broadcastStrides(a.shape, outShape), b_strides: broadcastStrides(b.shape, outShape),
      },
    });
    return out;
  }

  unaryGrad(op: UnaryGradOp, x: TensorInfo, y: TensorInfo, dy: TensorInfo, alpha = 0): GpuStorage {
    const out = this.allocateOutput(dy.shape);
    const size = sizeOf(dy.shape);
    this.commands.dispatch({
      kernel: 'unary_grad', inputs: [buf(x), buf(y), buf(dy)], outputs: [out.buffer],
      overrides: { OP: this.registry.opCode('unary_grad', op) }, params: { size, alpha }, grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): GpuStorage {
    const out = this.allocateOutput(outShape);
    const size = sizeOf(outShape);
    const aBroadcast = !sameShape(a.shape, outShape), bBroadcast = !sameShape(b.shape, outShape);
    // Same-shape float32 operands four at a time: the common case (gradients, residuals); ~2–3× the
    // general kernel's GB/s on 4M floats (bench/gemm-kernels.mjs)
    if (!aBroadcast && !bBroadcast && size % 4 === 0 && a.dtype === 'float32' && b.dtype === 'float32') {
      this.commands.dispatch({
        kernel: 'binary_vec4', inputs: [buf(a), buf(b)], outputs: [out.buffer], overrides: { OP: this.registry.opCode('binary_vec4', op) },
        params: { size: size / 4 }, grid: gridFor(Math.ceil(size / 4 / 256)),
      });
      return out;
    }
    this.commands.dispatch({
      kernel: 'binary', inputs: [buf(a), buf(b)], outputs: [out.buffer], overrides: { OP: this.registry.opCode('binary', op) },
      params: {
        size, rank: outShape.length, a_broadcast: aBroadcast ? 1 : 0, b_broadcast: bBroadcast ? 1 : 0, out_shape: outShape,
        a_strides: aBroadcast ? broadcastStrides(a.shape, outShape) : [], b_strides: bBroadcast ? broadcastStrides(b.shape, outShape) : [],
      },
      grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): GpuStorage { return reduce(this, op, x, axes); }

  // Bound where a rule keeps fewer states or no scale is given: distinct, since two writable
  // bindings of one buffer are invalid. `one` holds 1.0, the identity scale.
  private spares?: { state0: GPUBuffer; state1: GPUBuffer; one: GPUBuffer };

  optimizerStep(kind: OptimizerKind, param: TensorInfo, grad: TensorInfo, state: readonly TensorInfo[], h: OptimizerHyper, scale?: TensorInfo): void {
    if (!this.spares) {
      const one = this.write([1], [1], 'float32').buffer;
      this.spares = { state0: this.pool.acquire(4, false), state1: this.pool.acquire(4, false), one };
    }
    const size = sizeOf(param.shape);
    this.commands.dispatch({
      kernel: 'optimizer_step', overrides: { OP: this.registry.opCode('optimizer_step', kind) },
      inputs: [buf(grad), scale ? buf(scale) : this.spares.one],
      outputs: [buf(param), state[0] ? buf(state[0]) : this.spares.state0, state[1] ? buf(state[1]) : this.spares.state1],
      params: {
        size, learning_rate: h.learningRate, momentum: h.momentum, rho: h.rho, beta1: h.beta1, beta2: h.beta2,
        epsilon: h.epsilon, weight_decay: h.weightDecay, clip_value: h.clipValue, bias1: h.bias1, bias2: h.bias2,
      },
      grid: gridFor(Math.ceil(size / 256)),
    });
  }

  private random(op: string, shape: Shape, seed: number, a: number, b: number, stream: number): GpuStorage {
    const out = this.allocateOutput(shape);
    const size = sizeOf(shape);
    const [seedLo, seedHi] = seedKey(seed);
    this.commands.dispatch({
      kernel: 'random', inputs: [], outputs: [out.buffer], overrides: { OP: this.registry.opCode('random', op) },
      params: { size, stream, seed_lo: seedLo, seed_hi: seedHi, a, b }, grid: gridFor(Math.ceil(size / 256)),
    });
    return out;
  }

  randomUniform(shape: Shape, seed: number, low: number, high: number, stream: number): GpuStorage {
    return this.random('uniform', shape, seed, low, high, stream);
  }

  randomNormal(shape: Shape, seed: number, mean: number, std: number, stream: number): GpuStorage {
    return this.random('normal', shape, seed, mean, std, stream);
  }

  bernoulli(shape: Shape, seed: number, p: number, stream: number): GpuStorage {
    return this.random('bernoulli', shape, seed, p, 0, stream);
  }

  assign(target: TensorInfo, source: TensorInfo): void {
    const strides = stridesOf(source.shape);
    this.copy(buf(source), 0, strides, buf(target), 0, strides, source.shape);
  }

  clipScale(sumSquares: TensorInfo, clipNorm: number): GpuStorage {
    const out = this.allocateOutput([1]);
    this.commands.dispatch({ kernel: 'clip_scale', inputs: [buf(sumSquares)], outputs: [out.buffer], params: { clip_norm: clipNorm }, grid: [1, 1, 1] });
    return out;
  }

  conv2d(x: TensorInfo, filter: TensorInfo, g: Conv2DGeometry, epilogue?: MatmulEpilogue): GpuStorage { return conv.conv2d(this, x, filter, g, epilogue); }
  conv2dInputGrad(dy: TensorInfo, filter: TensorInfo, g: Conv2DGeometry): GpuStorage { return conv.conv2dInputGrad(this, dy, filter, g); }
  conv2dFilterGrad(x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage { return conv.conv2dFilterGrad(this, x, dy, g); }
  pool2d(kind: PoolKind, x: TensorInfo, g: Conv2DGeometry): GpuStorage { return conv.pool2d(this, kind, x, g); }
  pool2dGrad(kind: PoolKind, x: TensorInfo, dy: TensorInfo, g: Conv2DGeometry): GpuStorage { return conv.pool2dGrad(this, kind, x, dy, g); }
  translate(x: TensorInfo, shifts: TensorInfo, direction: 1 | -1): GpuStorage { return conv.translate(this, x, shifts, direction); }

  argmax(x: TensorInfo, axis: number): GpuStorage {
    const shape = x.shape.filter((_, d) => d !== axis), outSize = sizeOf(shape);
    const out = this.allocateOutput(shape);
    this.commands.dispatch({
      kernel: 'argmax', inputs: [buf(x)], outputs: [out.buffer], overrides: { LANES: lanesFor(x.shape[axis]) },
      params: { out_size: outSize, axis_size: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)) },
      grid: gridFor(Math.ceil(outSize / (64 / lanesFor(x.shape[axis])))),
    });
    return out;
  }

  private rowsOf(x: TensorInfo) {
    const cols = x.shape[x.shape.length - 1];
    return { rows: cols === 0 ? 0 : sizeOf(x.shape) / cols, cols };
  }

  softmax(x: TensorInfo, log: boolean): GpuStorage {
    const out = this.allocateOutput(x.shape), { rows, cols } = this.rowsOf(x);
    this.commands.dispatch({
      kernel: 'softmax', inputs: [buf(x)], outputs: [out.buffer], overrides: { OP: this.registry.opCode('softmax', log ? 'logSoftmax' : 'softmax') },
      params: { rows, cols }, grid: gridFor(rows),
    });
    return out;
  }

  softmaxGrad(y: TensorInfo, dy: TensorInfo, log: boolean): GpuStorage {
    const out = this.allocateOutput(y.shape), { rows, cols } = this.rowsOf(y);
    this.commands.dispatch({
      kernel: 'softmax_grad', inputs: [buf(y), buf(dy)], outputs: [out.buffer],
      overrides: { OP: this.registry.opCode('softmax_grad', log ? 'logSoftmax' : 'softmax') }, params: { rows, cols }, grid: gridFor(rows),
    });
    return out;
  }

  private crossEntropy(logits: TensorInfo, labels: TensorInfo, dy: TensorInfo | undefined): GpuStorage {
    const { rows, cols } = this.rowsOf(logits);
    const out = this.allocateOutput(dy ? logits.shape : [rows]);
    this.commands.dispatch({
      kernel: 'softmax_cross_entropy', inputs: [buf(logits), buf(labels), dy ? buf(dy) : buf(logits)], outputs: [out.buffer, this.dataErrors.buffer],
      overrides: { OP: this.registry.opCode('softmax_cross_entropy', labels.dtype === 'int32' ? 'sparse' : 'dense'), LANES: lanesFor(cols) },
      params: { rows, classes: cols, backward: dy ? 1 : 0 }, grid: gridFor(Math.ceil(rows / (64 / lanesFor(cols)))),
    });
    return out;
  }

  softmaxCrossEntropy(logits: TensorInfo, labels: TensorInfo): GpuStorage { return this.crossEntropy(logits, labels, undefined); }

  softmaxCrossEntropyGrad(logits: TensorInfo, labels: TensorInfo, dy: TensorInfo): GpuStorage { return this.crossEntropy(logits, labels, dy); }

  matmul(a: TensorInfo, b: TensorInfo, batch: number, options: MatmulOptions, epilogue?: MatmulEpilogue): GpuStorage {
    return gemm(this, this.matmulKernel, a, b, batch, options, epilogue);
  }
}

export async function createWebGPUBackend(options?: WebGPUBackendOptions): Promise<WebGPUBackend> {
  const { device, adapterName } = await acquireDevice();
  const backend = new WebGPUBackend(device, adapterName, options);
  const cache = options?.tuningCache === false ? undefined : options?.tuningCache ?? defaultTuningCache();
  backend.matmulKernel = await autotuneGemm(backend, cache);
  return backend;
}

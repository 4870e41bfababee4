// GpuContext: the narrow surface every op family (ops/*.ts) runs on — the device, the kernel
// registry, the command recorder, the buffer pool, typed dispatch, output allocation (NaN-poisoned
// when tests ask), and the few choices ops read (the GEMM kernel, the convolution algorithm). Ops get
// a context, never the backend, so an op family cannot reach another except through its module's
// functions; WebGPUBackend (backend.ts) owns one and delegates to the ops.
import { sizeOf, type DType, type Shape, type TensorInfo } from '@webgrad/core';
import { BufferPool } from './buffer-pool.js';
import { CommandRecorder, gridFor, type Dispatch } from './commands.js';
import { DataErrors } from './data-errors.js';
import { DeviceLossWatch } from './device-loss.js';
import type { KernelName } from './generated/kernels.js';
import { KernelRegistry } from './kernels.js';
import { ScratchTextures } from './scratch-textures.js';

/** A tensor's storage on the GPU. Every dtype is 4 bytes an element. */
export interface GpuStorage {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
}

/** A quiet NaN with a recognisable payload, written into fresh outputs when poisoning is on. */
const POISON = 0x7fc0dead;

export const GEMM_KERNELS = ['matmul', 'matmul_rows', 'matmul_subgroups', 'matmul_texture'] as const;
export type GemmKernel = (typeof GEMM_KERNELS)[number];

/** A kernel and its rows per invocation in blocks of 4 (matmul_subgroups' ROW_BLOCKS; 4 for matmul_texture, 1 for the others). */
export interface GemmChoice {
  readonly kernel: GemmKernel;
  readonly rowBlocks: number;
}

/** How convolutions run: direct kernels, or im2col + the GEMM (ops/conv.ts). */
export type ConvAlgorithm = 'direct' | 'gemm';

/** Whether `device` has the `subgroups` feature with subgroups of at least `lanes` lanes. */
export function subgroupsAtLeast(device: GPUDevice, lanes: number): boolean {
  return device.features.has('subgroups') && (device.adapterInfo?.subgroupMinSize ?? 0) >= lanes;
}

export class GpuContext {
  readonly registry: KernelRegistry;
  readonly pool: BufferPool;
  readonly commands: CommandRecorder;
  /** Packed operands of the texture GEMM (ops/matmul.ts). */
  readonly textures: ScratchTextures;
  /** Errors kernels find in their data (bad labels, bad gather indices); the backend reads it with every readback. */
  readonly dataErrors: DataErrors;
  /** Observes device.lost: allocation after a loss throws a DeviceLostError (device-loss.ts). */
  readonly loss: DeviceLossWatch;
  /** Fill every kernel's output with NaN before the kernel runs, so unwritten elements show (tests). */
  poisonOutputs = false;
  /** The GEMM kernel (and its rows per invocation) matmuls run on: the autotune's pick (gemm-autotune.ts). */
  gemmChoice: GemmChoice = { kernel: 'matmul', rowBlocks: 1 };
  convAlgorithm: ConvAlgorithm = 'direct';
  /** Whether recurrent sequences run on the subgroup kernels (ops/recurrent.ts): where the device can. */
  recurrentSubgroups: boolean;

  constructor(readonly device: GPUDevice) {
    this.loss = new DeviceLossWatch(device);
    this.registry = new KernelRegistry(device);
    this.pool = new BufferPool(device);
    this.commands = new CommandRecorder(device, this.registry, this.pool);
    this.textures = new ScratchTextures(device, this.commands);
    this.dataErrors = new DataErrors(device);
    this.recurrentSubgroups = subgroupsAtLeast(device, 8);
  }

  /** The buffer behind a tensor of this backend. */
  buffer(x: TensorInfo): GPUBuffer {
    return (x.storage as GpuStorage).buffer;
  }

  /** A pooled output buffer for `shape` (NaN-filled first when poisonOutputs is on). */
  allocate(shape: Shape): GpuStorage {
    this.loss.check('webgpu backend');
    const bytes = Math.max(4, sizeOf(shape) * 4);
    const storage = { buffer: this.pool.acquire(bytes, false), bytes };
    if (this.poisonOutputs) this.fillWords(storage.buffer, sizeOf(shape), POISON);
    return storage;
  }

  /** `size` 32-bit words of `buffer` set to `bits`. */
  fillWords(buffer: GPUBuffer, size: number, bits: number): void {
    this.dispatch({
      kernel: 'fill',
      inputs: [],
      outputs: [buffer],
      params: { size, value: bits },
      grid: gridFor(Math.ceil(size / 256)),
    });
  }

  /** Uploads `values` into a pooled buffer (the host-to-device copy is queued, not recorded). */
  upload(values: ArrayLike<number>, dtype: DType): GpuStorage {
    this.loss.check('webgpu backend (write)');
    // queue.writeBuffer copies the bytes, so a typed array of the right type is uploaded as it is
    const data =
      dtype === 'int32'
        ? values instanceof Int32Array
          ? values
          : Int32Array.from(values)
        : values instanceof Float32Array
          ? values
          : Float32Array.from(values);
    const bytes = Math.max(4, data.byteLength);
    const buffer = this.pool.acquire(bytes, true);
    if (data.byteLength) this.device.queue.writeBuffer(buffer, 0, data as ArrayBufferView<ArrayBuffer>);
    return { buffer, bytes };
  }

  /** Returns a storage's buffer to the pool; later kernels may reuse it, since they run after those recorded. */
  release(storage: unknown): void {
    this.pool.release((storage as GpuStorage).buffer);
  }

  /** Records one dispatch of kernel K, its params and overrides typed by the shader (generated/kernels.ts). */
  dispatch<K extends KernelName>(dispatch: Dispatch<K>): void {
    this.commands.dispatch(dispatch);
  }
}

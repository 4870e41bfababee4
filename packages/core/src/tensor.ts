// Tensor: an immutable value — shape, dtype and a reference to backend-owned storage. Reading is async
// (`await t.data()`), because a GPU cannot be read synchronously. Views (reshape) share one storage
// through a reference count.
import type { Backend, Storage, TensorInfo } from './backend.js';
import { fmt, sizeOf, type DType, type Shape, type TypedArray } from './dtype.js';

/** Storage shared by a tensor and its views; freed when the last of them is disposed. */
export interface StorageRef {
  readonly storage: Storage;
  refs: number;
  readonly bytes: number;
}

// What memory() reports: tensors, and the storages they hold (4 bytes an element, as on the GPU).
const counts = { tensors: 0, storages: 0, bytes: 0 };
export const liveCounts = (): Readonly<typeof counts> => ({ ...counts });
/** Counts a storage just made for a tensor; its last dispose uncounts it. */
export function newStorageRef(storage: Storage, elements: number): StorageRef {
  counts.storages++;
  counts.bytes += elements * 4;
  return { storage, refs: 1, bytes: elements * 4 };
}

export type NestedArray = number | NestedArray[];

let nextId = 0;

export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  private disposed = false;

  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly backend: Backend,
    /** @internal */ readonly ref: StorageRef,
  ) {
    this.size = sizeOf(shape);
    counts.tensors++;
  }

  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The kernel's view of this tensor; throws, naming `op`, if the tensor was disposed. */
  info(op: string): TensorInfo {
    if (this.disposed) {
      throw new Error(
        `${op}: tensor #${this.id} (shape ${fmt(this.shape)}, ${this.dtype}) was disposed and cannot be used`,
      );
    }
    return { storage: this.ref.storage, shape: this.shape, dtype: this.dtype };
  }

  /** The values, flat, as Float32Array or Int32Array by dtype. */
  async data(): Promise<TypedArray> {
    const raw = await this.backend.read(this.info('data'));
    if (this.dtype === 'int32') return raw instanceof Int32Array ? raw : Int32Array.from(raw);
    return raw instanceof Float32Array ? raw : Float32Array.from(raw);
  }

  /** The values as nested arrays of this tensor's shape (a number for a scalar). */
  async array(): Promise<NestedArray> {
    const flat = await this.data();
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return flat[offset];
      const inner = sizeOf(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis] }, (_, i) => build(axis + 1, offset + i * inner));
    };
    return build(0, 0);
  }

  /** Frees the storage now (once the last view of it is disposed). Disposing twice is harmless. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    counts.tensors--;
    if (--this.ref.refs === 0) {
      counts.storages--;
      counts.bytes -= this.ref.bytes;
      this.backend.dispose(this.ref.storage);
    }
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }
}

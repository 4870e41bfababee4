// A size-bucketed pool of storage buffers. Sizes round up to a bucket (≤ 12.5% waste), so training
// steps reuse the same buffers. A buffer freed while commands are still being recorded is held back
// from uploads until those commands are submitted: queue.writeBuffer runs before any unsubmitted
// command, so an upload into it could change what an earlier-recorded kernel reads. Kernel outputs
// may reuse it at once (commands run in recorded order).
import { BufferUsage } from './gpu-flags.js';

/** Bucket for a byte size: multiples of 1/8 of the next power of two, at least 256 bytes. */
export function bucketSize(bytes: number): number {
  if (bytes <= 256) return 256;
  const step = 2 ** Math.ceil(Math.log2(bytes)) / 8;
  return Math.ceil(bytes / step) * step;
}

export class BufferPool {
  // Per bucket, the free buffers sorted by creation number, the oldest last, each with the number of
  // submits that had happened when it was released. An output takes the oldest free buffer whatever
  // its submit state: the choice depends only on which buffers are free, not on the order they were
  // released in or on how the work was split into submits, so every training step gets the same
  // buffers and finds its bind groups in the recorder's cache (a last-released-first pool permutes
  // the buffers from step to step, and each permutation costs new bind groups).
  private readonly free = new Map<number, { buffer: GPUBuffer; id: number; releasedAt: number }[]>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private created = 0;
  private submits = 0;
  private live = 0;
  private liveBytes = 0;
  private pooledBytes = 0;

  /** The largest buffer a kernel can bind on this device. */
  readonly maxBytes: number;

  constructor(private readonly device: GPUDevice) {
    this.maxBytes = Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
  }

  /** A buffer of at least `bytes`; `forUpload` excludes buffers that unsubmitted commands may read. */
  acquire(bytes: number, forUpload: boolean): GPUBuffer {
    // refused here with a clear error: WebGPU would report a validation error only later, at a readback
    if (bytes > this.maxBytes) {
      throw new Error(
        `webgpu backend: a tensor of ${bytes} bytes is larger than this device's largest storage buffer (${this.maxBytes} bytes); ` +
          `split the work into smaller tensors`,
      );
    }
    const size = Math.min(bucketSize(bytes), this.maxBytes);
    const list = this.free.get(size);
    let buffer: GPUBuffer | undefined;
    if (list?.length) {
      let i = list.length - 1;
      if (forUpload) while (i >= 0 && list[i].releasedAt === this.submits) i--;
      if (i >= 0) {
        buffer = list[i].buffer;
        list.copyWithin(i, i + 1); // not splice: it allocates an array per call, and this runs per op
        list.pop();
      }
    }
    if (buffer) this.pooledBytes -= size;
    else {
      buffer = this.device.createBuffer({
        size,
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      });
      this.ids.set(buffer, this.created++);
    }
    this.live++;
    this.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.live--;
    this.liveBytes -= buffer.size;
    this.pooledBytes += buffer.size;
    const entry = { buffer, id: this.ids.get(buffer) ?? -1, releasedAt: this.submits };
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    let at = list.length; // keep newest first, oldest last
    list.push(entry);
    while (at > 0 && list[at - 1].id < entry.id) {
      list[at] = list[at - 1];
      at--;
    }
    list[at] = entry;
  }

  /** Called after each submit: buffers released before it are safe for uploads again. */
  submitted(): void {
    this.submits++;
  }

  /** `created` counts every buffer ever made: after warm-up, a training step must not raise it. */
  stats(): { liveBuffers: number; liveBytes: number; pooledBytes: number; created: number } {
    return { liveBuffers: this.live, liveBytes: this.liveBytes, pooledBytes: this.pooledBytes, created: this.created };
  }
}

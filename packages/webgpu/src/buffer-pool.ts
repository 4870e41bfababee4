// A size-bucketed pool of storage buffers. Sizes round up to a bucket (≤ 12.5% waste), so training
// steps reuse the same buffers. A buffer freed while commands are still being recorded is held back
// from uploads until those commands are submitted: queue.writeBuffer runs before any unsubmitted
// command, so an upload into it could change what an earlier-recorded kernel reads. Kernel outputs
// may reuse it at once (commands run in recorded order). Imports nothing from webgrad.

/** Bucket for a byte size: multiples of 1/8 of the next power of two, at least 256 bytes. */
export function bucketSize(bytes: number): number {
  if (bytes <= 256) return 256;
  const step = 2 ** Math.ceil(Math.log2(bytes)) / 8;
  return Math.ceil(bytes / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private freedSinceSubmit: GPUBuffer[] = [];
  private live = 0;
  private liveBytes = 0;
  private pooledBytes = 0;
  private created = 0;

  /** The largest buffer a kernel can bind on this device. */
  readonly maxBytes: number;

  constructor(private readonly device: GPUDevice) {
    this.maxBytes = Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
  }

  /** A buffer of at least `bytes`; `forUpload` excludes buffers that unsubmitted commands may read. */
  acquire(bytes: number, forUpload: boolean): GPUBuffer {
    // refused here with a clear error: WebGPU would report a validation error only later, at a readback
    if (bytes > this.maxBytes) {
      throw new Error(`webgpu backend: a tensor of ${bytes} bytes is larger than this device's largest storage buffer (${this.maxBytes} bytes); split the work into smaller tensors`);
    }
    const size = Math.min(bucketSize(bytes), this.maxBytes);
    let buffer = this.free.get(size)?.pop();
    if (!buffer && !forUpload) {
      const i = this.freedSinceSubmit.findIndex((b) => b.size === size);
      if (i >= 0) buffer = this.freedSinceSubmit.splice(i, 1)[0];
    }
    if (buffer) this.pooledBytes -= size;
    else {
      buffer = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.created++;
    }
    this.live++;
    this.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.live--;
    this.liveBytes -= buffer.size;
    this.pooledBytes += buffer.size;
    this.freedSinceSubmit.push(buffer);
  }

  /** Called after each submit: buffers freed before it are safe for uploads again. */
  submitted(): void {
    for (const b of this.freedSinceSubmit) {
      const list = this.free.get(b.size);
      if (list) list.push(b);
      else this.free.set(b.size, [b]);
    }
    this.freedSinceSubmit = [];
  }

  /** `created` counts every buffer ever made: after warm-up, a training step must not raise it. */
  stats(): { liveBuffers: number; liveBytes: number; pooledBytes: number; created: number } {
    return { liveBuffers: this.live, liveBytes: this.liveBytes, pooledBytes: this.pooledBytes, created: this.created };
  }
}

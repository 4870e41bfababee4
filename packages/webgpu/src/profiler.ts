// Per-kernel GPU time from timestamp queries, for backend.profile() (TF.js's tf.profile, on the
// device's own clock). While profiling, every dispatch runs in a compute pass of its own whose
// beginning and end write timestamps; each submit resolves its timestamps into a buffer, read back
// asynchronously, and the time of each pass is added to its kernel's total. Passes of one per
// dispatch cost a little more than one pass for the batch, so totals are for finding where the time
// goes, not for timing the unprofiled run. Needs the adapter's 'timestamp-query' feature (device.ts
// asks for it).
import { paced } from './dawn-pacing.js';
import { BufferUsage, MapMode } from './gpu-flags.js';

/** Per kernel: how many dispatches ran and their summed GPU time. */
export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

export const MAX_TIMED_DISPATCHES = 1024;

export class KernelProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private names: string[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly totals = new Map<string, KernelTime>();

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({
      label: 'kernel profiler',
      type: 'timestamp',
      count: 2 * MAX_TIMED_DISPATCHES,
    });
    this.resolved = device.createBuffer({
      size: 16 * MAX_TIMED_DISPATCHES,
      usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC,
    });
  }

  get full(): boolean {
    return this.names.length >= MAX_TIMED_DISPATCHES;
  }

  /** The timestamp writes for the next dispatch's own pass. */
  next(kernel: string): GPUComputePassTimestampWrites {
    const i = this.names.push(kernel) - 1;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Adds the copy of this batch's timestamps to `encoder`; `afterSubmit` starts reading them. */
  resolve(encoder: GPUCommandEncoder): (() => void) | undefined {
    const names = this.names;
    if (!names.length) return undefined;
    this.names = [];
    const bytes = 16 * names.length;
    const staging = this.device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, 2 * names.length, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, staging, 0, bytes);
    return () => {
      this.pending.push(
        paced(() => staging.mapAsync(MapMode.READ)).then(() => {
          const ns = new BigInt64Array(staging.getMappedRange());
          names.forEach((kernel, i) => {
            const total = this.totals.get(kernel) ?? { kernel, calls: 0, ms: 0 };
            // a driver may give a pass end before its start (clocks per core); such a pass counts as 0
            total.ms += Math.max(0, Number(ns[2 * i + 1] - ns[2 * i])) / 1e6;
            total.calls++;
            this.totals.set(kernel, total);
          });
          staging.destroy();
        }),
      );
    };
  }

  /** Every kernel's total once all readbacks are in, the most expensive first. */
  async results(): Promise<KernelTime[]> {
    await Promise.all(this.pending);
    return [...this.totals.values()].sort((a, b) => b.ms - a.ms);
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolved.destroy();
  }
}

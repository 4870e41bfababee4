// Errors kernels find in their data, which the host cannot see without a readback: a class label or
// a gather index out of range. Kernels record them with atomics in one small buffer; every readback
// copies it along and turns what it holds into an Error naming the op. Layout, 8 u32 words:
// [0..3] softmax_cross_entropy: count, first row (atomicMin), classes, unused;
// [4..7] gather: count of bad indices, first position (atomicMin), axis size (atomicMax), unused.
import { BufferUsage } from './gpu-flags.js';

export const DATA_ERRORS_BYTES = 32;
const CLEAN = Uint32Array.of(0, 0xffffffff, 0, 0, 0, 0xffffffff, 0, 0);

export class DataErrors {
  readonly buffer: GPUBuffer;

  constructor(private readonly device: GPUDevice) {
    this.buffer = device.createBuffer({
      label: 'data errors',
      size: DATA_ERRORS_BYTES,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    this.reset();
  }

  reset(): void {
    this.device.queue.writeBuffer(this.buffer, 0, CLEAN);
  }

  /** The error the words read back describe (and a reset, so each is reported once), or null. */
  take(words: ArrayBuffer): Error | null {
    const [ceCount, ceRow, classes, , gatherCount, position, axisSize] = new Uint32Array(words);
    if (!ceCount && !gatherCount) return null;
    this.reset();
    if (ceCount) {
      return new Error(
        `softmaxCrossEntropy: ${ceCount} label${ceCount > 1 ? 's' : ''} out of range [0, ${classes}), the first in row ${ceRow}`,
      );
    }
    return new Error(
      `gather: ${gatherCount} ind${gatherCount > 1 ? 'ices' : 'ex'} out of range [0, ${axisSize}), ` +
        `the first at position ${position} of the indices`,
    );
  }
}

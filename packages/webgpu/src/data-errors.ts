// Errors kernels find in their data, which the host cannot see without a readback: a class label or
// a gather index out of range. Kernels record them with atomics in one small buffer; every readback
// copies it along and turns what it holds into an Error naming the op. Layout, 8 u32 words:
// [0..3] softmax_cross_entropy: count, first row (atomicMin), classes, unused;
// [4..7] gather: count of bad indices, first position (atomicMin), axis size (atomicMax), unused;
// [8..11] segment ops, scatters, gatherNd and sparseMatmul: count of bad ids, indices or columns, first
// position (atomicMin), the bound (atomicMax), the caller's code (atomicMax; `callerCode` hands them out);
// [12..13] ids promised sorted that decrease: first position (atomicMin), caller code; [14..15] unused.
// The segment words are reported before gather's: gatherNd's bad rows also reach gather.
import { BufferUsage } from './gpu-flags.js';

export const DATA_ERRORS_BYTES = 64;
const CLEAN = Uint32Array.of(0, 0xffffffff, 0, 0, 0, 0xffffffff, 0, 0, 0, 0xffffffff, 0, 0, 0xffffffff, 0, 0, 0);

/** What a caller's bad value is, for the message: a segment id, an index, a column index. */
interface Caller {
  readonly op: string;
  readonly what: string;
}

export class DataErrors {
  readonly buffer: GPUBuffer;
  private readonly callers: Caller[] = [];

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

  /** The code a kernel records for errors of `op` about its `what` (codes start at 1: 0 is none). */
  callerCode(op: string, what: string): number {
    const known = this.callers.findIndex((c) => c.op === op && c.what === what);
    if (known >= 0) return known + 1;
    this.callers.push({ op, what });
    return this.callers.length;
  }

  /** The error the words read back describe (and a reset, so each is reported once), or null. */
  take(words: ArrayBuffer): Error | null {
    const [
      ceCount,
      ceRow,
      classes,
      ,
      gatherCount,
      position,
      axisSize,
      ,
      badCount,
      badAt,
      bound,
      code,
      unsortedAt,
      unsortedCode,
    ] = new Uint32Array(words);
    if (!ceCount && !gatherCount && !badCount && !unsortedCode) return null;
    this.reset();
    if (badCount) {
      const { op, what } = this.callers[code - 1] ?? { op: 'segment op', what: 'index' };
      return new Error(
        `${op}: ${badCount} ${what}${badCount > 1 ? 's' : ''} out of range [0, ${bound}), the first at position ${badAt} ` +
          '(the GPU left them out: sums skip them, gathers read 0)',
      );
    }
    if (unsortedCode) {
      const { op } = this.callers[unsortedCode - 1] ?? { op: 'segment op' };
      return new Error(
        `${op}: segment ids are not sorted (sorted: true): the id at position ${unsortedAt} is smaller than the one ` +
          'before it; pass sorted: false for unsorted ids',
      );
    }
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

// The CPU reference for segment reductions, flat indices and CSR sparse × dense products, in float64.
// Every index is checked first, so a bad id, index or row pointer is an error naming the public op, the
// bad value, its position and the range it had to fall in.
import type { ReduceOp, TensorInfo } from '../backend.js';
import { sizeOf } from '../dtype.js';

const values = (x: TensorInfo) => x.storage as Float64Array;

/** Throws if any of `indices` lies outside [0, bound): the count, the first bad position and its value. */
function checkRange(caller: string, what: string, indices: Float64Array, bound: number): void {
  const isBad = (k: number) => !(Number.isInteger(k) && k >= 0 && k < bound);
  const first = indices.findIndex(isBad);
  if (first < 0) return;
  const count = indices.filter(isBad).length;
  throw new Error(
    `${caller}: ${count} ${what}${count > 1 ? 's' : ''} out of range [0, ${bound}), ` +
      `the first at position ${first} (${indices[first]})`,
  );
}

export function segmentReduce(
  op: ReduceOp,
  data: TensorInfo,
  ids: TensorInfo,
  numSegments: number,
  axis: number,
  sorted: boolean,
  caller: string,
): Float64Array {
  const outer = sizeOf(data.shape.slice(0, axis)),
    n = data.shape[axis],
    inner = sizeOf(data.shape.slice(axis + 1));
  const segment = values(ids),
    src = values(data);
  checkRange(caller, 'segment id', segment, numSegments);
  if (sorted) {
    const drop = segment.findIndex((s, i) => i > 0 && s < segment[i - 1]);
    if (drop > 0) {
      throw new Error(
        `${caller}: segment ids are not sorted (sorted: true): position ${drop} (${segment[drop]}) ` +
          `follows ${segment[drop - 1]}; pass sorted: false for unsorted ids`,
      );
    }
  }
  const counts = new Float64Array(numSegments);
  segment.forEach((s) => counts[s]++);
  const out = new Float64Array(outer * numSegments * inner);
  const seen = new Uint8Array(outer * numSegments * inner);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < inner; c++) {
        const to = (o * numSegments + segment[r]) * inner + c,
          v = src[(o * n + r) * inner + c];
        if (op === 'max') out[to] = seen[to] ? Math.max(out[to], v) : v;
        else if (op === 'min') out[to] = seen[to] ? Math.min(out[to], v) : v;
        else out[to] += v;
        seen[to] = 1;
      }
    }
  }
  if (op === 'mean') out.forEach((v, i) => (out[i] = v / Math.max(1, counts[Math.floor(i / inner) % numSegments])));
  return out;
}

export function flatIndices(indices: TensorInfo, dims: readonly number[], caller: string): Float64Array {
  const k = dims.length,
    idx = values(indices),
    m = idx.length / k;
  const out = new Float64Array(m);
  for (let row = 0; row < m; row++) {
    let flat = 0;
    for (let d = 0; d < k; d++) {
      const v = idx[row * k + d];
      if (!(Number.isInteger(v) && v >= 0 && v < dims[d])) {
        throw new Error(
          `${caller}: index [${Array.from(idx.subarray(row * k, row * k + k)).join(', ')}] at row ${row} of the indices ` +
            `is out of range for leading dims [${dims.join(', ')}] (component ${d} is ${v})`,
        );
      }
      flat = flat * dims[d] + v;
    }
    out[row] = flat;
  }
  return out;
}

/** Throws unless rowPtr starts at 0, never decreases and ends at nnz, and every column is in [0, cols). */
function checkCsr(rowPtr: Float64Array, colIdx: Float64Array, cols: number): void {
  const rows = rowPtr.length - 1;
  const drop = rowPtr.findIndex((p, r) => r > 0 && p < rowPtr[r - 1]);
  if (rowPtr[0] !== 0 || rowPtr[rows] !== colIdx.length || drop > 0) {
    throw new Error(
      `sparseMatmul: rowPtr must rise from 0 to nnz = ${colIdx.length} without decreasing; ` +
        `got rowPtr[0] = ${rowPtr[0]}, rowPtr[${rows}] = ${rowPtr[rows]}` +
        (drop > 0 ? `, and rowPtr[${drop}] = ${rowPtr[drop]} < rowPtr[${drop - 1}] = ${rowPtr[drop - 1]}` : ''),
    );
  }
  checkRange('sparseMatmul', 'column index', colIdx, cols);
}

export function sparseMatmul(
  rowPtr: TensorInfo,
  colIdx: TensorInfo,
  vals: TensorInfo,
  dense: TensorInfo,
): Float64Array {
  const ptr = values(rowPtr),
    col = values(colIdx),
    a = values(vals),
    b = values(dense);
  const [cols, k] = dense.shape,
    rows = ptr.length - 1;
  checkCsr(ptr, col, cols);
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let p = ptr[r]; p < ptr[r + 1]; p++) {
      for (let c = 0; c < k; c++) out[r * k + c] += a[p] * b[col[p] * k + c];
    }
  }
  return out;
}

export function csrRowIds(rowPtr: TensorInfo, nnz: number): Float64Array {
  const ptr = values(rowPtr),
    out = new Float64Array(nnz);
  for (let r = 0; r + 1 < ptr.length; r++) {
    for (let p = Math.max(0, ptr[r]); p < Math.min(nnz, ptr[r + 1]); p++) out[p] = r;
  }
  return out;
}

// Axis merging for the strided kernels (binary, copy, reduce): their index arithmetic costs a division
// and a remainder per axis per element, so adjacent axes that every operand steps through as one axis
// (a contiguous run, or a run broadcast along as a whole) are merged first, and size-1 axes dropped. A
// batch norm's [64, 14, 14, 32] against its [32] statistics becomes [12544, 32] against [0, 1] strides.

/** `shape` and, per operand, its strides over it, with mergeable axes merged (rank ≥ 1). */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const merged: number[] = [];
  const mergedStrides: number[][] = strides.map(() => []);
  // right to left: axis d joins the axis to its right when each operand's stride along d is that
  // axis's stride times its length
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (merged.length > 0 && strides.every((s, k) => s[d] === mergedStrides[k][0] * merged[0])) {
      merged[0] *= shape[d];
    } else {
      merged.unshift(shape[d]);
      strides.forEach((s, k) => mergedStrides[k].unshift(s[d]));
    }
  }
  if (merged.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: merged, strides: mergedStrides };
}

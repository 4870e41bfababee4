// Types of images.mjs, for the TypeScript tests.
export function digitRowsPng(
  rows: ArrayLike<number>[],
  options: { count: number; scale?: number; gap?: number },
): Buffer;
export function codeScatterSvg(
  codes: ArrayLike<number>,
  labels: ArrayLike<number>,
  options?: { title?: string },
): string;

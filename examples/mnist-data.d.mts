// Types of mnist-data.mjs, for the TypeScript tests.
export const IMAGE_SIZE: 784;
export interface DigitSet {
  images: Float32Array;
  labels: Int32Array;
  n: number;
}
export function mnistSplit(options?: { seed?: number; trainSize?: number }): { train: DigitSet; test: DigitSet };

// Types of graph-data.mjs, for the TypeScript tests.
export function seededRandom(seed: number): () => number;
export interface BlockModelOptions {
  nodes?: number;
  edges?: number;
  classes?: number;
  features?: number;
  inside?: number;
  signal?: number;
  train?: number;
  validation?: number;
  seed?: number;
}
export function stochasticBlockModel(options?: BlockModelOptions): {
  nodes: number;
  classes: number;
  features: number;
  x: Float32Array;
  sources: Int32Array;
  targets: Int32Array;
  labels: Int32Array;
  trainMask: Float32Array;
  validationMask: Float32Array;
  testMask: Float32Array;
};
export const SHAPES: string[];
export function smallGraphs(options?: { count?: number; minNodes?: number; maxNodes?: number; seed?: number }): {
  label: number;
  nodes: number;
  features: number[];
  sources: number[];
  targets: number[];
}[];

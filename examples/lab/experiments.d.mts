// Types of experiments.mjs, for the TypeScript tests.
import type { Tensor } from '@webgrad/core';

export interface LabResult {
  /** SVG text by file name. */
  figures: Record<string, string>;
  table: string;
  conclusion: string;
  numbers: Record<string, unknown>;
}
export type LabSize = 'full' | 'tiny';
export function syntheticData(options: {
  n: number;
  dims: number;
  classes: number;
  seed: number;
  noise?: number;
  teacher?: number;
}): {
  x: Tensor;
  y: Tensor;
};
export function backprop(): Promise<LabResult>;
export function vanishing(options?: { size?: LabSize }): Promise<LabResult>;
export function init(options?: { size?: LabSize }): Promise<LabResult>;
export function learningRate(options?: { size?: LabSize }): Promise<LabResult>;
export function overfitting(options?: { size?: LabSize }): Promise<LabResult>;
export function optimizers(options?: { size?: LabSize }): Promise<LabResult>;
export function clipping(options?: { size?: LabSize }): Promise<LabResult>;
export const experiments: Record<
  'backprop' | 'vanishing' | 'init' | 'learning-rate' | 'overfitting' | 'optimizers' | 'clipping',
  (options?: { size?: LabSize }) => Promise<LabResult>
>;

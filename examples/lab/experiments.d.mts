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
export interface LabOptions {
  size?: LabSize;
  /** Hears what runs next. */
  progress?: (text: string) => void;
  /** The optimizers lab's digits (the seeded split); without it the MNIST part is left out. */
  mnist?: () => Promise<{
    train: { images: Float32Array; labels: ArrayLike<number>; n: number };
    test: { images: Float32Array; labels: ArrayLike<number>; n: number };
  }>;
}
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
export function backprop(options?: LabOptions): Promise<LabResult>;
export function vanishing(options?: LabOptions): Promise<LabResult>;
export function init(options?: LabOptions): Promise<LabResult>;
export function learningRate(options?: LabOptions): Promise<LabResult>;
export function regularization(options?: LabOptions): Promise<LabResult>;
/** regularization's old name. */
export function overfitting(options?: LabOptions): Promise<LabResult>;
export function optimizers(options?: LabOptions): Promise<LabResult>;
export function clipping(options?: LabOptions): Promise<LabResult>;
export type LabName =
  'backprop' | 'vanishing' | 'init' | 'optimizers' | 'learning-rate' | 'regularization' | 'clipping';
export const experiments: Record<LabName, (options?: LabOptions) => Promise<LabResult>>;
export const aliases: Record<string, LabName>;

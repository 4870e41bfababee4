// Types of autoencoder.mjs, for the TypeScript tests.
import type { Tensor } from '@webgrad/core';
import type { History, Model } from '@webgrad/layers';

export const CODE: 'code';
export const VARIANTS: readonly ['dense', 'conv', 'denoise', 'code2'];
export type Variant = (typeof VARIANTS)[number];
export interface Scores {
  bce: number;
  mse: number;
}
export function denseAutoencoder(options?: { codeUnits?: number; noise?: number; seed?: number; name?: string }): Model;
export function convAutoencoder(options?: { seed?: number; name?: string }): Model;
export function buildVariant(variant: Variant, options?: { seed?: number; noise?: number }): Model;
export function encoderOf(autoencoder: Model): Model;
export function compileAutoencoder(autoencoder: Model, options: { learningRate?: number; decaySteps: number }): void;
export function trainAutoencoder(
  autoencoder: Model,
  x: Tensor,
  options: {
    epochs: number;
    batchSize?: number;
    learningRate?: number;
    validationSplit?: number;
    patience?: number;
    verbose?: 0 | 1 | 2;
  },
): Promise<History>;
export function reconstructionScores(autoencoder: Model, target: Tensor, inputs?: Tensor): Promise<Scores>;
export function noisy(x: Tensor, stddev: number, seed: number): Tensor;
export function writePictures(args: {
  trained: Partial<Record<Variant, Model>>;
  xTest: Tensor;
  xNoisy: Tensor;
  labels: Int32Array;
  outDir: string;
  count?: number;
}): Promise<string[]>;
export function main(argv: string[]): Promise<Record<string, Scores & { epochs: number; seconds: number }>>;

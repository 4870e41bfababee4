// Types of transfer.mjs, for the TypeScript tests.
import type { Tensor } from '@webgrad/core';
import type { History, Model, Sequential } from '@webgrad/layers';
import type { DigitSet } from './mnist-data.mjs';

export const BASE_DIGITS: readonly number[];
export const TARGET_DIGITS: readonly number[];
export const CUT_AT: 'pool2';
export const TOP_BLOCK: readonly string[];
export function digitsOf(
  set: DigitSet,
  digits: readonly number[],
  options?: { skip?: number; count?: number },
): DigitSet;
export function transferData(options?: {
  seed?: number;
  baseDigits?: number;
  targetDigits?: number;
  validationDigits?: number;
}): { base: DigitSet; target: DigitSet; validation: DigitSet; test: DigitSet };
export function asTensors(set: DigitSet): [Tensor, Tensor];
export function digitCnn(options?: { classes?: number; seed?: number; name?: string }): Sequential;
export function cutAt(whole: Model, layerName: string, name?: string): Model;
export function withNewHead(
  base: Model,
  options?: { classes?: number; seed?: number; frozen?: boolean; name?: string },
): Model;
export function headAlone(options?: { classes?: number; seed?: number; name?: string }): Model;
export function unfreezeTopBlock(base: Model, topBlock?: readonly string[]): void;
export function compileClassifier(classifier: Model, learningRate: number): void;
export function train(
  classifier: Model,
  data: [Tensor, Tensor],
  options: {
    validation: [Tensor, Tensor];
    epochs: number;
    batchSize?: number;
    patience?: number;
    verbose?: 0 | 1 | 2;
  },
): Promise<{ history: History; seconds: number; bestEpoch: number }>;
export function accuracyOn(classifier: Model, data: [Tensor, Tensor]): Promise<number>;
export interface Arm {
  accuracy: number;
  seconds: number;
  epochs: number | string;
}
export function main(argv: string[]): Promise<{
  scratch: Arm;
  head: Arm;
  frozen: Arm;
  unfrozen: Arm;
  baseFolder: string;
  testDigits: number;
  targetDigits: number;
}>;

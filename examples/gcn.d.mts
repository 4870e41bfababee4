// Types of gcn.mjs, for the TypeScript tests.
import type { Model } from '@webgrad/layers';
import type { BlockModelOptions } from './graph-data.mjs';

export function karateModel(options?: { seed?: number }): { net: Model; encoder: Model };
export function karateLab(options?: {
  epochs?: number;
  learningRate?: number;
  seed?: number;
  verbose?: number;
}): Promise<{
  accuracy: number;
  wrong: number[];
  loss: number;
  svg: string;
  unlabelled: number;
}>;
export function blockModelNet(
  variant: 'gcn' | 'sage' | 'gat',
  options: { features: number; classes: number; hidden?: number; seed?: number },
): Model;
export function blockModelLab(
  options?: Pick<BlockModelOptions, 'nodes' | 'edges' | 'train' | 'validation' | 'seed'> & {
    variants?: string[];
    epochs?: number;
    learningRate?: number;
    verbose?: number;
  },
): Promise<{
  results: { variant: string; testAccuracy: number; validationAccuracy: number; secondsPerEpoch: number }[];
  nodes: number;
  edges: number;
  classes: number;
  epochs: number;
}>;
export function shapesLab(options?: {
  count?: number;
  heldOut?: number;
  epochs?: number;
  learningRate?: number;
  seed?: number;
  verbose?: number;
}): Promise<{
  trainAccuracy: number;
  testAccuracy: number;
  trainGraphs: number;
  testGraphs: number;
  trainNodes: number;
}>;
export function main(argv?: string[]): Promise<void>;

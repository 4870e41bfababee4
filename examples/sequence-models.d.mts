// Types of sequence-models.mjs, for the TypeScript tests.
import type { Layer, Sequential } from '@webgrad/layers';
export const ROWS: 28;
export function buildRowsLstm(options?: { units?: number; shift?: number; seed?: number }): Sequential;
export function buildCharLm(options?: {
  cell?: 'LSTM' | 'GRU';
  depth?: number;
  units?: number;
  embeddingDim?: number;
  window?: number;
  seed?: number;
}): { model: Sequential; embed: Layer; recurrents: Layer[]; head: Layer };
export function sample(options: {
  embed: Layer;
  recurrents: readonly Layer[];
  head: Layer;
  cell: 'LSTM' | 'GRU';
  prompt: string;
  length: number;
  temperature: number;
  seed: number;
  stream: number;
}): Promise<string>;

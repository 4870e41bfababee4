// The Keras 3 fixtures of the recurrent feature tests (fixtures/recurrent-keras.json, written by
// fixtures/recurrent-keras.py): each case's options, input, weights, mask, initial states and outputs.
import { readFileSync } from 'node:fs';
import type { CellName } from '@webgrad/layers';

export interface KerasCase {
  name: string;
  cell: CellName;
  resetAfter: boolean;
  options: { return_sequences?: boolean; return_state?: boolean; go_backwards?: boolean };
  x: number[];
  xShape: number[];
  weights: number[][];
  mask: number[] | null;
  initial: number[][] | null;
  outputs: number[][];
  outputShapes: number[][];
  dropoutMasks?: { input: number[][]; recurrent: number[][] };
}

export interface Fixtures {
  keras: string;
  shape: [number, number, number];
  units: number;
  cases: KerasCase[];
  bidirectional: unknown[];
  pipelines: {
    embedding: { ids: number[]; weights: number[][]; output: number[] };
    masking: { x: number[]; weights: number[][]; output: number[] };
  };
}

export const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/recurrent-keras.json', import.meta.url), 'utf8'),
) as Fixtures;

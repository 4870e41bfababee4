// Types of charlm.mjs, for the TypeScript tests.
import type { Layer } from '@webgrad/layers';
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
export function main(argv?: string[]): Promise<{
  perEpoch: { epoch: number; trainLoss: number; validationPerplexity: number; samples: Record<string, string> }[];
  validationCounts: { bigram: number; unigram: number };
  test: { network: number; bigram: number; unigram: number };
  seconds: number;
}>;

// Types of charlm-data.mjs, for the TypeScript tests.
export const FORTUNE_DIR: string;
export const FORTUNE_FILES: readonly string[];
export const VOCABULARY: string;
export type LogProbability = (previous: number, next: number) => number;
export function normalizeFortunes(text: string): string;
export function encode(text: string): Int32Array;
export function decode(ids: ArrayLike<number>): string;
export function splitByPosition(
  text: string,
  options?: { validation?: number; test?: number },
): [train: string, validation: string, test: string];
export function loadFortunes(options?: { dir?: string; files?: readonly string[] }): {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
};
export function windows(ids: Int32Array, starts: readonly number[], length: number): { x: Int32Array; y: Int32Array };
export function tiledStarts(n: number, length: number): number[];
export function randomStarts(n: number, length: number, count: number, seed: number, stream: number): number[];
export function unigramModel(ids: ArrayLike<number>, vocabularySize: number): LogProbability;
export function bigramModel(ids: ArrayLike<number>, vocabularySize: number): LogProbability;
export function countPerplexity(
  logP: LogProbability,
  ids: ArrayLike<number>,
  starts: readonly number[],
  length: number,
): number;
export function fortunesCorpus(texts: readonly string[]): {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
};

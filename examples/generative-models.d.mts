// Types of generative-models.mjs, for the TypeScript tests.
import type { Optimizer, Tensor } from '@webgrad/core';
import type { GanLoss, Model } from '@webgrad/layers';
import type { SymbolicTensor } from '@webgrad/layers';

export const PIXELS: 784;
export function buildVae(options?: { latent?: number; hidden?: number; seed?: number }): {
  vae: Model;
  encoder: Model<SymbolicTensor[]>;
  decoder: Model;
};
export function negativeElbo(
  parts: { encoder: Model<SymbolicTensor[]>; decoder: Model },
  x: Tensor,
  options?: { seed?: number },
): Promise<{ reconstruction: number; kl: number; negativeElbo: number }>;
export function buildGenerator(options?: { latent?: number; width?: number; seed?: number }): Model;
export function buildDiscriminator(options?: { width?: number; rate?: number; seed?: number }): Model;
export function ganSamples(generator: Model, latent: number, n: number, seed?: number): Tensor;
export function latentBatch(n: number, latent: number, step: number, role: number): Tensor;
export function customGanStep(args: {
  generator: Model;
  discriminator: Model;
  loss: GanLoss;
  dOptimizer: Optimizer;
  gOptimizer: Optimizer;
  real: Tensor;
  latent: number;
  step: number;
}): [Tensor, Tensor];
export function trainOnBatchGan(args: {
  generator: Model;
  discriminator: Model;
  dOptimizer: Optimizer;
  gOptimizer: Optimizer;
}): (real: Tensor, step: number) => Promise<{ dLoss: number; gLoss: number }>;
export function buildCritic(options?: { width?: number; seed?: number }): Model;
export function wganGpCriticStep(args: {
  generator: Model;
  critic: Model;
  optimizer: Optimizer;
  real: Tensor;
  latent: number;
  step: number;
  penaltyWeight?: number;
}): [Tensor, Tensor];
export function wganGpGeneratorStep(args: {
  generator: Model;
  critic: Model;
  optimizer: Optimizer;
  n: number;
  latent: number;
  step: number;
}): Tensor;
export function smoothedLoss(base: GanLoss, s: number): GanLoss;
export function updateAverage(average: Model, source: Model, decay: number, step: number): void;
export function epochBudget(minutes: number): { stopNow(): boolean };

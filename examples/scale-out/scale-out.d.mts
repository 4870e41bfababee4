// Types of scale-out.mjs, for the TypeScript tests.
import type { Model, SymbolicTensor } from '@webgrad/layers';
export function scaleOut(options: {
  folder: string;
  size?: 'full' | 'tiny';
  devices?: number;
  webgradEpochs?: number;
  kerasEpochs?: number;
  batchSize?: number;
  verbose?: 0 | 1;
  echo?: (line: string) => void;
}): Promise<{
  digits: number;
  webgrad: { fitLosses: number[]; steps: number; loss: number; accuracy: number; testAccuracy: number };
  keras: {
    keras: string;
    devices: number;
    usable: number;
    steps_before: number;
    steps_after: number;
    loss_before: number;
    losses: number[];
  };
  returned: { steps: number | undefined; loss: number; accuracy: number; testAccuracy: number };
  model: Model<SymbolicTensor | SymbolicTensor[]>;
}>;

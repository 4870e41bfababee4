// Callbacks, Keras-style: hooks fit calls at the start and end of training, epochs and batches.
// Epoch logs hold every loss/metric (val_ ones too); batch logs hold them only on steps where fit
// read them back (it reads at most once per logged step). Hooks may be async. modelCheckpoint and
// csvLogger write files, through save.ts and the stores.
import type { NumericsFinding } from '@webgrad/core';
import { saveModel, type SavableModel } from './save.js';
import { nodeFs } from './storage.js';

export type Logs = Record<string, number>;

/** What callbacks may ask of the model being trained. */
export interface TrainingModel {
  stopTraining: boolean;
  /** The optimizer's learning rate (settable, for schedulers). */
  learningRate: number;
  getWeightValues(): Promise<Float32Array[]>;
  setWeightValues(values: readonly Float32Array[]): void;
}

export interface Callback {
  setModel?(model: TrainingModel): void;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /** In check-numerics mode: a step's first op whose output held NaN or Infinity. */
  onNonFinite?(finding: NumericsFinding): void | Promise<void>;
}

export interface EarlyStoppingOptions {
  monitor?: string;
  /** Epochs without improvement before stopping. */
  patience?: number;
  /** The least change that counts as an improvement. */
  minDelta?: number;
  /** 'auto' minimises unless the name says accuracy. */
  mode?: 'auto' | 'min' | 'max';
  /** Put back the weights of the best epoch when stopping (and at the end). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before counting. */
  startFromEpoch?: number;
}

export interface EarlyStopping extends Callback {
  /** The epoch (0-based) training stopped after, or -1. */
  readonly stoppedEpoch: number;
  readonly bestEpoch: number;
  readonly best: number;
}

export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const { monitor = 'val_loss', patience = 0, minDelta = 0, restoreBestWeights = false, startFromEpoch = 0 } = options;
  const mode = options.mode === 'max' || (options.mode !== 'min' && /acc/.test(monitor)) ? 'max' : 'min';
  const improved = (value: number, best: number) =>
    mode === 'min' ? value < best - Math.abs(minDelta) : value > best + Math.abs(minDelta);
  let model: TrainingModel,
    wait = 0,
    bestWeights: Float32Array[] | undefined;
  const state = { stoppedEpoch: -1, bestEpoch: -1, best: mode === 'min' ? Infinity : -Infinity };
  return {
    get stoppedEpoch() {
      return state.stoppedEpoch;
    },
    get bestEpoch() {
      return state.bestEpoch;
    },
    get best() {
      return state.best;
    },
    setModel: (m) => {
      model = m;
    },
    onTrainBegin: () => {
      wait = 0;
      state.stoppedEpoch = -1;
      state.bestEpoch = -1;
      state.best = mode === 'min' ? Infinity : -Infinity;
      bestWeights = undefined;
    },
    async onEpochEnd(epoch, logs) {
      const value = logs[monitor];
      if (value === undefined) {
        throw new Error(
          `earlyStopping: monitor '${monitor}' is not among the logs (${Object.keys(logs).join(', ')}); ` +
            `pass validation data for val_ metrics`,
        );
      }
      if (epoch < startFromEpoch) return;
      if (improved(value, state.best)) {
        state.best = value;
        state.bestEpoch = epoch;
        wait = 0;
        if (restoreBestWeights) bestWeights = await model.getWeightValues();
        return;
      }
      if (++wait > patience) {
        state.stoppedEpoch = epoch;
        model.stopTraining = true;
      }
    },
    onTrainEnd: () => {
      if (restoreBestWeights && bestWeights) model.setWeightValues(bestWeights);
    },
  };
}

/** Sets the learning rate at the start of each epoch from schedule(epoch, currentRate). */
export function learningRateScheduler(schedule: (epoch: number, rate: number) => number): Callback {
  let model: TrainingModel;
  return {
    setModel: (m) => {
      model = m;
    },
    onEpochBegin: (epoch) => {
      model.learningRate = schedule(epoch, model.learningRate);
    },
  };
}

export interface TerminateOnNaN extends Callback {
  /** Why training was stopped (naming the op in check-numerics mode), or '' while it was not. */
  readonly reason: string;
}

/**
 * Stops training when the loss becomes NaN or infinite; in check-numerics mode (core's
 * checkNumerics(true)) at the first such step, naming the op that first produced a non-finite value.
 */
export function terminateOnNaN({ log = console.warn }: { log?: (line: string) => void } = {}): TerminateOnNaN {
  let model: TrainingModel,
    reason = '',
    batch = 0;
  const stop = (why: string) => {
    if (model.stopTraining) return;
    model.stopTraining = true;
    reason = why;
    log(`terminateOnNaN: ${why}; training stopped`);
  };
  return {
    get reason() {
      return reason;
    },
    setModel: (m) => {
      model = m;
    },
    onTrainBegin: () => {
      reason = '';
    },
    onBatchBegin: (b) => {
      batch = b;
    },
    onBatchEnd: (b, logs) => {
      if (logs.loss !== undefined && !Number.isFinite(logs.loss)) stop(`batch ${b + 1}: the loss is ${logs.loss}`);
    },
    onEpochEnd: (epoch, logs) => {
      if (!Number.isFinite(logs.loss)) stop(`epoch ${epoch + 1}: the loss is ${logs.loss}`);
    },
    onNonFinite: (finding) => stop(`batch ${batch + 1}: ${finding.message}`),
  };
}

/** A callback from plain functions: customCallback({onEpochEnd: (epoch, logs) => …}). */
export const customCallback = (hooks: Callback): Callback => hooks;

export interface ModelCheckpointOptions {
  /** Where to save (a folder, or 'indexeddb://name' in a browser); `{epoch}` is replaced by the 1-based epoch number. */
  filepath: string;
  monitor?: string;
  /** Save only when `monitor` improves. */
  saveBestOnly?: boolean;
  mode?: 'auto' | 'min' | 'max';
  /** Include the optimizer state, so training can resume exactly. */
  includeOptimizer?: boolean;
}

/** Saves the model at the end of each epoch (or only on improvement), atomically. */
export function modelCheckpoint(model: SavableModel, options: ModelCheckpointOptions): Callback {
  const { filepath, monitor = 'val_loss', saveBestOnly = false, includeOptimizer = true } = options;
  const max = options.mode === 'max' || (options.mode !== 'min' && /acc/.test(monitor));
  let best = max ? -Infinity : Infinity;
  return {
    async onEpochEnd(epoch, logs) {
      if (saveBestOnly) {
        const value = logs[monitor];
        if (value === undefined) {
          throw new Error(
            `modelCheckpoint: monitor '${monitor}' is not among the logs (${Object.keys(logs).join(', ')})`,
          );
        }
        if (!(max ? value > best : value < best)) return;
        best = value;
      }
      const target = filepath.replace('{epoch}', String(epoch + 1));
      await saveModel(model, target, { includeOptimizer, epochsCompleted: epoch + 1 });
    },
  };
}

/** Appends one CSV row of epoch logs per epoch to `path` (a header first). */
export function csvLogger(path: string, { append = false }: { append?: boolean } = {}): Callback {
  let columns: string[] | undefined;
  return {
    async onTrainBegin() {
      const { fs } = await nodeFs('csvLogger');
      if (!append) await fs.writeFile(path, '');
      columns = undefined;
    },
    async onEpochEnd(epoch, logs) {
      const { fs } = await nodeFs('csvLogger');
      if (!columns) {
        columns = Object.keys(logs).filter((k) => k !== 'size');
        await fs.appendFile(path, `epoch,${columns.join(',')}\n`);
      }
      await fs.appendFile(path, `${epoch},${columns.map((c) => logs[c]).join(',')}\n`);
    },
  };
}

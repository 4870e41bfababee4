// Gradient flow through a network, as the "why training fails" lectures look at it: per layer, the
// weight-gradient norm, the size of an update against the weights, activation mean and std, the
// fraction of dead ReLU units and of saturated sigmoid/tanh units, and histograms. Every N steps the
// monitor takes its record from fit's own training step (flow-step.ts: the step's activations and
// gradients, no second pass); before training, once an epoch, or on request it measures a fixed probe
// batch instead (forward and backward with valueAndGrad). Either way a record is one flat tensor of
// per-tensor summaries (flow-summary.ts), whose readback starts at once and is not waited for: fit
// goes on, and the record arrives when the read resolves (at the latest at its epoch's end).
import { keep, mean, reshape, tidy, valueAndGrad, withBackend, type Tensor } from '@webgrad/core';
import type { Callback } from './callbacks.js';
import { watchNextStep, type WatchableModel, type WatchedStep } from './flow-step.js';
import {
  decodeFlow,
  snapshotOf,
  summarizeFlow,
  type FlowLayout,
  type FlowRecord,
  type LayerFlow,
  type LayerTensors,
} from './flow-summary.js';
import { flowSvg, histogramsSvg } from './flow-charts.js';
import type { AnyLayer, Layer } from './layer.js';
import type { Loss } from './losses.js';

export { flowSvg, gradientNormsByLayerSvg, histogramsSvg } from './flow-charts.js';
export { HISTOGRAM_BINS, type FlowRecord, type Histogram, type LayerFlow } from './flow-summary.js';

/** What the monitor needs of a model (Sequential has it): its layers in order, its loss and optimizer. */
export interface FlowModel {
  readonly layers: readonly AnyLayer[];
  readonly compiled?: { readonly losses: readonly Loss[]; readonly optimizer?: unknown };
  /** Builds the weights for inputs of this shape (no batch axis), if not yet built. */
  build?(inputShape: number[]): void;
}

/** A layer of the chain the monitor and traceModel run: one tensor in and out, as a Sequential's are. */
export function chainLayer(layer: AnyLayer, op: string): Layer {
  if (layer.signature !== 'one-to-one') {
    throw new Error(
      `${op}: layer '${layer.name}' (${layer.className}) takes a list; the monitor runs a stack of one-input layers (a Sequential)`,
    );
  }
  return layer;
}

export interface GradientFlowOptions {
  /**
   * A fixed batch, inputs and targets on the model's backend: the record before training, the records
   * once an epoch (without `every`), and every record with `from: 'probe'`.
   */
  readonly probe?: readonly [Tensor, Tensor];
  /** Record after every `every` steps (and before training, given a probe); default: once an epoch, on the probe. */
  readonly every?: number;
  /**
   * Where the every-N records come from: 'step' (the default), the training step itself — its batch,
   * its loss and gradients, at the cost of its summaries; 'probe', a forward and backward pass of the
   * probe batch after the step, comparable across records but costing about a step more each.
   */
  readonly from?: 'step' | 'probe';
  /** The loss to differentiate on the probe (default: the compiled one). */
  readonly loss?: Loss;
  /** Called with each record as it arrives (its readback resolved), in step order: for live panels. */
  readonly onRecord?: (record: FlowRecord) => void;
}

/**
 * A view of a layer's output kept out of the caller's scopes, for the caller to dispose: a leading axis
 * of 1 makes it a tensor of its own even where a layer hands back its input.
 */
const keptOutput = (h: Tensor) => keep(reshape(h, [1, ...h.shape]));

/**
 * The figures of every layer on the probe, as one flat tensor on the device and its layout: the
 * caller reads it when it likes. `before` (snapshotOf the trainable weights' earlier values, in layer
 * order) adds update ratios.
 */
export function flowOnDevice(
  model: FlowModel,
  [x, y]: readonly [Tensor, Tensor],
  lossFn: Loss,
  before?: Tensor,
): { values: Tensor; layout: FlowLayout } {
  withBackend(x.backend, () => model.build?.(x.shape.slice(1)));
  const trainable = model.layers.flatMap((l) => l.weights.filter((w) => w.trainable));
  let layout: FlowLayout = [];
  const values = withBackend(x.backend, () =>
    tidy(() => {
      const outputs: Tensor[] = [];
      const { value, grads } = valueAndGrad(() => {
        let h = x;
        model.layers.forEach((layer, i) => {
          h = chainLayer(layer, 'gradientFlow').call(h, { training: false, seed: 0, stream: i });
          outputs.push(keptOutput(h)); // made under valueAndGrad's scope: kept out of it
        });
        const target = y.rank === 2 && lossFn.name === 'sparseCategoricalCrossentropy' ? reshape(y, [-1]) : y;
        return mean(lossFn.compute(target, h));
      })(...trainable);
      let k = 0;
      const layers = model.layers.map((layer, i): LayerTensors => {
        const own = layer.weights.filter((w) => w.trainable);
        const at = k;
        k += own.length;
        return {
          activation: reshape(outputs[i], outputs[i].shape.slice(1)),
          activationName: layer.activationName,
          weights: own,
          grads: grads.slice(at, k),
        };
      });
      try {
        const summary = summarizeFlow(layers, value, before);
        layout = summary.layout;
        return summary.values;
      } finally {
        outputs.forEach((t) => t.dispose()); // kept out of every scope above, so freed here
      }
    }),
  );
  return { values, layout };
}

/** The layers' figures on the probe, read back now. */
export async function measureFlow(
  model: FlowModel,
  probe: readonly [Tensor, Tensor],
  loss?: Loss,
): Promise<{ loss: number; layers: LayerFlow[] }> {
  const lossFn = loss ?? model.compiled?.losses[0];
  if (!lossFn) throw new Error('measureFlow: the model is not compiled and no loss was given');
  const { values, layout } = flowOnDevice(model, probe, lossFn);
  try {
    return decodeFlow(model.layers, layout, await values.data());
  } finally {
    values.dispose();
  }
}

/** The tensors of a watched training step, layer by layer, for summarizeFlow (inside the step's scope). */
function stepTensors(model: FlowModel, step: WatchedStep): LayerTensors[] {
  return model.layers.map((layer, i) => {
    const own = layer.weights.filter((w) => w.trainable);
    const at = own.map((w) => step.variables.indexOf(w)).filter((j) => j >= 0);
    return {
      activation: step.activations[i],
      activationName: layer.activationName,
      weights: at.map((j) => step.variables[j]),
      grads: at.map((j) => step.grads[j]),
    };
  });
}

export interface GradientFlow extends Callback {
  readonly records: readonly FlowRecord[];
  /** Resolves once every record taken so far has arrived in `records`. */
  settled(): Promise<void>;
  /** The monitor's panels: gradient norm, update ratio, activation mean and std, dead/saturated units. */
  toSvg(): string;
  /** The last record's histograms of activations, weights and gradients, one line per layer. */
  histogramsSvg(): string;
}

/**
 * A fit callback recording the layers' gradient flow: before training on the probe (if given), then
 * every `every` steps from the training step (or the probe, with from: 'probe'), or at each epoch's end
 * on the probe. Each record's readback starts when it is taken; an epoch ends once its records arrived.
 */
export function gradientFlow(model: FlowModel, options: GradientFlowOptions): GradientFlow {
  const { probe, every, onRecord } = options;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1)) {
    throw new Error(`gradientFlow: every must be a positive integer, got ${every}`);
  }
  const from = options.from ?? (every === undefined ? 'probe' : 'step');
  if (from !== 'step' && from !== 'probe') throw new Error(`gradientFlow: from must be 'step' or 'probe', got ${from}`);
  if (from === 'probe' && !probe) {
    const when = every === undefined ? 'once an epoch (no `every` given)' : "with from: 'probe'";
    throw new Error(`gradientFlow: recording ${when} measures a probe batch; pass probe: [inputs, targets]`);
  }
  if (from === 'step' && every === undefined) {
    throw new Error("gradientFlow: from: 'step' records every `every` steps; pass every (e.g. every: 10)");
  }
  const records: FlowRecord[] = [];
  let reading: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let step = 0;
  let epoch = 0;
  let before: Tensor | undefined;
  let unwatch: (() => void) | undefined;
  let taken: { epoch: number; step: number; values: Tensor; layout: FlowLayout } | undefined;
  const lossFn = () => {
    const loss = options.loss ?? model.compiled?.losses[0];
    if (!loss) throw new Error('gradientFlow: the model is not compiled and no loss was given');
    return loss;
  };
  const trainable = () => model.layers.flatMap((l) => l.weights.filter((w) => w.trainable));
  const backendOf = () => probe?.[0].backend ?? trainable()[0]?.backend;
  const dropBefore = () => {
    before?.dispose();
    before = undefined;
  };
  const snapshot = () => {
    dropBefore();
    const weights = trainable();
    if (weights.length) before = withBackend(backendOf()!, () => keep(tidy(() => snapshotOf(weights))));
  };
  // starts the record's readback now; records join `records` (and reach onRecord) in the order taken
  const deliver = (at: { epoch: number; step: number }, values: Tensor, layout: FlowLayout) => {
    const data = values.data();
    reading = Promise.all([data, reading])
      .then(([numbers]) => {
        const record = { epoch: at.epoch, step: at.step, ...decodeFlow(model.layers, layout, numbers) };
        records.push(record);
        onRecord?.(record);
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => values.dispose());
  };
  const settled = async () => {
    await reading;
    const found = failure;
    failure = undefined;
    if (found) throw found.error;
  };
  const recordProbe = () => {
    const { values, layout } = flowOnDevice(model, probe!, lossFn(), before);
    dropBefore();
    deliver({ epoch, step }, values, layout);
  };
  const watchStep = () => {
    const at = { epoch, step: step + 1 };
    unwatch = watchNextStep(model as WatchableModel, (watched) => {
      const { values, layout } = summarizeFlow(stepTensors(model, watched), watched.loss, watched.before);
      taken = { ...at, values: keep(values), layout };
    });
  };
  return {
    records,
    settled,
    onTrainBegin: () => {
      step = 0;
      records.length = 0;
      if (probe) recordProbe();
    },
    onEpochBegin: (e) => {
      epoch = e;
      if (every === undefined) snapshot();
    },
    onBatchBegin: () => {
      if (every === undefined || (step + 1) % every !== 0) return;
      if (from === 'step') watchStep();
      else snapshot();
    },
    onBatchEnd: () => {
      step++;
      unwatch?.();
      unwatch = undefined;
      if (taken) deliver(taken, taken.values, taken.layout);
      taken = undefined;
      if (from === 'probe' && every !== undefined && step % every === 0) recordProbe();
    },
    onEpochEnd: async () => {
      if (every === undefined) recordProbe();
      await settled();
    },
    onTrainEnd: async () => {
      unwatch?.();
      unwatch = undefined;
      dropBefore();
      await settled();
    },
    toSvg: () => flowSvg(records),
    histogramsSvg: () => histogramsSvg(records[records.length - 1]),
  };
}

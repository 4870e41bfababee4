// Gradient flow through a network, as the "why training fails" lectures look at it: per layer, the
// weight-gradient norm, the size of an update against the weights, activation mean and std, and the
// fraction of dead ReLU units and of saturated sigmoid/tanh units. Measured on a fixed probe batch
// (forward and backward with valueAndGrad over the trainable weights), every N steps or once per
// epoch; each figure stays on the device and a log's records are read back together, once.
import {
  add,
  cast,
  concat,
  greaterEqual,
  div,
  keep,
  less,
  lessEqual,
  max,
  mean,
  min,
  mul,
  reshape,
  sqrt,
  square,
  sub,
  sum,
  tensor,
  tidy,
  valueAndGrad,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import type { Callback } from './callbacks.js';
import { chartsSvg, type ChartOptions, type Series } from './charts.js';
import type { AnyLayer, Layer } from './layer.js';
import type { Loss } from './losses.js';

/** What the monitor needs of a layer: a chain of these is the network it probes. */
/** What the monitor needs of a model (Sequential has it): its layers in order and its loss. */
export interface FlowModel {
  readonly layers: readonly AnyLayer[];
  readonly compiled?: { readonly losses: readonly Loss[] };
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

/** One layer's figures at one record. */
export interface LayerFlow {
  readonly layer: string;
  readonly className: string;
  /** ‖∂loss/∂w‖ over the layer's trainable weights (absent for a layer without any). */
  gradNorm?: number;
  /** ‖w‖ over the same weights. */
  weightNorm?: number;
  /** ‖w_after − w_before‖ / ‖w_after‖ across the recorded step (or epoch, when recording per epoch). */
  updateRatio?: number;
  activationMean: number;
  activationStd: number;
  /** ReLU layers: the fraction of units that output 0 for every probe sample. */
  deadFraction?: number;
  /** Sigmoid/tanh layers: the fraction of outputs whose local derivative is below 1/20 of its peak. */
  saturatedFraction?: number;
  /** Distributions on HISTOGRAM_BINS equal bins from the smallest value to the largest. */
  activationHistogram?: Histogram;
  /** Of the layer's first trainable weight (a Dense kernel), and of its gradient. */
  weightHistogram?: Histogram;
  gradHistogram?: Histogram;
}

export interface Histogram {
  /** HISTOGRAM_BINS + 1 bin edges, smallest to largest value. */
  readonly edges: number[];
  /** Values per bin; the last bin holds the largest value. */
  readonly counts: number[];
}

export const HISTOGRAM_BINS = 20;

export interface FlowRecord {
  readonly epoch: number;
  /** Training steps done when recorded (0: before training). */
  readonly step: number;
  readonly loss: number;
  readonly layers: LayerFlow[];
}

export interface GradientFlowOptions {
  /** The probe batch: inputs and targets, on the model's backend. */
  readonly probe: readonly [Tensor, Tensor];
  /** Record after every `every` steps (and before training); default: before training and at each epoch's end. */
  readonly every?: number;
  /** The loss to differentiate (default: the compiled one). */
  readonly loss?: Loss;
}

type HistogramField = 'activationHistogram' | 'weightHistogram' | 'gradHistogram';
type Field = Exclude<keyof LayerFlow, 'layer' | 'className' | HistogramField>;
/** Where a run of the flat figures tensor goes: a layer (−1 for the model), a field, how many numbers. */
type Entry = readonly [layer: number, field: Field | HistogramField | 'loss', length: number];

/**
 * A histogram on the device: [min, max, then for each inner edge the count of values at or above it],
 * HISTOGRAM_BINS + 1 numbers; `histogramOf` turns them into edges and counts.
 */
function histogramOnDevice(t: Tensor): Tensor {
  const lo = min(t);
  const hi = max(t);
  const fractions = tensor(Array.from({ length: HISTOGRAM_BINS - 1 }, (_, k) => (k + 1) / HISTOGRAM_BINS));
  const edges = add(lo, mul(sub(hi, lo), fractions));
  const above = fraction(greaterEqual(reshape(t, [-1, 1]), reshape(edges, [1, -1])), 0);
  return concat([reshape(lo, [1]), reshape(hi, [1]), mul(above, t.size)], 0);
}

function histogramOf(numbers: ArrayLike<number>, size: number): Histogram {
  const [lo, hi] = [numbers[0], numbers[1]];
  const atOrAbove = [size, ...Array.from({ length: HISTOGRAM_BINS - 1 }, (_, k) => Math.round(numbers[2 + k])), 0];
  return {
    edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, k) => lo + ((hi - lo) * k) / HISTOGRAM_BINS),
    counts: Array.from({ length: HISTOGRAM_BINS }, (_, k) => atOrAbove[k] - atOrAbove[k + 1]),
  };
}

const fraction = (mask: Tensor, axis?: number) => mean(mask.dtype === 'float32' ? mask : cast(mask, 'float32'), axis);

/** Below 1/20 of the peak derivative: σ' = σ(1 − σ) < 0.25/20, tanh' = 1 − tanh² < 1/20. */
function saturated(activation: string | undefined, a: Tensor): Tensor | undefined {
  if (activation === 'sigmoid') return fraction(less(mul(a, sub(1, a)), 0.25 / 20));
  if (activation === 'tanh') return fraction(less(sub(1, square(a)), 1 / 20));
  return undefined;
}

/** A ReLU unit is dead on the probe when its largest output over every sample (and position) is 0. */
function dead(activation: string | undefined, a: Tensor): Tensor | undefined {
  if (activation !== 'relu' || a.rank < 2) return undefined;
  return fraction(lessEqual(max(a, [...Array(a.rank - 1).keys()]), 0));
}

const norm = (ts: readonly Tensor[]) => sqrt(ts.map((t) => sum(square(t))).reduce((s, t) => add(s, t)));

/**
 * The figures of every layer on the probe, as one flat tensor on the device and the names of its
 * entries: the caller reads it when it likes (one readback for any number of records).
 */
export function flowOnDevice(
  model: FlowModel,
  [x, y]: readonly [Tensor, Tensor],
  lossFn: Loss,
  before?: readonly Tensor[],
): { values: Tensor; fields: Entry[]; sizes: number[] } {
  withBackend(x.backend, () => model.build?.(x.shape.slice(1)));
  const trainable = model.layers.flatMap((l) => l.weights.filter((w) => w.trainable));
  const fields: Entry[] = [];
  const sizes: number[] = []; // the element count of each histogram's tensor, in order
  const values = withBackend(x.backend, () =>
    tidy(() => {
      const stats: Tensor[] = [];
      const put = (layer: number, field: Field | HistogramField | 'loss', t: Tensor | undefined) => {
        if (!t) return;
        stats.push(keep(reshape(t, [-1]))); // made under valueAndGrad's scope: kept out of it
        fields.push([layer, field, t.size]);
      };
      const histogram = (layer: number, field: HistogramField, t: Tensor) => {
        sizes.push(t.size);
        put(layer, field, histogramOnDevice(t));
      };
      const { value, grads } = valueAndGrad(() => {
        let h = x;
        model.layers.forEach((layer, i) => {
          h = chainLayer(layer, 'gradientFlow').call(h, { training: false, seed: 0, stream: i });
          const m = mean(h);
          put(i, 'activationMean', m);
          put(i, 'activationStd', sqrt(mean(square(sub(h, m)))));
          put(i, 'deadFraction', dead(layer.activationName, h));
          put(i, 'saturatedFraction', saturated(layer.activationName, h));
          histogram(i, 'activationHistogram', h);
        });
        const target = y.rank === 2 && lossFn.name === 'sparseCategoricalCrossentropy' ? reshape(y, [-1]) : y;
        return mean(lossFn.compute(target, h));
      })(...trainable);
      put(-1, 'loss', value);
      let k = 0;
      model.layers.forEach((layer, i) => {
        const own = layer.weights.filter((w) => w.trainable);
        if (!own.length) return;
        const g = grads.slice(k, k + own.length);
        put(i, 'gradNorm', norm(g));
        put(i, 'weightNorm', norm(own));
        if (before) put(i, 'updateRatio', div(norm(own.map((w, j) => sub(w, before[k + j]))), norm(own)));
        histogram(i, 'weightHistogram', own[0]);
        histogram(i, 'gradHistogram', g[0]);
        k += own.length;
      });
      const all = concat(stats, 0);
      stats.forEach((t) => t.dispose()); // kept out of every scope above, so freed here
      return all;
    }),
  );
  return { values, fields, sizes };
}

/** The layers' figures on the probe, read back now. */
export async function measureFlow(
  model: FlowModel,
  probe: readonly [Tensor, Tensor],
  loss?: Loss,
): Promise<{ loss: number; layers: LayerFlow[] }> {
  const lossFn = loss ?? model.compiled?.losses[0];
  if (!lossFn) throw new Error('measureFlow: the model is not compiled and no loss was given');
  const { values, fields, sizes } = flowOnDevice(model, probe, lossFn);
  try {
    return fill(model, fields, sizes, await values.data(), 0);
  } finally {
    values.dispose();
  }
}

function fill(
  model: FlowModel,
  fields: readonly Entry[],
  sizes: readonly number[],
  data: ArrayLike<number>,
  offset: number,
): { loss: number; layers: LayerFlow[] } {
  const layers: LayerFlow[] = model.layers.map((l) => ({
    layer: l.name,
    className: l.className,
    activationMean: NaN,
    activationStd: NaN,
  }));
  let loss = NaN;
  let at = offset;
  let histograms = 0;
  for (const [i, field, length] of fields) {
    if (field === 'loss') loss = data[at];
    else if (field.endsWith('Histogram')) {
      layers[i][field as HistogramField] = histogramOf(
        Array.from({ length }, (_, j) => data[at + j]),
        sizes[histograms++],
      );
    } else layers[i][field as Field] = data[at];
    at += length;
  }
  return { loss, layers };
}

export interface GradientFlow extends Callback {
  readonly records: readonly FlowRecord[];
  /** The monitor's panels: gradient norm, update ratio, activation mean and std, dead/saturated units. */
  toSvg(): string;
  /** The last record's histograms of activations, weights and gradients, one line per layer. */
  histogramsSvg(): string;
}

/**
 * A fit callback recording the layers' gradient flow on a fixed probe batch: before training, then
 * every `every` steps (or at each epoch's end). Records are read back at each epoch's end, all at once.
 */
export function gradientFlow(model: FlowModel, options: GradientFlowOptions): GradientFlow {
  const { probe, every } = options;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1)) {
    throw new Error(`gradientFlow: every must be a positive integer, got ${every}`);
  }
  const records: FlowRecord[] = [];
  const pending: { epoch: number; step: number; values: Tensor; fields: Entry[]; sizes: number[] }[] = [];
  let step = 0;
  let epoch = 0;
  let before: Tensor[] | undefined;
  const lossFn = () => {
    const loss = options.loss ?? model.compiled?.losses[0];
    if (!loss) throw new Error('gradientFlow: the model is not compiled and no loss was given');
    return loss;
  };
  const trainable = () => model.layers.flatMap((l) => l.weights.filter((w) => w.trainable));
  const snapshot = () => {
    before?.forEach((t) => t.dispose());
    before = withBackend(probe[0].backend, () => trainable().map((w) => keep(tidy(() => add(w, 0)))));
  };
  const record = () => {
    pending.push({ epoch, step, ...flowOnDevice(model, probe, lossFn(), before) });
    before?.forEach((t) => t.dispose());
    before = undefined;
  };
  const flush = async () => {
    if (!pending.length) return;
    const batch = pending.splice(0);
    const all = withBackend(probe[0].backend, () =>
      tidy(() =>
        concat(
          batch.map((p) => p.values),
          0,
        ),
      ),
    );
    try {
      const data = await all.data();
      let offset = 0;
      for (const p of batch) {
        records.push({ epoch: p.epoch, step: p.step, ...fill(model, p.fields, p.sizes, data, offset) });
        offset += p.values.size;
      }
    } finally {
      all.dispose();
      batch.forEach((p) => p.values.dispose());
    }
  };
  return {
    records,
    onTrainBegin: () => {
      step = 0;
      records.length = 0;
      record();
    },
    onEpochBegin: (e) => {
      epoch = e;
      if (every === undefined) snapshot();
    },
    onBatchBegin: () => {
      if (every !== undefined && (step + 1) % every === 0) snapshot();
    },
    onBatchEnd: () => {
      step++;
      if (every !== undefined && step % every === 0) record();
    },
    onEpochEnd: async () => {
      if (every === undefined) record();
      await flush();
    },
    onTrainEnd: async () => {
      await flush();
      before?.forEach((t) => t.dispose());
      before = undefined;
    },
    toSvg: () => flowSvg(records),
    histogramsSvg: () => histogramsSvg(records[records.length - 1]),
  };
}

/** One series per layer of `field` over the records' steps. */
function perLayer(records: readonly FlowRecord[], field: Field): Series[] {
  const names = records[0]?.layers.map((l) => l.layer) ?? [];
  return names
    .map((name, i) => ({
      name,
      points: records.map((r) => [r.step, r.layers[i][field] ?? NaN] as const),
    }))
    .filter((s) => s.points.some(([, v]) => Number.isFinite(v)));
}

/** The monitor's panels over training steps, one line per layer. */
export function flowSvg(records: readonly FlowRecord[]): string {
  const charts: ChartOptions[] = [
    { title: 'weight-gradient norm', series: perLayer(records, 'gradNorm'), logY: true },
    { title: 'update / weight norm', series: perLayer(records, 'updateRatio'), logY: true },
    { title: 'activation mean', series: perLayer(records, 'activationMean') },
    { title: 'activation std', series: perLayer(records, 'activationStd') },
    { title: 'dead ReLU units (fraction)', series: perLayer(records, 'deadFraction') },
    { title: 'saturated units (fraction)', series: perLayer(records, 'saturatedFraction') },
  ].filter((c) => c.series.length > 0);
  return chartsSvg(charts.map((c) => ({ ...c, xLabel: 'step', yLabel: c.title })));
}

/** Gradient norm against depth: one line per chosen record (the vanishing-gradient picture). */
export function gradientNormsByLayerSvg(
  records: readonly FlowRecord[],
  title = 'weight-gradient norm by layer',
): string {
  const series = records.map((r) => ({
    name: `step ${r.step}`,
    points: r.layers.map((l, i) => [i + 1, l.gradNorm ?? NaN] as const).filter(([, v]) => Number.isFinite(v)),
  }));
  return chartsSvg([{ title, series, logY: true, xLabel: 'layer', yLabel: '‖∂loss/∂W‖' }], 1);
}

/** Histograms of one record as lines (fraction of values per bin at the bin's centre), one per layer. */
export function histogramsSvg(record: FlowRecord | undefined): string {
  if (!record) throw new Error('histogramsSvg: nothing recorded yet');
  const lines = (field: HistogramField): Series[] =>
    record.layers
      .filter((l) => l[field])
      .map((l) => {
        const { edges, counts } = l[field]!;
        const total = counts.reduce((a, b) => a + b, 0);
        return { name: l.layer, points: counts.map((c, k) => [(edges[k] + edges[k + 1]) / 2, c / total] as const) };
      });
  return chartsSvg(
    [
      { title: `activations (step ${record.step})`, series: lines('activationHistogram'), xLabel: 'value' },
      { title: 'weights (first of each layer)', series: lines('weightHistogram'), xLabel: 'value' },
      { title: 'their gradients', series: lines('gradHistogram'), xLabel: 'value' },
    ].map((c) => ({ ...c, yLabel: 'fraction' })),
    3,
  );
}

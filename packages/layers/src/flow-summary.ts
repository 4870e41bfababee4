// The gradient-flow monitor's figures, from the tensors of one record (each layer's activation, weights,
// their gradients and their change across the step) to the numbers of its LayerFlow. On the device the
// tensors are laid end to end and summarised by one summaryStats call, a segment each (sums, spread,
// extremes, threshold counts and a histogram at once): a record is that one flat tensor, read back in
// one piece; the figures (norms, ratios, mean, std, fractions) are derived from it in float64 on the host.
import {
  concat,
  max,
  maximum,
  reshape,
  SUMMARY_FIELDS,
  summaryStats,
  type SummaryOptions,
  type SummaryRun,
  type Tensor,
} from '@webgrad/core';

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
  /** ReLU layers: the fraction of units that output 0 for every sample of the batch. */
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

/** What a record is made of, for one layer: tensors on the device, alive until summarised. */
export interface LayerTensors {
  /** The layer's output (after its activation); undefined for a layer the step did not call. */
  readonly activation?: Tensor;
  readonly activationName?: string;
  /** The layer's trainable weights (after the step, for a record of one) and their gradients. */
  readonly weights: readonly Tensor[];
  readonly grads: readonly Tensor[];
}

type Part = 'activation' | 'units' | 'weight' | 'grad' | 'update' | 'loss';
/** Where a summary sits in the flat record: its layer (−1: the model), what it summarises, how long. */
interface Slot {
  readonly layer: number;
  readonly part: Part;
  /** Elements summarised (for the loss: its samples, or 1 for the value itself). */
  readonly size: number;
  readonly bins: number;
  /** Whether its below and above counts are the saturated outputs of a sigmoid or tanh. */
  readonly saturation?: boolean;
  /** Of a weight, gradient or update: which of the layer's trainable weights (0 has the histograms). */
  readonly index?: number;
}
export type FlowLayout = readonly Slot[];

// Saturated: the local derivative below 1/20 of its peak. σ' = σ(1 − σ) < 0.25/20 holds outside the
// roots of σ² − σ + 0.0125 = 0, tanh' = 1 − tanh² < 1/20 where |tanh| > √0.95: counted as thresholds.
const SIGMOID_EDGE = (1 - Math.sqrt(0.95)) / 2;
const TANH_EDGE = Math.sqrt(0.95);
function saturationBounds(activation: string | undefined): { below: number; above: number } | undefined {
  if (activation === 'sigmoid') return { below: SIGMOID_EDGE, above: 1 - SIGMOID_EDGE };
  if (activation === 'tanh') return { below: -TANH_EDGE, above: TANH_EDGE };
  return undefined;
}

/** A tensor to summarise, how, and where its summary goes in the record. */
interface Piece {
  readonly tensor: Tensor;
  readonly run: SummaryOptions & { readonly size: number };
  readonly slot: Slot;
}

const flat = (t: Tensor) => reshape(t, [-1]);
/** Tensors laid end to end, flat: buffer copies on the GPU, no kernel. */
const endToEnd = (ts: readonly Tensor[]) => (ts.length === 1 ? flat(ts[0]) : concat(ts.map(flat), 0));

/**
 * The trainable weights' values as one flat tensor of their own, end to end in the order given: taken
 * before an update changes them in place, it is what summarizeFlow's `before` subtracts.
 */
export function snapshotOf(weights: readonly Tensor[]): Tensor {
  // concat copies; a single weight would come back as itself, so it gets a copy of its own
  return weights.length === 1 ? flat(copyOf(weights[0])) : endToEnd(weights);
}

/**
 * A copy of a weight's values. max(w, w) runs the same-shape elementwise kernel, four values an
 * invocation; add(w, 0) would broadcast its 0 through the general kernel.
 */
const copyOf = (w: Tensor): Tensor => maximum(w, w);

/**
 * The record's summaries as one flat tensor on the device, and its layout: one summaryStats call of
 * three inputs, each a few tensors end to end (buffer copies): what the step computed (the loss, when
 * given: the mean or the per-sample losses it is the mean of; the activations, the ReLU units' maxima,
 * the gradients), the weights, and `before` (snapshotOf the same weights, in layer order, before the
 * step), subtracted from the weights by summaryStats itself for the updates.
 */
export function summarizeFlow(
  layers: readonly LayerTensors[],
  loss?: Tensor,
  before?: Tensor,
): { values: Tensor; layout: FlowLayout } {
  const computed: Piece[] = [];
  const weights: Piece[] = [];
  const put = (
    to: Piece[],
    layer: number,
    part: Part,
    t: Tensor,
    bins: number,
    bounds?: { below: number; above: number },
    index?: number,
  ) => {
    const slot = { layer, part, size: t.size, bins, saturation: part === 'activation' && bounds !== undefined, index };
    // only an activation's std reads the spread: the others skip it (a one-bin run is then read once)
    to.push({ tensor: t, run: { size: t.size, bins, ...bounds, spread: part === 'activation' }, slot });
  };
  if (loss) put(computed, -1, 'loss', loss, 1);
  layers.forEach((l, i) => {
    const a = l.activation;
    if (a) put(computed, i, 'activation', a, HISTOGRAM_BINS, saturationBounds(l.activationName));
    // a ReLU unit is dead when its largest output over every sample (and position) is 0
    if (a && l.activationName === 'relu' && a.rank >= 2) {
      put(computed, i, 'units', max(reshape(a, [-1, a.shape[a.rank - 1]]), 0), 1, { below: -Infinity, above: 0 });
    }
    // histograms of the first weight and its gradient; the rest need only their sums
    l.grads.forEach((g, j) => put(computed, i, 'grad', g, j === 0 ? HISTOGRAM_BINS : 1, undefined, j));
    l.weights.forEach((w, j) => put(weights, i, 'weight', w, j === 0 ? HISTOGRAM_BINS : 1, undefined, j));
  });
  const inputs: Tensor[] = [];
  const runs: SummaryRun[] = [];
  const layout: Slot[] = [];
  const add = (pieces: readonly Piece[]) => {
    if (!pieces.length) return;
    inputs.push(endToEnd(pieces.map((p) => p.tensor)));
    for (const p of pieces) {
      runs.push({ ...p.run, input: inputs.length - 1 });
      layout.push(p.slot);
    }
  };
  add(computed);
  add(weights);
  if (before && weights.length) {
    const after = inputs.length - 1;
    if (before.size !== inputs[after].size) {
      throw new Error(
        `gradientFlow: the weights before the step hold ${before.size} values, the weights ${inputs[after].size}; ` +
          'expected a snapshot of the same weights',
      );
    }
    inputs.push(before);
    for (const p of weights) {
      runs.push({ size: p.tensor.size, bins: 1, spread: false, input: after, minus: inputs.length - 1 });
      layout.push({ ...p.slot, part: 'update', bins: 1 });
    }
  }
  return { values: summaryStats(inputs, runs), layout };
}

function histogramOf(summary: ArrayLike<number>, at: number, bins: number): Histogram {
  const [lo, hi] = [summary[at + 3], summary[at + 4]];
  return {
    edges: Array.from({ length: bins + 1 }, (_, k) => lo + ((hi - lo) * k) / bins),
    counts: Array.from({ length: bins }, (_, k) => summary[at + SUMMARY_FIELDS + k]),
  };
}

/** The figures of a record read back: `data` from `offset` holds the summaries `layout` describes. */
export function decodeFlow(
  layers: readonly { readonly name: string; readonly className: string }[],
  layout: FlowLayout,
  data: ArrayLike<number>,
  offset = 0,
): { loss: number; layers: LayerFlow[] } {
  const flows: LayerFlow[] = layers.map((l) => ({
    layer: l.name,
    className: l.className,
    activationMean: NaN,
    activationStd: NaN,
  }));
  // Σw², Σg², Σ(Δw)² over each layer's weights, summed in float64
  const squares = layers.map(() => ({ weight: 0, grad: 0, update: 0, updates: false }));
  let loss = NaN;
  let at = offset;
  // the layout is in the order the summaries were read, not the layers' order (large tensors go last)
  for (const { layer, part, size, bins, saturation, index } of layout) {
    if (part === 'loss') {
      loss = data[at] / size; // a per-sample loss's mean (a scalar's own value)
      at += SUMMARY_FIELDS + bins;
      continue;
    }
    const flow = flows[layer];
    const [total, sumSquares, spread, , , below, above] = Array.from(
      { length: SUMMARY_FIELDS },
      (_, k) => data[at + k],
    );
    if (part === 'activation') {
      flow.activationMean = total / size;
      flow.activationStd = Math.sqrt(spread / size);
      flow.activationHistogram = histogramOf(data, at, bins);
      if (saturation) flow.saturatedFraction = (below + above) / size;
    } else if (part === 'units') {
      flow.deadFraction = 1 - above / size;
    } else {
      squares[layer][part] += sumSquares;
      if (part === 'update') squares[layer].updates = true;
      if (part === 'weight' && index === 0) flow.weightHistogram = histogramOf(data, at, bins);
      if (part === 'grad' && index === 0) flow.gradHistogram = histogramOf(data, at, bins);
    }
    at += SUMMARY_FIELDS + bins;
  }
  flows.forEach((flow, i) => {
    if (!flow.weightHistogram) return; // no trainable weights
    flow.weightNorm = Math.sqrt(squares[i].weight);
    flow.gradNorm = Math.sqrt(squares[i].grad);
    if (squares[i].updates) flow.updateRatio = Math.sqrt(squares[i].update) / flow.weightNorm;
  });
  return { loss, layers: flows };
}

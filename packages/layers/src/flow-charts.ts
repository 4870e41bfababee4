// The gradient-flow monitor's charts: its panels over training steps (one line per layer), the
// gradient norm against depth, and a record's histograms, drawn with charts.ts.
import { chartsSvg, type ChartOptions, type Series } from './charts.js';
import type { FlowRecord, LayerFlow } from './flow-summary.js';

type HistogramField = 'activationHistogram' | 'weightHistogram' | 'gradHistogram';
type Field = Exclude<keyof LayerFlow, 'layer' | 'className' | HistogramField>;

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

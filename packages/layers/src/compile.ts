// What compile makes of its arguments: the optimizer, and per model output its loss, its weight in the
// total and its metrics, looked up by Keras name or taken as given. A model of several outputs takes
// a loss per output by position (an array) or by output name (an object), or one loss for all.
// Below training, saving and the model, so each of them can name it.
import type { Optimizer } from '@webgrad/core';
import { getLoss, type Loss, type LossName } from './losses.js';
import { getMetric, type Metric } from './metrics.js';
import { getOptimizer, type OptimizerName } from './optimizers.js';

type LossSpec = LossName | Loss;
type MetricSpec = string | Metric;

export interface CompileArgs {
  optimizer: OptimizerName | Optimizer;
  /** One loss for every output, one per output in order, or one per output name. */
  loss: LossSpec | LossSpec[] | Record<string, LossSpec>;
  /** Metrics for every output, a list per output in order, or a list per output name. */
  metrics?: MetricSpec[] | MetricSpec[][] | Record<string, MetricSpec[]>;
  /** Each output's weight in the total loss (default 1 each), by position or by output name. */
  lossWeights?: number[] | Record<string, number>;
}

export interface Compiled {
  readonly optimizer: Optimizer;
  /** Per output, in the model's output order. */
  readonly losses: readonly Loss[];
  readonly lossWeights: readonly number[];
  readonly metrics: readonly (readonly Metric[])[];
  readonly args: CompileArgs;
}

/** A per-output value from one value, a list by position or an object by output name. */
function perOutput<T>(
  what: string,
  value: T | T[] | Record<string, T> | undefined,
  outputNames: readonly string[],
  isSingle: (v: unknown) => v is T,
  fallback: T,
): T[] {
  if (value === undefined) return outputNames.map(() => fallback);
  if (isSingle(value)) return outputNames.map(() => value);
  if (Array.isArray(value)) {
    if (value.length !== outputNames.length) {
      throw new Error(
        `compile: ${what} lists ${value.length} entries but the model has ${outputNames.length} outputs ` +
          `(${outputNames.join(', ')})`,
      );
    }
    return value;
  }
  const byName = value as Record<string, T>;
  const unknown = Object.keys(byName).filter((k) => !outputNames.includes(k));
  if (unknown.length) {
    throw new Error(
      `compile: ${what} names ${unknown.join(', ')}, not outputs of the model (${outputNames.join(', ')})`,
    );
  }
  return outputNames.map((name) => (Object.hasOwn(byName, name) ? byName[name] : fallback));
}

const isLossSpec = (v: unknown): v is LossSpec =>
  typeof v === 'string' || (typeof v === 'object' && v !== null && 'compute' in v);
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isMetricList = (v: unknown): v is MetricSpec[] =>
  Array.isArray(v) && v.every((m) => typeof m === 'string' || (typeof m === 'object' && m !== null && 'compute' in m));

/**
 * The optimizer, losses and metrics the arguments name for a model with these outputs (metrics such as
 * 'accuracy' are read against their output's loss).
 */
export function compiledFrom(args: CompileArgs, outputNames: readonly string[] = ['output']): Compiled {
  const lossSpecs = perOutput('loss', args.loss, outputNames, isLossSpec, undefined as never);
  const missing = outputNames.filter((_, i) => lossSpecs[i] === undefined);
  if (missing.length) throw new Error(`compile: no loss for output(s) ${missing.join(', ')}`);
  const losses = lossSpecs.map((spec) => getLoss(spec));
  const lossWeights = perOutput('lossWeights', args.lossWeights, outputNames, isNumber, 1);
  lossWeights.forEach((w, i) => {
    if (!Number.isFinite(w)) {
      throw new Error(`compile: lossWeights for output '${outputNames[i]}' must be a finite number, got ${w}`);
    }
  });
  // a flat list of metrics applies to every output, as in Keras
  const flatList = args.metrics === undefined || isMetricList(args.metrics);
  const metricSpecs = flatList
    ? outputNames.map(() => (args.metrics as MetricSpec[] | undefined) ?? [])
    : perOutput(
        'metrics',
        args.metrics as MetricSpec[][] | Record<string, MetricSpec[]>,
        outputNames,
        (_v): _v is MetricSpec[] => false,
        [],
      );
  const metrics = metricSpecs.map((specs, i) => specs.map((m) => getMetric(m, losses[i])));
  const optimizer = getOptimizer(args.optimizer);
  return { optimizer, losses, lossWeights, metrics, args };
}

/**
 * The names fit logs: 'loss', then for several outputs each output's '<name>_loss', then the metrics
 * ('accuracy', or '<output>_accuracy' for several outputs), as Keras names them.
 */
export function logNames(compiled: Compiled, outputNames: readonly string[]): string[] {
  const several = outputNames.length > 1;
  const lossNames = several ? outputNames.map((name) => `${name}_loss`) : [];
  const metricNames = compiled.metrics.flatMap((list, i) =>
    list.map((m) => (several ? `${outputNames[i]}_${m.name}` : m.name)),
  );
  return ['loss', ...lossNames, ...metricNames];
}

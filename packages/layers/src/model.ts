// Sequential: a list of layers, built from the first layer's inputShape, with summary, predict,
// evaluate, fit (training.ts), weights in and out, and save (save.ts).
import {
  add,
  concat,
  keep,
  sizeOf,
  slice,
  tidy,
  withBackend,
  type Shape,
  type Tensor,
  type Variable,
} from '@webgrad/core';
import type { Logs } from './callbacks.js';
import { compiledFrom, type CompileArgs, type Compiled } from './compile.js';
import type { ModelJson, ModelStore } from './format.js';
import type { CallContext, Layer } from './layer.js';
import { saveModel } from './save.js';
import { evaluate, fit, type FitArgs, type History } from './training.js';

const fmtShape = (s: Shape) => `(None, ${s.join(', ')})`;

export class Sequential {
  readonly layers: Layer[] = [];
  compiled?: Compiled;
  stopTraining = false;
  /** Base seed for weights and dropout: the same seed reproduces a training run exactly. */
  readonly seed: number;
  name: string;
  private inputShape?: Shape;

  constructor(layers: Layer[] = [], { name = 'sequential', seed = 42 }: { name?: string; seed?: number } = {}) {
    this.name = name;
    this.seed = seed;
    layers.forEach((l) => this.add(l));
  }

  add(layer: Layer): void {
    if (this.layers.some((l) => l.name === layer.name)) {
      throw new Error(`sequential: two layers are named '${layer.name}'; names must be unique`);
    }
    this.layers.push(layer);
  }

  get built(): boolean {
    return this.inputShape !== undefined;
  }

  /** Builds every layer's weights for inputs of `inputShape` (no batch axis). */
  build(inputShape?: Shape): void {
    if (this.built) return;
    const shape = this.layers[0]?.inputShape ?? inputShape; // a declared input shape wins, so data can be checked against it
    if (!shape) throw new Error(`sequential: the first layer needs an inputShape (or call build(shape)) before use`);
    if (this.layers.length === 0) throw new Error('sequential: a model needs at least one layer');
    let current: Shape = [...shape];
    const positive = (s: Shape) => s.every((d) => Number.isInteger(d) && d >= 1);
    if (!positive(current)) {
      throw new Error(
        `sequential: input shape [${current.join(',')}] must hold positive integers (the batch axis is left out)`,
      );
    }
    this.layers.forEach((layer, i) => {
      if (!layer.built) layer.build(current, this.seed * 1000 + i * 10);
      const next = layer.computeOutputShape(current);
      if (!positive(next)) {
        throw new Error(
          `sequential: layer '${layer.name}' (${layer.className}) turns input shape [${current.join(',')}] into [${next.join(',')}]; ` +
            `every size must be a positive integer`,
        );
      }
      current = next;
    });
    this.inputShape = [...shape];
  }

  get outputShape(): Shape {
    this.build();
    return this.layers.reduce<Shape>((s, l) => l.computeOutputShape(s), this.inputShape!);
  }

  get weights(): Variable[] {
    return this.layers.flatMap((l) => l.weights);
  }
  get trainableWeights(): Variable[] {
    return this.weights.filter((w) => w.trainable);
  }

  /** Checks x against the model's input shape, naming both. */
  checkInput(x: Tensor, op: string): void {
    withBackend(x.backend, () => this.build(x.shape.slice(1))); // weights live where the data lives
    const expected = this.inputShape!;
    if (x.rank !== expected.length + 1 || x.shape.slice(1).some((d, i) => d !== expected[i])) {
      throw new Error(
        `${op}: input of shape [${x.shape.join(',')}] does not match the model's input shape ${fmtShape(expected)}; ` +
          `expected [batch, ${expected.join(', ')}]`,
      );
    }
  }

  /** The network on x; with `logitsForLoss`, the last layer stops before its activation. */
  forward(x: Tensor, context: CallContext, logitsForLoss = false): Tensor {
    let y = x;
    this.layers.forEach((layer, i) => {
      const last = i === this.layers.length - 1;
      const own = { ...context, stream: i };
      y = last && logitsForLoss && layer.callLogits ? layer.callLogits(y, own) : layer.call(y, own);
    });
    return y;
  }

  compile(args: CompileArgs): void {
    this.compiled = compiledFrom(args);
  }

  /** Predictions for x, batched; inference mode (dropout off, moving statistics). */
  predict(x: Tensor, { batchSize = 32 }: { batchSize?: number } = {}): Tensor {
    this.checkInput(x, 'predict');
    const n = x.shape[0];
    if (n <= batchSize) return tidy(() => this.forward(x, { training: false, seed: 0 }));
    return withBackend(x.backend, () =>
      tidy(() => {
        const parts: Tensor[] = [];
        for (let start = 0; start < n; start += batchSize) {
          const size = Math.min(batchSize, n - start);
          // a tidy per batch: each batch's input slice and activations are freed before the next one's
          parts.push(
            tidy(() => this.forward(slice(x, [start], [size, ...x.shape.slice(1)]), { training: false, seed: 0 })),
          );
        }
        return concat(parts, 0);
      }),
    );
  }

  /** Copies of every weight's values, in layer order (later training does not change them). */
  getWeights(): Tensor[] {
    this.build();
    return this.weights.map((w) => keep(tidy(() => add(w, 0))));
  }

  /** Sets every weight from tensors of matching shapes, in getWeights order. */
  setWeights(values: readonly Tensor[]): void {
    this.build();
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new Error(`setWeights: the model has ${weights.length} weights, got ${values.length}`);
    }
    weights.forEach((w, i) => {
      if (
        sizeOf(values[i].shape) !== w.size ||
        values[i].rank !== w.rank ||
        values[i].shape.some((d, k) => d !== w.shape[k])
      ) {
        throw new Error(
          `setWeights: weight ${i} (${w.name}) has shape [${w.shape.join(',')}], got [${values[i].shape.join(',')}]`,
        );
      }
    });
    weights.forEach((w, i) => w.assign(values[i]));
  }

  /** A Keras-style table: layer (type), output shape, parameter count; returned and printed. */
  summary(print: (line: string) => void = console.log): string {
    this.build();
    let shape = this.inputShape!;
    const rows = this.layers.map((layer) => {
      shape = layer.computeOutputShape(shape);
      const params = layer.weights.reduce((n, w) => n + w.size, 0);
      return [`${layer.name} (${layer.className})`, fmtShape(shape), String(params)];
    });
    const total = this.weights.reduce((n, w) => n + w.size, 0);
    const trainable = this.trainableWeights.reduce((n, w) => n + w.size, 0);
    const header = ['Layer (type)', 'Output shape', 'Param #'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
    const line = (cells: string[]) =>
      cells
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('')
        .trimEnd();
    const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
    const text = [
      `Model: "${this.name}"`,
      rule('_'),
      line(header),
      rule('='),
      ...rows.flatMap((r, i) => [line(r), i < rows.length - 1 ? rule('_') : rule('=')]),
      `Total params: ${total}`,
      `Trainable params: ${trainable}`,
      `Non-trainable params: ${total - trainable}`,
      rule('_'),
    ].join('\n');
    print(text);
    return text;
  }

  /** Trains on x, y (see FitArgs); resolves with the History of per-epoch logs. */
  fit(x: Tensor, y: Tensor, args?: FitArgs): Promise<History> {
    return fit(this, x, y, args);
  }

  /** Loss and metrics over x, y, averaged over the samples. */
  evaluate(x: Tensor, y: Tensor, args?: { batchSize?: number }): Promise<Logs> {
    return evaluate(this, x, y, args);
  }

  /**
   * Saves model.json and the weights: to a folder in Node (atomically), to 'indexeddb://name' or
   * 'downloads://name' in a browser, or to any ModelStore; optionally with the optimizer state.
   */
  save(target: string | ModelStore, options?: { includeOptimizer?: boolean }): Promise<ModelJson> {
    return saveModel(this, target, options);
  }

  dispose(): void {
    this.weights.forEach((w) => w.dispose());
    this.compiled?.optimizer.dispose();
  }
}

export const sequential = (layers?: Layer[], options?: { name?: string; seed?: number }): Sequential =>
  new Sequential(layers, options);

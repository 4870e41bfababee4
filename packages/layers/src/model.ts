// Models. model({inputs, outputs}) is a graph of layer calls from symbolic inputs to outputs: several
// inputs and outputs, shared layers, models used as layers, a layer's output to cut a model at.
// Sequential (sequential.ts) is the same machinery: a stack of layers that becomes such a graph once
// it knows its input shape. A model builds its layers when it is made, each with a seed from the model's seed and
// its position, so one seed reproduces the same weights and training run. Around the graph: predict,
// compile, fit and evaluate (training.ts), trainOnBatch and friends, weights in and out, summary, save.
import {
  add,
  concat,
  keep,
  nameScope,
  sizeOf,
  slice,
  Tensor,
  tidy,
  withBackend,
  type Shape,
  type Variable,
} from '@webgrad/core';
import type { Logs } from './callbacks.js';
import { compiledFrom, logNames, type CompileArgs, type Compiled } from './compile.js';
import type { ModelJson, ModelStore, SavedLayer, SavedModelTopology, SavedTensorRef } from './format.js';
import { graphBetween, type Graph } from './model-graph.js';
import {
  SymbolicTensor,
  type AnyLayer,
  type ApplyOptions,
  type CallContext,
  type LayerNode,
  type MultiLayer,
} from './layer.js';
import { saveModel, type SaveOptions } from './save.js';
import {
  applyLayer,
  buildLayer,
  callLayer,
  checkBuiltShapes,
  collectLosses,
  describeLayer,
  outputMasks,
  wholeShapeOf,
} from './symbolic.js';
import {
  averagedLogs,
  batchTerms,
  checkData,
  checkedData,
  compiledOf,
  evaluate,
  fit,
  refusePlainData,
  targetsFrom,
  trainStep,
  type FitArgs,
  type History,
  type ModelData,
} from './training.js';
import { tensorsFromPlain, type ModelInput, type PlainSpec } from './plain-data.js';

type Outputs = SymbolicTensor | SymbolicTensor[];

/** What a model gives for outputs declared as O: one tensor, or a list. */
export type Predicted<O> = O extends SymbolicTensor[] ? Tensor[] : Tensor;

export interface ModelArgs<O extends Outputs> {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: O;
  name?: string;
  /** Base seed of the weights the model builds and of its dropout: one seed, one training run. */
  seed?: number;
}

const fmtShape = (s: Shape): string => `(None, ${s.join(', ')})`;
export const isPositive = (s: Shape): boolean => s.every((d) => Number.isInteger(d) && d >= 1);

let modelCount = 0;

export class Model<O extends Outputs = SymbolicTensor> implements MultiLayer {
  readonly signature = 'many-to-many' as const;
  name: string;
  readonly seed: number;
  trainable = true;
  compiled?: Compiled;
  stopTraining = false;
  /** The calls of this model as a layer of other models. */
  readonly nodes: LayerNode[] = [];
  private readonly ownLossFunctions: (() => Tensor)[] = [];
  private graph?: Graph;
  private graphInputs: SymbolicTensor[] = [];
  private graphOutputs: SymbolicTensor[] = [];
  private outputsAsList = false;
  // each layer's position among the model's layers: its weights' seed and its random stream
  private positions = new Map<AnyLayer, number>();
  private fusable: (string | undefined)[] = [];

  constructor(args: Partial<ModelArgs<O>> = {}) {
    this.name = args.name ?? (this.className === 'Model' ? `model_${++modelCount}` : 'sequential');
    this.seed = args.seed ?? 42;
    if (args.inputs !== undefined || args.outputs !== undefined) {
      if (args.inputs === undefined || args.outputs === undefined) {
        throw new Error(`model '${this.name}': needs both inputs and outputs`);
      }
      const inputs = Array.isArray(args.inputs) ? args.inputs : [args.inputs];
      const outputs = (Array.isArray(args.outputs) ? args.outputs : [args.outputs]) as SymbolicTensor[];
      this.setGraph(inputs, outputs, Array.isArray(args.outputs));
    }
  }

  get className(): string {
    return 'Model';
  }

  /** Finds the graph, builds its layers and remembers which outputs a loss may take as logits. */
  protected setGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[], outputsAsList: boolean): void {
    const where = `model '${this.name}'`;
    const graph = graphBetween(inputs, outputs, where);
    const positions = new Map<AnyLayer, number>();
    graph.layers.filter((l) => l.className !== 'InputLayer').forEach((l, i) => positions.set(l, i));
    for (const node of graph.nodes) {
      const shapes = node.inputs.map((t) => t.sampleShape);
      const layer = node.layer;
      try {
        if (!layer.built) buildLayer(layer, shapes, this.seed * 1000 + positions.get(layer)! * 10);
        else checkBuiltShapes(layer, shapes);
      } catch (error) {
        throw new Error(
          `${where}: ${describeLayer(layer)} on ${shapes.map((s) => `[${s}]`).join(' ')}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    const consumed = new Set(graph.nodes.flatMap((n) => n.inputs));
    this.fusable = outputs.map((t) => {
      const layer = t.node.layer;
      const alone = !consumed.has(t) && outputs.indexOf(t) === outputs.lastIndexOf(t);
      return alone && layer.signature === 'one-to-one' && layer.callLogits ? layer.activationName : undefined;
    });
    this.graph = graph;
    this.graphInputs = inputs;
    this.graphOutputs = outputs;
    this.outputsAsList = outputsAsList;
    this.positions = positions;
  }

  get built(): boolean {
    return this.graph !== undefined;
  }

  /** The model's graph (a Sequential builds it from `inputShape` when it has none yet). */
  protected requireGraph(op: string): Graph {
    if (!this.graph) throw new Error(`${op}: model '${this.name}' has no graph yet`);
    return this.graph;
  }

  /** Its symbolic inputs, in order. */
  get inputs(): SymbolicTensor[] {
    this.requireGraph('inputs');
    return [...this.graphInputs];
  }

  /** For each input, whether it is passed whole (declared with batchShape), never split into batches. */
  get wholeInputs(): boolean[] {
    return this.inputs.map((t) => wholeShapeOf(t) !== undefined);
  }

  /** Its symbolic outputs, in order. */
  get outputs(): SymbolicTensor[] {
    this.requireGraph('outputs');
    return [...this.graphOutputs];
  }

  /** Its one output, as Keras's model.output (an error for several). */
  get output(): SymbolicTensor {
    const outputs = this.outputs;
    if (outputs.length !== 1) {
      throw new Error(`model '${this.name}'.output: the model has ${outputs.length} outputs; use .outputs`);
    }
    return outputs[0];
  }

  get input(): SymbolicTensor {
    const inputs = this.inputs;
    if (inputs.length !== 1) {
      throw new Error(`model '${this.name}'.input: the model has ${inputs.length} inputs; use .inputs`);
    }
    return inputs[0];
  }

  get inputNames(): string[] {
    return this.inputs.map((t) => t.node.layer.name);
  }

  /** Each output's name, as fit's logs and compile's per-output objects use it: the layer that makes it. */
  get outputNames(): string[] {
    return this.outputs.map((t) => t.node.layer.name);
  }

  /** Every layer, input layers first (a Sequential lists only its stack). */
  get layers(): AnyLayer[] {
    return [...this.requireGraph('layers').layers];
  }

  /** The layer of that name, or at that position in `layers`. */
  getLayer(nameOrIndex: string | number): AnyLayer {
    const layers = this.layers;
    const found = typeof nameOrIndex === 'number' ? layers[nameOrIndex] : layers.find((l) => l.name === nameOrIndex);
    if (!found) {
      throw new Error(
        `getLayer: model '${this.name}' has no layer ${JSON.stringify(nameOrIndex)}; its layers: ${layers.map((l) => l.name).join(', ')}`,
      );
    }
    return found;
  }

  /** The one output's shape (an error for several). */
  get outputShape(): Shape {
    return this.output.sampleShape;
  }

  get outputShapes(): Shape[] {
    return this.outputs.map((t) => [...t.sampleShape]);
  }

  get weights(): Variable[] {
    return this.graph ? this.graph.layers.flatMap((l) => l.weights) : [];
  }

  get trainableWeights(): Variable[] {
    return this.trainable && this.graph ? this.graph.layers.flatMap((l) => l.trainableWeights) : [];
  }

  get nonTrainableWeights(): Variable[] {
    const trainable = new Set(this.trainableWeights);
    return this.weights.filter((w) => !trainable.has(w));
  }

  // --- the model as a layer of another model ---

  build(): void {}

  computeOutputShape(shapes: Shape[]): Shape[] {
    const expected = this.inputs.map((t) => t.sampleShape);
    // −1: an axis of any length (an input passed whole, a graph's edge index)
    const fits =
      shapes.length === expected.length &&
      shapes.every((s, i) => s.length === expected[i].length && s.every((d, k) => [d, -1].includes(expected[i][k])));
    if (!fits) {
      throw new Error(
        `model '${this.name}' takes inputs ${expected.map(fmtShape).join(', ')}, got ${shapes.map(fmtShape).join(', ')}`,
      );
    }
    return this.outputShapes;
  }

  call(xs: Tensor[], context: CallContext): Tensor[] {
    return this.run(xs, context);
  }

  /** On symbolic tensors records a node (a nested model); on real tensors runs the model (inference unless told). */
  apply(x: SymbolicTensor | SymbolicTensor[]): O;
  apply(x: Tensor | Tensor[], options?: ApplyOptions): Predicted<O>;
  apply(x: SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[], options?: ApplyOptions): O | Predicted<O> {
    this.requireGraph('apply');
    const outputs = applyLayer(this, x, options) as Tensor[] | SymbolicTensor[];
    return (this.outputsAsList ? outputs : outputs[0]) as O | Predicted<O>;
  }

  getConfig(): Record<string, unknown> {
    return this.topology().config as unknown as Record<string, unknown>;
  }

  regularizationLoss(): Tensor | undefined {
    const penalties = this.layers.map((l) => l.regularizationLoss?.()).filter((p): p is Tensor => p !== undefined);
    return penalties.length ? penalties.reduce((a, b) => add(a, b)) : undefined;
  }

  /** A loss: a function is evaluated every step; a tensor only inside a call (Keras 3's add_loss). */
  addLoss(loss: Tensor | (() => Tensor)): void {
    if (typeof loss !== 'function') {
      throw new Error(
        `model '${this.name}'.addLoss: a model takes a function () => tensor; a layer adds tensors inside its call`,
      );
    }
    this.ownLossFunctions.push(loss);
  }

  /** The model's own loss functions and those of every layer (nested models' included). */
  get lossFunctions(): (() => Tensor)[] {
    return [...this.ownLossFunctions, ...(this.graph?.layers.flatMap((l) => l.lossFunctions) ?? [])];
  }

  // --- running ---

  /** The graph on real tensors; outputs flagged in `logits` stop before their layer's activation. */
  private run(
    xs: readonly Tensor[],
    context: CallContext,
    logits: readonly boolean[] = [],
    outputMasksOut?: (Tensor | undefined)[],
  ): Tensor[] {
    const graph = this.requireGraph('call');
    const values = new Map<SymbolicTensor, Tensor>();
    // the masks tensors carry (Keras's _keras_mask): made by Embedding's maskZero or Masking, read by RNNs
    const masks = new Map<SymbolicTensor, Tensor>();
    this.graphInputs.forEach((t, i) => values.set(t, xs[i]));
    const logitsOf = new Set(this.graphOutputs.filter((_, k) => logits[k] && this.fusable[k]));
    // a nested model's layers draw from streams of their own, apart from the outer model's
    const base = context.stream === undefined ? 0 : (context.stream + 1) * 1000;
    for (const node of graph.nodes) {
      const layer = node.layer;
      const inputMasks = node.inputs.map((t) => masks.get(t));
      const [mask] = inputMasks;
      const own = { ...context, stream: base + this.positions.get(layer)!, mask, masks: inputMasks };
      const inputs = node.inputs.map((t) => values.get(t)!);
      // each layer's ops under its name, so a traced model (core's traceGraph) draws one box per layer
      const outputs = nameScope(layer.name, () =>
        layer.signature === 'one-to-one' && logitsOf.has(node.outputs[0]) && layer.callLogits
          ? [layer.callLogits(inputs[0], own)]
          : callLayer(layer, inputs, own),
      );
      node.outputs.forEach((t, i) => values.set(t, outputs[i]));
      outputMasks(layer, inputs, inputMasks).forEach((m, i) => m && masks.set(node.outputs[i], m));
    }
    // masks-in-losses: the outputs' masks, for the loss and metrics to weigh the timesteps by
    outputMasksOut?.push(...this.graphOutputs.map((t) => masks.get(t)));
    return this.graphOutputs.map((t) => values.get(t)!);
  }

  /** The network on xs and the losses its layers added during the call (training.ts's TrainableModel). */
  forward(
    xs: readonly Tensor[],
    context: CallContext,
    logits?: readonly boolean[],
  ): { outputs: Tensor[]; losses: Tensor[]; masks: (Tensor | undefined)[] } {
    const masks: (Tensor | undefined)[] = [];
    const { result, losses } = collectLosses(() => this.run(xs, context, logits, masks));
    return { outputs: result, losses, masks };
  }

  fusableActivation(output: number): string | undefined {
    return this.fusable[output];
  }

  extraLosses(): Tensor[] {
    const penalty = this.regularizationLoss();
    return [...(penalty ? [penalty] : []), ...this.lossFunctions.map((f) => f())];
  }

  /** x as the model's inputs in order, each checked against its input's shape and dtype. */
  inputsFrom(x: ModelData, op: string): Tensor[] {
    const inputs = this.inputs;
    const names = inputs.map((t) => t.node.layer.name);
    let xs: Tensor[];
    refusePlainData(x, op, 'x');
    if (x instanceof Tensor || x instanceof SymbolicTensor) xs = [x as Tensor];
    else if (Array.isArray(x)) xs = x;
    else {
      const missing = names.filter((name) => x[name] === undefined);
      if (missing.length) {
        throw new Error(
          `${op}: x has no tensor for input(s) ${missing.join(', ')}; it names ${Object.keys(x).join(', ') || 'nothing'}`,
        );
      }
      xs = names.map((name) => x[name]);
    }
    if (xs.length !== inputs.length) {
      throw new Error(
        `${op}: model '${this.name}' has ${inputs.length} inputs (${names.join(', ')}) but got ${xs.length} tensors`,
      );
    }
    xs.forEach((t, i) => {
      if (t instanceof SymbolicTensor) {
        throw new Error(
          `${op}: input '${names[i]}' got ${t}; ${op} runs on real tensors (symbolic tensors only describe a graph)`,
        );
      }
      if (!(t instanceof Tensor)) throw new Error(`${op}: input '${names[i]}' is ${typeof t}, expected a Tensor`);
      const whole = wholeShapeOf(inputs[i]);
      const expected = inputs[i].sampleShape;
      if (whole) {
        if (t.rank !== whole.length || t.shape.some((d, k) => whole[k] !== null && d !== whole[k])) {
          throw new Error(
            `${op}: input '${names[i]}' of shape [${t.shape.join(',')}] does not match its declared whole shape ` +
              `[${whole.map((d) => d ?? 'any').join(', ')}]`,
          );
        }
      } else if (t.rank !== expected.length + 1 || t.shape.slice(1).some((d, k) => d !== expected[k])) {
        throw new Error(
          `${op}: input of shape [${t.shape.join(',')}] does not match the input ` +
            `${inputs.length > 1 ? `'${names[i]}' ` : ''}shape ` +
            `${fmtShape(expected)} of model '${this.name}'; expected [batch, ${expected.join(', ')}]`,
        );
      }
      if (t.dtype !== inputs[i].dtype) {
        throw new Error(`${op}: input '${names[i]}' is ${t.dtype}; the model's input is ${inputs[i].dtype}`);
      }
    });
    return xs;
  }

  compile(args: CompileArgs): void {
    this.compiled = compiledFrom(args, this.outputNames);
  }

  /** Predictions for x, batched; inference mode (dropout off, moving statistics). Plain arrays are taken too. */
  predict(x: ModelInput, { batchSize = 32 }: { batchSize?: number } = {}): Predicted<O> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`predict: batchSize must be a positive integer, got ${batchSize}`);
    }
    return this.withPlainData('predict', x, undefined, (data) => this.predictTensors(data, batchSize));
  }

  private predictTensors(x: ModelData, batchSize: number): Predicted<O> {
    const xs = this.inputsFrom(x, 'predict');
    const n = xs[0].shape[0];
    const context = { training: false, seed: 0 };
    // losses layers add in their calls matter only to training; predict frees them with its scope
    const runOnce = (inputs: Tensor[]) => collectLosses(() => this.run(inputs, context)).result;
    const outputs = withBackend(xs[0].backend, () =>
      tidy(() => {
        // an input passed whole (a graph's edge index) cannot be split: the data is one batch
        if (n <= batchSize || this.wholeInputs.some(Boolean)) return runOnce(xs);
        const parts: Tensor[][] = [];
        for (let start = 0; start < n; start += batchSize) {
          const size = Math.min(batchSize, n - start);
          // a tidy per batch: each batch's input slices and activations are freed before the next one's
          parts.push(
            tidy(() =>
              this.run(
                xs.map((t) => slice(t, [start], [size, ...t.shape.slice(1)])),
                context,
              ),
            ),
          );
        }
        return this.graphOutputs.map((_, k) =>
          concat(
            parts.map((p) => p[k]),
            0,
          ),
        );
      }),
    );
    return (this.outputsAsList ? outputs : outputs[0]) as Predicted<O>;
  }

  /** Predictions for x as one batch. */
  predictOnBatch(x: ModelInput): Predicted<O> {
    return this.withPlainData('predictOnBatch', x, undefined, (data) => {
      const xs = this.inputsFrom(data, 'predictOnBatch');
      return this.predictTensors(xs, xs[0].shape[0]);
    });
  }

  /**
   * The compiled loss of x, y as fit computes it — softmax/sigmoid cross-entropy fused from the logits,
   * loss weights, penalties and added losses — for a custom training step to differentiate:
   * `valueAndGrad(() => model.computeLoss(x, y))(...model.trainableWeights)`. Training mode unless told;
   * dropout's seed changes with the optimizer's step, as in fit.
   */
  computeLoss(x: ModelData, y: ModelData, { training = true }: { training?: boolean } = {}): Tensor {
    const compiled = compiledOf(this, 'computeLoss');
    const xs = this.inputsFrom(x, 'computeLoss');
    const ys = targetsFrom(this, y, 'computeLoss');
    checkData(this, compiled, xs, ys, 'computeLoss');
    const seed = this.seed * 7919 + compiled.optimizer.iterations;
    return batchTerms(this, compiled, xs, ys, training, seed, false).value;
  }

  /** One training step on x, y as one batch; resolves with its loss and metrics. */
  trainOnBatch(x: ModelInput, y: ModelInput): Promise<Logs> {
    return this.withPlainData('trainOnBatch', x, y, async (xData, yData) => {
      const compiled = compiledOf(this, 'trainOnBatch');
      const { xs, ys } = await checkedData(this, compiled, xData, yData, 'trainOnBatch');
      const seed = this.seed * 7919 + compiled.optimizer.iterations;
      const sums = withBackend(xs[0].backend, () => tidy(() => trainStep(this, compiled, xs, ys, seed)));
      return this.logsOf(compiled, sums, xs[0].shape[0]);
    });
  }

  /** Loss and metrics on x, y as one batch, in inference mode. */
  testOnBatch(x: ModelInput, y: ModelInput): Promise<Logs> {
    return this.withPlainData('testOnBatch', x, y, async (xData, yData) => {
      const compiled = compiledOf(this, 'testOnBatch');
      const { xs, ys } = await checkedData(this, compiled, xData, yData, 'testOnBatch');
      const sums = withBackend(xs[0].backend, () => tidy(() => batchTerms(this, compiled, xs, ys, false, 0).sums));
      return this.logsOf(compiled, sums, xs[0].shape[0]);
    });
  }

  private async logsOf(compiled: Compiled, sums: Tensor[], n: number): Promise<Logs> {
    const values = await Promise.all(sums.map(async (s) => (await s.data())[0]));
    sums.forEach((s) => s.dispose());
    return averagedLogs(logNames(compiled, this.outputNames), values, n);
  }

  /** Trains on x, y (see FitArgs); resolves with the History of per-epoch logs. Plain arrays are taken too (plain-data.ts). */
  fit(x: ModelInput, y: ModelInput, args?: FitArgs): Promise<History> {
    return this.withPlainData('fit', x, y, (xs, ys) => fit(this, xs, ys, args));
  }

  /** Loss and metrics over x, y, averaged over the samples. */
  evaluate(x: ModelInput, y: ModelInput, args?: { batchSize?: number; sampleWeight?: Tensor }): Promise<Logs> {
    return this.withPlainData('evaluate', x, y, (xs, ys) => evaluate(this, xs, ys, args));
  }

  /** What plain data given for x (the inputs) or y (the outputs: int32 for a sparse loss's labels) becomes. */
  plainSpecs(which: 'x' | 'y'): PlainSpec[] {
    if (which === 'x') {
      return this.inputs.map((t) => ({ name: t.node.layer.name, dtype: t.dtype, sampleShape: t.sampleShape }));
    }
    return this.outputNames.map((name, k) => {
      const sparse = this.compiled?.losses[k]?.name === 'sparseCategoricalCrossentropy';
      return {
        name,
        dtype: sparse ? 'int32' : 'float32',
        sampleShape: sparse ? [] : this.built ? this.outputShapes[k] : undefined,
      };
    });
  }

  /** run on x and y with their plain arrays made tensors (plain-data.ts), which are freed once it is done. */
  private withPlainData<T>(
    op: string,
    x: ModelInput,
    y: ModelInput | undefined,
    run: (x: ModelData, y: ModelData) => T,
  ): T {
    const made: Tensor[] = [];
    const free = () => made.forEach((t) => t.dispose());
    let result: T;
    try {
      const xs = tensorsFromPlain(x, this.plainSpecs('x'), op, 'x', made);
      result = run(xs, y === undefined ? [] : tensorsFromPlain(y, this.plainSpecs('y'), op, 'y', made));
    } catch (error) {
      free();
      throw error;
    }
    if (result instanceof Promise) return result.finally(free) as T;
    free();
    return result;
  }

  /** Copies of every weight's values, in layer order (later training does not change them). */
  getWeights(): Tensor[] {
    this.requireGraph('getWeights');
    return this.weights.map((w) => keep(tidy(() => add(w, 0))));
  }

  /** Sets every weight from tensors of matching shapes, in getWeights order. */
  setWeights(values: readonly Tensor[]): void {
    this.requireGraph('setWeights');
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new Error(`setWeights: the model has ${weights.length} weights, got ${values.length}`);
    }
    weights.forEach((w, i) => {
      const v = values[i];
      if (sizeOf(v.shape) !== w.size || v.rank !== w.rank || v.shape.some((d, k) => d !== w.shape[k])) {
        throw new Error(
          `setWeights: weight ${i} (${w.name}) has shape [${w.shape.join(',')}], got [${v.shape.join(',')}]`,
        );
      }
    });
    weights.forEach((w, i) => w.assign(values[i]));
  }

  /** Where each layer's calls in this graph take their inputs from, as `name[node][tensor]`. */
  private connections(layer: AnyLayer): string[] {
    const own = this.ownNodes();
    return own
      .filter((n) => n.layer === layer)
      .flatMap((n) => n.inputs.map((t) => `${t.node.layer.name}[${this.nodeIndex(t.node)}][${t.outputIndex}]`));
  }

  /** The calls of this graph in running order, input layers' first: what diagrams draw. */
  get graphNodes(): readonly LayerNode[] {
    return this.ownNodes();
  }

  /** The nodes of this graph, input layers' first. */
  private ownNodes(): LayerNode[] {
    return [...this.inputs.map((t) => t.node), ...this.requireGraph('nodes').nodes];
  }

  /** A node's index among its layer's nodes in this graph (the saved node index). */
  private nodeIndex(node: LayerNode): number {
    return this.ownNodes()
      .filter((n) => n.layer === node.layer)
      .indexOf(node);
  }

  /** A Keras-style table: layer (type), output shape, parameter count (and what feeds each layer, for graphs). */
  summary(print: (line: string) => void = console.log): string {
    this.requireGraph('summary');
    const graphView = this.className !== 'Sequential';
    const layers = this.layers;
    const outputShapeOf = (layer: AnyLayer): string => {
      const shapes = this.ownNodes()
        .filter((n) => n.layer === layer)
        .flatMap((n) => n.outputs.map((t) => fmtShape(t.sampleShape)));
      return [...new Set(shapes)].join(', ');
    };
    const rows = layers.map((layer) => {
      const params = layer.weights.reduce((n, w) => n + w.size, 0);
      const row = [`${layer.name} (${layer.className})`, outputShapeOf(layer), String(params)];
      return graphView ? [...row, this.connections(layer).join(', ') || '-'] : row;
    });
    const total = this.weights.reduce((n, w) => n + w.size, 0);
    const trainable = this.trainableWeights.reduce((n, w) => n + w.size, 0);
    const header = ['Layer (type)', 'Output shape', 'Param #', ...(graphView ? ['Connected to'] : [])];
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

  /** The saved form of the graph, in TF.js Layers' layout: layers with their inbound nodes, input and output layers. */
  topology(): SavedModelTopology {
    const ref = (t: SymbolicTensor): SavedTensorRef => [t.node.layer.name, this.nodeIndex(t.node), t.outputIndex];
    const layers: SavedLayer[] = this.layers.map((layer) => {
      const nodes = this.requireGraph('topology').nodes.filter((n) => n.layer === layer);
      return {
        class_name: layer.className,
        name: layer.name,
        config: savedConfig(layer),
        inbound_nodes: nodes.map((n) => n.inputs.map((t) => [...ref(t), {}])),
      };
    });
    return {
      class_name: 'Model',
      config: {
        name: this.name,
        seed: this.seed,
        layers,
        input_layers: this.inputs.map(ref),
        output_layers: this.outputs.map(ref),
        outputs_as_list: this.outputsAsList,
      },
    };
  }

  /**
   * Saves model.json and the weights: to a folder in Node (atomically), to 'indexeddb://name' or
   * 'downloads://name' in a browser, or to any ModelStore; optionally with the optimizer state, or in
   * TF.js Layers' own layout (`format: 'tfjs'`).
   */
  save(target: string | ModelStore, options?: SaveOptions): Promise<ModelJson> {
    return saveModel(this, target, options);
  }

  dispose(): void {
    this.weights.forEach((w) => w.dispose());
    this.compiled?.optimizer.dispose();
    this.disposeStates();
  }

  /** For each input, the Embedding that reads its ids directly, if any: fit and evaluate check the ids' range. */
  idTables(): ({ layer: string; inputDim: number } | undefined)[] {
    const graph = this.graph;
    if (!graph) return [];
    return this.graphInputs.map((t) => {
      const node = graph.nodes.find((n) => n.inputs[0] === t && n.layer.className === 'Embedding');
      return node && { layer: describeLayer(node.layer), inputDim: node.layer.getConfig().inputDim as number };
    });
  }

  /** Its first stateful layer (nested models' included) and that layer's fixed batch size, if any. */
  get fixedBatch(): { layer: string; batchSize: number } | undefined {
    for (const l of this.graph?.layers ?? []) {
      const found =
        l instanceof Model
          ? l.fixedBatch
          : l.fixedBatchSize !== undefined
            ? { layer: describeLayer(l), batchSize: l.fixedBatchSize }
            : undefined;
      if (found) return found;
    }
    return undefined;
  }

  /** The states its stateful layers keep between batches (nested models' too): freed with the model. */
  disposeStates(): void {
    this.graph?.layers.forEach((l) => l.disposeStates?.());
  }
}

/** A layer's saved config: its name, its frozen flag, its own options (a nested model: its topology). */
export function savedConfig(layer: AnyLayer): Record<string, unknown> {
  if (layer instanceof Model) return { ...layer.topology().config, trainable: layer.trainable };
  return { name: layer.name, trainable: layer.trainable, inputShape: layer.inputShape, ...layer.getConfig() };
}

/** A model of either output kind, as the loader or a generic helper sees it. */
export type AnyModel = Model<SymbolicTensor | SymbolicTensor[]>;

/** A graph model from symbolic inputs to outputs: model({inputs, outputs}). */
export const model = <O extends Outputs>(args: ModelArgs<O>): Model<O> => new Model<O>(args);

// Sequential: a stack of one-input layers that becomes a graph model (model.ts) once it knows its
// input shape — from a declared inputShape, build(shape), or the first data it sees; until then it
// answers what its layers already hold (weights, output names) so it can be compiled unbuilt.
import { Tensor, withBackend, type Shape, type Variable } from '@webgrad/core';
import type { SavedModelTopology } from './format.js';
import type { AnyLayer, Layer, SymbolicTensor } from './layer.js';
import { isPositive, Model, savedConfig } from './model.js';
import type { PlainSpec } from './plain-data.js';
import { describeLayer, input } from './symbolic.js';
import type { ModelData } from './training.js';

/** A stack of one-input layers (or single-input, single-output models); the graph comes when the input shape is known. */
export class Sequential extends Model<SymbolicTensor> {
  private readonly stack: (Layer | Model)[] = [];

  constructor(layers: (Layer | Model)[] = [], { name, seed }: { name?: string; seed?: number } = {}) {
    super({ name, seed });
    layers.forEach((l) => this.add(l));
  }

  override get className(): string {
    return 'Sequential';
  }

  add(layer: Layer | Model): void {
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new Error(`sequential: two layers are named '${layer.name}'; names must be unique`);
    }
    if (layer.signature === 'many-to-many' && !(layer instanceof Model)) {
      throw new Error(
        `sequential: ${describeLayer(layer)} gives several outputs (returnState); a stack takes one, so use it in model({inputs, outputs})`,
      );
    }
    if (
      layer.signature === 'many-to-many' &&
      layer.built &&
      (layer.inputs.length !== 1 || layer.outputs.length !== 1)
    ) {
      throw new Error(
        `sequential: model '${layer.name}' has ${layer.inputs.length} inputs and ${layer.outputs.length} outputs; ` +
          `a stack takes one of each`,
      );
    }
    this.stack.push(layer);
    // a built stack grows its graph at once; a layer that cannot take the last output is refused
    if (this.built) {
      try {
        this.setGraph(this.inputs, [this.applyNext(layer, this.outputs[0])], false);
      } catch (error) {
        this.stack.pop();
        throw error;
      }
    }
  }

  private applyNext(layer: Layer | Model, x: SymbolicTensor): SymbolicTensor {
    const y = layer.apply(x);
    if (Array.isArray(y)) {
      throw new Error(`sequential: model '${layer.name}' gives ${y.length} outputs; a stack takes one`);
    }
    return y;
  }

  override get layers(): AnyLayer[] {
    return [...this.stack];
  }

  /** Builds the graph and every layer's weights for inputs of `inputShape` (no batch axis). */
  override build(inputShape?: Shape): void {
    if (this.built) return;
    if (this.stack.length === 0) throw new Error(`sequential: a model needs at least one layer`);
    const first = this.stack[0];
    const declared = first.signature === 'many-to-many' ? first.inputs[0].sampleShape : first.inputShape;
    const shape = declared ?? inputShape; // a declared input shape wins, so data can be checked against it
    if (!shape) throw new Error(`sequential: the first layer needs an inputShape (or call build(shape)) before use`);
    if (!isPositive(shape)) {
      throw new Error(
        `sequential: input shape [${shape.join(',')}] must hold positive integers (the batch axis is left out)`,
      );
    }
    const dtype = first.signature === 'many-to-many' ? first.inputs[0].dtype : (first.inputDtype ?? 'float32');
    const start = input({ shape: [...shape], name: `${this.name}_input`, dtype });
    let x = start;
    for (const layer of this.stack) {
      const next = this.applyNext(layer, x);
      if (!isPositive(next.sampleShape)) {
        throw new Error(
          `sequential: ${describeLayer(layer)} turns input shape [${x.sampleShape.join(',')}] into [${next.sampleShape.join(',')}]; ` +
            `every size must be a positive integer`,
        );
      }
      x = next;
    }
    this.setGraph([start], [x], false);
  }

  protected override requireGraph(op: string) {
    if (!this.built) this.build();
    return super.requireGraph(op);
  }

  /** Until built (by its first data, or build()), only what its layers already hold. */
  override get weights(): Variable[] {
    return this.built ? super.weights : this.stack.flatMap((l) => l.weights);
  }

  /** Unbuilt, plain data for x takes the shape of its nesting, as float32 (a model with int32 inputs starts with input()). */
  override plainSpecs(which: 'x' | 'y'): PlainSpec[] {
    return this.built || which === 'y' ? super.plainSpecs(which) : [{ name: 'input', dtype: 'float32' }];
  }

  override inputsFrom(x: ModelData, op: string): Tensor[] {
    if (!this.built && x instanceof Tensor) withBackend(x.backend, () => this.build(x.shape.slice(1))); // weights live where the data lives
    return super.inputsFrom(x, op);
  }

  /** Its one output's name without building it: compile needs no input shape. */
  override get outputNames(): string[] {
    if (this.built) return super.outputNames;
    const last = this.stack[this.stack.length - 1];
    if (!last) throw new Error('sequential: a model needs at least one layer');
    return last.signature === 'many-to-many' ? last.outputNames : [last.name];
  }

  override topology(): SavedModelTopology {
    this.requireGraph('save');
    return {
      class_name: 'Sequential',
      config: {
        name: this.name,
        seed: this.seed,
        layers: this.layers.map((l) => ({ class_name: l.className, config: savedConfig(l) })),
      },
    };
  }
}

export const sequential = (layers?: (Layer | Model)[], options?: { name?: string; seed?: number }): Sequential =>
  new Sequential(layers, options);

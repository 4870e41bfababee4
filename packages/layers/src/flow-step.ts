// A gradient-flow record taken from fit's own training step rather than a probe pass of its own: for
// one step the model's layers, its first loss and its optimizer are wrapped on their instances, so the
// step hands over its activations, loss and gradients as it computes them; right after the optimizer's
// update, still inside the step's scope, the watcher summarises them and every wrapper is put back.
// fit itself is untouched: a record step costs one step plus the summaries.
import { keep, reshape, type Tensor, type Variable } from '@webgrad/core';
import { getActivation, type ActivationName } from './activations.js';
import { snapshotOf } from './flow-summary.js';
import type { AnyLayer, CallContext } from './layer.js';
import type { Loss } from './losses.js';

/** What watching a step needs of a model (Sequential has it). */
export interface WatchableModel {
  readonly layers: readonly AnyLayer[];
  readonly compiled?: {
    readonly losses: readonly Loss[];
    readonly optimizer: { applyGradients(variables: readonly Variable[], grads: readonly Tensor[]): void };
  };
}

/** A training step's tensors, alive while the watcher runs (the step's scope frees them after). */
export interface WatchedStep {
  /** Each layer's output, after its activation (undefined: a layer the step did not call). */
  readonly activations: readonly (Tensor | undefined)[];
  /** The first output's loss of each sample of the batch (its mean is the step's), when the step computed it. */
  readonly loss?: Tensor;
  /** The trainable weights after the update and their gradients. */
  readonly variables: readonly Variable[];
  readonly grads: readonly Tensor[];
  /**
   * The values before the update of the updated weights, flat and end to end in the model's layer
   * order (each layer's weights in turn): summarizeFlow's `before` (undefined: the step updated none).
   */
  readonly before?: Tensor;
}

type Forward = (x: Tensor, context: CallContext) => Tensor;

/**
 * Wraps `model` for its next training step: `watch` runs inside it, right after the optimizer's update.
 * The wrappers are removed then; the returned function removes them if that step never comes (call it
 * after the step in any case). Throws naming the monitor if the model is not compiled.
 */
export function watchNextStep(model: WatchableModel, watch: (step: WatchedStep) => void): () => void {
  const compiled = model.compiled;
  if (!compiled) throw new Error('gradientFlow: the model must be compiled before fit records its steps');
  const restore: (() => void)[] = [];
  // an own property shadows the class's method for this step only; deleting it brings the method back
  const wrap = <T extends object>(target: T, key: string, value: unknown) => {
    const slots = target as unknown as Record<string, unknown>;
    const own = Object.prototype.hasOwnProperty.call(target, key);
    const before = slots[key];
    slots[key] = value;
    restore.push(() => {
      if (own) slots[key] = before;
      else delete slots[key];
    });
  };
  const captured: (Tensor | undefined)[] = model.layers.map(() => undefined);
  const logits: boolean[] = model.layers.map(() => false);
  const keepOutput = (i: number, y: Tensor, fromLogits: boolean) => {
    captured[i]?.dispose(); // a layer called twice in the step: its last call counts
    // a view of the output, kept past the autodiff scope that would free it: a view of a shape of its
    // own (a leading axis of 1) is a tensor of its own, even where the layer hands back its input,
    // so disposing it later frees nothing the step or the caller still holds
    captured[i] = keep(reshape(y, [1, ...y.shape]));
    logits[i] = fromLogits;
  };
  model.layers.forEach((layer, i) => {
    if (layer.signature !== 'one-to-one') return;
    const call = layer.call.bind(layer) as Forward;
    wrap(layer, 'call', (x: Tensor, context: CallContext) => {
      const y = call(x, context);
      keepOutput(i, y, false);
      return y;
    });
    if (!layer.callLogits) return;
    const callLogits = layer.callLogits.bind(layer) as Forward;
    wrap(layer, 'callLogits', (x: Tensor, context: CallContext) => {
      const y = callLogits(x, context);
      keepOutput(i, y, true);
      return y;
    });
  });
  let loss: Tensor | undefined;
  const lossFn = compiled.losses[0];
  const measured = (compute: Loss['compute']) => (yTrue: Tensor, yPred: Tensor) => {
    const perSample = compute(yTrue, yPred);
    loss?.dispose();
    loss = keep(reshape(perSample, [-1])); // a view: the mean is taken with the summaries
    return perSample;
  };
  wrap(lossFn, 'compute', measured(lossFn.compute.bind(lossFn)));
  const onLogits = lossFn.onLogits?.bind(lossFn);
  if (onLogits) {
    wrap(lossFn, 'onLogits', () => {
      const fused = onLogits();
      return { ...fused, compute: measured(fused.compute.bind(fused)) };
    });
  }
  const optimizer = compiled.optimizer;
  const applyGradients = optimizer.applyGradients.bind(optimizer);
  const unwatch = () => {
    restore
      .splice(0)
      .reverse()
      .forEach((put) => put());
    captured.forEach((t, i) => {
      t?.dispose();
      captured[i] = undefined;
    });
    loss?.dispose();
    loss = undefined;
  };
  wrap(optimizer, 'applyGradients', (variables: readonly Variable[], grads: readonly Tensor[]) => {
    // one copy of every updated weight, in the order summarizeFlow lays the weights out
    const updated = model.layers.flatMap((l) => l.weights.filter((w) => w.trainable && variables.includes(w)));
    const before = updated.length ? snapshotOf(updated) : undefined;
    applyGradients(variables, grads);
    try {
      const activations = captured.map((t, i) => {
        const output = t && reshape(t, t.shape.slice(1));
        if (!output || !logits[i]) return output;
        return getActivation(model.layers[i].activationName as ActivationName).apply(output);
      });
      watch({ activations, loss, variables, grads, before });
    } finally {
      unwatch();
    }
  });
  return unwatch;
}

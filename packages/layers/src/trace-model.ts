// A model's computation graph on a batch: traceGraph over the chain of layers, each layer's ops under
// a name scope of the layer's name, so the drawing collapses to one box per layer (with its weights
// and their gradients' norms on the edges) and opens up op by op on request.
import { mean, nameScope, reshape, traceGraph, withBackend, type Tensor, type TraceGraph } from '@webgrad/core';
import { chainLayer, type FlowModel } from './gradient-flow.js';

/**
 * Traces the model on x: with targets y, through the compiled loss (so the trace holds every
 * gradient); without, the output alone (gradients of the sum of the outputs).
 */
export function traceModel(model: FlowModel, x: Tensor, y?: Tensor): Promise<TraceGraph> {
  withBackend(x.backend, () => model.build?.(x.shape.slice(1)));
  const loss = model.compiled?.losses[0];
  if (y && !loss) throw new Error('traceModel: targets were given but the model is not compiled (no loss)');
  const forward = (input: Tensor) => {
    let h = input;
    model.layers.forEach((layer, i) => {
      h = nameScope(layer.name, () => chainLayer(layer, 'traceModel').call(h, { training: false, seed: 0, stream: i }));
    });
    return h;
  };
  if (!y || !loss) return traceGraph(forward, x, { names: ['x'] });
  const sparse = loss.name === 'sparseCategoricalCrossentropy';
  const objective = (input: Tensor, t: Tensor) => {
    const out = forward(input);
    return nameScope('loss', () => mean(loss.compute(sparse && t.rank === 2 ? reshape(t, [-1]) : t, out)));
  };
  return traceGraph(objective, x, y, { names: ['x', 'y'] });
}

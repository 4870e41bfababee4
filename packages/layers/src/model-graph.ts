// The graph between a model's inputs and outputs: the layer calls (nodes) that lead from one to the
// other, in an order that runs each after its inputs, and the layers they call. Found by walking back
// from the outputs, so a graph that does not reach an input, an input the outputs do not use, a cycle
// or two layers of one name are refused here, by name, before any model exists.
import type { Shape } from '@webgrad/core';
import { SymbolicTensor, type AnyLayer, type LayerNode } from './layer.js';

export interface Graph {
  /** The calls to run, each after the calls its inputs come from (input layers' nodes left out). */
  readonly nodes: readonly LayerNode[];
  /** Every layer, input layers first, then in the order of their first call. */
  readonly layers: readonly AnyLayer[];
}

const fmtShape = (s: Shape): string => `(None, ${s.join(', ')})`;

/** The nodes and layers from `inputs` to `outputs`; `where` names the model in errors. */
export function graphBetween(
  inputs: readonly SymbolicTensor[],
  outputs: readonly SymbolicTensor[],
  where: string,
): Graph {
  [...inputs, ...outputs].forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) {
      const what = i < inputs.length ? `input ${i}` : `output ${i - inputs.length}`;
      throw new Error(
        `${where}: ${what} is not a symbolic tensor (got ${String(t)}); ` +
          `make inputs with input({shape}) and outputs by applying layers to them`,
      );
    }
  });
  const notInput = inputs.find((t) => t.node.layer.className !== 'InputLayer');
  if (notInput) {
    throw new Error(
      `${where}: input '${notInput.name}' comes from a ${notInput.node.layer.className} layer; a model's inputs are made by input({shape})`,
    );
  }
  const duplicate = inputs.find((t, i) => inputs.indexOf(t) !== i);
  if (duplicate) throw new Error(`${where}: input '${duplicate.name}' is listed twice`);
  const given = new Set(inputs);
  const used = new Set<SymbolicTensor>();
  const state = new Map<LayerNode, 'open' | 'done'>();
  const order: LayerNode[] = [];
  const visit = (t: SymbolicTensor, path: readonly string[]): void => {
    if (given.has(t)) {
      used.add(t);
      return;
    }
    const node = t.node;
    if (node.inputs.length === 0) {
      throw new Error(
        `${where}: the graph is disconnected: ${[...path, `'${t.name}' ${fmtShape(t.sampleShape)}`].join(' <- ')}, ` +
          `and '${t.name}' is not among the model's inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}); add it to inputs`,
      );
    }
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      throw new Error(`${where}: the graph has a cycle through ${[...path, node.layer.name].join(' -> ')}`);
    }
    state.set(node, 'open');
    node.inputs.forEach((next) => visit(next, [...path, node.layer.name]));
    state.set(node, 'done');
    order.push(node);
  };
  outputs.forEach((t) => visit(t, [`output '${t.name}'`]));
  const unused = inputs.filter((t) => !used.has(t));
  if (unused.length) {
    throw new Error(
      `${where}: input ${unused.map((t) => `'${t.name}'`).join(', ')} is not connected to the outputs ` +
        `(${outputs.map((t) => `'${t.name}'`).join(', ')}); remove it or use it`,
    );
  }
  const layers: AnyLayer[] = inputs.map((t) => t.node.layer);
  for (const node of order) if (!layers.includes(node.layer)) layers.push(node.layer);
  const byName = new Map<string, AnyLayer>();
  for (const layer of layers) {
    const other = byName.get(layer.name);
    if (other) {
      throw new Error(
        `${where}: two layers are named '${layer.name}' (${other.className} and ${layer.className}); names must be unique`,
      );
    }
    byName.set(layer.name, layer);
  }
  return { nodes: order, layers };
}

// Model diagrams, as Keras's plot_model draws them: one box per layer with its name, class, input and
// output shapes and parameter count, and the edges between layers, laid out by Graphviz (core's
// dotToSvg). Written against a small ModelDiagram (layers and edges as name pairs) so any graph of
// layers can be drawn; modelDiagram makes one from a model's graph.
import { dotToSvg, type Shape } from '@webgrad/core';
import type { LayerNode } from './layer.js';

export interface DiagramLayer {
  readonly name: string;
  readonly className: string;
  /** Output shape(s) without the batch axis. */
  readonly outputShape: Shape | readonly Shape[];
  readonly params: number;
  /** The activation a layer ends with, if any: shown after the class. */
  readonly activation?: string;
}

export interface ModelDiagram {
  readonly name: string;
  /** Layers in drawing order; inputs are layers too (className 'InputLayer', 0 params). */
  readonly layers: readonly DiagramLayer[];
  /** [from, to] by layer name. */
  readonly edges: readonly (readonly [string, string])[];
}

/** What a diagram reads of a model (Model and Sequential have it): its name and its graph's calls. */
export interface GraphModel {
  readonly name: string;
  readonly graphNodes: readonly LayerNode[];
}

/** The diagram of a model's graph: each layer once (a shared layer's first call's shapes), each edge once. */
export function modelDiagram(model: GraphModel): ModelDiagram {
  const layers: DiagramLayer[] = [];
  const edges: [string, string][] = [];
  for (const node of model.graphNodes) {
    const layer = node.layer;
    if (!layers.some((l) => l.name === layer.name)) {
      const shapes = node.outputs.map((t) => t.sampleShape);
      layers.push({
        name: layer.name,
        className: layer.className,
        outputShape: shapes.length === 1 ? shapes[0] : shapes,
        params: layer.weights.reduce((n, w) => n + w.size, 0),
        ...(layer.activationName && layer.activationName !== 'linear' ? { activation: layer.activationName } : {}),
      });
    }
    for (const t of node.inputs) {
      const edge: [string, string] = [t.node.layer.name, layer.name];
      if (!edges.some(([from, to]) => from === edge[0] && to === edge[1])) edges.push(edge);
    }
  }
  return { name: model.name, layers, edges };
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
// Graphviz sizes text by Helvetica's metrics; the fonts a browser falls back to run wider, so cells get room
const ROOM = '&#160;&#160;';
const shapes = (s: Shape | readonly Shape[]) =>
  (Array.isArray(s[0]) ? (s as readonly Shape[]) : [s as Shape]).map((one) => `(None, ${one.join(', ')})`).join(', ');

/** The diagram as DOT: top to bottom, a table per layer, in and out shapes read along the edges. */
export function modelDot(diagram: ModelDiagram): string {
  const byName = new Map(diagram.layers.map((l) => [l.name, l]));
  for (const [from, to] of diagram.edges) {
    for (const end of [from, to]) {
      if (!byName.has(end)) {
        throw new Error(`plotModel: edge ${from} -> ${to} names '${end}', which is not a layer of '${diagram.name}'`);
      }
    }
  }
  const inputsOf = (name: string) => diagram.edges.filter(([, to]) => to === name).map(([from]) => byName.get(from)!);
  const total = diagram.layers.reduce((n, l) => n + l.params, 0);
  const lines = [
    'digraph model {',
    '  rankdir=TB;',
    '  graph [fontname="Helvetica", fontsize=13];',
    '  node [shape=plaintext, fontname="Helvetica", fontsize=11];',
    '  edge [color="#555555"];',
    `  label=<${escape(`${diagram.name}: ${total.toLocaleString('en-US')} parameters`)}${ROOM}${ROOM}>; labelloc=t;`,
  ];
  for (const layer of diagram.layers) {
    const ins = inputsOf(layer.name);
    const kind = layer.activation ? `${layer.className} (${layer.activation})` : layer.className;
    const row = (key: string, value: string) =>
      `<tr><td align="left"><font color="#555555">${key}</font></td><td align="left">${escape(value)}${ROOM}</td></tr>`;
    const label =
      '<table border="1" cellborder="0" cellspacing="2" cellpadding="3" bgcolor="#f4f8fc">' +
      `<tr><td colspan="2"><b>${escape(layer.name)}</b></td></tr>` +
      `<tr><td colspan="2">${escape(kind)}</td></tr>` +
      (ins.length ? row('input', ins.map((l) => shapes(l.outputShape)).join(' + ')) : '') +
      row('output', shapes(layer.outputShape)) +
      (layer.className === 'InputLayer' ? '' : row('params', layer.params.toLocaleString('en-US'))) +
      '</table>';
    lines.push(`  ${JSON.stringify(layer.name)} [label=<${label}>];`);
  }
  for (const [from, to] of diagram.edges) lines.push(`  ${JSON.stringify(from)} -> ${JSON.stringify(to)};`);
  lines.push('}');
  return lines.join('\n');
}

/** An SVG diagram of a model (a chain of layers) or of any ModelDiagram. */
export function plotModel(model: GraphModel | ModelDiagram): Promise<string> {
  const diagram = 'edges' in model ? model : modelDiagram(model);
  return dotToSvg(modelDot(diagram));
}

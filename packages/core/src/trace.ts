// The graph view of a call, as the computation-graph lectures draw it: traceGraph(fn, ...args) runs fn
// under a tape that records every op (constants and non-differentiable ones too), runs backward from
// fn's result, keeps what each consumer sends back (so a branch shows its gradient as a sum), and reads
// the small values once at the end. The trace renders as JSON, DOT and SVG (graphviz.ts). nameScope
// groups ops, per layer, so that a large graph collapses to one box per scope.
import { backward } from './autodiff.js';
import { fmt, type DType, type Shape } from './dtype.js';
import { Tape, tapes, tidy, withBackend, type TapeNode } from './engine.js';
import { dotToSvg, htmlEscape } from './graphviz.js';
import { onesLike } from './ops/creation.js';
import { sqrt, square } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { Variable } from './optim.js';
import { Tensor } from './tensor.js';

/** A tape that records all, and the name scope each of its nodes was recorded in. */
class TraceTape extends Tape {
  readonly scopes: (string | undefined)[] = [];
  /** Variables' names by id: the tape keeps views, which have none. */
  readonly names = new Map<number, string>();
  constructor() {
    super(true);
  }

  override save(t: Tensor): Tensor {
    if (t instanceof Variable && t.name) this.names.set(t.id, t.name);
    return super.save(t);
  }
}

const scopeStack: string[] = [];

/**
 * Runs fn with its ops grouped under `name` (nested scopes join with '/'): a trace draws the group as
 * a box, or as one node when the graph is large. Costs nothing when no trace is running.
 */
export function nameScope<T>(name: string, fn: () => T): T {
  const active = tapes.filter((t): t is TraceTape => t instanceof TraceTape);
  const starts = active.map((t) => t.nodes.length);
  scopeStack.push(name);
  const path = scopeStack.join('/');
  try {
    return fn();
  } finally {
    scopeStack.pop();
    // inner scopes finish first and claim their nodes; this scope takes the ones left unclaimed
    active.forEach((tape, k) => {
      for (let i = starts[k]; i < tape.nodes.length; i++) tape.scopes[i] ??= path;
    });
  }
}

export interface TracedTensor {
  readonly id: number;
  /** The argument's or variable's name, for tensors that no traced op made. */
  readonly name?: string;
  readonly shape: Shape;
  readonly dtype: DType;
  /** The values, flat, for tensors of at most maxValues elements. */
  value?: number[];
  /** d(sum of the result)/d(this tensor): the sum of what every consumer sent back. */
  grad?: number[];
  /** The gradient's L2 norm, at any size. */
  gradNorm?: number;
  /** The index of the op that made it; absent for a leaf. */
  readonly producer?: number;
  /** What a leaf is: one of fn's arguments, a Variable (a weight), or another tensor fn closed over. */
  readonly leaf?: 'argument' | 'variable' | 'constant';
}

export interface TracedOp {
  readonly index: number;
  readonly op: string;
  readonly scope?: string;
  /** Tensor ids, in the op's input order. */
  readonly inputs: readonly number[];
  readonly output: number;
}

export interface TracedEdge {
  readonly tensor: number;
  /** The consuming op's index, or 'output' for the result. */
  readonly to: number | 'output';
  readonly inputIndex: number;
  /** What this consumer sent back to the tensor (one term of the tensor's gradient). */
  grad?: number[];
  /** That term's L2 norm, at any size. */
  gradNorm?: number;
}

export interface TraceJson {
  readonly tensors: TracedTensor[];
  readonly ops: TracedOp[];
  readonly edges: TracedEdge[];
  /** The id of fn's result. */
  readonly output: number;
}

export interface TraceOptions {
  /** Names of the arguments (default: fn's parameter names, else arg0, arg1, …). */
  names?: readonly string[];
  /** Tensors of at most this many elements have their values (and gradients) read (default 32). */
  maxValues?: number;
  /** Run backward from the result, seeded with ones (default true for a float32 result). */
  gradients?: boolean;
}

export interface DotOptions {
  /** One node per top-level name scope: true, false, or 'auto' (above `collapseAbove` ops; the default). */
  collapse?: boolean | 'auto';
  collapseAbove?: number;
  /** Significant digits of the numbers shown (default 4). */
  digits?: number;
  /** Values shown of a longer tensor before '…' (default 6). */
  shown?: number;
  title?: string;
  /** 'LR' (the lectures' left-to-right, the default) or 'TB'. */
  direction?: 'LR' | 'TB';
}

/** Parameter names from a function's source: `(x, y) => …`, `x => …`, `function f(a, b) {…}`. */
function parameterNames(fn: (...xs: never[]) => unknown): string[] {
  const source = fn.toString();
  const single = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
  if (single) return [single[1]];
  const list = /^[^(]*\(([^)]*)\)/.exec(source);
  if (!list) return [];
  return list[1]
    .split(',')
    .map((p) => p.trim().split(/[\s=:]/)[0])
    .filter((p) => /^[A-Za-z_$][\w$]*$/.test(p));
}

/** A number as the lectures write it: integers plain, others to `digits` significant digits. */
export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const rounded = Number(v.toPrecision(digits));
  return Math.abs(rounded) >= 1e-4 || rounded === 0 ? String(rounded) : rounded.toExponential(digits - 1);
}

/**
 * Runs fn(...args) and records its graph: every op with its input and output shapes and dtypes, the
 * values of small tensors and, after backward from the result (seeded with ones, as valueAndGrad),
 * every tensor's gradient and each edge's share of it. A last argument that is not a Tensor is taken
 * as TraceOptions. The tensors fn made are freed; the trace holds numbers only.
 */
export async function traceGraph(
  fn: (...xs: Tensor[]) => Tensor,
  ...argsAndOptions: (Tensor | TraceOptions)[]
): Promise<TraceGraph> {
  const last = argsAndOptions[argsAndOptions.length - 1];
  const hasOptions = typeof last === 'object' && last !== null && !(last instanceof Tensor);
  const options: TraceOptions = hasOptions ? last : {};
  const args = argsAndOptions.filter((a): a is Tensor => a instanceof Tensor);
  if (args.length !== argsAndOptions.length - (hasOptions ? 1 : 0)) {
    throw new Error('traceGraph: arguments must be Tensors, optionally followed by one options object');
  }
  const { maxValues = 32 } = options;
  const names = options.names ?? parameterNames(fn);
  const tape = new TraceTape();
  args.forEach((x) => tape.watched.add(x.id));
  const made: Tensor[] = [];
  try {
    const run = tidy(() => {
      tapes.push(tape);
      let y: Tensor;
      try {
        y = fn(...args);
      } finally {
        tapes.pop();
      }
      if (!(y instanceof Tensor)) throw new Error(`traceGraph: fn must return a Tensor, got ${typeof y}`);
      const wantGrads = (options.gradients ?? true) && y.dtype === 'float32';
      const nodeIndex = new Map<TapeNode, number>(tape.nodes.map((node, i) => [node, i]));
      const shares: { node: number; input: number; g: Tensor }[] = [];
      const totals = wantGrads
        ? backward(tape, y, onesLike(y), (node, input, g) => shares.push({ node: nodeIndex.get(node)!, input, g }))
        : new Map<number, Tensor>();
      return { y, totalIds: [...totals.keys()], totalGrads: [...totals.values()], shares };
    });
    const madeByFn = tape.nodes.some((n) => n.outputId === run.y.id);
    made.push(...run.totalGrads, ...run.shares.map((s) => s.g), ...(madeByFn ? [run.y] : []));
    return new TraceGraph(await readTrace(tape, run, args, names, maxValues));
  } finally {
    for (const t of new Set(made)) if (!args.includes(t)) t.dispose();
    tape.release();
  }
}

async function readTrace(
  tape: TraceTape,
  run: {
    y: Tensor;
    totalIds: number[];
    totalGrads: Tensor[];
    shares: { node: number; input: number; g: Tensor }[];
  },
  args: readonly Tensor[],
  names: readonly string[],
  maxValues: number,
): Promise<TraceJson> {
  const small = async (t: Tensor) => (t.size <= maxValues ? Array.from(await t.data()) : undefined);
  const l2 = async (t: Tensor) => {
    const n = withBackend(t.backend, () => tidy(() => sqrt(sum(square(t)))));
    try {
      return (await n.data())[0];
    } finally {
      n.dispose();
    }
  };
  const tensors = new Map<number, TracedTensor>();
  const producers = new Map<number, number>();
  tape.nodes.forEach((node, i) => producers.set(node.outputId, i));
  const note = async (id: number, t: Tensor) => {
    if (tensors.has(id)) return;
    const argIndex = args.findIndex((a) => a.id === id);
    const leafName = argIndex >= 0 ? (names[argIndex] ?? `arg${argIndex}`) : tape.names.get(id);
    const entry: TracedTensor = {
      id,
      shape: [...t.shape],
      dtype: t.dtype,
      ...(producers.has(id)
        ? { producer: producers.get(id) }
        : { name: leafName, leaf: argIndex >= 0 ? 'argument' : tape.names.has(id) ? 'variable' : 'constant' }),
    };
    tensors.set(id, entry);
    entry.value = await small(t);
  };
  for (const node of tape.nodes) {
    for (const [k, input] of node.inputs.entries()) await note(node.inputIds[k], input);
    await note(node.outputId, node.output);
  }
  await note(run.y.id, run.y);
  const ops: TracedOp[] = tape.nodes.map((node, index) => ({
    index,
    op: node.op.name,
    ...(tape.scopes[index] ? { scope: tape.scopes[index] } : {}),
    inputs: [...node.inputIds],
    output: node.outputId,
  }));
  const edges: TracedEdge[] = tape.nodes.flatMap((node, index) =>
    node.inputIds.map((tensor, inputIndex) => ({ tensor, to: index, inputIndex }) as TracedEdge),
  );
  const outputEdge: TracedEdge = { tensor: run.y.id, to: 'output', inputIndex: 0 };
  edges.push(outputEdge);
  for (const share of run.shares) {
    const edge = edges.find((e) => e.to === share.node && e.inputIndex === share.input)!;
    edge.grad = await small(share.g);
    edge.gradNorm = await l2(share.g);
  }
  for (const [k, id] of run.totalIds.entries()) {
    const entry = tensors.get(id);
    if (!entry) continue;
    entry.grad = await small(run.totalGrads[k]);
    entry.gradNorm = await l2(run.totalGrads[k]);
  }
  outputEdge.grad = tensors.get(run.y.id)?.grad;
  outputEdge.gradNorm = tensors.get(run.y.id)?.gradNorm;
  return { tensors: [...tensors.values()], ops, edges, output: run.y.id };
}

/** A recorded call: its JSON, and its drawing as DOT or SVG. */
export class TraceGraph {
  constructor(readonly json: TraceJson) {}

  toJSON(): TraceJson {
    return this.json;
  }

  /** A tensor of the trace by the argument or variable name it had. */
  tensor(name: string): TracedTensor | undefined {
    return this.json.tensors.find((t) => t.name === name);
  }

  toDot(options: DotOptions = {}): string {
    return traceToDot(this.json, options);
  }

  toSvg(options: DotOptions = {}): Promise<string> {
    return dotToSvg(this.toDot(options));
  }
}

const VALUE_COLOR = '#1a7f37';
// Graphviz sizes text by Helvetica's metrics; the fonts a browser falls back to run wider, so long lines get room
const ROOM = '&#160;&#160;';
/** A DOT node id: scope names may hold any character. */
const quote = (id: string) => JSON.stringify(id);
const GRAD_COLOR = '#cf222e';

function traceToDot(trace: TraceJson, options: DotOptions): string {
  const { digits = 4, shown = 6, collapseAbove = 40, direction = 'LR' } = options;
  const scoped = trace.ops.some((op) => op.scope);
  const collapse =
    options.collapse === 'auto' || options.collapse === undefined
      ? scoped && trace.ops.length > collapseAbove
      : options.collapse && scoped;
  const byId = new Map(trace.tensors.map((t) => [t.id, t]));
  const num = (v: number) => formatNumber(v, digits);
  const list = (values: readonly number[] | undefined, shape: Shape) => {
    if (!values) return fmt(shape);
    if (shape.length === 0) return num(values[0]);
    const head = values.slice(0, shown).map(num).join(', ');
    return `[${head}${values.length > shown ? ', …' : ''}]`;
  };
  const consumers = (id: number) => trace.edges.filter((e) => e.tensor === id);
  /** The gradient of a tensor as the lectures write a branch: the terms, then their sum. */
  const gradText = (t: TracedTensor) => {
    if (!t.grad) return undefined;
    const terms = consumers(t.id).filter((e) => e.grad);
    const total = list(t.grad, t.shape);
    return terms.length > 1 ? `${terms.map((e) => list(e.grad, t.shape)).join(' + ')} = ${total}` : total;
  };
  const font = (color: string, text: string) => `<font color="${color}">${htmlEscape(text)}</font>`;
  const valueLine = (t: TracedTensor) => font(VALUE_COLOR, list(t.value, t.shape));
  const gradLine = (text: string | undefined) => (text === undefined ? '' : `<br/>${font(GRAD_COLOR, `∂ ${text}`)}`);
  const shapeNote = (t: TracedTensor) => (t.shape.length ? ` ${fmt(t.shape)}` : '');

  // the node each tensor comes from, and the node each op lands in (its scope's box when collapsed)
  const group = (op: TracedOp) => (collapse && op.scope ? `scope_${op.scope.split('/')[0]}` : `op${op.index}`);
  const groupOps = new Map<string, TracedOp[]>();
  trace.ops.forEach((op) => groupOps.set(group(op), [...(groupOps.get(group(op)) ?? []), op]));
  const leafHome = new Map<number, string>(); // weights and constants used only inside one collapsed scope live in it
  const leaves = trace.tensors.filter((t) => t.producer === undefined);
  for (const leaf of leaves) {
    const homes = new Set(consumers(leaf.id).map((e) => (e.to === 'output' ? 'output' : group(trace.ops[e.to]))));
    const [only] = homes;
    if (collapse && leaf.leaf !== 'argument' && homes.size === 1 && only.startsWith('scope_')) {
      leafHome.set(leaf.id, only);
    }
  }
  const source = (t: TracedTensor) =>
    t.producer === undefined ? (leafHome.get(t.id) ?? `t${t.id}`) : group(trace.ops[t.producer]);

  const lines: string[] = [
    'digraph trace {',
    '  graph [fontname="Helvetica", fontsize=13];',
    `  rankdir=${direction};`,
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  if (options.title) lines.push(`  label=<${htmlEscape(options.title)}${ROOM}>; labelloc=t;`);
  for (const leaf of leaves) {
    if (leafHome.has(leaf.id)) continue;
    const name = leaf.name ?? `const #${leaf.id}`;
    const label = `<b>${htmlEscape(name)}</b>${htmlEscape(shapeNote(leaf))}<br/>${valueLine(leaf)}${gradLine(gradText(leaf))}`;
    lines.push(`  t${leaf.id} [shape=box, style=rounded, label=<${label}>];`);
  }
  const clusters = new Map<string, string[]>();
  for (const [id, ops] of groupOps) {
    let label: string;
    if (id.startsWith('scope_')) {
      const params = leaves.filter((l) => leafHome.get(l.id) === id && l.leaf === 'variable');
      const describe = (p: TracedTensor) => `${p.name ?? `#${p.id}`} ${fmt(p.shape)}`;
      const count = params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      const opNames = [...new Set(ops.map((o) => o.op))].join(', ');
      const out = byId.get(ops[ops.length - 1].output)!;
      label =
        `<b>${htmlEscape(id.slice('scope_'.length))}</b><br/>${htmlEscape(`${ops.length} op${ops.length === 1 ? '' : 's'}: ${opNames}`)}` +
        `<br/>${htmlEscape(`params: ${count}`)}` +
        params.map((p) => `<br/>${htmlEscape(describe(p))}`).join('') +
        // one colour a line: Graphviz places spans by Helvetica's widths, which a fallback font overruns
        params
          .filter((p) => p.gradNorm !== undefined)
          .map((p) => `<br/>${font(GRAD_COLOR, `‖∂ ${p.name ?? `#${p.id}`}‖ ${num(p.gradNorm!)}`)}`)
          .join('') +
        `<br/>${htmlEscape(`out ${fmt(out.shape)}`)}`;
      label = label.replace(/<br\/>/g, `${ROOM}<br/>`);
      lines.push(`  ${quote(id)} [shape=box3d, label=<${label}>];`);
      continue;
    }
    const op = ops[0];
    const out = byId.get(op.output)!;
    const branchGrad = consumers(out.id).filter((e) => e.grad).length > 1 ? gradLine(gradText(out)) : '';
    label = `<b>${htmlEscape(op.op)}</b>${htmlEscape(shapeNote(out))}${out.dtype === 'float32' ? '' : ` ${out.dtype}`}${branchGrad}`;
    const line = `  ${quote(id)} [shape=ellipse, label=<${label}>];`;
    if (op.scope) clusters.set(op.scope, [...(clusters.get(op.scope) ?? []), line]);
    else lines.push(line);
  }
  [...clusters.entries()].forEach(([scope, members], k) => {
    lines.push(`  subgraph cluster_${k} {`, `    label=<${htmlEscape(scope)}>; style=dashed; color="#888888";`);
    members.forEach((m) => lines.push(`  ${m}`));
    lines.push('  }');
  });
  const result = byId.get(trace.output)!;
  lines.push(`  output [shape=box, style="rounded,bold", label=<<b>result</b>${htmlEscape(shapeNote(result))}>];`);
  const drawn = new Set<string>();
  for (const edge of trace.edges) {
    const t = byId.get(edge.tensor)!;
    const from = source(t);
    const to = edge.to === 'output' ? 'output' : group(trace.ops[edge.to]);
    if (from === to) continue;
    const key = `${from}->${to}:${collapse ? edge.tensor : trace.edges.indexOf(edge)}`;
    if (drawn.has(key)) continue;
    drawn.add(key);
    const label = collapse
      ? font(VALUE_COLOR, fmt(t.shape)) +
        (edge.gradNorm !== undefined ? `<br/>${font(GRAD_COLOR, `‖∂‖ ${num(edge.gradNorm)}`)}` : '')
      : valueLine(t) + gradLine(edge.grad ? list(edge.grad, t.shape) : undefined);
    lines.push(`  ${quote(from)} -> ${quote(to)} [label=<${label}>];`);
  }
  lines.push('}');
  return lines.join('\n');
}

// traceGraph on the lecture's examples, on the CPU reference and on WebGPU: the recorded values and
// gradients against hand computation (float64 in plain JS), a reused input's gradient drawn as the sum
// of its branches, and the DOT and the SVG (laid out by Graphviz) carrying the same numbers.
import { expect } from 'chai';
import {
  add,
  formatNumber,
  matmul,
  mul,
  nameScope,
  relu,
  setBackend,
  sigmoid,
  square,
  sub,
  sum,
  svgText,
  tensor,
  traceGraph,
  variable,
  memory,
  type Tensor,
  type TraceGraph,
} from '@webgrad/core';

const close = (actual: number[] | undefined, expected: number[], tol = 1e-5) => {
  expect(actual, 'recorded').to.not.equal(undefined);
  expect(actual!.length).to.equal(expected.length);
  actual!.forEach((a, i) => expect(a).to.be.closeTo(expected[i], tol * Math.max(1, Math.abs(expected[i]))));
};

const opNamed = (trace: TraceGraph, op: string) => trace.json.ops.find((o) => o.op === op)!;
const outputOf = (trace: TraceGraph, op: string) => trace.json.tensors.find((t) => t.id === opNamed(trace, op).output)!;

for (const backend of ['cpu', 'webgpu']) {
  describe(`traceGraph on ${backend}`, () => {
    before(() => setBackend(backend));
    after(() => setBackend('cpu'));

    it('(x + y)·z at (−2, 5, −4): values 3, −12 and gradients dx = −4, dy = −4, dz = 3, in the DOT and the SVG', async () => {
      // the arguments' names come from fn's parameters (the outer names differ: a bundler renames shadowed ones)
      const a = tensor(-2);
      const b = tensor(5);
      const c = tensor(-4);
      const before = memory().tensors;
      const trace = await traceGraph((x, y, z) => mul(add(x, y), z), a, b, c);
      expect(memory().tensors, 'the trace frees what it made').to.equal(before);
      expect(trace.json.ops.map((o) => o.op)).to.deep.equal(['add', 'mul']);
      expect(trace.tensor('x')!.value).to.deep.equal([-2]);
      close(outputOf(trace, 'add').value, [3]);
      close(outputOf(trace, 'mul').value, [-12]);
      close(trace.tensor('x')!.grad, [-4]);
      close(trace.tensor('y')!.grad, [-4]);
      close(trace.tensor('z')!.grad, [3]);
      close(outputOf(trace, 'add').grad, [-4]); // dq = z
      const dot = trace.toDot();
      for (const text of ['-2', '5', '-4', '3', '-12', '∂ -4', '∂ 3']) expect(dot).to.contain(text);
      const texts = svgText(await trace.toSvg());
      for (const value of ['-2', '5', '-4', '3', '-12']) expect(texts, `value ${value}`).to.include(value);
      expect(texts.filter((t) => t === '∂ -4').length, 'dx, dy and dq on nodes and edges').to.be.at.least(3);
      expect(texts).to.include('∂ 3');
      [a, b, c].forEach((t) => t.dispose());
    });

    it("a sigmoid neuron: the lecture's w = (2, −3, −3), x = (−1, −2) gives 0.7311 and dx = (0.3932, −0.5898)", async () => {
      const inputs = [2, -1, -3, -2, -3].map((v) => tensor(v));
      const neuron = (a: Tensor, b: Tensor, c: Tensor, d: Tensor, e: Tensor) =>
        sigmoid(add(add(mul(a, b), mul(c, d)), e));
      const trace = await traceGraph(neuron, ...inputs, { names: ['w0', 'x0', 'w1', 'x1', 'w2'] });
      const s = 1 / (1 + Math.exp(-1)); // w·x + b = 2 + 6 − 3 = 1
      const local = s * (1 - s);
      close(outputOf(trace, 'sigmoid').value, [s]);
      close(trace.tensor('w0')!.grad, [-1 * local]);
      close(trace.tensor('x0')!.grad, [2 * local]);
      close(trace.tensor('w1')!.grad, [-2 * local]);
      close(trace.tensor('x1')!.grad, [-3 * local]);
      close(trace.tensor('w2')!.grad, [local]);
      const texts = svgText(await trace.toSvg());
      for (const shown of ['0.7311', '∂ 0.3932', '∂ -0.5898', '∂ -0.3932', '∂ 0.1966']) {
        expect(texts, shown).to.include(shown);
      }
      inputs.forEach((t) => t.dispose());
    });

    it('a reused input: the gradient of x in x·y + x at (3, 4) is the sum 4 + 1 = 5, shown as the sum', async () => {
      const three = tensor(3);
      const four = tensor(4);
      const trace = await traceGraph((x, y) => add(mul(x, y), x), three, four);
      close(trace.tensor('x')!.grad, [5]);
      const shares = trace.json.edges.filter((e) => e.tensor === trace.tensor('x')!.id).map((e) => e.grad![0]);
      expect(shares.sort()).to.deep.equal([1, 4]);
      const texts = svgText(await trace.toSvg());
      expect(
        texts.some((t) => /^∂ (4 \+ 1|1 \+ 4) = 5$/.test(t)),
        texts.join(' | '),
      ).to.equal(true);
      const squared = await traceGraph((x) => mul(x, x), three);
      close(squared.tensor('x')!.grad, [6]);
      expect(svgText(await squared.toSvg())).to.include('∂ 3 + 3 = 6');
      [three, four].forEach((t) => t.dispose());
    });

    it('a two-layer MLP on one sample: every value and gradient against a float64 hand computation', async () => {
      const xv = [0.5, -1.2, 2.0];
      const W1v = [
        [0.1, -0.3, 0.25, 0.4],
        [0.2, 0.15, -0.5, 0.3],
        [-0.35, 0.05, 0.45, -0.2],
      ];
      const b1v = [0.05, -0.1, 0.2, 0.0];
      const W2v = [
        [0.3, -0.2],
        [-0.4, 0.5],
        [0.25, 0.1],
        [0.6, -0.3],
      ];
      const b2v = [0.1, -0.05];
      const tv = [1, 0];
      // forward and backward by hand, in float64
      const pre1 = b1v.map((b, j) => b + xv.reduce((s, xi, i) => s + xi * W1v[i][j], 0));
      const h = pre1.map((v) => Math.max(0, v));
      const out = b2v.map((b, k) => b + h.reduce((s, hj, j) => s + hj * W2v[j][k], 0));
      const loss = out.reduce((s, o, k) => s + (o - tv[k]) ** 2, 0);
      const dOut = out.map((o, k) => 2 * (o - tv[k]));
      const dW2 = h.flatMap((hj) => dOut.map((d) => hj * d));
      const dh = W2v.map((row) => row.reduce((s, w, k) => s + w * dOut[k], 0));
      const dPre1 = dh.map((d, j) => (pre1[j] > 0 ? d : 0));
      const dW1 = xv.flatMap((xi) => dPre1.map((d) => xi * d));
      const dx = W1v.map((row) => row.reduce((s, w, j) => s + w * dPre1[j], 0));

      const sample = tensor([xv]);
      const W1 = variable(tensor(W1v), { name: 'W1' });
      const b1 = variable(tensor(b1v), { name: 'b1' });
      const W2 = variable(tensor(W2v), { name: 'W2' });
      const b2 = variable(tensor(b2v), { name: 'b2' });
      const target = tensor([tv]);
      const mlp = (x: Tensor) => {
        const hidden = nameScope('dense_1', () => relu(add(matmul(x, W1), b1)));
        const out = nameScope('dense_2', () => add(matmul(hidden, W2), b2));
        return sum(square(sub(out, target)));
      };
      const trace = await traceGraph(mlp, sample);
      close(trace.tensor('x')!.grad, dx);
      close(trace.tensor('W1')!.grad, dW1);
      close(trace.tensor('b1')!.grad, dPre1);
      close(trace.tensor('W2')!.grad, dW2);
      close(trace.tensor('b2')!.grad, dOut);
      close(outputOf(trace, 'relu').value, h);
      close(outputOf(trace, 'sum').value, [loss]);
      expect(trace.json.ops.filter((o) => o.scope === 'dense_1').map((o) => o.op)).to.deep.equal([
        'matmul',
        'add',
        'relu',
      ]);
      expect(trace.json.ops.filter((o) => o.scope === 'dense_2').map((o) => o.op)).to.deep.equal(['matmul', 'add']);
      // small: every op drawn, scopes as boxes; collapsed: one node per layer holding its weights
      const full = svgText(await trace.toSvg());
      expect(full).to.include('dense_1');
      expect(full.filter((t) => t === 'matmul').length).to.equal(2);
      const collapsed = svgText(await trace.toSvg({ collapse: true })).filter((t) => t.trim());
      const row = (i: number) => collapsed[i].trim();
      const at = collapsed.findIndex((t) => t.trim() === 'params: 16');
      expect([row(at + 1), row(at + 2), row(at + 3), row(at + 4)]).to.deep.equal([
        'W1 [3,4]',
        'b1 [4]',
        `‖∂ W1‖ ${formatNumber(Math.hypot(...dW1))}`,
        `‖∂ b1‖ ${formatNumber(Math.hypot(...dPre1))}`,
      ]);
      expect(collapsed.map((t) => t.trim()))
        .to.include('params: 10')
        .and.to.include('W2 [4,2]')
        .and.to.include('b2 [2]');
      expect(collapsed.filter((t) => t === 'matmul').length).to.equal(0);
      [sample, W1, b1, W2, b2, target].forEach((t) => t.dispose());
    });
  });
}

describe('traceGraph: scopes', () => {
  it('nested scopes join with /, and a graph of more than 40 ops collapses to one box per top-level scope by itself', async () => {
    const start = tensor([1, 2]);
    const chain = (x: Tensor) => {
      let h = x;
      for (let block = 0; block < 14; block++) {
        h = nameScope(`block_${block}`, () => {
          const inner = nameScope('inner', () => mul(h, 0.5));
          return add(relu(inner), 1);
        });
      }
      return sum(h);
    };
    const trace = await traceGraph(chain, start);
    expect(trace.json.ops.length).to.be.greaterThan(40);
    expect(trace.json.ops.slice(0, 3).map((o) => o.scope)).to.deep.equal(['block_0/inner', 'block_0', 'block_0']);
    const texts = svgText(await trace.toSvg()).map((t) => t.trim());
    expect(texts.filter((t) => /^block_\d+$/.test(t)).length, 'one box per block').to.equal(14);
    expect(texts).to.not.include('relu');
    const open = svgText(await trace.toSvg({ collapse: false })).map((t) => t.trim());
    expect(open.filter((t) => t === 'relu').length, 'every op when asked').to.equal(14);
    start.dispose();
  });
});

describe('traceGraph: bad input', () => {
  it('names what it expected', async () => {
    let message = '';
    await traceGraph(() => 3 as never).catch((e: Error) => (message = e.message));
    expect(message).to.equal('traceGraph: fn must return a Tensor, got number');
    await traceGraph((x) => x, 'x' as never).catch((e: Error) => (message = e.message));
    expect(message).to.equal('traceGraph: arguments must be Tensors, optionally followed by one options object');
  });
});

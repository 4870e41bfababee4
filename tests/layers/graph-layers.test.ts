// The graph layers: gcnConv, sageConv (mean and max), gatConv (two heads, concatenated or averaged) and
// globalPool on a hand-computed tiny graph (the path 0 — 1 — 2) on both backends; their gradients with
// respect to node features by checkGradients and with respect to every weight by central differences,
// in float64 on the CPU; their clear errors.
import { expect } from 'chai';
import {
  checkGradients,
  grad,
  makeTensor,
  mul,
  normalValues,
  sum,
  tensor,
  withBackend,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import { gatConv, gcnConv, globalPool, sageConv, type ListLayer } from '@webgrad/layers';
import { backendOf, BACKENDS, cpu, expectClose } from '../helpers.js';

const context = { training: false, seed: 0 };
const E = Math.E,
  r6 = 1 / Math.sqrt(6);

for (const name of BACKENDS) {
  describe(`graph layers by hand on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    const x = () =>
      run(() =>
        tensor([
          [1, 0],
          [0, 1],
          [1, 1],
        ]),
      );
    const edges = () => run(() => tensor([0, 1, 1, 2, 1, 0, 2, 1], [2, 4], 'int32'));
    /** Builds `layer` for 2 features, then sets its weights to `values` (in build order). */
    const withWeights = (layer: ListLayer, values: number[][]) =>
      run(() => {
        layer.build(
          [
            [3, 2],
            [2, 4],
          ],
          1,
        );
        layer.weights.forEach((w, i) => w.assign(tensor(values[i], w.shape)));
        return layer;
      });
    const forward = (layer: ListLayer) => run(() => layer.call([x(), edges()], context)).data();

    it('gcnConv propagates x·W through Â = D^(−1/2)(A + I)D^(−1/2) and adds the bias', async () => {
      const layer = withWeights(gcnConv({ units: 1 }), [[2, -1], [0.5]]);
      // x·W = [2, −1, 1]; Â as in graph.test.ts
      const expected = [1 - r6, 3 * r6 - 1 / 3, 0.5 - r6].map((v) => v + 0.5);
      expectClose(await forward(layer), expected, { rtol: 1e-6, atol: 1e-7 }, 'gcnConv');
    });

    it('sageConv adds x·W_self to the mean or max of the in-neighbours times W_neigh', async () => {
      // x·W_self picks feature 0, the neighbours' W_neigh feature 1
      const mean = withWeights(sageConv({ units: 1 }), [[1, 0], [0, 1], [0]]);
      expect(Array.from(await forward(mean))).to.deep.equal([2, 0.5, 2]);
      const max = withWeights(sageConv({ units: 1, aggregator: 'max' }), [[1, 0], [0, 1], [0]]);
      expect(Array.from(await forward(max))).to.deep.equal([2, 1, 2]);
    });

    it('gatConv attends over incoming edges (self-loops included) per head, concatenating or averaging', async () => {
      // W = I, so head 0 sees feature 0 and head 1 feature 1; only head 0's sources score (a_src = [1, 0])
      const weights = [
        [1, 0, 0, 1],
        [1, 0],
        [0, 0],
        [0, 0],
      ];
      const heads = [
        [E / (1 + E), 0.5],
        [(2 * E) / (2 * E + 1), 2 / 3],
        [E / (1 + E), 1],
      ];
      const concatenated = withWeights(gatConv({ units: 1, heads: 2 }), weights);
      expectClose(await forward(concatenated), heads.flat(), { rtol: 1e-6, atol: 1e-7 }, 'gatConv concat');
      const averaged = withWeights(gatConv({ units: 1, heads: 2, concatHeads: false }), [...weights.slice(0, 3), [0]]);
      expectClose(
        await forward(averaged),
        heads.map(([a, b]) => (a + b) / 2),
        { rtol: 1e-6, atol: 1e-7 },
        'gatConv mean',
      );
    });

    it('globalPool sums, averages or takes the max of node features per graph id', async () => {
      const nodes = run(() =>
        tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      );
      const ids = run(() => tensor([0, 1, 0], [3], 'int32'));
      const pool = (mode: 'sum' | 'mean' | 'max') =>
        globalPool({ mode, numGraphs: 2 }).call([nodes, ids], context).array();
      expect(await pool('sum')).to.deep.equal([
        [6, 8],
        [3, 4],
      ]);
      expect(await pool('mean')).to.deep.equal([
        [3, 4],
        [3, 4],
      ]);
      expect(await pool('max')).to.deep.equal([
        [5, 6],
        [3, 4],
      ]);
    });
  });
}

describe('graph layers: gradients in float64 on the CPU', () => {
  // a 5-node graph with a node of in-degree 3, a node no edge reaches and a repeated edge
  const edges = () => tensor([0, 1, 3, 3, 4, 4, 2, 2, 2, 1, 0, 0], [2, 6], 'int32');
  const features = () => tensor(normalValues(15, 3), [5, 3]);

  // float64 values as they are (tensor() rounds to float32, too coarse for central differences)
  const exact = (values: Float64Array, shape: Shape) =>
    makeTensor(cpu().write(values, shape, 'float32'), shape, 'float32', cpu());

  // the CPU's float64 values (data() gives float32)
  const float64 = async (t: Tensor) => Float64Array.from(await cpu().read(t.info('test')));

  /** d<u, layer(x)>/dw for every weight, autodiff against central differences on a few elements each. */
  async function checkWeights(layer: ListLayer): Promise<void> {
    const probe = layer.call([features(), edges()], context);
    const u = tensor(normalValues(probe.size, 9), probe.shape);
    const loss = () => sum(mul(layer.call([features(), edges()], context), u));
    const analytic = await Promise.all(grad(() => loss())(...layer.weights).map(float64));
    const eps = 1e-6;
    for (const [i, w] of layer.weights.entries()) {
      const base = await float64(w);
      for (let j = 0; j < Math.min(base.length, 8); j++) {
        const at = async (delta: number) => {
          w.assign(
            tensor(
              base.map((v, k) => (k === j ? v + delta : v)),
              w.shape,
            ),
          );
          return (await float64(loss()))[0];
        };
        const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        w.assign(exact(base, w.shape));
        expect(analytic[i][j], `${w.name}[${j}]`).to.be.closeTo(numeric, 1e-6 + 1e-5 * Math.abs(numeric));
      }
    }
  }

  const layers: [string, () => ListLayer][] = [
    ['gcnConv', () => gcnConv({ units: 2, biasInitializer: 'ones' })],
    ['sageConv mean', () => sageConv({ units: 2, activation: 'tanh' })],
    ['sageConv max', () => sageConv({ units: 2, aggregator: 'max' })],
    ['gatConv, 2 heads', () => gatConv({ units: 2, heads: 2 })],
    ['gatConv, averaged heads', () => gatConv({ units: 2, heads: 3, concatHeads: false, activation: 'elu' })],
  ];
  for (const [what, make] of layers) {
    it(`${what}: node features and weights`, async () => {
      await withBackend(cpu(), async () => {
        const layer = make();
        layer.build(
          [
            [5, 3],
            [2, 6],
          ],
          11,
        );
        await checkGradients((x: Tensor) => layer.call([x, edges()], context), [features()], {
          rtol: 1e-5,
          atol: 1e-7,
        });
        await checkWeights(layer);
      });
    });
  }

  it('globalPool: node features', async () => {
    const ids = tensor([1, 0, 1, 1, 0], [5], 'int32');
    for (const mode of ['sum', 'mean', 'max'] as const) {
      const pool = globalPool({ mode, numGraphs: 3 });
      await checkGradients((x: Tensor) => pool.call([x, ids], context), [features()]);
    }
  });
});

describe('graph layers: clear errors', () => {
  it('names the layer, the inputs and what was expected', () => {
    const layer = gcnConv({ units: 2 });
    layer.build(
      [
        [3, 2],
        [2, 1],
      ],
      0,
    );
    expect(() => layer.call([tensor([[1, 2]]), tensor([0, 0], [1, 2], 'int32')], context)).to.throw(
      'gcnConv: expected inputs [nodeFeatures [N, F], edgeIndex int32 [2, E]], got float32 [1,2], int32 [1,2]',
    );
    expect(() => sageConv({ units: 0 })).to.throw('sageConv: units must be a positive integer, got 0');
    expect(() => gatConv({ units: 1, heads: 1.5 })).to.throw('gatConv: heads must be a positive integer, got 1.5');
    expect(() => globalPool({ numGraphs: 0 })).to.throw('globalPool: numGraphs must be a positive integer, got 0');
    expect(() => globalPool({ numGraphs: 1 }).call([tensor([[1]]), tensor([0])], context)).to.throw(
      'globalPool: expected inputs [nodeFeatures [N, F], graphIds int32 [N]], got float32 [1,1], float32 [1]',
    );
  });
});

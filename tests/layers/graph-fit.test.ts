// Graph layers in fit: a functional model takes the edge index whole (input({batchShape: [2, null]}))
// and fit trains on the whole graph as one batch, with sampleWeight selecting the training nodes. Each
// fit step is checked against a hand-written step (the masked mean of the loss over the selected
// nodes, its gradients by grad, an SGD update); node and graph classification; sampleWeight in
// mini-batch fits against fitting the selected rows alone; save → load of every graph layer on the GPU
// with identical predictions; and the errors of data that cannot be split.
import { expect } from 'chai';
import { gather, grad, log, mean, mul, neg, oneHot, sum, tensor, tidy, withBackend, type Tensor } from '@webgrad/core';
import {
  dense,
  gatConv,
  gcnConv,
  globalPool,
  input,
  model,
  sageConv,
  sgd,
  type Model,
  type SymbolicTensor,
} from '@webgrad/layers';
import { cpu, expectClose, randomValues, useBackend } from '../helpers.js';
import { fitsAndRoundTrips } from './roundtrip.js';

const values = async (ts: readonly Tensor[]): Promise<number[][]> =>
  Promise.all(ts.map(async (t) => Array.from(await t.data())));

// 7 nodes: a triangle 0-1-2, a path 3-4-5, node 6 alone; both directions of each edge
const SOURCES = [0, 1, 1, 2, 2, 0, 3, 4, 4, 5];
const TARGETS = [1, 0, 2, 1, 0, 2, 4, 3, 5, 4];
const NODES = 7;
const LABELS = [0, 0, 0, 1, 1, 1, 0];
const MASK = [1, 0, 1, 0, 1, 0, 1];

const graphData = () => ({
  x: tensor(Float32Array.from(randomValues(NODES * 3, 'any', 5)), [NODES, 3]),
  edges: tensor([...SOURCES, ...TARGETS], [2, SOURCES.length], 'int32'),
  labels: tensor(LABELS, [NODES], 'int32'),
  mask: tensor(MASK, [NODES]),
});

/** Node classification: two graph convolutions of `kind` on [nodes, edges whole]. */
function nodeModel(kind: 'gcn' | 'sage' | 'gat', seed = 3): Model {
  const nodes = input({ shape: [3] });
  const edges = input({ batchShape: [2, null], dtype: 'int32' });
  const conv = (units: number, activation: 'tanh' | 'softmax') =>
    kind === 'gcn'
      ? gcnConv({ units, activation })
      : kind === 'sage'
        ? sageConv({ units, activation })
        : gatConv({ units, heads: 2, concatHeads: activation !== 'softmax', activation });
  const h = conv(4, 'tanh').apply([nodes, edges]) as SymbolicTensor;
  const out = conv(2, 'softmax').apply([h, edges]) as SymbolicTensor;
  return model({ inputs: [nodes, edges], outputs: out, seed });
}

/** −log p[i, label_i], averaged over the rows `selected` (the reference's own masking: a gather). */
const maskedCrossEntropy = (probs: Tensor, labels: number[], selected: number[], classes: number) => {
  const rows = tensor(selected, [selected.length], 'int32');
  const picked = sum(
    mul(
      gather(probs, rows),
      oneHot(
        tensor(
          selected.map((i) => labels[i]),
          [selected.length],
          'int32',
        ),
        classes,
      ),
    ),
    1,
  );
  return mean(neg(log(picked)));
};

describe('graph layers in fit (whole-graph training) on cpu', () => {
  const run = <T>(fn: () => T) => withBackend(cpu(), fn);

  for (const kind of ['gcn', 'sage', 'gat'] as const) {
    it(`${kind}: one fit step with a node mask is the hand-written masked step`, async () => {
      await run(async () => {
        const { x, edges, labels, mask } = graphData();
        const net = nodeModel(kind);
        const selected = MASK.flatMap((m, i) => (m ? [i] : []));
        const lossOf = () => maskedCrossEntropy(net.apply([x, edges]) as Tensor, LABELS, selected, 2);
        const expectedLoss = (await lossOf().data())[0];
        const weights = await values(net.trainableWeights);
        const grads = await values(grad(() => lossOf())(...net.trainableWeights));
        const expected = weights.map((w, i) => w.map((v, k) => v - 0.5 * grads[i][k]));
        net.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
        const history = await net.fit([x, edges], labels, { epochs: 1, sampleWeight: mask, verbose: 0 });
        expect(history.history.loss[0]).to.be.closeTo(expectedLoss, 1e-5);
        const after = await values(net.trainableWeights);
        after.forEach((w, i) => expectClose(w, expected[i], { rtol: 1e-4, atol: 1e-6 }, net.trainableWeights[i].name));
      });
    });
  }

  it('evaluate with sampleWeight averages the metrics over the selected nodes', async () => {
    await run(async () => {
      const { x, edges, labels } = graphData();
      const net = nodeModel('gcn');
      net.compile({ optimizer: sgd(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const probs = await (net.predict([x, edges]) as Tensor).array();
      const predicted = (probs as number[][]).map((p) => (p[1] > p[0] ? 1 : 0));
      for (const select of [MASK, MASK.map((m) => 1 - m)]) {
        const chosen = select.flatMap((m, i) => (m ? [i] : []));
        const accuracy = chosen.filter((i) => predicted[i] === LABELS[i]).length / chosen.length;
        const logs = await net.evaluate([x, edges], labels, { sampleWeight: tensor(select, [NODES]) });
        expect(logs.accuracy).to.be.closeTo(accuracy, 1e-6);
      }
    });
  });

  it('graph classification: batched graphs, globalPool by graph id, one label per graph', async () => {
    await run(async () => {
      // the triangle is graph 0, the path graph 1, the lone node graph 2
      const graphIds = tensor([0, 0, 0, 1, 1, 1, 2], [NODES], 'int32');
      const { x, edges } = graphData();
      const graphLabels = [1, 0, 1];
      const nodes = input({ shape: [3] });
      const edgeInput = input({ batchShape: [2, null], dtype: 'int32' });
      const ids = input({ shape: [], dtype: 'int32' });
      const h = gcnConv({ units: 4, activation: 'tanh' }).apply([nodes, edgeInput]) as SymbolicTensor;
      const pooled = globalPool({ numGraphs: 3, mode: 'mean' }).apply([h, ids]) as SymbolicTensor;
      const out = dense({ units: 2, activation: 'softmax' }).apply(pooled);
      const net = model({ inputs: [nodes, edgeInput, ids], outputs: out, seed: 4 });
      const lossOf = () => maskedCrossEntropy(net.apply([x, edges, graphIds]) as Tensor, graphLabels, [0, 1, 2], 2);
      const weights = await values(net.trainableWeights);
      const grads = await values(grad(() => lossOf())(...net.trainableWeights));
      const expected = weights.map((w, i) => w.map((v, k) => v - 0.3 * grads[i][k]));
      net.compile({ optimizer: sgd({ learningRate: 0.3 }), loss: 'sparseCategoricalCrossentropy' });
      await net.fit([x, edges, graphIds], tensor(graphLabels, [3], 'int32'), { epochs: 1, verbose: 0 });
      const after = await values(net.trainableWeights);
      after.forEach((w, i) => expectClose(w, expected[i], { rtol: 1e-4, atol: 1e-6 }, net.trainableWeights[i].name));
      expect((net.predict([x, edges, graphIds]) as Tensor).shape).to.deep.equal([3, 2]);
    });
  });

  it('sampleWeight in mini-batch fits: a 0/1 mask trains as the selected rows alone', async () => {
    await run(async () => {
      const n = 12;
      const xValues = Float32Array.from(randomValues(n * 3, 'any', 8));
      const yValues = Float32Array.from(randomValues(n, 'any', 9));
      const keep = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
      const kept = keep.flatMap((k, i) => (k ? [i] : []));
      const make = () => {
        const xIn = input({ shape: [3] });
        return model({ inputs: xIn, outputs: dense({ units: 1 }).apply(xIn), seed: 2 });
      };
      const masked = make(),
        alone = make();
      for (const net of [masked, alone]) net.compile({ optimizer: sgd({ learningRate: 0.2 }), loss: 'mse' });
      await masked.fit(tensor(xValues, [n, 3]), tensor(yValues, [n, 1]), {
        epochs: 3,
        batchSize: n,
        shuffle: false,
        sampleWeight: tensor(
          keep.map((k) => 3 * k),
          [n],
        ),
        verbose: 0,
      });
      const rows = (v: Float32Array, width: number) =>
        kept.flatMap((i) => Array.from(v.slice(i * width, (i + 1) * width)));
      await alone.fit(tensor(rows(xValues, 3), [kept.length, 3]), tensor(rows(yValues, 1), [kept.length, 1]), {
        epochs: 3,
        batchSize: n,
        verbose: 0,
      });
      const [a, b] = [await values(masked.trainableWeights), await values(alone.trainableWeights)];
      a.forEach((w, i) => expectClose(w, b[i], { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));
    });
  });

  it('refuses what would cut the graph, and bad sample weights, by name', async () => {
    await run(async () => {
      const { x, edges, labels, mask } = graphData();
      const net = nodeModel('gcn');
      net.compile({ optimizer: sgd(), loss: 'sparseCategoricalCrossentropy' });
      const fails = async (promise: Promise<unknown>, message: string) => {
        let error: unknown;
        await promise.catch((e: unknown) => (error = e));
        expect((error as Error | undefined)?.message).to.equal(message);
      };
      await fails(
        net.fit([x, edges], labels, { validationSplit: 0.2, verbose: 0 }),
        'fit: validationSplit cannot split the data: the model takes input 1 whole (declared with batchShape), so x ' +
          'and y are one batch; pass validationData [x, y, sampleWeight] (for a graph: the same graph with a mask of validation nodes)',
      );
      await fails(
        net.fit([x, edges], labels, { batchSize: 4, verbose: 0 }),
        'fit: batchSize 4 would split 7 samples: the model takes input 1 whole (declared with batchShape), so x and y ' +
          'are one batch; leave batchSize out (select training samples with sampleWeight)',
      );
      await fails(
        net.fit([x, edges], labels, { sampleWeight: tensor([1, 1], [2]), verbose: 0 }),
        'fit: sampleWeight must be float32 [7] (one weight per sample of y), got float32 [2]',
      );
      await fails(
        net.evaluate([x, edges], labels, { sampleWeight: tensor([0, 0, 0, 0, 0, 0, -1], [7]) }),
        'evaluate: sampleWeight must be finite and non-negative with a positive sum, got sum -1 and least weight -1',
      );
      await fails(
        net.fit([x, tensor([0, 1, 2], [3, 1], 'int32')], labels, { verbose: 0 }),
        "fit: input 'input_2' of shape [3,1] does not match its declared whole shape [2, any]".replace(
          'input_2',
          net.inputs[1].name,
        ),
      );
      expect(() => input({ batchShape: [] })).to.throw(
        'batchShape must be a non-empty list of positive integers or null (any length), got []',
      );
      expect(() => input({ shape: [2], batchShape: [2, null] })).to.throw(
        "give either shape (one sample's) or batchShape (the whole tensor's), not both",
      );
      // a whole-graph fit with its validation nodes
      const history = await net.fit([x, edges], labels, {
        epochs: 2,
        sampleWeight: mask,
        validationData: [
          [x, edges],
          labels,
          tidy(() =>
            tensor(
              MASK.map((m) => 1 - m),
              [NODES],
            ),
          ),
        ],
        verbose: 0,
      });
      expect(history.history.val_loss).to.have.length(2);
    });
  });
});

describe('graph layers in fit: save → load on webgpu', () => {
  useBackend('webgpu');

  it('whole-graph fits are bit-identical from run to run, with a hub holding half the edges', async () => {
    // 300 nodes, 4,000 edges: half of them into node 0, the rest at random (seeded)
    const n = 300,
      e = 4000;
    const draws = randomValues(2 * e, 'positive', 11);
    const sources = Array.from({ length: e }, (_, k) => Math.floor(draws[k] * 1e6) % n);
    const targets = Array.from({ length: e }, (_, k) => (k % 2 ? 0 : Math.floor(draws[e + k] * 1e6) % n));
    const x = tensor(Float32Array.from(randomValues(n * 3, 'any', 12)), [n, 3]);
    const edges = tensor([...sources, ...targets], [2, e], 'int32');
    const labels = tensor(
      Array.from({ length: n }, (_, i) => i % 2),
      [n],
      'int32',
    );
    const mask = tensor(
      Array.from({ length: n }, (_, i) => (i % 3 ? 1 : 0)),
      [n],
    );
    const trained = async (kind: 'gcn' | 'sage' | 'gat') => {
      const net = nodeModel(kind, 9);
      net.compile({ optimizer: sgd({ learningRate: 0.3 }), loss: 'sparseCategoricalCrossentropy' });
      await net.fit([x, edges], labels, { epochs: 3, sampleWeight: mask, verbose: 0 });
      return values(net.trainableWeights);
    };
    for (const kind of ['gcn', 'sage', 'gat'] as const) {
      const first = await trained(kind);
      for (let run = 0; run < 2; run++) expect(await trained(kind), kind).to.deep.equal(first);
    }
  });

  for (const kind of ['gcn', 'sage', 'gat'] as const) {
    it(`${kind}: a node-classification model round-trips with identical predictions`, async () => {
      await fitsAndRoundTrips(() => {
        const { x, edges } = graphData();
        return {
          net: nodeModel(kind),
          x: [x, edges],
          y: tensor(Float32Array.from(randomValues(NODES * 2, 'any', 1)), [NODES, 2]),
        };
      });
    });
  }

  it('a graph-classification model (globalPool) round-trips with identical predictions', async () => {
    await fitsAndRoundTrips(() => {
      const { x, edges } = graphData();
      const nodes = input({ shape: [3] });
      const edgeInput = input({ batchShape: [2, null], dtype: 'int32' });
      const ids = input({ shape: [], dtype: 'int32' });
      const h = sageConv({ units: 4, aggregator: 'max', activation: 'relu' }).apply([nodes, edgeInput]);
      const pooled = globalPool({ numGraphs: 2, mode: 'max' }).apply([h as SymbolicTensor, ids]);
      const net = model({
        inputs: [nodes, edgeInput, ids],
        outputs: dense({ units: 1 }).apply(pooled as SymbolicTensor),
      });
      return { net, x: [x, edges, tensor([0, 0, 0, 1, 1, 1, 1], [NODES], 'int32')], y: tensor([0.5, -1], [2, 1]) };
    });
  });
});

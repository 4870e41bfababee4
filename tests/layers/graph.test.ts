// Graph data: building a Graph and its errors, batching graphs into one with graph ids, and the GCN and
// mean normalisations with message passing, against hand computations on small graphs, on both backends.
import { expect } from 'chai';
import { tensor, withBackend } from '@webgrad/core';
import { addSelfLoops, batchGraphs, gcnNorm, graph, meanNorm, propagate } from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose } from '../helpers.js';

for (const name of BACKENDS) {
  describe(`graph data on ${name}`, () => {
    const run = <T>(fn: () => T) => withBackend(backendOf(name), fn);
    // the undirected path 0 — 1 — 2, each edge both ways
    const path = () =>
      run(() =>
        graph({
          nodeFeatures: tensor([[1], [2], [3]]),
          edgeIndex: [
            [0, 1, 1, 2],
            [1, 0, 2, 1],
          ],
        }),
      );

    it('builds a graph from arrays and batches graphs with shifted edges and graph ids', async () => {
      const a = path();
      expect([a.numNodes, a.numEdges, a.numGraphs]).to.deep.equal([3, 4, 1]);
      const b = run(() =>
        graph({
          nodeFeatures: tensor([[10], [20]]),
          edgeIndex: [[1], [0]],
          edgeFeatures: tensor([[7, 8]]),
        }),
      );
      const withEdgeFeatures = run(() => ({
        ...a,
        edgeFeatures: tensor([
          [1, 1],
          [2, 2],
          [3, 3],
          [4, 4],
        ]),
      }));
      const batch = run(() => batchGraphs([withEdgeFeatures, b, b]));
      expect([batch.numNodes, batch.numEdges, batch.numGraphs]).to.deep.equal([7, 6, 3]);
      expect(await batch.edgeIndex.array()).to.deep.equal([
        [0, 1, 1, 2, 4, 6],
        [1, 0, 2, 1, 3, 5],
      ]);
      expect(Array.from(await batch.graphIds.data())).to.deep.equal([0, 0, 0, 1, 1, 2, 2]);
      expect(await batch.nodeFeatures.array()).to.deep.equal([[1], [2], [3], [10], [20], [10], [20]]);
      expect(await batch.edgeFeatures!.array()).to.deep.equal([
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [7, 8],
        [7, 8],
      ]);
    });

    it('weights edges by the symmetric GCN normalisation with self-loops', async () => {
      const g = path();
      const norm = gcnNorm(g.edgeIndex, g.numNodes);
      // degrees with self-loops: 2, 3, 2; edge s → t weighs 1/√(deg s · deg t)
      expect(await norm.edgeIndex.array()).to.deep.equal([
        [0, 1, 1, 2, 0, 1, 2],
        [1, 0, 2, 1, 0, 1, 2],
      ]);
      const r6 = 1 / Math.sqrt(6);
      expectClose(await norm.weights.data(), [r6, r6, r6, r6, 1 / 2, 1 / 3, 1 / 2], { rtol: 1e-6 }, 'gcn weights');
      // Â·x for x = [1, 2, 3]
      expectClose(
        await propagate(g.nodeFeatures, norm, g.numNodes).data(),
        [1 / 2 + 2 * r6, r6 + 2 / 3 + 3 * r6, 2 * r6 + 3 / 2],
        { rtol: 1e-6 },
        'Â·x',
      );
    });

    it('takes edge weights, skips self-loops on request and gives a node no edge reaches no weight', async () => {
      // 0 → 1 (weight 2), 2 → 1 (weight 4), nothing reaches 0 or 2
      const edges = run(() => tensor([0, 2, 1, 1], [2, 2], 'int32'));
      const norm = gcnNorm(edges, 3, { selfLoops: false, edgeWeight: run(() => tensor([2, 4])) });
      // deg = [0, 6, 0]: a source no edge reaches gets scale 0
      expect(Array.from(await norm.weights.data())).to.deep.equal([0, 0]);
      const looped = gcnNorm(edges, 3, { edgeWeight: run(() => tensor([2, 4])) });
      // deg = [1, 7, 1]: 0 → 1 weighs 2/√7, 2 → 1 weighs 4/√7, loops 1, 1/7, 1
      expectClose(
        await looped.weights.data(),
        [2 / Math.sqrt(7), 4 / Math.sqrt(7), 1, 1 / 7, 1],
        { rtol: 1e-6 },
        'weighted',
      );
      expect(await addSelfLoops(edges, 2).array()).to.deep.equal([
        [0, 2, 0, 1],
        [1, 1, 0, 1],
      ]);
    });

    it('averages incoming messages with the mean normalisation', async () => {
      const g = path();
      const norm = meanNorm(g.edgeIndex, g.numNodes);
      // targets 1, 0, 2, 1: in-degrees 1, 2, 1
      expect(Array.from(await norm.weights.data())).to.deep.equal([0.5, 1, 1, 0.5]);
      // node 0 hears 2; node 1 hears 1 and 3; node 2 hears 2
      expect(await propagate(g.nodeFeatures, norm, g.numNodes).array()).to.deep.equal([[2], [2], [2]]);
    });
  });
}

describe('graph data: clear errors', () => {
  it('names the bad edge, the shapes and what was expected', () => {
    const x = tensor([[1], [2]]);
    expect(() =>
      graph({
        nodeFeatures: x,
        edgeIndex: [
          [0, 2],
          [1, 0],
        ],
      }),
    ).to.throw('graph: edge 1 has source 2, outside the 2 nodes [0, 2)');
    expect(() => graph({ nodeFeatures: x, edgeIndex: tensor([0, 1], [1, 2], 'int32') })).to.throw(
      'graph: edgeIndex must be int32 [2, numEdges], got int32 [1,2]',
    );
    expect(() => graph({ nodeFeatures: tensor([1, 2]), edgeIndex: [[], []] })).to.throw(
      'graph: nodeFeatures must be float32 [numNodes, features], got float32 [2]',
    );
    expect(() => graph({ nodeFeatures: x, edgeIndex: [[0], [1]], edgeFeatures: tensor([[1], [2]]) })).to.throw(
      'graph: edgeFeatures must be [numEdges, features] = [1, D], got [2,1]',
    );
    const plain = graph({ nodeFeatures: x, edgeIndex: [[0], [1]] });
    const featured = graph({ nodeFeatures: x, edgeIndex: [[0], [1]], edgeFeatures: tensor([[1]]) });
    expect(() => batchGraphs([plain, featured])).to.throw(
      'batchGraphs: 1 of 2 graphs have edge features; all or none must',
    );
  });
});

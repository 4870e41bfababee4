// The graph lab (examples/gcn.mjs) on the CPU reference: the karate-club fixture against the counts
// the literature gives (34 members, 78 friendships, each member's degree, 17 members a faction); the
// karate lab's accuracy on the 32 unlabelled members with one labelled member per faction; and the
// block-model and shape labs at a small size, each against what its data allows without the graph.
import { expect } from 'chai';
import { setBackend } from '@webgrad/core';
import { blockModelLab, karateLab, shapesLab } from '../../examples/gcn.mjs';
import { stochasticBlockModel } from '../../examples/graph-data.mjs';
import { KARATE_EDGES, KARATE_FACTIONS, KARATE_NODES, karateEdgeIndex } from '../../examples/karate.mjs';

// Zachary (1977), as every copy of the data set gives them: the members' degrees in order
const DEGREES = [
  16, 9, 10, 6, 3, 4, 4, 4, 5, 2, 3, 1, 2, 5, 2, 2, 2, 2, 2, 3, 2, 2, 2, 5, 3, 3, 2, 4, 3, 4, 4, 6, 12, 17,
];

describe('the graph lab, on the CPU reference', () => {
  before(() => setBackend('cpu'));

  it("the karate fixture: 34 members, 78 distinct friendships, the literature's degrees, 17 + 17 factions", () => {
    expect(KARATE_NODES).to.equal(34);
    expect(KARATE_EDGES).to.have.length(78);
    expect(new Set(KARATE_EDGES.map(([a, b]: number[]) => `${a}-${b}`)).size).to.equal(78);
    expect(KARATE_EDGES.every(([a, b]: number[]) => a < b && b < 34)).to.equal(true);
    const degree = new Array(34).fill(0);
    for (const [a, b] of KARATE_EDGES) {
      degree[a]++;
      degree[b]++;
    }
    expect(degree).to.deep.equal(DEGREES);
    expect(KARATE_FACTIONS.filter((f: number) => f === 0)).to.have.length(17);
    expect([KARATE_FACTIONS[0], KARATE_FACTIONS[33], KARATE_FACTIONS[8], KARATE_FACTIONS[9]]).to.deep.equal([
      0, 1, 0, 1,
    ]);
    const [sources, targets] = karateEdgeIndex();
    expect(sources).to.have.length(156);
    expect(sources.slice(78)).to.deep.equal(targets.slice(0, 78));
  });

  it('karate: ≥ 95% of the 32 unlabelled members placed in their faction from one labelled member each', async () => {
    const lab = await karateLab({ epochs: 300 });
    expect(lab.unlabelled).to.equal(32);
    expect(lab.accuracy).to.be.at.least(0.95);
    expect(lab.wrong.length).to.be.at.most(1);
    expect(lab.svg).to.match(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(lab.svg.match(/<circle class="c[01]/g)).to.have.length(4 * 34 + 2); // 4 snapshots and the legend
    expect(lab.svg).to.contain('after epoch 300');
  });

  it('block model: the GCN beats the best guess from the features alone on the test nodes', async () => {
    const options = { nodes: 300, edges: 3000, train: 40, validation: 60, seed: 3 };
    const lab = await blockModelLab({ ...options, variants: ['gcn', 'sage'], epochs: 40 });
    const featuresOnly = nearestCentreAccuracy(stochasticBlockModel(options));
    for (const r of lab.results) {
      expect(r.testAccuracy, r.variant).to.be.greaterThan(featuresOnly + 0.05);
    }
  });

  it('shapes: cycles, trees and cliques told apart on held-out graphs', async () => {
    const lab = await shapesLab({ count: 90, heldOut: 30, epochs: 60 });
    expect(lab.testGraphs).to.equal(30);
    expect(lab.testAccuracy).to.be.at.least(0.8); // chance: 1 in 3
  });
});

/** Test accuracy of the nearest training-class centre in feature space (no graph). */
function nearestCentreAccuracy(g: ReturnType<typeof stochasticBlockModel>): number {
  const { features, classes, x, labels, trainMask, testMask } = g;
  const centres = Array.from({ length: classes }, () => new Float64Array(features));
  const counts = new Array(classes).fill(0);
  for (let i = 0; i < g.nodes; i++) {
    if (!trainMask[i]) continue;
    counts[labels[i]]++;
    for (let f = 0; f < features; f++) centres[labels[i]][f] += x[i * features + f];
  }
  centres.forEach((c, k) => c.forEach((_, f) => (c[f] /= Math.max(1, counts[k]))));
  let right = 0,
    total = 0;
  for (let i = 0; i < g.nodes; i++) {
    if (!testMask[i]) continue;
    const distance = (k: number) => centres[k].reduce((s, v, f) => s + (x[i * features + f] - v) ** 2, 0);
    const best = [...Array(classes).keys()].reduce((a, b) => (distance(b) < distance(a) ? b : a));
    right += best === labels[i] ? 1 : 0;
    total++;
  }
  return right / total;
}

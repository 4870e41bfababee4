// The graph lab, three parts. Karate: Zachary's karate club (karate.mjs) with one labelled member per
// faction, a 3-layer GCN whose last graph layer is a 2-D embedding, trained on the whole graph with a
// sampleWeight mask of the two labelled members; scored on the other 32, with the embedding drawn as
// training proceeds. Block model: a 20,000-node stochastic-block-model graph (graph-data.mjs) with noisy
// features, node classification by GCN, GraphSAGE and GAT from 400 labelled nodes, validated and
// tested on node splits. Shapes: graph classification of cycles, trees and cliques, each set of small
// graphs batched into one disjoint graph with a graph id per node and pooled by graph.
//   npm run demo -- --model gcn [--parts karate,sbm,shapes] [--variants gcn,sage,gat] [--epochs N]
//                  [--nodes 20000] [--edges 200000] [--seed 1] [--out out/gcn] [--backend webgpu]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { currentBackend, setBackend, tensor } from '@webgrad/core';
import '@webgrad/webgpu';
import {
  adam,
  batchGraphs,
  dense,
  dropout,
  gatConv,
  gcnConv,
  globalPool,
  graph,
  input,
  model,
  sageConv,
} from '@webgrad/layers';
import { smallGraphs, SHAPES, stochasticBlockModel } from './graph-data.mjs';
import { embeddingPanelsSvg } from './graph-plot.mjs';
import { KARATE_EDGES, KARATE_FACTIONS, KARATE_LEADERS, KARATE_NODES, karateEdgeIndex } from './karate.mjs';

/** The inputs every node model takes: node features and the edge index, passed whole. */
function graphInputs(features, name) {
  const nodes = input({ shape: [features], name: `${name}_nodes` });
  const edges = input({ batchShape: [2, null], dtype: 'int32', name: `${name}_edges` });
  return [nodes, edges];
}

/** Kipf & Welling's karate model: GCN 34 → 4 → 4 → 2 (tanh; the last is the embedding), then a classifier. */
export function karateModel({ seed = 1 } = {}) {
  const [nodes, edges] = graphInputs(KARATE_NODES, 'karate');
  let h = gcnConv({ units: 4, activation: 'tanh', name: 'karate_gcn1' }).apply([nodes, edges]);
  h = gcnConv({ units: 4, activation: 'tanh', name: 'karate_gcn2' }).apply([h, edges]);
  const embedding = gcnConv({ units: 2, activation: 'tanh', name: 'karate_embedding' }).apply([h, edges]);
  const faction = dense({ units: 2, activation: 'softmax', name: 'karate_faction' }).apply(embedding);
  const net = model({ inputs: [nodes, edges], outputs: faction, name: 'karate_gcn', seed });
  const encoder = model({ inputs: [nodes, edges], outputs: embedding, name: 'karate_encoder' });
  return { net, encoder };
}

/**
 * Semi-supervised karate: one-hot member features, only Mr. Hi (0) and the officer (33) labelled.
 * Returns the accuracy on the other 32 members, the misclassified ones and the embedding figure.
 */
export async function karateLab({ epochs = 300, learningRate = 0.01, seed = 1, verbose = 0 } = {}) {
  const x = tensor(
    Float32Array.from({ length: KARATE_NODES ** 2 }, (_, k) => (k % (KARATE_NODES + 1) === 0 ? 1 : 0)),
    [KARATE_NODES, KARATE_NODES],
  );
  const [sources, targets] = karateEdgeIndex();
  const edges = tensor([...sources, ...targets], [2, sources.length], 'int32');
  const labels = tensor(KARATE_FACTIONS, [KARATE_NODES], 'int32');
  const labelled = Array.from({ length: KARATE_NODES }, (_, i) => (KARATE_LEADERS.includes(i) ? 1 : 0));
  const { net, encoder } = karateModel({ seed });
  net.compile({ optimizer: adam({ learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const at = new Set([0, 10, 40, epochs]);
  const snapshots = [];
  const snapshot = async (epoch) => {
    const points = await encoder.predict([x, edges]).data();
    snapshots.push({ title: epoch === 0 ? 'before training' : `after epoch ${epoch}`, points });
  };
  await snapshot(0);
  const history = await net.fit([x, edges], labels, {
    epochs,
    sampleWeight: tensor(labelled, [KARATE_NODES]),
    verbose,
    callbacks: [{ onEpochEnd: async (epoch) => (at.has(epoch + 1) ? snapshot(epoch + 1) : undefined) }],
  });
  const unlabelled = tensor(
    labelled.map((l) => 1 - l),
    [KARATE_NODES],
  );
  const { accuracy } = await net.evaluate([x, edges], labels, { sampleWeight: unlabelled });
  const probabilities = await net.predict([x, edges]).array();
  const wrong = probabilities.flatMap((p, i) => ((p[1] > p[0] ? 1 : 0) !== KARATE_FACTIONS[i] ? [i] : []));
  const svg = embeddingPanelsSvg(snapshots, {
    edges: KARATE_EDGES,
    classes: KARATE_FACTIONS,
    labelled: KARATE_LEADERS,
    classNames: ["Mr. Hi's faction", "the officer's faction"],
    title: "Zachary's karate club: the GCN's 2-D embedding (last graph layer) as training proceeds",
  });
  return { accuracy, wrong, loss: history.history.loss.at(-1), svg, unlabelled: KARATE_NODES - 2 };
}

/** A two-layer node classifier of `variant` on `features` inputs: 'gcn', 'sage' or 'gat'. */
export function blockModelNet(variant, { features, classes, hidden = 32, seed = 1 }) {
  const [nodes, edges] = graphInputs(features, `sbm_${variant}`);
  const layers = {
    gcn: () => [gcnConv({ units: hidden, activation: 'relu' }), gcnConv({ units: classes, activation: 'softmax' })],
    sage: () => [sageConv({ units: hidden, activation: 'relu' }), sageConv({ units: classes, activation: 'softmax' })],
    gat: () => [
      gatConv({ units: hidden / 4, heads: 4, activation: 'elu' }),
      gatConv({ units: classes, heads: 1, activation: 'softmax' }),
    ],
  }[variant];
  if (!layers) throw new Error(`blockModelNet: variant must be gcn, sage or gat, got '${variant}'`);
  const [first, second] = layers();
  const h = dropout({ rate: 0.5 }).apply(first.apply([nodes, edges]));
  const out = second.apply([h, edges]);
  return model({ inputs: [nodes, edges], outputs: out, name: `sbm_${variant}`, seed });
}

/** The block-model graph as tensors: x, edges, labels and the three node masks. */
export function blockModelTensors(options) {
  const g = stochasticBlockModel(options);
  const edgeIndex = new Int32Array(2 * g.sources.length);
  edgeIndex.set(g.sources, 0);
  edgeIndex.set(g.targets, g.sources.length);
  return {
    spec: g,
    x: tensor(g.x, [g.nodes, g.features]),
    edges: tensor(edgeIndex, [2, g.sources.length], 'int32'),
    labels: tensor(g.labels, [g.nodes], 'int32'),
    trainMask: tensor(g.trainMask, [g.nodes]),
    validationMask: tensor(g.validationMask, [g.nodes]),
    testMask: tensor(g.testMask, [g.nodes]),
  };
}

/**
 * Node classification on the block-model graph: each variant trains `epochs` epochs on the training
 * nodes (validated on the validation nodes) and is scored on the test nodes.
 */
export async function blockModelLab({
  variants = ['gcn', 'sage', 'gat'],
  epochs = 20,
  nodes = 20_000,
  edges = 200_000,
  train = 400,
  validation = 1000,
  learningRate = 0.01,
  seed = 1,
  verbose = 0,
} = {}) {
  const data = blockModelTensors({ nodes, edges, train, validation, seed });
  const { spec } = data;
  const results = [];
  for (const variant of variants) {
    const net = blockModelNet(variant, { features: spec.features, classes: spec.classes, seed });
    net.compile({ optimizer: adam({ learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    if (verbose) console.log(`${variant}: ${nodes} nodes, ${edges} edges, ${spec.classes} classes`);
    const started = performance.now();
    const history = await net.fit([data.x, data.edges], data.labels, {
      epochs,
      sampleWeight: data.trainMask,
      validationData: [[data.x, data.edges], data.labels, data.validationMask],
      verbose,
    });
    const seconds = (performance.now() - started) / 1000;
    const test = await net.evaluate([data.x, data.edges], data.labels, { sampleWeight: data.testMask });
    results.push({
      variant,
      testAccuracy: test.accuracy,
      validationAccuracy: history.history.val_accuracy.at(-1),
      secondsPerEpoch: seconds / epochs,
    });
  }
  return { results, nodes, edges: spec.sources.length, classes: spec.classes, epochs };
}

/** Graphs as one disjoint graph, with their labels. */
function batched(graphs) {
  const one = graphs.map((g) =>
    graph({ nodeFeatures: tensor(g.features, [g.nodes, 2]), edgeIndex: [g.sources, g.targets] }),
  );
  const all = batchGraphs(one);
  return {
    all,
    labels: tensor(
      graphs.map((g) => g.label),
      [graphs.length],
      'int32',
    ),
  };
}

/**
 * Graph classification: cycles, trees and cliques of 4–12 nodes; two GCN layers, mean pooling by
 * graph, a dense head. The training graphs are one batch; the held-out ones another, scored by a model
 * sharing the trained layers with a pooling sized for them.
 */
export async function shapesLab({
  count = 600,
  heldOut = 150,
  epochs = 150,
  learningRate = 0.01,
  seed = 2,
  verbose = 0,
} = {}) {
  const graphs = smallGraphs({ count, seed });
  const train = batched(graphs.slice(heldOut)),
    test = batched(graphs.slice(0, heldOut));
  const shared = [
    gcnConv({ units: 32, activation: 'relu', name: 'shapes_gcn1' }),
    gcnConv({ units: 32, activation: 'relu', name: 'shapes_gcn2' }),
    dense({ units: 32, activation: 'relu', name: 'shapes_hidden' }),
    dense({ units: SHAPES.length, activation: 'softmax', name: 'shapes_class' }),
  ];
  const classifier = (numGraphs) => {
    const [nodes, edges] = graphInputs(2, `shapes_${numGraphs}`);
    const ids = input({ shape: [], dtype: 'int32', name: `shapes_${numGraphs}_graph_ids` });
    let h = shared[0].apply([nodes, edges]);
    h = shared[1].apply([h, edges]);
    const pooled = globalPool({ numGraphs, mode: 'mean' }).apply([h, ids]);
    const out = shared[3].apply(shared[2].apply(pooled));
    return model({ inputs: [nodes, edges, ids], outputs: out, seed });
  };
  const trainNet = classifier(count - heldOut),
    testNet = classifier(heldOut);
  const inputsOf = ({ all }) => [all.nodeFeatures, all.edgeIndex, all.graphIds];
  trainNet.compile({ optimizer: adam({ learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  testNet.compile({ optimizer: adam({ learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const history = await trainNet.fit(inputsOf(train), train.labels, { epochs, verbose });
  const scored = await testNet.evaluate(inputsOf(test), test.labels);
  return {
    trainAccuracy: history.history.accuracy.at(-1),
    testAccuracy: scored.accuracy,
    trainGraphs: count - heldOut,
    testGraphs: heldOut,
    trainNodes: train.all.numNodes,
  };
}

export async function main(argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      parts: { type: 'string', default: 'karate,sbm,shapes' },
      variants: { type: 'string', default: 'gcn,sage,gat' },
      epochs: { type: 'string' },
      nodes: { type: 'string', default: '20000' },
      edges: { type: 'string', default: '200000' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'out/gcn' },
      backend: { type: 'string', default: 'webgpu' },
      verbose: { type: 'string', default: '1' },
    },
  });
  const parts = flags.parts.split(',');
  const epochs = flags.epochs === undefined ? undefined : Number(flags.epochs);
  const seed = Number(flags.seed),
    verbose = Number(flags.verbose);
  await mkdir(flags.out, { recursive: true });
  await setBackend(flags.backend);
  console.log(`backend: ${currentBackend().describe()}`);
  const percent = (v) => `${(100 * v).toFixed(1)}%`;
  if (parts.includes('karate')) {
    const lab = await karateLab({ epochs: epochs ?? 300, seed });
    const file = join(flags.out, 'karate-embedding.svg');
    await writeFile(file, lab.svg);
    console.log(
      `karate club: ${percent(lab.accuracy)} of the ${lab.unlabelled} unlabelled members in the right faction ` +
        `(one labelled member per faction; misclassified: ${lab.wrong.length ? lab.wrong.join(', ') : 'none'}); ` +
        `embedding plot: ${file}`,
    );
  }
  if (parts.includes('sbm')) {
    const lab = await blockModelLab({
      variants: flags.variants.split(','),
      // 20 full-graph epochs: about a minute each for GAT on a software adapter
      epochs: epochs ?? 20,
      nodes: Number(flags.nodes),
      edges: Number(flags.edges),
      seed,
      verbose,
    });
    console.log(`block model: ${lab.nodes} nodes, ${lab.edges} edges, ${lab.classes} classes, ${lab.epochs} epochs`);
    for (const r of lab.results) {
      console.log(
        `  ${r.variant}: test accuracy ${percent(r.testAccuracy)} (validation ${percent(r.validationAccuracy)}), ` +
          `${(1000 * r.secondsPerEpoch).toFixed(0)} ms/epoch`,
      );
    }
  }
  if (parts.includes('shapes')) {
    const lab = await shapesLab({ epochs: epochs ?? 150, seed: seed + 1, verbose });
    console.log(
      `shapes (cycle / tree / clique): held-out accuracy ${percent(lab.testAccuracy)} on ${lab.testGraphs} graphs ` +
        `(training ${percent(lab.trainAccuracy)} on ${lab.trainGraphs} graphs, ${lab.trainNodes} nodes as one batch)`,
    );
  }
}

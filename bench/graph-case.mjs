// The graph case: a two-layer GCN (16 → 32 relu → 4 softmax) trained on the whole 20,000-node,
// 200,000-edge block-model graph of the graph lab (examples/graph-data.mjs), one step an epoch, and
// the two kernels its propagation is made of, a segment sum of 200,000 rows into 20,000 segments
// (unsorted ids) and a gather of 200,000 rows. webgrad trains through fit with its graph layers and a
// sampleWeight mask; TF.js 4.22 runs the same model written with its own ops (gather and
// unsortedSegmentSum, the normalised edge weights made once, as webgrad's layer caches them) under
// optimizer.minimize. Imports webgrad's packages or TF.js, and the lab's generator.
import { stochasticBlockModel } from '../examples/graph-data.mjs';

const NODES = 20_000,
  EDGES = 200_000,
  HIDDEN = 32;

/** Seconds of each of `runs` timed runs (a warm-up first, dropped) of `reps` calls of op, read once. */
async function timeOp(op, read, dispose, { reps = 5, runs = 4 } = {}) {
  const samples = [];
  for (let r = 0; r <= runs; r++) {
    const started = performance.now();
    let last;
    for (let i = 0; i < reps; i++) {
      if (last) dispose(last);
      last = op();
    }
    await read(last);
    dispose(last);
    if (r > 0) samples.push((performance.now() - started) / reps);
  }
  return samples;
}

async function webgradCase(g, { epochs, kernelRuns }) {
  const core = await import('@webgrad/core');
  const { adam, gcnConv, input, model } = await import('@webgrad/layers');
  const { tensor, segmentSum, gather, randomNormal, tidy } = core;
  const edgeIndex = new Int32Array(2 * EDGES);
  edgeIndex.set(g.sources, 0);
  edgeIndex.set(g.targets, EDGES);
  const x = tensor(g.x, [NODES, g.features]),
    edges = tensor(edgeIndex, [2, EDGES], 'int32'),
    labels = tensor(g.labels, [NODES], 'int32'),
    mask = tensor(g.trainMask, [NODES]);
  const nodes = input({ shape: [g.features] });
  const edgeInput = input({ batchShape: [2, null], dtype: 'int32' });
  const h = gcnConv({ units: HIDDEN, activation: 'relu' }).apply([nodes, edgeInput]);
  const out = gcnConv({ units: g.classes, activation: 'softmax' }).apply([h, edgeInput]);
  const net = model({ inputs: [nodes, edgeInput], outputs: out, seed: 1 });
  net.compile({
    optimizer: adam({ learningRate: 0.01 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  // one fit of 1 + epochs epochs (the first a warm-up), each epoch timed from the end of the one before
  const ends = [];
  const history = await net.fit([x, edges], labels, {
    epochs: epochs + 1,
    sampleWeight: mask,
    verbose: 0,
    callbacks: [{ onEpochEnd: () => void ends.push(performance.now()) }],
  });
  const epochSeconds = ends.slice(1).map((end, i) => (end - ends[i]) / 1000);
  const accuracy = history.history.accuracy.at(-1);
  const ids = tensor(g.targets, [EDGES], 'int32');
  const rows = randomNormal([EDGES, HIDDEN], 0, 1, { seed: 3 }),
    table = randomNormal([NODES, HIDDEN], 0, 1, { seed: 4 });
  const read = (t) => t.data(),
    dispose = (t) => t.dispose();
  const segment = await timeOp(() => tidy(() => segmentSum(rows, ids, NODES)), read, dispose, { runs: kernelRuns });
  const gathered = await timeOp(() => tidy(() => gather(table, ids)), read, dispose, { runs: kernelRuns });
  return { epochSeconds, accuracy, segment, gathered };
}

async function tfjsCase(g, { epochs, kernelRuns }) {
  const tf = await import('@tensorflow/tfjs');
  const x = tf.tensor(g.x, [NODES, g.features]);
  const sources = tf.tensor1d(g.sources, 'int32'),
    targets = tf.tensor1d(g.targets, 'int32');
  const onehot = tf.oneHot(tf.tensor1d(g.labels, 'int32'), g.classes);
  const mask = tf.tensor1d(g.trainMask);
  // Â = D^(−1/2)(A + I)D^(−1/2) as edge weights, made once (webgrad's layer caches the same per edge index)
  const loops = tf.range(0, NODES, 1, 'int32');
  const src = tf.concat([sources, loops]),
    dst = tf.concat([targets, loops]);
  const degree = tf.unsortedSegmentSum(tf.onesLike(dst).toFloat(), dst, NODES);
  const scale = tf.rsqrt(degree);
  const weights = tf.mul(tf.gather(scale, src), tf.gather(scale, dst)).reshape([-1, 1]);
  const propagate = (h) => tf.unsortedSegmentSum(tf.mul(tf.gather(h, src), weights), dst, NODES);
  const glorot = (shape, seed) =>
    tf.variable(tf.randomUniform(shape, -1, 1, 'float32', seed).mul(Math.sqrt(6 / (shape[0] + shape[1]))));
  const w1 = glorot([g.features, HIDDEN], 1),
    b1 = tf.variable(tf.zeros([HIDDEN])),
    w2 = glorot([HIDDEN, g.classes], 2),
    b2 = tf.variable(tf.zeros([g.classes]));
  const optimizer = tf.train.adam(0.01);
  const epochSeconds = [];
  let loss;
  for (let e = 0; e <= epochs; e++) {
    const started = performance.now();
    loss = optimizer.minimize(
      () => {
        const h = tf.relu(propagate(tf.matMul(x, w1)).add(b1));
        const logits = propagate(tf.matMul(h, w2)).add(b2);
        // the masked mean over the training nodes (SUM_BY_NONZERO_WEIGHTS), as webgrad's sampleWeight
        return tf.losses.softmaxCrossEntropy(onehot, logits, mask);
      },
      true,
      [w1, b1, w2, b2],
    );
    await loss.data();
    loss.dispose();
    if (e > 0) epochSeconds.push((performance.now() - started) / 1000);
  }
  const ids = targets;
  const rows = tf.randomNormal([EDGES, HIDDEN], 0, 1, 'float32', 3),
    table = tf.randomNormal([NODES, HIDDEN], 0, 1, 'float32', 4);
  const read = (t) => t.data(),
    dispose = (t) => t.dispose();
  const segment = await timeOp(() => tf.unsortedSegmentSum(rows, ids, NODES), read, dispose, { runs: kernelRuns });
  const gathered = await timeOp(() => tf.gather(table, ids), read, dispose, { runs: kernelRuns });
  return { epochSeconds, segment, gathered };
}

/** The graph case's rows for `framework` (webgrad or tfjs-webgpu), its backend already set by the adapter. */
export async function graphCase(framework, { epochs = 3, kernelRuns = 4 } = {}) {
  const g = stochasticBlockModel({ nodes: NODES, edges: EDGES, seed: 1 });
  const run = framework === 'webgrad' ? webgradCase : tfjsCase;
  const { epochSeconds, segment, gathered, accuracy } = await run(g, { epochs, kernelRuns });
  return {
    'gcn epoch': epochSeconds,
    'gcn nodes/s': epochSeconds.map((s) => NODES / s),
    'segment sum': segment,
    gather: gathered,
    ...(accuracy === undefined ? {} : { 'gcn train accuracy': [accuracy * 100] }),
  };
}

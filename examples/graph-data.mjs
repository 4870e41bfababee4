// Generated graphs for the graph labs and the bench, seeded and made in plain JavaScript: a
// stochastic-block-model graph (nodes in classes, edges mostly inside a class, features that are the
// class's centre under heavy noise) with train/validation/test node splits; and small graphs to tell
// apart by shape (cycles, trees, cliques) with their degrees as node features.

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
const normal = (random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/**
 * A stochastic-block-model graph: `nodes` nodes in `classes` equal classes; `edges` directed edges (both
 * directions of edges/2 undirected pairs, no self-loops), a fraction `inside` of them joining two
 * nodes of one class, the rest any two of different classes. Each node's features are its class's
 * centre (a random unit vector times `signal`) plus standard normal noise. The nodes are split at
 * random into `train` labelled ones, `validation` ones and the rest for test.
 */
export function stochasticBlockModel({
  nodes = 20_000,
  edges = 200_000,
  classes = 4,
  features = 16,
  inside = 0.8,
  signal = 1,
  train = 400,
  validation = 1000,
  seed = 1,
} = {}) {
  const random = seededRandom(seed);
  const labels = Int32Array.from({ length: nodes }, (_, i) => i % classes);
  const byClass = Array.from({ length: classes }, (_, k) => Array.from(labels).flatMap((c, i) => (c === k ? [i] : [])));
  const pick = (list) => list[Math.floor(random() * list.length)];
  const sources = new Int32Array(edges),
    targets = new Int32Array(edges);
  for (let e = 0; e < edges / 2; e++) {
    const a = Math.floor(random() * nodes);
    const within = random() < inside;
    let b;
    do {
      b = within ? pick(byClass[labels[a]]) : Math.floor(random() * nodes);
    } while (b === a || (!within && labels[b] === labels[a]));
    sources[2 * e] = a;
    targets[2 * e] = b;
    sources[2 * e + 1] = b;
    targets[2 * e + 1] = a;
  }
  const centres = Array.from({ length: classes }, () => {
    const v = Array.from({ length: features }, () => normal(random));
    const norm = Math.hypot(...v);
    return v.map((x) => (x / norm) * signal);
  });
  const x = new Float32Array(nodes * features);
  for (let i = 0; i < nodes; i++) {
    for (let f = 0; f < features; f++) x[i * features + f] = centres[labels[i]][f] + normal(random);
  }
  // a random order of the nodes: the first `train` are labelled, the next `validation` validate
  const order = Array.from({ length: nodes }, (_, i) => i);
  for (let i = nodes - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const mask = (from, to) => {
    const m = new Float32Array(nodes);
    for (const i of order.slice(from, to)) m[i] = 1;
    return m;
  };
  return {
    nodes,
    classes,
    features,
    x,
    sources,
    targets,
    labels,
    trainMask: mask(0, train),
    validationMask: mask(train, train + validation),
    testMask: mask(train + validation, nodes),
  };
}

/** The shapes the graph-classification lab tells apart, by class index. */
export const SHAPES = ['cycle', 'tree', 'clique'];

/** One small graph of a shape on n nodes, as undirected [a, b] pairs. */
function shapeEdges(shape, n, random) {
  const pairs = [];
  if (shape === 'cycle') for (let i = 0; i < n; i++) pairs.push([i, (i + 1) % n]);
  if (shape === 'tree') for (let i = 1; i < n; i++) pairs.push([Math.floor(random() * i), i]);
  if (shape === 'clique') for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
  return pairs;
}

/**
 * `count` small graphs of `minNodes`–`maxNodes` nodes, shapes in turn (cycle, tree, clique), each with
 * node features [1, degree / maxNodes] and both directions of each edge, in a shuffled order.
 */
export function smallGraphs({ count = 600, minNodes = 4, maxNodes = 12, seed = 2 } = {}) {
  const random = seededRandom(seed);
  const graphs = Array.from({ length: count }, (_, g) => {
    const label = g % SHAPES.length;
    const n = minNodes + Math.floor(random() * (maxNodes - minNodes + 1));
    const pairs = shapeEdges(SHAPES[label], n, random);
    const degree = new Array(n).fill(0);
    for (const [a, b] of pairs) {
      degree[a]++;
      degree[b]++;
    }
    return {
      label,
      nodes: n,
      features: degree.flatMap((d) => [1, d / maxNodes]),
      sources: [...pairs.map(([a]) => a), ...pairs.map(([, b]) => b)],
      targets: [...pairs.map(([, b]) => b), ...pairs.map(([a]) => a)],
    };
  });
  for (let i = graphs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [graphs[i], graphs[j]] = [graphs[j], graphs[i]];
  }
  return graphs;
}

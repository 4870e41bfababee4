// Graph data for graph neural networks: a Graph value (node features, an int32 edge index [2, E] whose
// row 0 holds sources and row 1 targets, optional edge features, and a graph id per node), batching
// many small graphs into one disjoint graph, and the edge weightings message passing uses: the
// symmetric GCN normalisation with self-loops and the mean over incoming edges. Everything runs on
// the segment ops of @webgrad/core, so it is deterministic on the GPU.
import {
  add,
  cast,
  concat,
  fill,
  gather,
  greater,
  maximum,
  mul,
  reshape,
  rsqrt,
  reciprocal,
  segmentSum,
  slice,
  tensor,
  tidy,
  keep,
  Variable,
  withBackend,
  type Tensor,
} from '@webgrad/core';

export interface Graph {
  /** float32 [numNodes, F]. */
  readonly nodeFeatures: Tensor;
  /** int32 [2, numEdges]: edge e carries a message from node edgeIndex[0, e] to node edgeIndex[1, e]. */
  readonly edgeIndex: Tensor;
  /** float32 [numEdges, D], when the edges carry features. */
  readonly edgeFeatures?: Tensor;
  /** int32 [numNodes]: the graph each node belongs to (all 0 for one graph). */
  readonly graphIds: Tensor;
  readonly numGraphs: number;
  readonly numNodes: number;
  readonly numEdges: number;
}

export interface GraphArgs {
  nodeFeatures: Tensor;
  /** int32 [2, E], or its two rows as arrays [sources, targets] (checked against the node count here). */
  edgeIndex: Tensor | readonly [readonly number[], readonly number[]];
  edgeFeatures?: Tensor;
}

const shapeOf = (t: Tensor) => `[${t.shape.join(',')}]`;

function edgeIndexTensor(edgeIndex: GraphArgs['edgeIndex'], numNodes: number, like: Tensor): Tensor {
  if (!Array.isArray(edgeIndex)) return edgeIndex as Tensor;
  const [sources, targets] = edgeIndex as readonly [readonly number[], readonly number[]];
  if (edgeIndex.length !== 2 || sources.length !== targets.length) {
    throw new Error(
      `graph: edgeIndex must be two rows [sources, targets] of equal length, got ${edgeIndex.length} rows ` +
        `of lengths ${edgeIndex.map((row) => row.length).join(', ')}`,
    );
  }
  [sources, targets].forEach((row, r) => {
    const bad = row.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v < numNodes));
    if (bad >= 0) {
      throw new Error(
        `graph: edge ${bad} has ${r === 0 ? 'source' : 'target'} ${row[bad]}, outside the ${numNodes} nodes [0, ${numNodes})`,
      );
    }
  });
  return withBackend(like.backend, () => tensor([...sources, ...targets], [2, sources.length], 'int32'));
}

/** A graph from its node features and edges (one graph: every graph id is 0). */
export function graph({ nodeFeatures, edgeIndex, edgeFeatures }: GraphArgs): Graph {
  if (nodeFeatures.rank !== 2 || nodeFeatures.dtype !== 'float32') {
    throw new Error(
      `graph: nodeFeatures must be float32 [numNodes, features], got ${nodeFeatures.dtype} ${shapeOf(nodeFeatures)}`,
    );
  }
  const numNodes = nodeFeatures.shape[0];
  const edges = edgeIndexTensor(edgeIndex, numNodes, nodeFeatures);
  if (edges.rank !== 2 || edges.shape[0] !== 2 || edges.dtype !== 'int32') {
    throw new Error(`graph: edgeIndex must be int32 [2, numEdges], got ${edges.dtype} ${shapeOf(edges)}`);
  }
  const numEdges = edges.shape[1];
  if (edgeFeatures && (edgeFeatures.rank !== 2 || edgeFeatures.shape[0] !== numEdges)) {
    throw new Error(
      `graph: edgeFeatures must be [numEdges, features] = [${numEdges}, D], got ${shapeOf(edgeFeatures)}`,
    );
  }
  const graphIds = withBackend(nodeFeatures.backend, () => fill([numNodes], 0, 'int32'));
  return { nodeFeatures, edgeIndex: edges, edgeFeatures, graphIds, numGraphs: 1, numNodes, numEdges };
}

// Offsets are added in float32, which holds every integer up to 2²⁴ exactly.
const MAX_BATCHED_NODES = 2 ** 24;

/**
 * Many graphs as one disjoint graph: node and edge features stacked, each graph's edge index shifted
 * by the nodes before it, and graph ids naming each node's graph (for pooling by graph).
 */
export function batchGraphs(graphs: readonly Graph[]): Graph {
  if (graphs.length === 0) throw new Error('batchGraphs: needs at least one graph');
  const withEdgeFeatures = graphs.filter((g) => g.edgeFeatures).length;
  if (withEdgeFeatures !== 0 && withEdgeFeatures !== graphs.length) {
    throw new Error(`batchGraphs: ${withEdgeFeatures} of ${graphs.length} graphs have edge features; all or none must`);
  }
  const numNodes = graphs.reduce((n, g) => n + g.numNodes, 0);
  if (numNodes > MAX_BATCHED_NODES) {
    throw new Error(`batchGraphs: ${numNodes} nodes in all, more than the ${MAX_BATCHED_NODES} a batch may hold`);
  }
  let offset = 0,
    graphOffset = 0;
  const edgeIndices: Tensor[] = [],
    graphIds: Tensor[] = [];
  for (const g of graphs) {
    edgeIndices.push(offset === 0 ? g.edgeIndex : cast(add(cast(g.edgeIndex, 'float32'), offset), 'int32'));
    graphIds.push(graphOffset === 0 ? g.graphIds : cast(add(cast(g.graphIds, 'float32'), graphOffset), 'int32'));
    offset += g.numNodes;
    graphOffset += g.numGraphs;
  }
  return {
    nodeFeatures: concat(
      graphs.map((g) => g.nodeFeatures),
      0,
    ),
    edgeIndex: concat(edgeIndices, 1),
    edgeFeatures: withEdgeFeatures
      ? concat(
          graphs.map((g) => g.edgeFeatures!),
          0,
        )
      : undefined,
    graphIds: concat(graphIds, 0),
    numGraphs: graphOffset,
    numNodes,
    numEdges: graphs.reduce((n, g) => n + g.numEdges, 0),
  };
}

/** Row 0 (sources) and row 1 (targets) of an edge index, each int32 [E]. */
export function edgeEnds(edgeIndex: Tensor): [Tensor, Tensor] {
  const e = edgeIndex.shape[1];
  return [reshape(slice(edgeIndex, [0, 0], [1, e]), [e]), reshape(slice(edgeIndex, [1, 0], [1, e]), [e])];
}

/** The edge index with one loop i → i per node appended. */
export function addSelfLoops(edgeIndex: Tensor, numNodes: number): Tensor {
  const nodes = Array.from({ length: numNodes }, (_, i) => i);
  const loops = withBackend(edgeIndex.backend, () => tensor([...nodes, ...nodes], [2, numNodes], 'int32'));
  return concat([edgeIndex, loops], 1);
}

/** Edges and one weight per edge: what message passing sums over. */
export interface WeightedEdges {
  readonly edgeIndex: Tensor;
  readonly weights: Tensor;
}

export interface NormOptions {
  /** Add a loop per node first (default true for gcnNorm). */
  selfLoops?: boolean;
  /** Weights of the given edges (default 1); self-loops get weight 1. */
  edgeWeight?: Tensor;
}

/** x^(−1/2) where x > 0, else 0 (a node no edge reaches gets no weight, as in PyG). */
const inverseSqrt = (x: Tensor) => mul(rsqrt(maximum(x, 1e-30)), greater(x, 0));

/**
 * The symmetric GCN normalisation (Kipf & Welling): Â = D^(−1/2) (A + I) D^(−1/2), each edge s → t
 * weighted w / √(deg(s)·deg(t)) with deg the weighted in-degree (self-loop included), as PyG's gcn_norm.
 */
export function gcnNorm(edgeIndex: Tensor, numNodes: number, options: NormOptions = {}): WeightedEdges {
  const { selfLoops = true } = options;
  const edges = selfLoops ? addSelfLoops(edgeIndex, numNodes) : edgeIndex;
  const ones = (n: number) => withBackend(edgeIndex.backend, () => fill([n], 1));
  let weights = options.edgeWeight ?? ones(edgeIndex.shape[1]);
  if (selfLoops) weights = concat([weights, ones(numNodes)], 0);
  const [sources, targets] = edgeEnds(edges);
  const scale = inverseSqrt(segmentSum(weights, targets, numNodes));
  return { edgeIndex: edges, weights: mul(mul(gather(scale, sources), weights), gather(scale, targets)) };
}

/** Each edge s → t weighted 1/in-degree(t), so summing messages averages them (GraphSAGE's mean). */
export function meanNorm(edgeIndex: Tensor, numNodes: number): WeightedEdges {
  const [, targets] = edgeEnds(edgeIndex);
  const ones = withBackend(edgeIndex.backend, () => fill([edgeIndex.shape[1]], 1));
  const degree = segmentSum(ones, targets, numNodes);
  return { edgeIndex, weights: gather(reciprocal(maximum(degree, 1)), targets) };
}

/** Message passing: out[t] = Σ over edges s → t of weight · x[s] ([numNodes, F]; 0 where no edge arrives). */
export function propagate(x: Tensor, { edgeIndex, weights }: WeightedEdges, numNodes: number): Tensor {
  const [sources, targets] = edgeEnds(edgeIndex);
  const messages = mul(gather(x, sources), reshape(weights, [weights.size, 1]));
  return segmentSum(messages, targets, numNodes);
}

// Tensors derived from an edge index, by what they are: a graph layer sees the same edge index every
// step of a fit, and remaking them would redo their segment sums (a sort each) every step. An edge
// index is immutable (a Variable is never cached), so they never go stale; they are kept outside any
// tidy for as long as the edge index lives, and freed with it by the garbage collector's safety net.
const derived = new WeakMap<Tensor, Map<string, Tensor[]>>();

/** make()'s tensors, made once per edge index and `key` (the node count and options that shape them). */
export function derivedFromEdges(edgeIndex: Tensor, key: string, make: () => Tensor[]): Tensor[] {
  if (edgeIndex instanceof Variable) return make();
  let entries = derived.get(edgeIndex);
  if (!entries) derived.set(edgeIndex, (entries = new Map()));
  const found = entries.get(key);
  if (found && found.every((t) => !t.isDisposed)) return found;
  const made = withBackend(edgeIndex.backend, () => tidy(make)).map((t) => keep(t));
  entries.set(key, made);
  return made;
}

/** gcnNorm of an edge index without edge weights, made once per edge index. */
export function cachedGcnNorm(edgeIndex: Tensor, numNodes: number, selfLoops: boolean): WeightedEdges {
  const [edges, weights] = derivedFromEdges(edgeIndex, `gcnNorm ${numNodes} ${selfLoops}`, () => {
    const norm = gcnNorm(edgeIndex, numNodes, { selfLoops });
    return [norm.edgeIndex, norm.weights];
  });
  return { edgeIndex: edges, weights };
}

/** The sources and targets of an edge index (with a loop per node added first if asked), made once. */
export function cachedEdgeEnds(edgeIndex: Tensor, numNodes: number, selfLoops = false): [Tensor, Tensor] {
  const [sources, targets] = derivedFromEdges(edgeIndex, `ends ${selfLoops ? numNodes : ''}`, () =>
    edgeEnds(selfLoops ? addSelfLoops(edgeIndex, numNodes) : edgeIndex),
  );
  return [sources, targets];
}

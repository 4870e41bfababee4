// Graph layers: gcnConv (Kipf & Welling), sageConv (GraphSAGE, mean or max aggregator), gatConv (graph
// attention, multi-head, softmax over each node's incoming edges) and globalPool (sum/mean/max of node
// features by graph id). Each takes an array input, [nodeFeatures [N, F], edgeIndex int32 [2, E]] or
// for pooling [nodeFeatures, graphIds int32 [N]]: list layers (call gets Tensor[], computeOutputShape
// gets Shape[]). Messages flow along edges from edgeIndex[0] to edgeIndex[1] and are summed with the
// deterministic segment ops. Their first axis is the graph's nodes, not a batch of samples.
import {
  add,
  gather,
  leakyRelu,
  matmul,
  mean,
  mul,
  reshape,
  segmentMax,
  segmentMean,
  segmentSoftmax,
  segmentSum,
  sum,
  type Shape,
  type Tensor,
  type Variable,
} from '@webgrad/core';
import { getActivation, type Activation, type ActivationName } from '../activations.js';
import { cachedEdgeEnds, cachedGcnNorm } from '../graph.js';
import type { Initializer, InitializerName } from '../initializers.js';
import { describeInit, makeWeight, uniqueName, type BaseLayerOptions, type ListLayer } from '../layer.js';
import { defineListLayer } from '../symbolic.js';

export interface GraphConvOptions extends BaseLayerOptions {
  units: number;
  activation?: ActivationName | Activation;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
}

/** The two inputs of a convolution, checked: float32 features [N, F] and an int32 edge index [2, E]. */
function convInputs(layer: string, inputs: Tensor[]): [Tensor, Tensor] {
  const [x, edgeIndex] = inputs;
  if (
    inputs.length !== 2 ||
    x.rank !== 2 ||
    edgeIndex.rank !== 2 ||
    edgeIndex.shape[0] !== 2 ||
    edgeIndex.dtype !== 'int32'
  ) {
    throw new Error(
      `${layer}: expected inputs [nodeFeatures [N, F], edgeIndex int32 [2, E]], got ` +
        inputs.map((t) => `${t.dtype} [${t.shape.join(',')}]`).join(', '),
    );
  }
  return [x, edgeIndex];
}

function checkUnits(layer: string, units: number): void {
  if (!Number.isInteger(units) || units < 1) {
    throw new Error(`${layer}: units must be a positive integer, got ${units}`);
  }
}

/** The settings every convolution saves. */
const convConfig = (o: GraphConvOptions, activation: Activation) => ({
  units: o.units,
  activation: activation.name,
  useBias: o.useBias ?? true,
  kernelInitializer: describeInit(o.kernelInitializer ?? 'glorotUniform'),
  biasInitializer: describeInit(o.biasInitializer ?? 'zeros'),
});

/** A layer's weights by name, made in build from (name, shape, initializer) triples. */
function weightSet(layer: ListLayer, specs: [string, Shape, InitializerName | Initializer][], seed: number) {
  const made = specs.map(([name, shape, init], i) => makeWeight(`${layer.name}/${name}`, shape, init, seed + i));
  layer.weights.push(...made);
  return made;
}

export interface GcnConvOptions extends GraphConvOptions {
  /** Add a loop per node before normalising (default true). */
  addSelfLoops?: boolean;
}

/** act(Â·x·W + b) with Â = D^(−1/2)(A + I)D^(−1/2), the GCN propagation rule. */
export function gcnConv(options: GcnConvOptions): ListLayer {
  const { units, useBias = true, addSelfLoops: selfLoops = true } = options;
  checkUnits('gcnConv', units);
  const activation = getActivation(options.activation);
  let kernel: Variable | undefined, bias: Variable | undefined;
  const layer: ListLayer = defineListLayer({
    className: 'GCNConv',
    name: options.name ?? uniqueName('gcn_conv'),
    weights: [],
    get built() {
      return kernel !== undefined;
    },
    build(shapes, seed) {
      const inputDim = shapes[0][shapes[0].length - 1];
      [kernel, bias] = weightSet(
        layer,
        [
          ['kernel', [inputDim, units], options.kernelInitializer ?? 'glorotUniform'],
          ...(useBias
            ? [['bias', [units], options.biasInitializer ?? 'zeros'] as [string, Shape, InitializerName]]
            : []),
        ],
        seed,
      );
    },
    computeOutputShape: (shapes) => [...shapes[0].slice(0, -1), units],
    call(inputs) {
      const [x, edgeIndex] = convInputs('gcnConv', inputs);
      const n = x.shape[0];
      // the normalised edges and their ends depend on the edge index alone: made once per edge index
      const norm = cachedGcnNorm(edgeIndex, n, selfLoops);
      const [sources, targets] = cachedEdgeEnds(norm.edgeIndex, n);
      const messages = mul(gather(matmul(x, kernel!), sources), reshape(norm.weights, [sources.size, 1]));
      const h = segmentSum(messages, targets, n);
      return activation.apply(bias ? add(h, bias) : h);
    },
    getConfig: () => ({ ...convConfig(options, activation), addSelfLoops: selfLoops }),
  });
  return layer;
}

export interface SageConvOptions extends GraphConvOptions {
  /** How a node combines its in-neighbours' features: their mean (default) or elementwise max. */
  aggregator?: 'mean' | 'max';
}

/** GraphSAGE: act(x·W_self + agg_{s → t}(x[s])·W_neigh + b), agg the mean or max over incoming edges. */
export function sageConv(options: SageConvOptions): ListLayer {
  const { units, useBias = true, aggregator = 'mean' } = options;
  checkUnits('sageConv', units);
  if (aggregator !== 'mean' && aggregator !== 'max') {
    throw new Error(`sageConv: aggregator must be 'mean' or 'max', got '${aggregator as string}'`);
  }
  const activation = getActivation(options.activation);
  let selfKernel: Variable | undefined, neighbourKernel: Variable | undefined, bias: Variable | undefined;
  const layer: ListLayer = defineListLayer({
    className: 'SAGEConv',
    name: options.name ?? uniqueName('sage_conv'),
    weights: [],
    get built() {
      return selfKernel !== undefined;
    },
    build(shapes, seed) {
      const inputDim = shapes[0][shapes[0].length - 1];
      const init = options.kernelInitializer ?? 'glorotUniform';
      [selfKernel, neighbourKernel, bias] = weightSet(
        layer,
        [
          ['kernel', [inputDim, units], init],
          ['neighbour_kernel', [inputDim, units], init],
          ...(useBias
            ? [['bias', [units], options.biasInitializer ?? 'zeros'] as [string, Shape, InitializerName]]
            : []),
        ],
        seed,
      );
    },
    computeOutputShape: (shapes) => [...shapes[0].slice(0, -1), units],
    call(inputs) {
      const [x, edgeIndex] = convInputs('sageConv', inputs);
      const [sources, targets] = cachedEdgeEnds(edgeIndex, x.shape[0]);
      const reduce = aggregator === 'mean' ? segmentMean : segmentMax;
      const heard = reduce(gather(x, sources), targets, x.shape[0]);
      const h = add(matmul(x, selfKernel!), matmul(heard, neighbourKernel!));
      return activation.apply(bias ? add(h, bias) : h);
    },
    getConfig: () => ({ ...convConfig(options, activation), aggregator }),
  });
  return layer;
}

export interface GatConvOptions extends GraphConvOptions {
  /** Attention heads (default 1); `units` is per head. */
  heads?: number;
  /** Concatenate the heads' outputs ([N, heads·units], default) or average them ([N, units]). */
  concatHeads?: boolean;
  /** The slope of the leaky ReLU on attention logits (default 0.2). */
  negativeSlope?: number;
  addSelfLoops?: boolean;
}

/**
 * Graph attention (Veličković et al.): per head, h = x·W, e_{s→t} = leakyRelu(a_src·h_s + a_dst·h_t),
 * α = softmax of e over each target's incoming edges, out_t = Σ α_{s→t} h_s; heads concatenated or averaged.
 */
export function gatConv(options: GatConvOptions): ListLayer {
  const { units, useBias = true, heads = 1, concatHeads = true, negativeSlope = 0.2 } = options;
  const selfLoops = options.addSelfLoops ?? true;
  checkUnits('gatConv', units);
  if (!Number.isInteger(heads) || heads < 1) throw new Error(`gatConv: heads must be a positive integer, got ${heads}`);
  const activation = getActivation(options.activation);
  const width = concatHeads ? heads * units : units;
  let kernel: Variable | undefined,
    attendSource: Variable | undefined,
    attendTarget: Variable | undefined,
    bias: Variable | undefined;
  const layer: ListLayer = defineListLayer({
    className: 'GATConv',
    name: options.name ?? uniqueName('gat_conv'),
    weights: [],
    get built() {
      return kernel !== undefined;
    },
    build(shapes, seed) {
      const inputDim = shapes[0][shapes[0].length - 1];
      const init = options.kernelInitializer ?? 'glorotUniform';
      [kernel, attendSource, attendTarget, bias] = weightSet(
        layer,
        [
          ['kernel', [inputDim, heads * units], init],
          ['attention_source', [heads, units], init],
          ['attention_target', [heads, units], init],
          ...(useBias
            ? [['bias', [width], options.biasInitializer ?? 'zeros'] as [string, Shape, InitializerName]]
            : []),
        ],
        seed,
      );
    },
    computeOutputShape: (shapes) => [...shapes[0].slice(0, -1), width],
    call(inputs) {
      const [x, given] = convInputs('gatConv', inputs);
      const n = x.shape[0];
      const [sources, targets] = cachedEdgeEnds(given, n, selfLoops);
      const h = reshape(matmul(x, kernel!), [n, heads, units]);
      // each node's score as a source and as a target, per head: [N, heads]
      const asSource = sum(mul(h, attendSource!), 2),
        asTarget = sum(mul(h, attendTarget!), 2);
      const logits = leakyRelu(add(gather(asSource, sources), gather(asTarget, targets)), negativeSlope);
      const attention = segmentSoftmax(logits, targets, n);
      const messages = mul(gather(h, sources), reshape(attention, [attention.shape[0], heads, 1]));
      const heard = segmentSum(messages, targets, n);
      const out = concatHeads ? reshape(heard, [n, heads * units]) : mean(heard, 1);
      return activation.apply(bias ? add(out, bias) : out);
    },
    getConfig: () => ({
      ...convConfig(options, activation),
      heads,
      concatHeads,
      negativeSlope,
      addSelfLoops: selfLoops,
    }),
  });
  return layer;
}

export interface GlobalPoolOptions extends BaseLayerOptions {
  /** How each graph's node features combine (default 'mean'). */
  mode?: 'sum' | 'mean' | 'max';
  /** Graphs per batch: the rows of the output (graph ids must lie in [0, numGraphs)). */
  numGraphs: number;
}

const POOLS = { sum: segmentSum, mean: segmentMean, max: segmentMax } as const;

/** Node features [N, F] pooled per graph id ([nodeFeatures, graphIds] in): [numGraphs, F]. */
export function globalPool(options: GlobalPoolOptions): ListLayer {
  const { mode = 'mean', numGraphs } = options;
  if (!(mode in POOLS)) throw new Error(`globalPool: mode must be 'sum', 'mean' or 'max', got '${mode as string}'`);
  if (!Number.isInteger(numGraphs) || numGraphs < 1) {
    throw new Error(`globalPool: numGraphs must be a positive integer, got ${numGraphs}`);
  }
  return defineListLayer({
    className: 'GlobalGraphPooling',
    name: options.name ?? uniqueName('global_pool'),
    weights: [],
    built: true,
    build: () => {},
    // one row per graph: the rows are not the nodes' (fit takes such data whole, see input's batchShape)
    computeOutputShape: (shapes) => shapes[0],
    call(inputs) {
      const [x, graphIds] = inputs;
      if (inputs.length !== 2 || graphIds.dtype !== 'int32' || graphIds.rank !== 1) {
        throw new Error(
          `globalPool: expected inputs [nodeFeatures [N, F], graphIds int32 [N]], got ` +
            inputs.map((t) => `${t.dtype} [${t.shape.join(',')}]`).join(', '),
        );
      }
      return POOLS[mode](x, graphIds, numGraphs);
    },
    getConfig: () => ({ mode, numGraphs }),
  });
}

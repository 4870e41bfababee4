// @webgrad/core: the public API. Tensors, ops, autodiff, memory scopes, backends, the RNG and the
// numeric gradient check. Importing it registers the CPU reference backend as 'cpu' (the default).
import { CpuBackend } from './cpu/backend.js';
import { registerBackend } from './engine.js';

registerBackend('cpu', () => new CpuBackend());

export type { DType, Shape, TypedArray } from './dtype.js';
export { broadcastShapes, broadcastStrides, fmt as formatShape, sameShape, sizeOf, stridesOf } from './dtype.js';
export { Tensor, type NestedArray } from './tensor.js';
export * from './backend.js';
export { CpuBackend } from './cpu/backend.js';
export {
  currentBackend,
  findBackend,
  getBackend,
  keep,
  makeTensor,
  memory,
  type MemoryInfo,
  registerBackend,
  runOp,
  setBackend,
  tidy,
  withBackend,
  type GradRule,
  type OpDef,
  type OutputSpec,
  type TensorContainer,
} from './engine.js';
export { grad, valueAndGrad, type ValueAndGrads } from './autodiff.js';
export { checkGradients, type GradCheckOptions, type GradCheckResult } from './gradcheck.js';
export {
  bernoulliValues,
  categoricalValues,
  normalValues,
  philox4x32,
  seedKey,
  shuffledIndices,
  toUnit,
  uniformValues,
} from './rng.js';
export { Optimizer, Variable, variable, type OptimizerOptions } from './optim.js';

export { fill, ones, onesLike, scalar, tensor, zeros, zerosLike, type TensorLike } from './ops/creation.js';
export {
  abs,
  add,
  div,
  elu,
  equal,
  exp,
  gelu,
  greater,
  greaterEqual,
  isFinite,
  leakyRelu,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  rsqrt,
  selu,
  sigmoid,
  softplus,
  sqrt,
  square,
  sub,
  tanh,
  where,
} from './ops/elementwise.js';
export {
  argmax,
  globalNorm,
  max,
  mean,
  min,
  sum,
  summaryStats,
  type SummaryOptions,
  type SummaryRun,
  SUMMARY_MAX_INPUTS,
  SUMMARY_FIELDS,
  SUMMARY_MAX_BINS,
} from './ops/reduce.js';
export {
  huber,
  logSoftmax,
  meanAbsoluteError,
  meanSquaredError,
  sigmoidBinaryCrossEntropy,
  softmax,
  softmaxCrossEntropy,
} from './ops/loss.js';
export { fusedMatmul, matmul, type FusedMatmulArgs } from './ops/matmul.js';
export {
  avgPool2d,
  conv1d,
  conv2d,
  conv2dTranspose,
  maxPool2d,
  translate,
  type Conv1DArgs,
  type Conv2DArgs,
  type Conv2DTransposeArgs,
  type Padding,
} from './ops/conv.js';
export { broadcastTo, cast, concat, gather, oneHot, pad, reshape, slice, transpose } from './ops/movement.js';
export {
  bernoulli,
  multinomial,
  randomNormal,
  randomUniform,
  type MultinomialOptions,
  type RandomOptions,
} from './ops/random.js';
export {
  gatherNd,
  scatterAdd,
  scatterNd,
  segmentMax,
  segmentMean,
  segmentMin,
  segmentSoftmax,
  segmentSum,
  sparseMatmul,
  type CsrMatrix,
  type SegmentOptions,
} from './ops/segment.js';

export { recurrentSequence, type RecurrentSequenceArgs, type RecurrentSequenceResult } from './ops/recurrent.js';

import type { ReduceOp, UnaryOp } from './backend.js';
import type { OpDef } from './engine.js';
import { convOps } from './ops/conv.js';
import { creationOps } from './ops/creation.js';
import { binaryOps, parameterisedOps, unaryOps, whereOp, type ElementwiseBinaryOp } from './ops/elementwise.js';
import { matmulOps } from './ops/matmul.js';
import { lossOps } from './ops/loss.js';
import { movementOps } from './ops/movement.js';
import { randomOps } from './ops/random.js';
import { recurrentOps } from './ops/recurrent.js';
import { reduceOps } from './ops/reduce.js';
import { segmentOps } from './ops/segment.js';

/**
 * Every public op's name: the unary, binary and reduce ops by the Backend contract's unions, the other
 * families by their tables. Ops that only a backward rule runs (reluGrad, conv2dInputGrad, ...) are not
 * here: the specs of the ops whose gradients they are cover them.
 */
export type OpName =
  | keyof typeof creationOps
  | UnaryOp
  | ElementwiseBinaryOp
  | 'where'
  | ReduceOp
  | 'argmax'
  | 'summaryStats'
  | keyof typeof matmulOps
  | keyof typeof movementOps
  | keyof typeof lossOps
  | keyof typeof randomOps
  | keyof typeof convOps
  | keyof typeof segmentOps
  | keyof typeof recurrentOps;

/** Every op's definition by name; the test suite's spec table is keyed by the same names. */
export const opTable = {
  ...creationOps,
  ...unaryOps,
  ...parameterisedOps,
  ...binaryOps,
  where: whereOp,
  ...reduceOps,
  ...matmulOps,
  ...movementOps,
  ...lossOps,
  ...randomOps,
  ...convOps,
  ...segmentOps,
  ...recurrentOps,
} as const satisfies { readonly [K in OpName]: OpDef<never> };
export const OP_NAMES = Object.keys(opTable) as OpName[];
export { forgetBackend } from './engine.js';
export { asyncScopesIsolated, tidyAsync } from './scope.js';
export {
  checkNumerics,
  checkingNumerics,
  debugHooksActive,
  NonFiniteError,
  takeNumericsFinding,
  watchTensors,
  type LiveTensor,
  type NumericsFinding,
  type TensorWatch,
} from './debug.js';
export {
  formatNumber,
  nameScope,
  traceGraph,
  TraceGraph,
  type DotOptions,
  type TracedEdge,
  type TracedOp,
  type TracedTensor,
  type TraceJson,
  type TraceOptions,
} from './trace.js';
export { dotToSvg, svgText } from './graphviz.js';

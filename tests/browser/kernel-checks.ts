// The page script of tests/browser/kernels.html: the GPU kernel suite's small cases, run in the browser
// on navigator.gpu against the CPU reference, through the same harness as tests/backend (compareBackends
// of @webgrad/core/testing: forward and L = <u, f(x)> gradients, GPU outputs poisoned with NaN first).
// Bundled by scripts/build-web.mjs with @webgrad/* left to the page's import map (the library build).
// Exposes window.runKernelChecks() for tests/browser/demo.test.ts.
import {
  add,
  avgPool2d,
  concat,
  conv2d,
  div,
  exp,
  fusedMatmul,
  gather,
  log,
  logSoftmax,
  matmul,
  max,
  maxPool2d,
  mean,
  mul,
  relu,
  setBackend,
  sigmoid,
  softmax,
  softmaxCrossEntropy,
  sum,
  tanh,
  transpose,
  type Shape,
} from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';
import { compareBackends, type Spec } from '@webgrad/core/testing';

const unary: Shape[][] = [[[1]], [[7, 13]], [[1031]]];
const binary: Shape[][] = [
  [[7, 13], [13]],
  [
    [3, 1, 5],
    [1, 4, 1],
  ],
];
const loose = { rtol: 1e-4, atol: 1e-3 };

// One or two cases per kernel family: the ops a training step of the demo's MLP and CNN runs.
const specs: Spec[] = [
  { name: 'add', fn: add, cases: binary, domains: ['any', 'any'] },
  { name: 'mul', fn: mul, cases: binary, domains: ['any', 'any'] },
  { name: 'div', fn: div, cases: binary, domains: ['any', 'nonzero'] },
  { name: 'exp', fn: exp, cases: unary, domains: ['any'] },
  { name: 'log', fn: log, cases: unary, domains: ['positive'] },
  { name: 'relu', fn: relu, cases: unary, domains: ['nonzero'] },
  { name: 'sigmoid', fn: sigmoid, cases: unary, domains: ['any'] },
  { name: 'tanh', fn: tanh, cases: unary, domains: ['any'] },
  {
    name: 'sum axis 1',
    fn: (x) => sum(x, 1),
    cases: [[[3, 5, 7]], [[2, 1031]]],
    domains: ['any'],
    tolerance: { rtol: 1e-4, atol: 1e-3 },
  },
  {
    name: 'mean axis 0',
    fn: (x) => mean(x, 0),
    cases: [[[5, 3]], [[131, 7]]],
    domains: ['any'],
    tolerance: { rtol: 1e-4, atol: 1e-5 },
  },
  { name: 'max axis 1 keepDims', fn: (x) => max(x, 1, true), cases: [[[3, 5]], [[2, 1031]]], domains: ['any'] },
  {
    name: 'matmul',
    fn: (a, b) => matmul(a, b),
    cases: [
      [
        [3, 4],
        [4, 5],
      ],
      [
        [67, 131],
        [131, 71],
      ],
      [
        [2, 5, 3],
        [3, 7],
      ],
    ],
    domains: ['any', 'any'],
    tolerance: loose,
  },
  {
    name: 'matmul transposeB',
    fn: (a, b) => matmul(a, b, false, true),
    cases: [
      [
        [3, 4],
        [5, 4],
      ],
      [
        [67, 131],
        [71, 131],
      ],
    ],
    domains: ['any', 'any'],
    tolerance: loose,
  },
  {
    name: 'fusedMatmul + bias + relu',
    fn: (a, b, bias) => fusedMatmul({ a, b, bias, activation: 'relu' }),
    domains: ['any', 'any', 'nonzero'],
    cases: [
      [[3, 4], [4, 5], [5]],
      [[67, 131], [131, 71], [71]],
    ],
    tolerance: loose,
  },
  { name: 'softmax', fn: softmax, cases: [[[3, 7]], [[2, 1031]]], domains: ['any'] },
  { name: 'logSoftmax', fn: logSoftmax, cases: [[[3, 7]], [[5, 10]]], domains: ['any'] },
  {
    name: 'softmaxCrossEntropy (int32 labels)',
    fn: softmaxCrossEntropy,
    cases: [
      [[6, 10], [6]],
      [[67, 10], [67]],
    ],
    domains: ['any', 'any'],
    integerInputs: { 1: 10 },
  },
  { name: 'transpose', fn: (x) => transpose(x), cases: [[[3, 5]], [[67, 131]]], domains: ['any'] },
  {
    name: 'concat axis 1',
    fn: (a, b) => concat([a, b], 1),
    cases: [
      [
        [2, 3],
        [2, 1],
      ],
      [
        [3, 7],
        [3, 13],
      ],
    ],
    domains: ['any', 'any'],
  },
  {
    name: 'gather axis 0',
    fn: (x, i) => gather(x, i, 0),
    cases: [
      [[5, 3], [4]],
      [[131, 7], [67]],
    ],
    domains: ['any', 'any'],
    integerInputs: { 1: 5 },
  },
  {
    name: 'conv2d + bias + relu, same',
    fn: (x, f, b) => conv2d(x, f, { bias: b, activation: 'relu', padding: 'same' }),
    domains: ['any', 'any', 'nonzero'],
    cases: [
      [[1, 5, 5, 1], [3, 3, 1, 2], [2]],
      [[2, 7, 9, 3], [3, 3, 3, 5], [5]],
    ],
    tolerance: { rtol: 1e-4, atol: 1e-4 },
  },
  { name: 'maxPool2d 2×2', fn: (x) => maxPool2d(x), cases: [[[1, 4, 4, 1]], [[2, 7, 9, 3]]], domains: ['any'] },
  { name: 'avgPool2d 2×2', fn: (x) => avgPool2d(x), cases: [[[1, 4, 4, 1]], [[2, 7, 9, 3]]], domains: ['any'] },
];

export interface CheckResult {
  name: string;
  shapes: string;
  ok: boolean;
  error?: string;
}

async function runKernelChecks(): Promise<{
  adapter: string;
  results: CheckResult[];
  startMs: number;
  gemmSource: string;
}> {
  // the page's first setBackend('webgpu') in a fresh profile: the adapter, the device, and the GEMM choice
  const started = performance.now();
  const gpu = await setBackend('webgpu');
  const startMs = performance.now() - started;
  if (!(gpu instanceof WebGPUBackend)) throw new Error('the webgpu backend did not initialise');
  gpu.poisonOutputs = true; // unwritten output elements read NaN and fail the comparison
  await setBackend('cpu');
  const results: CheckResult[] = [];
  for (const spec of specs) {
    for (const [c, shapes] of spec.cases.entries()) {
      const label = shapes.map((s) => `[${s.join(',')}]`).join(' ');
      try {
        await compareBackends(spec, shapes, 1000 + c, gpu);
        results.push({ name: spec.name, shapes: label, ok: true });
      } catch (error) {
        results.push({ name: spec.name, shapes: label, ok: false, error: (error as Error).message });
      }
    }
  }
  return { adapter: gpu.describe(), results, startMs, gemmSource: gpu.matmulKernelSource };
}

(globalThis as { runKernelChecks?: typeof runKernelChecks }).runKernelChecks = runKernelChecks;

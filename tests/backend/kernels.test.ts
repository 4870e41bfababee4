// Every kernel of the Backend contract, from one spec table: forward on the GPU against the CPU
// reference (outputs poisoned with NaN first, see setup.ts), backward by checkGradients on the CPU
// in float64, and GPU backward against CPU backward. Shapes are awkward on purpose: 1, primes,
// non-multiples of the 256-wide workgroups and 64-wide matmul tiles, broadcasts, and large sizes.
import { expect } from 'chai';
import { add, broadcastTo, div, exp, fusedMatmul, log, matmul, mean, mul, neg, relu, sigmoid, sub, sum, tanh, type Shape } from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';
import { gpu } from '../helpers.js';
import { describeSpecs, type Spec } from '../kernel-spec.js';

const binaryCases: Shape[][] = [[[1], [1]], [[7, 13], [13]], [[3, 1, 5], [1, 4, 1]], [[2, 3], []], [[1031], [1031]]];
const unaryCases: Shape[][] = [[[1]], [[7, 13]], [[2, 3, 5]], [[1031]]];
const largeBinary: Shape[][] = [[[1024, 1031], [1031]]]; // 1,055,744 elements, b broadcast along axis 0
const largeUnary: Shape[][] = [[[1024, 1031]]];

const specs: Spec[] = [
  { name: 'add', fn: add, cases: binaryCases, domains: ['any', 'any'], large: largeBinary },
  { name: 'sub', fn: sub, cases: binaryCases, domains: ['any', 'any'], large: largeBinary },
  { name: 'mul', fn: mul, cases: binaryCases, domains: ['any', 'any'], large: largeBinary },
  { name: 'div', fn: div, cases: binaryCases, domains: ['any', 'nonzero'], large: largeBinary },
  { name: 'neg', fn: neg, cases: unaryCases, domains: ['any'], large: largeUnary },
  { name: 'exp', fn: exp, cases: unaryCases, domains: ['any'], large: largeUnary },
  { name: 'log', fn: log, cases: unaryCases, domains: ['positive'], large: largeUnary },
  { name: 'relu', fn: relu, cases: unaryCases, domains: ['nonzero'], large: largeUnary },
  { name: 'sigmoid', fn: sigmoid, cases: unaryCases, domains: ['any'], large: largeUnary },
  { name: 'tanh', fn: tanh, cases: unaryCases, domains: ['any'], large: largeUnary },
  { name: 'broadcastTo [1,5]->[3,4,5]', fn: (x) => broadcastTo(x, [3, 4, 5]), cases: [[[1, 5]], [[5]]], domains: ['any'] },
  { name: 'sum (all axes)', fn: (x) => sum(x), cases: [[[7]], [[3, 5, 7]], [[1]]], domains: ['any'], large: [[[1024, 1031]]], tolerance: { rtol: 1e-4, atol: 1e-2 } },
  { name: 'sum axis 1', fn: (x) => sum(x, 1), cases: [[[3, 5, 7]], [[2, 1031]]], domains: ['any'], large: [[[67, 16411]]], tolerance: { rtol: 1e-4, atol: 1e-3 } },
  { name: 'sum axes [0, 2] keepDims', fn: (x) => sum(x, [0, 2], true), cases: [[[3, 5, 7]], [[1, 1, 1]]], domains: ['any'], tolerance: { rtol: 1e-5, atol: 1e-5 } },
  { name: 'mean axis 0', fn: (x) => mean(x, 0), cases: [[[5, 3]], [[131, 7]]], domains: ['any'], large: [[[1031, 1024]]], tolerance: { rtol: 1e-4, atol: 1e-5 } },
  { name: 'mean axis -1', fn: (x) => mean(x, -1), cases: [[[3, 5]], [[2, 3, 257]]], domains: ['any'], tolerance: { rtol: 1e-5, atol: 1e-5 } },
  {
    name: 'matmul', fn: (a, b) => matmul(a, b), domains: ['any', 'any'],
    cases: [[[3, 4], [4, 5]], [[1, 1], [1, 1]], [[67, 131], [131, 71]], [[2, 5, 3], [3, 7]], [[2, 3, 4], [2, 4, 5]], [[3, 1, 2, 3], [2, 3, 4]]],
    large: [[[512, 512], [512, 512]], [[521, 509], [509, 523]]], tolerance: { rtol: 1e-4, atol: 1e-3 },
  },
  {
    name: 'matmul transposeA', fn: (a, b) => matmul(a, b, true, false), domains: ['any', 'any'],
    cases: [[[4, 3], [4, 5]], [[131, 67], [131, 71]], [[2, 3, 5], [3, 4]]], large: [[[512, 512], [512, 512]]], tolerance: { rtol: 1e-4, atol: 1e-3 },
  },
  {
    name: 'matmul transposeB', fn: (a, b) => matmul(a, b, false, true), domains: ['any', 'any'],
    cases: [[[3, 4], [5, 4]], [[67, 131], [71, 131]], [[2, 5, 3], [2, 7, 3]]], large: [[[512, 512], [512, 512]]], tolerance: { rtol: 1e-4, atol: 1e-3 },
  },
  {
    name: 'matmul transposeA transposeB', fn: (a, b) => matmul(a, b, true, true), domains: ['any', 'any'],
    cases: [[[4, 3], [5, 4]], [[131, 67], [71, 131]]], tolerance: { rtol: 1e-4, atol: 1e-3 },
  },
  ...(['linear', 'relu', 'sigmoid', 'tanh'] as const).map((activation): Spec => ({
    name: `fusedMatmul + bias + ${activation}`, fn: (a, b, bias) => fusedMatmul({ a, b, bias, activation }), domains: ['any', 'any', 'nonzero'],
    cases: [[[3, 4], [4, 5], [5]], [[67, 131], [131, 71], [71]], [[2, 5, 3], [3, 7], [7]]], large: [[[512, 512], [512, 512], [512]]],
    tolerance: { rtol: 1e-4, atol: 1e-3 },
  })),
  {
    name: 'fusedMatmul transposeB, no bias, relu', fn: (a, b) => fusedMatmul({ a, b, transposeB: true, activation: 'relu' }), domains: ['any', 'any'],
    cases: [[[3, 4], [5, 4]], [[67, 131], [71, 131]]], tolerance: { rtol: 1e-4, atol: 1e-3 },
  },
];

describeSpecs('kernels: GPU against the CPU reference, gradients checked numerically', specs);

describe('kernel harness', () => {
  it('poisoned outputs expose elements a kernel did not write', async () => {
    const backend = gpu() as WebGPUBackend;
    const out = backend.allocateOutput([8]);
    backend.commands.dispatch({ kernel: 'fill', inputs: [], outputs: [out.buffer], params: { size: 4, value: 0x40000000 }, grid: [1, 1, 1] });
    const data = await backend.read({ storage: out, shape: [8], dtype: 'float32' });
    backend.dispose(out);
    expect(Array.from(data.slice(0, 4))).to.deep.equal([2, 2, 2, 2]);
    expect(Array.from(data.slice(4)).every(Number.isNaN)).to.equal(true);
  });

  // tsc rejects both calls (the dispatch lacks binary's params and OP override; unary has no OP_CUBE):
  // the registry's run-time checks are the backstop for what the types cannot see
  it('rejects a dispatch whose buffers do not match the kernel bindings, naming the kernel', () => {
    const backend = gpu() as WebGPUBackend;
    // @ts-expect-error -- binary's params and its OP override are missing
    expect(() => backend.commands.dispatch({ kernel: 'binary', inputs: [], outputs: [], params: {}, grid: [1, 1, 1] }))
      .to.throw(/kernel binary: expects inputs \(a, b\) and outputs \(out\)/);
    // @ts-expect-error -- unary.wgsl declares no OP_CUBE
    expect(() => backend.registry.opCode('unary', 'cube')).to.throw(/kernel unary: no OP_CUBE constant/);
  });
});

// Every GEMM kernel (shaders/matmul/), forced one at a time whatever the autotune picked, against
// the CPU reference: awkward sizes (1, primes, non-multiples of each kernel's tiles, K not a
// multiple of 4, N under one workgroup's columns), both transposes, shared and per-batch operands,
// and the bias + activation epilogue. Also that the autotune answered with one of them.
import { expect } from 'chai';
import { fusedMatmul, type Shape, type Tensor } from '@webgrad/core';
import { GEMM_KERNELS, WebGPUBackend, type GemmKernel } from '@webgrad/webgpu';
import { cpu, expectClose, gpu, on, randomValues, tensorOn } from '../helpers.js';

interface Case { a: Shape; b: Shape; transposeA?: boolean; transposeB?: boolean; bias?: boolean; activation?: 'linear' | 'relu' | 'sigmoid' | 'tanh' }

const CASES: Case[] = [
  { a: [1, 1], b: [1, 1] },
  { a: [1, 7], b: [7, 1] },
  { a: [9, 3], b: [3, 2] }, // M past one block of 8 rows, N of 2
  { a: [17, 5], b: [5, 3], transposeB: false, bias: true, activation: 'relu' },
  { a: [64, 784], b: [784, 128], bias: true, activation: 'relu' }, // the MLP's first layer
  { a: [64, 784], b: [64, 128], transposeA: true }, // its weight gradient xᵀ·dh
  { a: [64, 10], b: [128, 10], transposeB: true }, // dh = dy·W2ᵀ
  { a: [67, 131], b: [131, 257] }, // N past 256 columns (workgroup 64)
  { a: [131, 67], b: [71, 131], transposeA: true, transposeB: true },
  { a: [2, 13, 6], b: [6, 129], bias: true, activation: 'tanh' }, // batch 2, b shared
  { a: [3, 5, 11], b: [3, 11, 7], activation: 'sigmoid' }, // per-batch b
  { a: [2, 9, 4], b: [2, 5, 9], transposeA: true, transposeB: true },
  { a: [3, 4], b: [4, 0] }, // an empty output: nothing dispatched
];

const describeCase = (c: Case) => `[${c.a}]${c.transposeA ? 'ᵀ' : ''} · [${c.b}]${c.transposeB ? 'ᵀ' : ''}` +
  `${c.bias ? ' + bias' : ''}${c.activation ? ` ${c.activation}` : ''}`;

async function runOn(backend: ReturnType<typeof gpu>, c: Case, seed: number): Promise<Float32Array> {
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const a = tensorOn(backend, randomValues(c.a.reduce((p, d) => p * d, 1), 'any', seed), c.a);
  const b = tensorOn(backend, randomValues(c.b.reduce((p, d) => p * d, 1), 'any', seed + 1), c.b);
  const bias = c.bias ? tensorOn(backend, randomValues(n, 'nonzero', seed + 2), [n]) : undefined;
  const out: Tensor = on(backend, () => fusedMatmul({ a, b, bias, transposeA: c.transposeA, transposeB: c.transposeB, activation: c.activation }));
  const values = (await out.data()) as Float32Array;
  [a, b, out, ...(bias ? [bias] : [])].forEach((t) => t.dispose());
  return values;
}

describe('GEMM kernels: each one against the CPU reference', () => {
  let chosen: GemmKernel;
  before(() => { chosen = (gpu() as WebGPUBackend).matmulKernel; });
  after(() => { (gpu() as WebGPUBackend).matmulKernel = chosen; });

  for (const kernel of GEMM_KERNELS) {
    CASES.forEach((c, i) => {
      it(`${kernel}: ${describeCase(c)}`, async () => {
        (gpu() as WebGPUBackend).matmulKernel = kernel;
        const expected = await runOn(cpu(), c, 100 + i);
        const actual = await runOn(gpu(), c, 100 + i);
        expectClose(actual, expected, { rtol: 1e-4, atol: 1e-4 }, `${kernel} ${describeCase(c)}`);
      });
    });
  }

  it('the autotune picked one of the kernels', () => {
    expect(GEMM_KERNELS).to.include(chosen);
  });
});

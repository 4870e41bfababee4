// The GEMM: which kernel runs a matmul, with which workgroup size, and the small autotune that
// picks the kernel per adapter. Two kernels compute the same thing (shaders/matmul/):
// `matmul` stages 64×64 tiles in workgroup memory (the shape real GPUs like); `matmul_rows` uses no
// workgroup memory or barriers (CPU adapters such as lavapipe run it ~3× faster per CPU second).
// The autotune times both once per adapter on a 256³ product and keeps the faster; bench/ shows the
// gain. Imports the backend's types and the core contract.
import type { MatmulEpilogue, MatmulOptions, TensorInfo } from '@webgrad/core';
import type { GpuStorage, WebGPUBackend } from './backend.js';

export const GEMM_KERNELS = ['matmul', 'matmul_rows'] as const;
export type GemmKernel = (typeof GEMM_KERNELS)[number];

const buf = (x: TensorInfo) => (x.storage as GpuStorage).buffer;

/** matmul_rows: rows per workgroup, and columns per invocation (fixed in the shader). */
const ROWS_TM = 8, ROWS_TN = 4;

/** matmul_rows' workgroup width for N columns: the smallest of 16/32/64 whose block spans N. */
export function rowsWorkgroupSize(N: number): number {
  return N <= 16 * ROWS_TN ? 16 : N <= 32 * ROWS_TN ? 32 : 64;
}

export function gemm(backend: WebGPUBackend, kernel: GemmKernel, a: TensorInfo, b: TensorInfo, batch: number,
  { transposeA, transposeB }: MatmulOptions, epilogue?: MatmulEpilogue): GpuStorage {
  const [batchA, ra, ca] = a.shape, [batchB, rb, cb] = b.shape;
  const [M, K] = transposeA ? [ca, ra] : [ra, ca];
  const N = transposeB ? rb : cb;
  const out = backend.allocateOutput([batch, M, N]);
  const wg = rowsWorkgroupSize(N);
  backend.commands.dispatch({
    kernel, inputs: [buf(a), buf(b), epilogue?.bias ? buf(epilogue.bias) : buf(a)], outputs: [out.buffer],
    overrides: {
      HAS_BIAS: epilogue?.bias ? 1 : 0,
      ACTIVATION: backend.registry.constant(kernel, `ACT_${(epilogue?.activation ?? 'linear').toUpperCase()}`),
      ...(kernel === 'matmul_rows' ? { WG_SIZE: wg } : {}),
    },
    params: {
      M, N, K, trans_a: transposeA ? 1 : 0, trans_b: transposeB ? 1 : 0,
      a_batch_stride: batchA === 1 ? 0 : M * K, b_batch_stride: batchB === 1 ? 0 : K * N,
    },
    grid: kernel === 'matmul_rows' ? [Math.ceil(N / (wg * ROWS_TN)), Math.ceil(M / ROWS_TM), batch] : [Math.ceil(N / 64), Math.ceil(M / 64), batch],
  });
  return out;
}

// One choice per adapter for the life of the page/process.
const tuned = new Map<string, GemmKernel>();

/** Times each GEMM kernel on a 256³ product (best of 3 runs of 4) and returns the fastest. */
export async function autotuneGemm(backend: WebGPUBackend): Promise<GemmKernel> {
  const known = tuned.get(backend.adapterName);
  if (known) return known;
  const n = 256, shape = [1, n, n];
  const values = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 13) / 13 - 0.5);
  const a: TensorInfo = { storage: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
  const options = { transposeA: false, transposeB: false };
  await backend.registry.precompile(GEMM_KERNELS.map((name) => ({
    name, overrides: { HAS_BIAS: 0, ACTIVATION: 0, ...(name === 'matmul_rows' ? { WG_SIZE: rowsWorkgroupSize(n) } : {}) },
  })));
  let best: GemmKernel = GEMM_KERNELS[0], bestMs = Infinity;
  for (const kernel of GEMM_KERNELS) {
    for (let run = 0; run < 4; run++) {
      const started = performance.now();
      const outs = Array.from({ length: 4 }, () => gemm(backend, kernel, a, a, 1, options));
      await backend.commands.read([outs[3].buffer, 4]);
      outs.forEach((o) => backend.dispose(o));
      const ms = performance.now() - started;
      if (run > 0 && ms < bestMs) { bestMs = ms; best = kernel; } // run 0 warms up
    }
  }
  backend.dispose(a.storage);
  tuned.set(backend.adapterName, best);
  return best;
}

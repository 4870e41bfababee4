// backend.profile(): every dispatch inside it is timed by timestamp queries and counted under its
// kernel. Checks the counts against the dispatches the ops make (the poisoning fills included),
// that the results do not change under profiling, and that the times are real numbers.
import { expect } from 'chai';
import { add, matmul, tensor, tidy, withBackend } from '@webgrad/core';
import type { WebGPUBackend } from '@webgrad/webgpu';
import { cpu, expectClose, gpu, randomValues } from '../helpers.js';

describe('backend.profile', () => {
  it("counts each kernel's dispatches and times them, leaving the results as they were", async () => {
    const backend = gpu() as WebGPUBackend;
    const a = randomValues(128 * 64, 'any', 1),
      b = randomValues(64 * 32, 'any', 2);
    const f = () =>
      tidy(() => {
        const x = tensor(Float32Array.from(a), [128, 64]),
          w = tensor(Float32Array.from(b), [64, 32]);
        const h = matmul(x, w);
        return add(add(h, matmul(x, w)), h);
      });
    const expected = await withBackend(cpu(), f).data();
    let out!: Float32Array;
    const { kernels, wallMs } = await backend.profile(async () => {
      const y = withBackend(backend, f);
      out = (await y.data()) as Float32Array;
      y.dispose();
    });
    expectClose(out, expected, { rtol: 1e-4, atol: 1e-4 }, 'x·w + x·w + x·w under profiling');
    const calls = Object.fromEntries(kernels.map((k) => [k.kernel, k.calls]));
    const family = (prefix: string) =>
      Object.keys(calls)
        .filter((k) => k.startsWith(prefix))
        .reduce((n, k) => n + calls[k], 0);
    expect(family('matmul'), `GEMM dispatches in ${JSON.stringify(calls)}`).to.equal(2);
    expect(family('binary'), `adds in ${JSON.stringify(calls)}`).to.equal(2);
    expect(calls.fill, 'poisoning fills: one per output').to.equal(4);
    for (const k of kernels) expect(Number.isFinite(k.ms) && k.ms >= 0, `${k.kernel}: ${k.ms} ms`).to.equal(true);
    expect(kernels.reduce((ms, k) => ms + k.ms, 0)).to.be.greaterThan(0);
    expect(wallMs).to.be.greaterThan(0);
    expect(kernels.map((k) => k.ms)).to.deep.equal([...kernels.map((k) => k.ms)].sort((p, q) => q - p));
  });

  it('refuses a second profile while one runs, and leaves the backend unprofiled after', async () => {
    const backend = gpu() as WebGPUBackend;
    let inner: unknown;
    await backend.profile(async () => {
      inner = await backend.profile(() => undefined).catch((e: Error) => e.message);
    });
    expect(inner).to.match(/profile: a profile is already running/);
    expect(backend.commands.profiler).to.equal(null);
  });
});

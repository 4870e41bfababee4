// The kernel harness itself: outputs are poisoned before a kernel runs, so an element it does not write
// fails; a dispatch that does not match its kernel's bindings is rejected by name. The kernels' specs,
// which ran here before, are in the spec table (spec-table.ts), run by each family's test file: add,
// sub, mul, div, neg, exp, log, relu, sigmoid and tanh by elementwise.test.ts, broadcastTo by
// movement.test.ts, sum and mean by reduce.test.ts, matmul and fusedMatmul by matmul.test.ts.
import { expect } from 'chai';
import { neg, tensor, withBackend } from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';
import { gpu } from '../helpers.js';

describe('kernel harness', () => {
  it('poisoned outputs expose elements a kernel did not write', async () => {
    const backend = gpu() as WebGPUBackend;
    const out = backend.allocateOutput([8]);
    backend.commands.dispatch({
      kernel: 'fill',
      inputs: [],
      outputs: [out.buffer],
      params: { size: 4, value: 0x40000000 },
      grid: [1, 1, 1],
    });
    const data = await backend.read({ storage: out, shape: [8], dtype: 'float32' });
    backend.dispose(out);
    expect(Array.from(data.slice(0, 4))).to.deep.equal([2, 2, 2, 2]);
    expect(Array.from(data.slice(4)).every(Number.isNaN)).to.equal(true);
  });

  // tsc rejects both calls (the dispatch lacks binary's params and OP override; unary has no OP_CUBE):
  // the registry's run-time checks are the backstop for what the types cannot see
  it('rejects a dispatch whose buffers do not match the kernel bindings, naming the kernel', () => {
    const backend = gpu() as WebGPUBackend;
    const wrongDispatch = () =>
      // @ts-expect-error -- binary's params and its OP override are missing
      backend.commands.dispatch({ kernel: 'binary', inputs: [], outputs: [], params: {}, grid: [1, 1, 1] });
    expect(wrongDispatch).to.throw(/kernel binary: expects inputs \(a, b\) and outputs \(out\)/);
    // @ts-expect-error -- unary.wgsl declares no OP_CUBE
    expect(() => backend.registry.opCode('unary', 'cube')).to.throw(/kernel unary: no OP_CUBE constant/);
  });

  // a dispatch of more than 65535 workgroups wraps into grid rows. A flat_index that forgot to scale y by
  // the workgroup size would start row 1 at element 65535 rather than 65535·256, so it would still cover
  // the next 65535·256 elements: only more than 65535 elements past the first row leave some unwritten.
  // (The 'large: ' prefix keeps Stryker off it.)
  it('large: a unary op over more than 65535 workgroups writes every element of the wrapped grid rows', async () => {
    const firstRow = 65535 * 256;
    const size = firstRow + 65535 + 777;
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = (i % 4093) - 2046;
    const x = withBackend(gpu(), () => tensor(values, [size]));
    const negated = neg(x);
    const out = await negated.data();
    x.dispose();
    negated.dispose();
    let wrong = -1;
    for (let i = 0; i < size && wrong < 0; i++) {
      if (out[i] !== -values[i]) wrong = i;
    }
    expect(wrong, `first wrong element (the second grid row starts at ${firstRow})`).to.equal(-1);
  });
});

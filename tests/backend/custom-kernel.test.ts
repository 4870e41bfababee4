// Custom kernels: the README's swish example (swish-example.ts, which the README quotes verbatim) runs
// as a program of its own, as a user runs it (a test file cannot import it: under mocha and tsx a test
// is loaded through require, which refuses top-level await, and an import() there loads a second
// copy of the packages) and passes the published harness
// (@webgrad/webgpu/testing); its kernel and grad rule give the values by hand; the same kernel with an
// off-by-one in its bounds fails the harness naming the element left unwritten; and a kernel that
// breaks the binding convention is refused by name.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { add, grad, mul, sigmoid, sub, sum, tensor, withBackend } from '@webgrad/core';
import { customOp } from '@webgrad/webgpu';
import { checkKernel } from '@webgrad/webgpu/testing';
import { cpu, expectClose, gpu } from '../helpers.js';

const example = readFileSync('tests/backend/swish-example.ts', 'utf8');
// the example's WGSL, for the checks below that run in this process
const forward = example.slice(example.indexOf('struct Params'), example.indexOf('}`,') + 1);

describe('custom kernels (customOp) and the published kernel harness', () => {
  it("the README's swish example is swish-example.ts, verbatim", () => {
    expect(
      readFileSync('README.md', 'utf8').includes(example),
      'README.md quotes tests/backend/swish-example.ts',
    ).to.equal(true);
  });

  it('the swish example runs as a program of its own and passes checkKernel', function () {
    this.timeout(600_000);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'tests/backend/swish-example.ts'], {
      encoding: 'utf8',
    });
    // Dawn may print its notices about reduced limits; the example's own words are the last line
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.trim().split('\n').at(-1)).to.equal('swish passes checkKernel');
  });

  it("the example's kernel gives x·σ(x) and its grad rule σ(x)(1 + x(1 − σ(x))) on the GPU, as the reference does on the CPU", async () => {
    const swish = await customOp({
      name: 'swish_by_hand',
      forward,
      reference: (x) => mul(x, sigmoid(x)),
      grad: (dy, [x]) => [mul(dy, add(sigmoid(x), mul(mul(x, sigmoid(x)), sub(1, sigmoid(x)))))],
    });
    const points = [-3, -0.5, 0, 2];
    const sigma = points.map((v) => 1 / (1 + Math.exp(-v)));
    const values = points.map((v, i) => v * sigma[i]);
    const slopes = points.map((v, i) => sigma[i] * (1 + v * (1 - sigma[i])));
    for (const backend of [gpu(), cpu()]) {
      const x = withBackend(backend, () => tensor(points));
      const [dx] = grad((t) => sum(swish(t)))(x);
      expectClose(await swish(x).data(), values, { rtol: 1e-6, atol: 1e-7 }, `${backend.name} swish`);
      expectClose(await dx.data(), slopes, { rtol: 1e-6, atol: 1e-7 }, `${backend.name} swish'`);
    }
  });

  it('an off-by-one in the kernel fails the harness with a message naming the element', async () => {
    const offByOne = await customOp({
      name: 'swish_off_by_one',
      forward: forward.replace('if (i < params.size)', 'if (i + 1u < params.size)'),
      reference: (x) => mul(x, sigmoid(x)),
      grad: 'nonDifferentiable',
    });
    const failure = await checkKernel({
      name: 'swish off by one',
      fn: offByOne,
      cases: [[[7, 13]]],
      domains: ['any'],
      nonDifferentiable: true,
    }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).to.match(
      /^swish off by one on \[7,13\] \(webgpu against cpu\) forward: element 90 is NaN, expected -?\d/,
    );
  });

  it('refuses a kernel whose bindings break the convention, naming it', async () => {
    const forward = `
      struct Params { size: u32 }
      @group(0) @binding(0) var<storage, read_write> out: array<f32>;
      @group(0) @binding(1) var<storage, read> x: array<f32>;
      @group(0) @binding(2) var<uniform> params: Params;
      @compute @workgroup_size(1) fn main() { out[0] = x[0]; }`;
    const refused = await customOp({ name: 'backwards', forward, reference: (x) => x, grad: 'nonDifferentiable' }).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    expect(refused).to.equal(
      'kernel backwards: a read binding follows a read_write one ' +
        "(binding convention: inputs read, outputs read_write, then one 'params' uniform)",
    );
  });
});

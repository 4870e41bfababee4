// Every GEMM choice this device offers (shaders/matmul/: each kernel, and matmul_subgroups at each
// ROW_BLOCKS; matmul_texture with its packed b), forced one at a time whatever the autotune picked, against the CPU reference: awkward
// sizes (1, 7, 65, 130, primes, non-multiples of each kernel's tiles, K not a multiple of 4 or of
// the subgroup kernel's chunk of 8, N under one workgroup's columns), both transposes, shared and
// per-batch operands, and the bias + activation epilogue. Also that the autotune answered with one of them.
import { expect } from 'chai';
import { fusedMatmul, type Shape, type Tensor } from '@webgrad/core';
import { describeChoice, gemmChoicesFor, WebGPUBackend, withPrelude, type GemmChoice } from '@webgrad/webgpu';
import { cpu, expectClose, gpu, on, randomValues, tensorOn } from '../helpers.js';

interface Case {
  a: Shape;
  b: Shape;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: boolean;
  activation?: 'linear' | 'relu' | 'sigmoid' | 'tanh';
}

const CASES: Case[] = [
  { a: [1, 1], b: [1, 1] },
  { a: [1, 7], b: [7, 1] },
  { a: [9, 3], b: [3, 2] }, // M past one block of 8 rows, N of 2
  { a: [17, 5], b: [5, 3], transposeB: false, bias: true, activation: 'relu' },
  { a: [1, 65], b: [65, 7] }, // one row, K past 8 chunks of 8 by one
  { a: [7, 130], b: [130, 65], bias: true, activation: 'sigmoid' },
  { a: [16, 65], b: [16, 130], transposeA: true }, // K exactly two chunks
  { a: [130, 17], b: [1, 17], transposeB: true }, // N of 1, K one past two chunks
  { a: [64, 784], b: [784, 128], bias: true, activation: 'relu' }, // the MLP's first layer
  { a: [64, 784], b: [64, 128], transposeA: true }, // its weight gradient xᵀ·dh
  { a: [64, 10], b: [128, 10], transposeB: true }, // dh = dy·W2ᵀ
  { a: [67, 131], b: [131, 257] }, // N past 256 columns (workgroup 64)
  { a: [131, 67], b: [71, 131], transposeA: true, transposeB: true },
  { a: [2, 13, 6], b: [6, 129], bias: true, activation: 'tanh' }, // batch 2, b shared
  { a: [3, 5, 11], b: [3, 11, 7], activation: 'sigmoid' }, // per-batch b
  { a: [2, 9, 4], b: [2, 5, 9], transposeA: true, transposeB: true },
  { a: [3, 19, 33], b: [3, 33, 21], bias: true, activation: 'relu' }, // per-batch, K of 4 chunks + 1
  { a: [2, 33, 19], b: [21, 33], transposeA: true, transposeB: true }, // b shared, both transposed
  { a: [3, 4], b: [4, 0] }, // an empty output: nothing dispatched
  { a: [3, 20], b: [20, 0] }, // the same past the short-K cut-over (an empty texture would be invalid)
  { a: [33, 40], b: [40, 6], bias: true, activation: 'relu' }, // N of 6: the texture's last texel half zeros
  { a: [2, 5, 20], b: [2, 7, 20], transposeB: true }, // per-batch b, transposed, K past two chunks: packed by z
  { a: [2, 3, 16], b: [2, 9000, 16], transposeB: true }, // batch·K past 16384 texture rows: another kernel
];

const describeCase = (c: Case) =>
  `[${c.a}]${c.transposeA ? 'ᵀ' : ''} · [${c.b}]${c.transposeB ? 'ᵀ' : ''}` +
  `${c.bias ? ' + bias' : ''}${c.activation ? ` ${c.activation}` : ''}`;

async function runOn(backend: ReturnType<typeof gpu>, c: Case, seed: number): Promise<Float32Array> {
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const a = tensorOn(
    backend,
    randomValues(
      c.a.reduce((p, d) => p * d, 1),
      'any',
      seed,
    ),
    c.a,
  );
  const b = tensorOn(
    backend,
    randomValues(
      c.b.reduce((p, d) => p * d, 1),
      'any',
      seed + 1,
    ),
    c.b,
  );
  const bias = c.bias ? tensorOn(backend, randomValues(n, 'nonzero', seed + 2), [n]) : undefined;
  const out: Tensor = on(backend, () =>
    fusedMatmul({ a, b, bias, transposeA: c.transposeA, transposeB: c.transposeB, activation: c.activation }),
  );
  const values = (await out.data()) as Float32Array;
  [a, b, out, ...(bias ? [bias] : [])].forEach((t) => t.dispose());
  return values;
}

// The choices are known once the device is, after the root hooks; mocha collects tests before
// that, so every possible choice gets a test, and those of a choice this device lacks are pending
// (not passed), with the reason printed.
const ALL_CHOICES: GemmChoice[] = [
  { kernel: 'matmul', rowBlocks: 1 },
  { kernel: 'matmul_rows', rowBlocks: 1 },
  ...[1, 2, 3, 4].map((rowBlocks) => ({ kernel: 'matmul_subgroups' as const, rowBlocks })),
  { kernel: 'matmul_texture', rowBlocks: 4 },
];

/** Why this device lacks a choice (gemmChoicesFor's rule): only the subgroup-using kernels can be missing. */
function missingFeature(choice: GemmChoice): string {
  const device = (gpu() as WebGPUBackend).device;
  const subgroups = device.features.has('subgroups')
    ? `subgroups of at least ${device.adapterInfo?.subgroupMinSize ?? '?'} lanes`
    : 'no subgroups feature';
  return `${choice.kernel} needs the subgroups feature with subgroups of at least 8 lanes; the adapter has ${subgroups}`;
}

/**
 * A GEMM choice the adapter cannot run: pending, with the reason, on a developer's GPU that lacks its
 * feature; a failure under CI, whose software adapter offers every choice, since GPU tests never skip there.
 */
function notOffered(context: Mocha.Context, reason: string): never {
  if (process.env.CI) throw new Error(`${reason}; CI's adapter must offer every GEMM kernel`);
  console.log(`    (pending: ${reason})`);
  context.skip();
}

describe('GEMM kernels: each choice against the CPU reference', () => {
  let chosen: GemmChoice;
  before(() => {
    chosen = (gpu() as WebGPUBackend).matmulKernel;
  });
  after(() => {
    (gpu() as WebGPUBackend).matmulKernel = chosen;
  });

  for (const choice of ALL_CHOICES) {
    describe(describeChoice(choice), () => {
      before(function () {
        const backend = gpu() as WebGPUBackend;
        const offered = gemmChoicesFor(backend.device).some(
          (c) => c.kernel === choice.kernel && c.rowBlocks === choice.rowBlocks,
        );
        if (offered) return;
        notOffered(
          this,
          `${describeChoice(choice)} is not offered on ${backend.describe()}: ${missingFeature(choice)}`,
        );
      });
      CASES.forEach((c, i) => {
        it(describeCase(c), async () => {
          (gpu() as WebGPUBackend).matmulKernel = choice;
          const expected = await runOn(cpu(), c, 100 + i);
          const actual = await runOn(gpu(), c, 100 + i);
          expectClose(actual, expected, { rtol: 1e-4, atol: 1e-4 }, `${describeChoice(choice)} ${describeCase(c)}`);
        });
      });
    });
  }

  describe('matmul_texture: its packed textures', () => {
    const texture: GemmChoice = { kernel: 'matmul_texture', rowBlocks: 4 };
    before(function () {
      const backend = gpu() as WebGPUBackend;
      if (gemmChoicesFor(backend.device).some((c) => c.kernel === texture.kernel)) return;
      notOffered(this, `matmul_texture is not offered on ${backend.describe()}: ${missingFeature(texture)}`);
    });

    it('products of one size recorded back to back, sharing one texture, each read their own b', async () => {
      const backend = gpu() as WebGPUBackend;
      backend.matmulKernel = texture;
      const a = randomValues(5 * 20, 'any', 1);
      const bs = [2, 3, 4].map((seed) => randomValues(20 * 9, 'any', seed));
      const expected = await Promise.all(
        bs.map((b) =>
          on(cpu(), () => fusedMatmul({ a: tensorOn(cpu(), a, [5, 20]), b: tensorOn(cpu(), b, [20, 9]) })).data(),
        ),
      );
      const created = backend.textures.created;
      // recorded in one synchronous stretch: the second pack overwrites the texture the first product reads
      const inputs = bs.map((b) => [tensorOn(backend, a, [5, 20]), tensorOn(backend, b, [20, 9])]);
      const outs = inputs.map(([x, y]) => on(backend, () => fusedMatmul({ a: x, b: y })));
      const actual = await Promise.all(outs.map((t) => t.data()));
      [...inputs.flat(), ...outs].forEach((t) => t.dispose());
      actual.forEach((values, i) =>
        expectClose(values as Float32Array, expected[i] as Float32Array, { rtol: 1e-4, atol: 1e-4 }, `product ${i}`),
      );
      expect(backend.textures.created - created).to.be.at.most(1);
    });

    it('products repeated at the same shapes (training steps) create no texture after the first round', async () => {
      const backend = gpu() as WebGPUBackend;
      backend.matmulKernel = texture;
      const shapes: [Shape, Shape, boolean][] = [
        [[8, 40], [40, 24], false],
        [[8, 24], [40, 24], true],
        [[2, 8, 20], [2, 20, 12], false],
      ];
      const created: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const [i, [sa, sb, transposeB]] of shapes.entries()) {
          const x = tensorOn(
            backend,
            randomValues(
              sa.reduce((p, d) => p * d, 1),
              'any',
              30 + i,
            ),
            sa,
          );
          const w = tensorOn(
            backend,
            randomValues(
              sb.reduce((p, d) => p * d, 1),
              'any',
              40 + i,
            ),
            sb,
          );
          const out = on(backend, () => fusedMatmul({ a: x, b: w, transposeB }));
          await out.data();
          [x, w, out].forEach((t) => t.dispose());
        }
        created.push(backend.textures.created);
      }
      expect(created[2], `textures ever created after each round: ${created}`).to.equal(created[0]);
    });

    it('textures dropped past the budget are destroyed only after the work that binds them is submitted', async () => {
      const backend = gpu() as WebGPUBackend;
      backend.matmulKernel = texture;
      // 17 sizes of ~4.2 MB each: past the 64 MB kept, so the oldest are dropped while still bound
      const sizes = Array.from({ length: 17 }, (_, i) => 1024 + 4 * i);
      const a = randomValues(1024, 'any', 7);
      const inputs = sizes.map((n, i) => [
        tensorOn(backend, a, [1, 1024]),
        tensorOn(backend, randomValues(1024 * n, 'any', 10 + i), [1024, n]),
      ]);
      const submitEvery = backend.commands.submitEvery;
      backend.commands.submitEvery = 1024; // all 34 dispatches in one submit, so a dropped texture is still bound
      const outs = inputs.map(([x, y]) => on(backend, () => fusedMatmul({ a: x, b: y })));
      backend.commands.submitEvery = submitEvery;
      const actual = await Promise.all(outs.map((t) => t.data()));
      [...inputs.flat(), ...outs].forEach((t) => t.dispose());
      for (const [i, n] of sizes.entries()) {
        const expected = await on(cpu(), () =>
          fusedMatmul({
            a: tensorOn(cpu(), a, [1, 1024]),
            b: tensorOn(cpu(), randomValues(1024 * n, 'any', 10 + i), [1024, n]),
          }),
        ).data();
        expectClose(
          actual[i] as Float32Array,
          expected as Float32Array,
          { rtol: 1e-4, atol: 1e-4 },
          `1×1024·1024×${n}`,
        );
      }
    });
  });

  it('the autotune picked one of the choices this device offers', () => {
    const offered = gemmChoicesFor((gpu() as WebGPUBackend).device);
    expect(offered.map(describeChoice)).to.include(describeChoice(chosen));
  });

  it('offers the subgroup kernel when the device has the subgroups feature', () => {
    const device = (gpu() as WebGPUBackend).device;
    const expected = device.features.has('subgroups') && (device.adapterInfo?.subgroupMinSize ?? 0) >= 8;
    expect(gemmChoicesFor(device).some((c) => c.kernel === 'matmul_subgroups')).to.equal(expected);
  });
});

describe("withPrelude: a kernel's enable directives go above the prelude", () => {
  it('hoists them, once, and leaves a kernel without any as prelude + source', () => {
    const prelude = 'const P: u32 = 1u;';
    const source = '// header\nenable subgroups;\nenable f16; // why\nfn main() {}\n';
    const code = withPrelude(prelude, source);
    expect(code.indexOf('enable subgroups;')).to.equal(0);
    expect(code.indexOf('enable f16;')).to.be.below(code.indexOf(prelude));
    expect(code.match(/enable/g)).to.have.length(2);
    expect(code).to.contain('// header\nfn main() {}');
    expect(withPrelude(prelude, 'fn main() {}')).to.equal(`${prelude}\nfn main() {}`);
  });
});

// Property-based checks with our own seeded generator (core's Philox): random shapes and broadcasts
// for every elementwise op, reductions and matmul, GPU against the CPU reference; then random invalid
// arguments (negative, NaN, fractional and infinite sizes, wrong dtypes, empty axes, axes out of
// range, shapes that cannot meet, disposed and mixed-backend tensors, tensors too large to index),
// each of which must raise its own clear error on both backends — never a GPU validation error, a
// wrong result or a hang. Failures are collected, printed together and counted.
import { expect } from 'chai';
import {
  abs,
  add,
  argmax,
  grad,
  concat,
  div,
  elu,
  equal,
  exp,
  fill,
  gather,
  gelu,
  greater,
  greaterEqual,
  isFinite,
  leakyRelu,
  less,
  lessEqual,
  log,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  oneHot,
  ones,
  pad,
  pow,
  randomUniform,
  reciprocal,
  relu,
  reshape,
  rsqrt,
  selu,
  sigmoid,
  slice,
  softmax,
  softmaxCrossEntropy,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  uniformValues,
  where,
  withBackend,
  zeros,
  type Backend,
  type Shape,
  type Tensor,
} from '@webgrad/core';
import {
  adam,
  averagePooling2d,
  conv2d,
  dense,
  dropout,
  maxPooling2d,
  sequential,
  sgd,
  type Layer,
} from '@webgrad/layers';
import { cpu, gpu, randomValues, type Domain } from '../helpers.js';

/** A seeded stream of uniform numbers in [0, 1) from Philox, consumed in order. */
function generator(seed: number) {
  let block = uniformValues(4096, seed),
    at = 0,
    stream = 0;
  const next = () => {
    if (at === block.length) {
      block = uniformValues(4096, seed, 0, 1, ++stream);
      at = 0;
    }
    return block[at++];
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}
type Gen = ReturnType<typeof generator>;

const randomShape = (g: Gen, maxRank: number, allowEmpty: boolean): number[] =>
  Array.from({ length: g.int(0, maxRank) }, () => (allowEmpty && g.chance(0.06) ? 0 : g.int(1, 6)));

/** Two shapes that broadcast: axes of the result dropped from the front or set to 1 on either side. */
function broadcastPair(g: Gen): [number[], number[]] {
  const out = randomShape(g, 4, true);
  const derive = () => out.slice(g.int(0, out.length)).map((d) => (g.chance(0.3) ? 1 : d));
  return [derive(), derive()];
}

const UNARY: [string, (x: Tensor) => Tensor, Domain][] = [
  ['neg', neg, 'any'],
  ['exp', exp, 'any'],
  ['log', log, 'positive'],
  ['relu', relu, 'any'],
  ['sigmoid', sigmoid, 'any'],
  ['tanh', tanh, 'any'],
  ['abs', abs, 'any'],
  ['sqrt', sqrt, 'positive'],
  ['rsqrt', rsqrt, 'positive'],
  ['square', square, 'any'],
  ['reciprocal', reciprocal, 'nonzero'],
  ['leakyRelu', (x) => leakyRelu(x, 0.1), 'any'],
  ['elu', (x) => elu(x), 'any'],
  ['selu', selu, 'any'],
  ['softplus', softplus, 'any'],
  ['gelu', gelu, 'any'],
  ['isFinite', isFinite, 'any'],
];
const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, Domain, Domain][] = [
  ['add', add, 'any', 'any'],
  ['sub', sub, 'any', 'any'],
  ['mul', mul, 'any', 'any'],
  ['div', div, 'any', 'nonzero'],
  ['pow', pow, 'positive', 'any'],
  ['maximum', maximum, 'any', 'any'],
  ['minimum', minimum, 'any', 'any'],
  ['greater', greater, 'any', 'any'],
  ['less', less, 'any', 'any'],
  ['equal', equal, 'any', 'any'],
  ['greaterEqual', greaterEqual, 'any', 'any'],
  ['lessEqual', lessEqual, 'any', 'any'],
];
const REDUCE = [
  ['sum', sum],
  ['mean', mean],
  ['max', max],
  ['min', min],
] as const;

interface ValidCase {
  name: string;
  shapes: Shape[];
  domains: Domain[];
  fn: (...xs: Tensor[]) => Tensor;
  tolerance: { rtol: number; atol: number };
}

function validCases(g: Gen): ValidCase[] {
  const cases: ValidCase[] = [];
  const elementwise = { rtol: 2e-5, atol: 1e-6 };
  for (const [name, fn, domain] of UNARY) {
    for (let i = 0; i < 5; i++) {
      cases.push({ name, shapes: [randomShape(g, 4, true)], domains: [domain], fn, tolerance: elementwise });
    }
  }
  for (const [name, fn, da, db] of BINARY) {
    for (let i = 0; i < 6; i++) {
      cases.push({ name, shapes: broadcastPair(g), domains: [da, db], fn, tolerance: elementwise });
    }
  }
  for (let i = 0; i < 8; i++) {
    const [sa, sb] = broadcastPair(g);
    const sc = sa.map((d) => (g.chance(0.5) ? 1 : d));
    cases.push({
      name: 'where',
      shapes: [sc, sa, sb],
      domains: ['any', 'any', 'any'],
      fn: (c, a, b) => where(greater(c, 0), a, b),
      tolerance: elementwise,
    });
  }
  for (const [name, op] of REDUCE) {
    for (let i = 0; i < 10; i++) {
      const shape = randomShape(g, 4, false);
      const axes = shape
        .map((_, d) => d)
        .filter(() => g.chance(0.5))
        .map((d) => (g.chance(0.3) ? d - shape.length : d));
      const keepDims = g.chance(0.5);
      const axis = axes.length === 0 && g.chance(0.5) ? undefined : axes;
      cases.push({
        name: `${name}(axes ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''})`,
        shapes: [shape],
        domains: ['any'],
        fn: (x) => op(x, axis, keepDims),
        tolerance: { rtol: 1e-4, atol: 1e-5 },
      });
    }
  }
  for (let i = 0; i < 30; i++) {
    const [m, k, n] = [g.int(1, 70), g.int(1, 70), g.int(1, 70)];
    const transposeA = g.chance(0.5),
      transposeB = g.chance(0.5);
    const batch = g.chance(0.4) ? [g.int(1, 3)] : [];
    const batchA = batch.length && g.chance(0.3) ? [1] : batch,
      batchB = batch.length && g.chance(0.3) ? [] : batch;
    cases.push({
      name: `matmul(${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'})`,
      shapes: [
        [...batchA, ...(transposeA ? [k, m] : [m, k])],
        [...batchB, ...(transposeB ? [n, k] : [k, n])],
      ],
      domains: ['any', 'any'],
      fn: (a, b) => matmul(a, b, transposeA, transposeB),
      tolerance: { rtol: 1e-4, atol: 1e-4 },
    });
  }
  return cases;
}

/** The forward value and, for L = <u, f(x)> with a fixed random u, dL/dx for each input. */
async function runOn(
  backend: Backend,
  c: ValidCase,
  seed: number,
): Promise<{ shape: Shape; values: Float32Array; grads: Float32Array[] }> {
  // everything is made before the first await: withBackend holds only for synchronous code
  const { inputs, out, u, gradients } = withBackend(backend, () => {
    const inputs = c.shapes.map((s, i) =>
      tensor(
        Float32Array.from(
          randomValues(
            s.reduce((a, d) => a * d, 1),
            c.domains[i],
            seed + i,
          ),
        ),
        s,
      ),
    );
    const out = c.fn(...inputs);
    const u = tensor(Float32Array.from(randomValues(out.size, 'any', seed + 77)), out.shape);
    const gradients = out.dtype === 'float32' ? grad((...xs: Tensor[]) => sum(mul(c.fn(...xs), u)))(...inputs) : [];
    return { inputs, out, u, gradients };
  });
  const values = Float32Array.from(await out.data());
  const shape = out.shape;
  const grads = await Promise.all(gradients.map(async (g) => Float32Array.from(await g.data())));
  [...inputs, out, u, ...gradients].forEach((t) => t.dispose());
  return { shape, values, grads };
}

/** The first element of actual not within tolerance of expected (NaN matches NaN), or -1. */
const firstMismatch = (actual: Float32Array, expected: Float32Array, { rtol, atol }: { rtol: number; atol: number }) =>
  expected.findIndex(
    (r, k) => !(Math.abs(actual[k] - r) <= atol + rtol * Math.abs(r)) && !(Number.isNaN(r) && Number.isNaN(actual[k])),
  );

let TEMPLATE_COUNT = 0;
interface InvalidCase {
  what: string;
  run: (b: Backend) => unknown;
  expected: RegExp;
}

function invalidCases(g: Gen): InvalidCase[] {
  const badSize = () => g.pick([-1, -g.int(2, 9), NaN, 2.5, Infinity]);
  const withBad = (shape: number[]) => {
    const s = [...shape];
    s[g.int(0, s.length - 1)] = badSize();
    return s;
  };
  const on = <T>(b: Backend, fn: () => T): T => withBackend(b, fn);
  const t = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
    tensor(
      dtype === 'int32'
        ? new Int32Array(shape.reduce((a, d) => a * d, 1)).fill(1)
        : new Float32Array(shape.reduce((a, d) => a * d, 1)).fill(0.5),
      shape,
      dtype,
    );
  const nonEmpty = () => Array.from({ length: g.int(1, 3) }, () => g.int(1, 5));
  const templates: (() => InvalidCase)[] = [
    () => {
      const s = withBad(nonEmpty());
      const f = g.pick([zeros, ones] as const);
      return {
        what: `${f.name}(${JSON.stringify(s)})`,
        run: (b) => on(b, () => f(s)),
        expected: /fill: shape \[.*\] must hold non-negative integers/,
      };
    },
    () => {
      const s = withBad(nonEmpty());
      return {
        what: `randomUniform(${JSON.stringify(s)})`,
        run: (b) => on(b, () => randomUniform(s)),
        expected: /randomUniform: shape \[.*\] must hold non-negative integers/,
      };
    },
    () => {
      const s = nonEmpty();
      const n = s.reduce((a, d) => a * d, 1) + g.int(1, 3);
      return {
        what: `tensor(${n} values, ${JSON.stringify(s)})`,
        run: (b) => on(b, () => tensor(new Float32Array(n), s)),
        expected: /tensor: \d+ values cannot fill shape/,
      };
    },
    () => {
      const s = nonEmpty();
      const target = [s.reduce((a, d) => a * d, 1) + g.int(1, 4)];
      return {
        what: `reshape(${JSON.stringify(s)} → ${JSON.stringify(target)})`,
        run: (b) => on(b, () => reshape(t(s), target)),
        expected: /reshape: cannot reshape shape/,
      };
    },
    () => {
      const s = nonEmpty();
      const target = [g.pick([-2, -g.int(3, 9), NaN, 2.5, Infinity]), ...s];
      return {
        what: `reshape(${JSON.stringify(s)} → ${JSON.stringify(target)})`,
        run: (b) => on(b, () => reshape(t(s), target)),
        expected: /reshape: (shape .* must hold non-negative integers|cannot reshape|at most one axis)/,
      };
    },
    () => {
      const s = nonEmpty();
      const op = g.pick(UNARY.filter(([n]) => n !== 'isFinite'));
      return {
        what: `${op[0]}(int32 ${JSON.stringify(s)})`,
        run: (b) => on(b, () => op[1](t(s, 'int32'))),
        expected: new RegExp(`${op[0]}: expected float32 input, got int32`),
      };
    },
    () => {
      const s = nonEmpty();
      const op = g.pick(BINARY);
      return {
        what: `${op[0]}(float32, int32 ${JSON.stringify(s)})`,
        run: (b) => on(b, () => op[1](t(s), t(s, 'int32'))),
        expected: new RegExp(`${op[0]}: expected float32 input, got int32`),
      };
    },
    () => {
      const s = nonEmpty();
      return {
        what: `matmul(int32)`,
        run: (b) => on(b, () => matmul(t([2, 2], 'int32'), t([2, ...s.slice(0, 1)]))),
        expected: /matmul: expected float32 input, got int32/,
      };
    },
    () => {
      const s = nonEmpty();
      const [name, op] = g.pick(REDUCE);
      const axis = g.pick([s.length + g.int(0, 3), -s.length - g.int(1, 3), NaN, 0.5]);
      return {
        what: `${name}(${JSON.stringify(s)}, axis ${axis})`,
        run: (b) => on(b, () => op(t(s), axis)),
        expected: new RegExp(`${name}: axis .* is out of range for a tensor of shape`),
      };
    },
    () => {
      const s = nonEmpty();
      const axis = g.pick([s.length, -s.length - 1, NaN]);
      return {
        what: `argmax(${JSON.stringify(s)}, ${axis})`,
        run: (b) => on(b, () => argmax(t(s), axis)),
        expected: /argmax: axis .* is out of range/,
      };
    },
    () => {
      const s = nonEmpty();
      const axis = g.pick([s.length, -s.length - 1, 1.5]);
      return {
        what: `concat axis ${axis}`,
        run: (b) => on(b, () => concat([t(s), t(s)], axis)),
        expected: /concat: axis .* is out of range/,
      };
    },
    () => {
      const s = nonEmpty();
      const e = [...s];
      e[g.int(0, e.length - 1)] = 0;
      const name = g.pick(['max', 'min', 'argmax'] as const);
      const op = {
        max: (x: Tensor) => max(x),
        min: (x: Tensor) => min(x),
        argmax: (x: Tensor) => argmax(x, e.indexOf(0)),
      }[name];
      return {
        what: `${name}(empty ${JSON.stringify(e)})`,
        run: (b) => on(b, () => op(t(e))),
        expected: new RegExp(`${name}: cannot reduce an empty axis`),
      };
    },
    () => {
      const s = [g.int(1, 5)];
      return {
        what: `matmul(rank 1 ${JSON.stringify(s)})`,
        run: (b) => on(b, () => matmul(t(s), t([s[0], 2]))),
        expected: /matmul: inputs must have rank >= 2/,
      };
    },
    () => {
      const [m, k, n] = [g.int(1, 5), g.int(1, 5), g.int(1, 5)];
      const k2 = k + g.int(1, 3);
      return {
        what: `matmul([${m},${k}]·[${k2},${n}])`,
        run: (b) => on(b, () => matmul(t([m, k]), t([k2, n]))),
        expected: /matmul: inner dimensions differ/,
      };
    },
    () => {
      const d = g.int(2, 5),
        e = d + g.int(1, 3);
      const op = g.pick(BINARY);
      return {
        what: `${op[0]}([${d}] with [${e}])`,
        run: (b) => on(b, () => op[1](t([2, d]), t([e]))),
        expected: new RegExp(`${op[0]}: shapes \\[2,${d}\\] and \\[${e}\\] cannot be broadcast together`),
      };
    },
    () => {
      const s = [g.int(1, 4), g.int(1, 4)];
      const perm = g.pick([[0, 0], [1], [0, 2], [0, 1, 2]]);
      return {
        what: `transpose(perm ${JSON.stringify(perm)})`,
        run: (b) => on(b, () => transpose(t(s), perm)),
        expected: /transpose: perm .* is not a permutation/,
      };
    },
    () => {
      const s = nonEmpty();
      const begin = s.map((d) => g.pick([d + 1, -1, NaN, 0.5]));
      return {
        what: `slice(${JSON.stringify(s)}, begin ${JSON.stringify(begin)})`,
        run: (b) => on(b, () => slice(t(s), begin)),
        expected: /slice: begin .* do not fit inside shape/,
      };
    },
    () => {
      const s = nonEmpty();
      const p = s.map(() => [g.pick([-1, NaN, 0.5]), 0] as [number, number]);
      return {
        what: `pad(${JSON.stringify(p)})`,
        run: (b) => on(b, () => pad(t(s), p)),
        expected: /pad: expected \d+ pairs of non-negative integers/,
      };
    },
    () => {
      const depth = g.pick([0, -3, NaN, 2.5]);
      return {
        what: `oneHot(depth ${depth})`,
        run: (b) => on(b, () => oneHot(t([3], 'int32'), depth)),
        expected: /oneHot: depth .* must be a positive integer/,
      };
    },
    () => ({
      what: 'gather(float32 indices)',
      run: (b) => on(b, () => gather(t([4, 2]), t([2]))),
      expected: /gather: indices must be int32, got float32/,
    }),
    () => {
      const s = nonEmpty();
      return {
        what: `concat(${JSON.stringify(s)} with a longer one)`,
        run: (b) => on(b, () => concat([t([...s, 2]), t([...s, 3])], 0)),
        expected: /concat: shapes .* cannot be joined along axis 0/,
      };
    },
    () => ({
      what: 'softmax(scalar)',
      run: (b) => on(b, () => softmax(t([]))),
      expected: /softmax: needs at least one axis, got a scalar/,
    }),
    () => {
      const s = nonEmpty();
      return {
        what: `exp(disposed ${JSON.stringify(s)})`,
        run: (b) =>
          on(b, () => {
            const x = t(s);
            x.dispose();
            return exp(x);
          }),
        expected: /exp: tensor #\d+ .* was disposed and cannot be used/,
      };
    },
    () => ({
      what: 'add(tensors of two backends)',
      run: (b) => {
        const other = b === cpu() ? gpu() : cpu();
        return add(
          on(b, () => t([2])),
          on(other, () => t([2])),
        );
      },
      expected:
        /add: input 0 .* is on backend '\w+' but input 1 .* is on '\w+'; tensors of two backends cannot be mixed/,
    }),
    () => {
      const big = g.pick([
        [100_000, 100_000],
        [1 << 16, 1 << 16, 4],
      ]);
      return {
        what: `fill(${JSON.stringify(big)})`,
        run: (b) => on(b, () => fill(big, 1)),
        expected: /fill: the result of shape .* more than the \w+ backend can hold in one tensor/,
      };
    },
    () => {
      const n = g.int(50_000, 90_000);
      return {
        what: `add([${n},1], [1,${n}])`,
        run: (b) => on(b, () => add(t([n, 1]), t([1, n]))),
        expected: /add: the result of shape .* more than the \w+ backend can hold in one tensor/,
      };
    },
    () => {
      const extra = g.int(1, 100);
      return {
        what: `ones([the backend's limit + ${extra}])`,
        run: (b) => on(b, () => ones([Math.min(2 ** 31 - 1, b.maxElements ?? 2 ** 31 - 1) + extra])),
        expected: /fill: the result of shape .* more than the \w+ backend can hold in one tensor/,
      };
    },
  ];
  TEMPLATE_COUNT = templates.length;
  return Array.from({ length: 8 * templates.length }, (_, i) => templates[i % templates.length]());
}

const MATCHES_CPU =
  'every elementwise op, reduction and matmul on random shapes and broadcasts matches the CPU reference, ' +
  'forward and backward';

describe('property-based: random shapes against the CPU reference, random invalid arguments', () => {
  it(MATCHES_CPU, async function () {
    this.timeout(300_000);
    const g = generator(2026);
    const failures: string[] = [];
    const cases = validCases(g);
    let gradients = 0;
    for (const [i, c] of cases.entries()) {
      const label = `${c.name} on ${c.shapes.map((s) => JSON.stringify(s)).join(', ')}`;
      try {
        const [ref, dev] = [await runOn(cpu(), c, 100 + i), await runOn(gpu(), c, 100 + i)];
        if (JSON.stringify(ref.shape) !== JSON.stringify(dev.shape)) {
          failures.push(`${label}: shape ${JSON.stringify(dev.shape)} vs ${JSON.stringify(ref.shape)}`);
          continue;
        }
        const bad = firstMismatch(dev.values, ref.values, c.tolerance);
        if (bad >= 0) failures.push(`${label}: element ${bad} is ${dev.values[bad]}, CPU ${ref.values[bad]}`);
        // gradients are summed back over broadcast axes: allow for float32 accumulation, as a reduction does
        const gradTolerance = { rtol: c.tolerance.rtol * 10, atol: c.tolerance.atol * 10 };
        ref.grads.forEach((g, k) => {
          const badGrad = firstMismatch(dev.grads[k], g, gradTolerance);
          if (badGrad >= 0) {
            failures.push(`${label}: d/dx${k} element ${badGrad} is ${dev.grads[k][badGrad]}, CPU ${g[badGrad]}`);
          }
        });
        gradients += ref.grads.length;
      } catch (error) {
        failures.push(`${label}: threw ${(error as Error).message}`);
      }
    }
    console.log(
      `      ${cases.length} random valid cases (shapes, broadcasts, axes, transposes, empty tensors) ` +
        `run on CPU and GPU, forward and ${gradients} input gradients; ` +
        `${failures.length} mismatches`,
    );
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(cases.length).to.be.greaterThanOrEqual(200);
  });

  it('every random invalid argument raises its own clear error on both backends, and the GPU stays healthy', async function () {
    this.timeout(300_000);
    const g = generator(7);
    const cases = invalidCases(g);
    const failures: string[] = [];
    let tried = 0;
    for (const backend of [cpu(), gpu()]) {
      for (const c of cases) {
        tried++;
        try {
          const result = await Promise.resolve(c.run(backend));
          failures.push(`${backend.name} ${c.what}: no error (got ${String(result)})`);
        } catch (error) {
          const message = (error as Error).message ?? String(error);
          if (!c.expected.test(message)) {
            failures.push(`${backend.name} ${c.what}: error "${message}" does not match ${c.expected}`);
          }
        }
      }
    }
    // A GPU validation error would surface on the next readback; this one must succeed and be right.
    const check = withBackend(gpu(), () => add(tensor([1, 2]), 1));
    expect(Array.from(await check.data())).to.deep.equal([2, 3]);
    check.dispose();
    // a data error found on the device (a label out of range) is reported at the readback, naming the op
    const loss = withBackend(gpu(), () => softmaxCrossEntropy(tensor([[1, 2, 3]]), tensor([7], [1], 'int32')));
    const lossError = await loss.data().then(
      () => 'no error',
      (e: Error) => e.message,
    );
    expect(lossError).to.match(/softmaxCrossEntropy: 1 label out of range \[0, 3\), the first in row 0/);
    // so is a gather index out of range (found by the kernel on the GPU, at once on the CPU)
    for (const backend of [cpu(), gpu()]) {
      const gatherError = await Promise.resolve() // the CPU throws at once, the GPU at the readback: both become a rejection
        .then(() =>
          withBackend(backend, () =>
            gather(
              tensor([
                [1, 2],
                [3, 4],
                [5, 6],
              ]),
              tensor([0, 7, 2, -1], [4], 'int32'),
            ),
          ).data(),
        )
        .then(
          () => 'no error',
          (e: Error) => e.message,
        );
      expect(gatherError, backend.name).to.match(
        /gather: 2 indices out of range \[0, 3\), the first at position 1 of the indices/,
      );
    }
    const afterwards = withBackend(gpu(), () => gather(tensor([1, 2, 3]), tensor([2, 0], [2], 'int32')));
    expect(Array.from(await afterwards.data()), 'reported once, then work goes on').to.deep.equal([3, 1]);
    tried += 3;
    console.log(
      `      ${tried} invalid-argument cases tried (${cases.length} drawn from ${TEMPLATE_COUNT} kinds, × 2 backends, ` +
        `+ 3 data errors: a bad label, bad gather indices on each backend), ` +
        `each with its expected error; ${failures.length} unexplained`,
    );
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(tried).to.equal(cases.length * 2 + 3);
  });

  it('the Layers API refuses bad layer, optimizer and fit arguments with a clear error', async () => {
    const g = generator(99);
    const build = (layer: () => Layer, inputShape: number[]) => () => sequential([layer()]).build(inputShape);
    const x = tensor(new Float32Array(8), [4, 2]),
      y = tensor(Int32Array.from([0, 1, 0, 1]), [4], 'int32');
    const fitWith = (args: Record<string, number>) => async () => {
      const m = sequential([dense({ units: 2, activation: 'softmax', inputShape: [2] })]);
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      try {
        await m.fit(x, y, { verbose: 0, ...args });
      } finally {
        m.dispose();
      }
    };
    const bad = () => g.pick([0, -1, NaN, 2.5, Infinity]);
    const cases: [string, () => unknown, RegExp][] = [];
    for (let i = 0; i < 3; i++) {
      const v = bad();
      cases.push(
        [`dense units ${v}`, build(() => dense({ units: v }), [2]), /dense: units must be a positive integer/],
        [
          `input shape [${v}, 2]`,
          build(() => dense({ units: 2 }), [v, 2]),
          /sequential: input shape \[.*\] must hold positive integers/,
        ],
        [
          `conv2d kernelSize ${v}`,
          build(() => conv2d({ filters: 2, kernelSize: v }), [4, 4, 1]),
          /conv2d: kernelSize must be positive integers/,
        ],
        [
          `maxPooling2d poolSize ${v}`,
          build(() => maxPooling2d({ poolSize: v }), [4, 4, 1]),
          /max_pooling2d: poolSize and strides must be positive integers/,
        ],
        [
          `averagePooling2d strides ${v}`,
          build(() => averagePooling2d({ strides: v }), [4, 4, 1]),
          /average_pooling2d: poolSize and strides must be positive integers/,
        ],
        [
          `fit epochs ${v}`,
          fitWith({ epochs: v === 0 ? -1 : v }),
          /fit: epochs and initialEpoch must be non-negative integers/,
        ],
        [`fit batchSize ${v}`, fitWith({ batchSize: v }), /fit: batchSize must be a positive integer/],
        [
          `adam learningRate ${-Math.abs(v) || NaN}`,
          () => adam({ learningRate: -Math.abs(v) || NaN }),
          /optimizer adam: learningRate must be a finite number >= 0/,
        ],
      );
    }
    const k = g.int(5, 9);
    cases.push(
      [
        'conv2d kernel larger than its input',
        build(() => conv2d({ filters: 2, kernelSize: k }), [4, 4, 1]),
        /sequential: layer '.*' \(Conv2D\) turns input shape \[4,4,1\] into \[-?\d+,-?\d+,2\]; every size must be a positive integer/,
      ],
      ['dropout rate 1', build(() => dropout({ rate: 1 }), [2]), /dropout: rate must be in \[0, 1\)/],
      ['fit validationSplit 1.5', fitWith({ validationSplit: 1.5 }), /fit: validationSplit must be in \[0, 1\)/],
      [
        'fit initialEpoch NaN',
        fitWith({ initialEpoch: NaN }),
        /fit: epochs and initialEpoch must be non-negative integers/,
      ],
      [
        'sgd momentum 1.5',
        () => sgd({ learningRate: 0.1, momentum: 1.5 }),
        /optimizer (momentum|sgd|nesterov): momentum must be in \[0, 1\)/,
      ],
      ['adam beta2 NaN', () => adam({ beta2: NaN }), /optimizer adam: beta2 must be in \[0, 1\)/],
    );
    const failures: string[] = [];
    for (const [what, run, expected] of cases) {
      const message = await Promise.resolve()
        .then(run)
        .then(
          () => 'no error',
          (e: Error) => e.message,
        );
      if (!expected.test(message)) failures.push(`${what}: "${message}" does not match ${expected}`);
    }
    console.log(
      `      ${cases.length} bad Layers API arguments, each with its expected error; ${failures.length} unexplained`,
    );
    expect(failures, failures.join('\n')).to.deep.equal([]);
    [x, y].forEach((t) => t.dispose());
  });
});

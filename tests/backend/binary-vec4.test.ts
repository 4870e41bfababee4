// Binary ops through the backend contract, GPU against the CPU reference, by path: same-shape
// float32 operands whose size is a multiple of 4 run binary_vec4 (four elements an invocation), as do
// an operand that is one row (a multiple of 4 long) repeated down the other's rows; others (odd sizes,
// other broadcasting) the general binary kernel. Every op in BINARY_OPS on each path;
// inputs include exact ties so the comparisons and maximum/minimum see equal operands.
import { expect } from 'chai';
import { BINARY_OPS, makeTensor, sizeOf, type BinaryOp, type Shape } from '@webgrad/core';
import type { WebGPUBackend } from '@webgrad/webgpu';
import { cpu, expectClose, gpu, randomValues, tensorOn } from '../helpers.js';

interface Case {
  a: Shape;
  b: Shape;
  out: Shape;
  path: 'vec4' | 'scalar';
}

const CASES: Case[] = [
  { a: [4], b: [4], out: [4], path: 'vec4' },
  { a: [1024, 1028], b: [1024, 1028], out: [1024, 1028], path: 'vec4' },
  { a: [3, 5, 12], b: [3, 5, 12], out: [3, 5, 12], path: 'vec4' },
  { a: [1], b: [1], out: [1], path: 'scalar' },
  { a: [7, 13], b: [7, 13], out: [7, 13], path: 'scalar' }, // 91 elements: not a multiple of 4
  { a: [1031], b: [1031], out: [1031], path: 'scalar' },
  // one operand a row repeated down the output, its length a multiple of 4: vec4, the row read at i % cols
  { a: [8, 12], b: [12], out: [8, 12], path: 'vec4' },
  { a: [1, 12], b: [5, 12], out: [5, 12], path: 'vec4' },
  { a: [2, 3, 5, 8], b: [8], out: [2, 3, 5, 8], path: 'vec4' }, // the leading axes merge into one
  { a: [8, 6], b: [6], out: [8, 6], path: 'scalar' }, // rows of 6: not whole vec4s
  { a: [5, 1], b: [5, 12], out: [5, 12], path: 'scalar' }, // a column repeated across: not a row
  { a: [4, 1], b: [1, 8], out: [4, 8], path: 'scalar' }, // both broadcast
];

// pow is defined for a > 0 (WGSL's pow); every other op takes any a.
const domainOf = (op: BinaryOp) => (op === 'pow' ? 'positive' : 'any');

async function run(backend: ReturnType<typeof gpu>, op: BinaryOp, c: Case, seed: number): Promise<Float32Array> {
  const aValues = randomValues(sizeOf(c.a), domainOf(op), seed);
  const bValues = randomValues(sizeOf(c.b), op === 'sigmoidBce' ? 'positive' : 'any', seed + 1);
  // every 5th element of b equals a's (where the shapes line up): ties for comparisons and extrema
  if (sizeOf(c.a) === sizeOf(c.b)) for (let i = 0; i < bValues.length; i += 5) bValues[i] = aValues[i];
  const a = tensorOn(backend, aValues, c.a),
    b = tensorOn(backend, bValues, c.b);
  const out = makeTensor(backend.binary(op, a.info(op), b.info(op), c.out), c.out, 'float32', backend);
  const values = (await out.data()) as Float32Array;
  [a, b, out].forEach((t) => t.dispose());
  return values;
}

/** The kernels `fn` dispatches on the GPU backend. */
async function kernelsDispatchedBy(fn: () => Promise<unknown>): Promise<string[]> {
  const commands = (gpu() as WebGPUBackend).commands;
  const dispatch = commands.dispatch;
  const seen: string[] = [];
  commands.dispatch = (d) => {
    seen.push(d.kernel);
    dispatch.call(commands, d);
  };
  try {
    await fn();
  } finally {
    commands.dispatch = dispatch;
  }
  return seen;
}

describe('binary ops: the vec4 and general kernels against the CPU reference', () => {
  for (const op of BINARY_OPS) {
    describe(op, () => {
      CASES.forEach((c, i) => {
        it(`[${c.a}] ${op} [${c.b}] (${c.path})`, async () => {
          const expected = await run(cpu(), op, c, 500 + i);
          let actual: Float32Array = new Float32Array();
          const kernels = await kernelsDispatchedBy(async () => {
            actual = await run(gpu(), op, c, 500 + i);
          });
          expect(kernels)
            .to.include(c.path === 'vec4' ? 'binary_vec4' : 'binary')
            .and.not.include(c.path === 'vec4' ? 'binary' : 'binary_vec4');
          expectClose(
            actual,
            expected,
            op === 'pow' || op === 'sigmoidBce' ? { rtol: 1e-5, atol: 1e-6 } : { rtol: 1e-6, atol: 0 },
            `${op} [${c.a}] [${c.b}]`,
          );
        });
      });
    });
  }
});

// The fused recurrent path (recurrentForward → core's recurrentSequence) against the op-by-op path
// (recurrentForwardStepwise, the step functions through autodiff) on the CPU in float64: forward and
// the gradients of every input (x, kernel, recurrent kernel, bias, initial states) over
// returnSequences, goBackwards, masks on a padded batch and given initial states; checkGradients on the
// fused path; WebGPU against the CPU on the same weights; masked sequences against Keras 3.15.1 (JAX)
// outputs; which configurations fall back to the op-by-op path; and the refused gradient of a gradient.
import { expect } from 'chai';
import {
  add,
  checkGradients,
  grad,
  mul,
  square,
  sum,
  tensor,
  withBackend,
  type Backend,
  type Tensor,
} from '@webgrad/core';
import {
  getActivation,
  recurrentForward,
  recurrentForwardStepwise,
  type ActivationName,
  type CellName,
  type SequenceSpec,
} from '@webgrad/layers';
import { backendOf, BACKENDS, cpu, expectClose, gpu, randomValues } from '../helpers.js';

const GATES: Record<CellName, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

interface Case {
  cell: CellName;
  returnSequences: boolean;
  goBackwards: boolean;
  masked: boolean;
  initial: boolean;
  activation?: ActivationName;
}

const cases: Case[] = [
  { cell: 'SimpleRNN', returnSequences: true, goBackwards: false, masked: true, initial: true },
  { cell: 'SimpleRNN', returnSequences: false, goBackwards: true, masked: false, initial: false, activation: 'relu' },
  { cell: 'LSTM', returnSequences: false, goBackwards: false, masked: false, initial: false },
  { cell: 'LSTM', returnSequences: true, goBackwards: false, masked: true, initial: true },
  { cell: 'LSTM', returnSequences: true, goBackwards: true, masked: true, initial: true },
  { cell: 'LSTM', returnSequences: false, goBackwards: true, masked: true, initial: false },
  { cell: 'GRU', returnSequences: false, goBackwards: false, masked: true, initial: true },
  { cell: 'GRU', returnSequences: true, goBackwards: true, masked: true, initial: true },
  { cell: 'GRU', returnSequences: true, goBackwards: false, masked: false, initial: false },
];

const describeCase = (c: Case): string =>
  [
    c.cell,
    c.activation,
    c.returnSequences && 'returnSequences',
    c.goBackwards && 'goBackwards',
    c.masked && 'masked (padded batch)',
    c.initial && 'initial states',
  ]
    .filter(Boolean)
    .join(', ');

const specOf = (c: Case): SequenceSpec => ({
  cell: c.cell,
  acts: { activation: getActivation(c.activation ?? 'tanh'), recurrentActivation: getActivation('sigmoid') },
  returnSequences: c.returnSequences,
  goBackwards: c.goBackwards,
  resetAfter: true,
});

/** Rows of lengths 5, 3, 1 and 0 (padding after), and an irregular row, for a batch of 5 and T = 5. */
const PADDED_MASK = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1];

/** The differentiable inputs [x, kernel, recurrentKernel, bias, ...initial states] and the mask, on `backend`. */
function inputsFor(backend: Backend, c: Case, [batch, steps, features]: number[], units: number, seed: number) {
  const width = GATES[c.cell] * units;
  const values = (n: number, s: number, scale: number) =>
    Float32Array.from(randomValues(n, 'any', s), (v) => Math.fround(v * scale));
  const biasShape = c.cell === 'GRU' ? [2, width] : [width];
  return withBackend(backend, () => {
    const xs = [
      tensor(values(batch * steps * features, seed, 1), [batch, steps, features]),
      tensor(values(features * width, seed + 1, 0.6), [features, width]),
      tensor(values(units * width, seed + 2, 0.6 / Math.sqrt(units)), [units, width]),
      tensor(
        values(2 * width, seed + 3, 0.3).subarray(
          0,
          biasShape.reduce((a, b) => a * b),
        ),
        biasShape,
      ),
      ...(c.initial
        ? Array.from({ length: c.cell === 'LSTM' ? 2 : 1 }, (_, i) =>
            tensor(values(batch * units, seed + 4 + i, 0.5), [batch, units]),
          )
        : []),
    ];
    const mask = c.masked
      ? tensor(
          Float32Array.from({ length: batch * steps }, (_, i) => PADDED_MASK[i % PADDED_MASK.length]),
          [batch, steps],
        )
      : undefined;
    return { xs, mask };
  });
}

type Forward = typeof recurrentForward;

/** A scalar of everything the layer returns: <u, output> + <v, last state>, as a function of the inputs. */
const objective =
  (forward: Forward, c: Case, mask: Tensor | undefined, u: Tensor, v: Tensor) =>
  (x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor, ...initialStates: Tensor[]) => {
    const { output, states } = forward(
      specOf(c),
      x,
      { kernel, recurrentKernel, bias },
      { initialStates: initialStates.length ? initialStates : undefined, mask },
    );
    return add(sum(mul(output, u)), sum(mul(states[states.length - 1], v)));
  };

async function valuesAndGradients(backend: Backend, forward: Forward, c: Case, shape: number[], units: number) {
  const { xs, mask } = inputsFor(backend, c, shape, units, 40);
  const [batch, steps] = shape;
  const outShape = c.returnSequences ? [batch, steps, units] : [batch, units];
  return withBackend(backend, async () => {
    const u = tensor(
      Float32Array.from(
        randomValues(
          outShape.reduce((a, b) => a * b),
          'any',
          91,
        ),
      ),
      outShape,
    );
    const v = tensor(Float32Array.from(randomValues(batch * units, 'any', 92)), [batch, units]);
    const { output, states } = forward(
      specOf(c),
      xs[0],
      { kernel: xs[1], recurrentKernel: xs[2], bias: xs[3] },
      {
        initialStates: c.initial ? xs.slice(4) : undefined,
        mask,
      },
    );
    const grads = grad(objective(forward, c, mask, u, v))(...xs);
    return {
      output: await output.data(),
      states: await Promise.all(states.map((s) => s.data())),
      grads: await Promise.all(grads.map((g) => g.data())),
    };
  });
}

const INPUT_NAMES = ['x', 'kernel', 'recurrentKernel', 'bias', 'h0', 'c0'];

/** Counts the backend's fused forwards while fn runs. */
async function fusedCalls(backend: Backend, fn: () => Promise<unknown>): Promise<number> {
  const original = backend.recurrentForward.bind(backend);
  let calls = 0;
  Object.assign(backend, {
    recurrentForward: (...args: Parameters<Backend['recurrentForward']>) => {
      calls++;
      return original(...args);
    },
  });
  try {
    await fn();
  } finally {
    delete (backend as { recurrentForward?: unknown }).recurrentForward;
  }
  return calls;
}

describe('fused recurrent sequences against the op-by-op path (CPU, float64)', () => {
  const shape = [5, 5, 3];
  const units = 4;
  for (const c of cases) {
    it(`${describeCase(c)}: forward, final states and every input's gradient`, async () => {
      let fused: Awaited<ReturnType<typeof valuesAndGradients>> | undefined;
      const calls = await fusedCalls(cpu(), async () => {
        fused = await valuesAndGradients(cpu(), recurrentForward, c, shape, units);
      });
      expect(calls, 'fused forwards run').to.equal(2); // the forward, and the one inside grad
      const stepwise = await valuesAndGradients(cpu(), recurrentForwardStepwise, c, shape, units);
      const tolerance = { rtol: 1e-6, atol: 1e-7 };
      expectClose(fused!.output, stepwise.output, tolerance, 'output');
      fused!.states.forEach((s, i) => expectClose(s, stepwise.states[i], tolerance, `state ${i}`));
      expect(fused!.grads).to.have.length(c.initial ? (c.cell === 'LSTM' ? 6 : 5) : 4);
      fused!.grads.forEach((g, i) => expectClose(g, stepwise.grads[i], tolerance, `d/d${INPUT_NAMES[i]}`));
    });
  }

  for (const c of [cases[0], cases[4], cases[7]]) {
    it(`${describeCase(c)}: checkGradients on the fused path, every input`, async () => {
      const { xs, mask } = inputsFor(cpu(), c, [3, 4, 2], 2, 60);
      const [u, v] = withBackend(cpu(), () => [
        tensor(
          Float32Array.from(randomValues(c.returnSequences ? 24 : 6, 'any', 61)),
          c.returnSequences ? [3, 4, 2] : [3, 2],
        ),
        tensor(Float32Array.from(randomValues(6, 'any', 62)), [3, 2]),
      ]);
      const result = await checkGradients(objective(recurrentForward, c, mask, u, v), xs, { rtol: 1e-5, atol: 1e-7 });
      expect(result.mode).to.equal('elementwise');
      expect(result.checks, 'every element of every input').to.equal(xs.reduce((n, t) => n + t.size, 0));
    });
  }
});

describe('fused recurrent sequences: WebGPU against the CPU on the same weights', () => {
  // batch and units off the kernels' tiles (8 and 4 rows; 64 and 128 units)
  const shape = [10, 7, 5];
  const units = 33;
  for (const c of cases) {
    it(describeCase(c), async () => {
      const expected = await valuesAndGradients(cpu(), recurrentForward, c, shape, units);
      const actual = await valuesAndGradients(gpu(), recurrentForward, c, shape, units);
      const tolerance = { rtol: 1e-4, atol: 1e-5 };
      expectClose(actual.output, expected.output, tolerance, 'output');
      actual.states.forEach((s, i) => expectClose(s, expected.states[i], tolerance, `state ${i}`));
      actual.grads.forEach((g, i) =>
        expectClose(g, expected.grads[i], { rtol: 1e-3, atol: 1e-4 }, `d/d${INPUT_NAMES[i]}`),
      );
    });
  }
});

// Keras 3.15.1 on JAX: layer(x, mask=mask, initial_state=…) with return_sequences and return_state, on
// the weights below (set_weights); B = 3, T = 5, 3 features, 2 units. A masked timestep repeats the
// previous output (the initial h before the first kept step) and carries the states over.
const KERAS_MASKED = {
  x: [
    -0.21, -0.48, -0.66, 0.25, -0.07, 0.78, 0.56, 0.54, -0.72, 0.09, 0.17, -0.72, -0.04, -0.27, -0.45, 0.48, -0.13,
    -0.63, -0.21, 0.66, -0.18, -0.5, -0.69, 0.02, 0.27, -0.14, 0.56, 0.04, 0.48, 0.1, 0.15, -0.14, -0.62, 0.33, 0.57,
    0.36, -0.13, -0.66, -0.5, 0.08, 0.25, -0.76, 0.71, 0.34, 0.36,
  ],
  mask: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1],
  cases: [
    {
      cell: 'SimpleRNN' as CellName,
      goBackwards: false,
      kernel: [0.72, 0.69, -0.01, 0.56, 0.73, -0.13],
      recurrentKernel: [0.17, 0.15, -0.03, -0.05],
      bias: [-0.45, -0.5],
      biasShape: [2],
      initialStates: [[0.78, 0.19, -0.01, -0.44, 0.3, 0.32]],
      sequence: [
        -0.740371, -0.617157, 0.190399, -0.499243, -0.485729, 0.323832, -0.763598, -0.325826, -0.728084, -0.616009,
        -0.501644, -0.138308, -0.67525, -0.309716, -0.713364, -0.866735, -0.713364, -0.866735, -0.713364, -0.866735,
        0.3, 0.32, 0.085888, 0.029092, 0.085888, 0.029092, -0.733366, -0.192153, 0.199001, 0.033091,
      ],
      states: [[-0.728084, -0.616009, -0.713364, -0.866735, 0.199001, 0.033091]],
    },
    {
      cell: 'LSTM' as CellName,
      goBackwards: false,
      kernel: [
        0.43, 0.53, 0.71, -0.29, 0.27, -0.29, -0.32, 0.47, 0.4, 0.37, -0.6, 0.75, 0.21, -0.06, 0.66, -0.62, -0.32,
        -0.57, -0.28, 0.46, -0.56, 0.42, 0.16, -0.27,
      ],
      recurrentKernel: [
        0.56, -0.73, -0.41, 0, -0.16, -0.18, 0.8, 0.08, 0.26, -0.07, -0.48, -0.63, 0.41, 0.36, 0.79, -0.4,
      ],
      bias: [-0.17, -0.2, 0.12, -0.72, 0.48, 0.37, -0.65, 0.34],
      biasShape: [8],
      initialStates: [
        [-0.31, 0.15, 0.26, 0.51, -0.34, 0.03],
        [-0.07, -0.53, 0.77, -0.26, 0.31, 0.31],
      ],
      sequence: [
        0.054425, 0.030045, 0.057064, 0.122223, 0.216566, 0.00133, 0.239768, -0.002032, 0.202038, 0.04636, 0.299899,
        0.009255, 0.300708, 0.058546, 0.129192, 0.10327, 0.129192, 0.10327, 0.129192, 0.10327, -0.34, 0.03, 0.136387,
        0.180606, 0.136387, 0.180606, 0.234587, 0.076299, 0.234511, 0.103788,
      ],
      states: [
        [0.202038, 0.04636, 0.129192, 0.10327, 0.234511, 0.103788],
        [0.705346, 0.071168, 0.397723, 0.165674, 0.642185, 0.178511],
      ],
    },
    {
      cell: 'LSTM' as CellName,
      goBackwards: true,
      kernel: [
        0, -0.13, -0.58, 0.46, -0.67, 0.52, -0.28, -0.23, -0.44, 0.57, 0.8, -0.5, 0.21, -0.73, -0.16, -0.45, 0.21,
        -0.48, 0.18, 0.74, -0.4, -0.59, 0.57, -0.71,
      ],
      recurrentKernel: [
        0.38, 0.63, -0.58, 0.02, 0.76, -0.56, 0.53, 0.28, -0.68, -0.53, 0.68, -0.7, -0.23, -0.74, -0.39, -0.46,
      ],
      bias: [0.46, -0.67, -0.62, 0.07, -0.48, 0.03, -0.72, -0.5],
      biasShape: [8],
      initialStates: [
        [-0.26, -0.11, -0.48, 0.3, 0.12, -0.76],
        [-0.56, 0.37, -0.58, -0.05, 0.27, -0.53],
      ],
      sequence: [
        -0.113339, 0.173693, -0.070495, 0.111395, -0.066717, 0.088013, -0.223446, 0.022104, -0.09412, 0.130295, -0.48,
        0.3, -0.48, 0.3, -0.164017, 0.012819, -0.115926, -0.047206, -0.095619, 0.085839, -0.153244, -0.070072,
        -0.062738, 0.055262, -0.062738, 0.055262, -0.146859, -0.01909, -0.146859, -0.01909,
      ],
      states: [
        [-0.09412, 0.130295, -0.095619, 0.085839, -0.146859, -0.01909],
        [-0.39237, 0.246162, -0.453332, 0.184228, -0.495735, -0.078403],
      ],
    },
    {
      cell: 'GRU' as CellName,
      goBackwards: true,
      kernel: [
        0.05, 0.47, 0.56, -0.27, 0.18, 0.06, -0.47, 0.36, 0.6, -0.74, 0.73, -0.71, -0.15, -0.68, -0.19, 0.11, 0, -0.23,
      ],
      recurrentKernel: [0.04, 0.32, 0.25, -0.56, 0.09, -0.7, 0.23, -0.73, 0.09, -0.43, -0.72, -0.02],
      bias: [-0.31, -0.71, 0.45, -0.43, 0.26, -0.13, 0.46, -0.32, -0.59, -0.25, 0.28, -0.3],
      biasShape: [2, 6],
      initialStates: [[-0.25, 0.35, 0.53, -0.5, 0.01, 0.57]],
      sequence: [
        -0.127343, 0.169193, 0.128007, -0.030667, 0.431918, -0.204023, 0.436981, -0.361109, 0.30634, -0.071331, 0.53,
        -0.5, 0.53, -0.5, 0.264735, -0.125284, 0.514793, -0.425242, 0.527243, -0.24446, 0.2451, -0.21541, 0.418633,
        -0.232383, 0.418633, -0.232383, 0.612423, -0.483663, 0.612423, -0.483663,
      ],
      states: [[0.30634, -0.071331, 0.527243, -0.24446, 0.612423, -0.483663]],
    },
  ],
} as const;

for (const backendName of BACKENDS) {
  describe(`masked sequences against Keras 3 on ${backendName}`, () => {
    for (const k of KERAS_MASKED.cases) {
      it(`${k.cell}${k.goBackwards ? ', goBackwards' : ''}: the sequence and the final states`, async () => {
        const width = GATES[k.cell] * 2;
        const { output, states } = withBackend(backendOf(backendName), () =>
          recurrentForward(
            {
              cell: k.cell,
              acts: { activation: getActivation('tanh'), recurrentActivation: getActivation('sigmoid') },
              returnSequences: true,
              goBackwards: k.goBackwards,
              resetAfter: true,
            },
            tensor(KERAS_MASKED.x, [3, 5, 3]),
            {
              kernel: tensor(k.kernel, [3, width]),
              recurrentKernel: tensor(k.recurrentKernel, [2, width]),
              bias: tensor(k.bias, [...k.biasShape]),
            },
            {
              initialStates: k.initialStates.map((s) => tensor(s, [3, 2])),
              mask: tensor(KERAS_MASKED.mask, [3, 5]),
            },
          ),
        );
        const tolerance = { rtol: 1e-5, atol: 2e-6 };
        expectClose(await output.data(), k.sequence, tolerance, 'sequence');
        for (const [i, s] of states.entries()) expectClose(await s.data(), k.states[i], tolerance, `state ${i}`);
      });
    }
  });
}

describe('recurrentForward: what runs op by op, and a gradient of a gradient', () => {
  const fallbacks: [string, Partial<SequenceSpec>, ActivationName][] = [
    ['a resetAfter=false GRU', { cell: 'GRU', resetAfter: false }, 'tanh'],
    ['an LSTM with elu (no fused kernel)', { cell: 'LSTM' }, 'elu'],
  ];
  for (const [what, partial, activation] of fallbacks) {
    it(`${what} runs the step functions, and equals them`, async () => {
      const c: Case = { cell: partial.cell!, returnSequences: true, goBackwards: false, masked: true, initial: false };
      const spec = { ...specOf(c), ...partial, acts: { ...specOf(c).acts, activation: getActivation(activation) } };
      const { xs, mask } = inputsFor(cpu(), c, [3, 4, 2], 3, 80);
      const run = (forward: Forward) =>
        withBackend(cpu(), () =>
          forward(spec, xs[0], { kernel: xs[1], recurrentKernel: xs[2], bias: xs[3] }, { mask }),
        );
      let viaLayer: Tensor | undefined;
      expect(await fusedCalls(cpu(), async () => (viaLayer = run(recurrentForward).output))).to.equal(0);
      expectClose(await viaLayer!.data(), await run(recurrentForwardStepwise).output.data(), {}, what);
    });
  }

  it('refuses a gradient of a gradient through the fused op by name', () => {
    const c = cases[3];
    const { xs, mask } = inputsFor(cpu(), c, [2, 3, 2], 2, 90);
    const penalty = (x: Tensor) => {
      const inner = (v: Tensor) =>
        sum(recurrentForward(specOf(c), v, { kernel: xs[1], recurrentKernel: xs[2], bias: xs[3] }, { mask }).output);
      return sum(square(grad(inner)(x)[0]));
    };
    expect(() => withBackend(cpu(), () => grad(penalty)(xs[0]))).to.throw(
      "recurrentSequenceGrad: the gradient of a fused LSTM's gradient (record [23,2,2]) is not implemented; " +
        'for a gradient penalty through a recurrent layer use recurrentForwardStepwise',
    );
  });
});

// Numerics: the check-numerics mode names the first op whose output held NaN or Infinity with one
// readback (and is absent from the op path when off); fit stops at that step under terminateOnNaN,
// naming the op, and rejects with a NonFiniteError without it. The stable kernels (log-sum-exp in
// softmax cross-entropy and logSoftmax, binary cross-entropy from logits, clamped logs) stay finite
// and exact at extreme inputs, on both backends, against float64 formulas.
import { expect } from 'chai';
import {
  checkNumerics,
  debugHooksActive,
  exp,
  grad,
  log,
  logSoftmax,
  memory,
  mul,
  NonFiniteError,
  relu,
  sigmoidBinaryCrossEntropy,
  softmax,
  softmaxCrossEntropy,
  sum,
  takeNumericsFinding,
  tensor,
  withBackend,
  type Backend,
} from '@webgrad/core';
import { binaryCrossentropy, categoricalCrossentropy, dense, sequential, sgd, terminateOnNaN } from '@webgrad/layers';
import { backendOf, BACKENDS, cpu, expectClose, gpu } from '../helpers.js';

describe('check-numerics mode', () => {
  afterEach(() => checkNumerics(false));

  it('costs nothing when off: no observer on the op path', () => {
    checkNumerics(true);
    expect(debugHooksActive()).to.equal(true);
    checkNumerics(false);
    expect(debugHooksActive()).to.equal(false);
  });

  it('names the first op whose output is not finite, with one readback, on the GPU', async () => {
    const backend = gpu();
    let reads = 0;
    const read = backend.read.bind(backend);
    backend.read = (x) => {
      reads++;
      return read(x);
    };
    try {
      const x = withBackend(backend, () => tensor([1, -1, 2]));
      checkNumerics(true);
      const y = withBackend(backend, () => exp(log(mul(relu(x), 3)))); // relu, mul fine; log(0) = -∞ first; exp(-∞) = 0 is finite again
      const finding = await takeNumericsFinding();
      expect(reads, 'one readback for all the flags').to.equal(1);
      expect(finding?.op).to.equal('log');
      expect(finding?.index).to.equal(3); // tensor, relu, mul (its scalar 3 first), then log
      expect(finding?.message).to.match(/op 'log' \(output shape \[3\]\) produced NaN or Infinity/);
      expect(await takeNumericsFinding(), 'flags are forgotten once read').to.equal(null);
      [x, y].forEach((t) => t.dispose());
    } finally {
      delete (backend as { read?: unknown }).read; // back to the prototype's
    }
  });

  const divergingModel = () => {
    const model = sequential([dense({ units: 4, activation: 'relu', inputShape: [2] }), dense({ units: 1 })], {
      seed: 1,
    });
    model.compile({ optimizer: sgd({ learningRate: 1e30 }), loss: 'meanSquaredError' }); // the first update overflows the weights
    return model;
  };
  const data = () =>
    withBackend(gpu(), () => ({
      x: tensor([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ]),
      y: tensor([[1], [2], [3], [4]]),
    }));

  it('terminateOnNaN stops fit at the first bad step, naming the op', async () => {
    const model = divergingModel();
    const { x, y } = data();
    const lines: string[] = [];
    const stopper = terminateOnNaN({ log: (line) => lines.push(line) });
    let batches = 0;
    checkNumerics(true);
    await model.fit(x, y, {
      epochs: 3,
      batchSize: 2,
      shuffle: false,
      verbose: 0,
      callbacks: [
        stopper,
        {
          onBatchEnd: () => {
            batches++;
          },
        },
      ],
    });
    expect(batches, 'stopped within the step that went bad').to.equal(2);
    expect(stopper.reason).to.match(/^batch 2: op '\w+' \(output shape \[[\d,]+\]\) produced NaN or Infinity/);
    expect(lines).to.have.length(1);
    console.log(`      ${lines[0]}`);
    model.dispose();
  });

  it('without terminateOnNaN, fit rejects with a NonFiniteError naming the op, the epoch and the batch', async () => {
    const model = divergingModel();
    const { x, y } = data();
    checkNumerics(true);
    const error = await model.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 }).then(
      () => null,
      (e) => e,
    );
    expect(error).to.be.instanceOf(NonFiniteError);
    expect((error as Error).message).to.match(
      /^fit: epoch 1, batch 2: op '\w+' \(output shape .*\) produced NaN or Infinity/,
    );
    model.dispose();
  });

  it('a fit that rejects leaves no tensor behind', async () => {
    const model = divergingModel();
    const { x, y } = data();
    withBackend(gpu(), () => model.build());
    const before = memory().tensors; // the weights are Variables: never tracked by a scope
    checkNumerics(true);
    const error = await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0, validationSplit: 0.5 }).then(
      () => null,
      (e) => e,
    );
    expect(error).to.be.instanceOf(NonFiniteError);
    expect(memory().tensors - before, 'tensors fit made before it rejected (sgd keeps no state)').to.equal(0);
    model.dispose();
  });
});

const log1pExp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); // softplus, stable in float64

for (const name of BACKENDS) {
  describe(`stable kernels at extreme inputs on ${name}`, () => {
    const on = <T>(fn: () => T) => withBackend(backendOf(name) as Backend, fn);

    it('softmax cross-entropy and logSoftmax: log-sum-exp at logits of ±1e4 and 88..90', async () => {
      const rows = [
        [1e4, -1e4, 0],
        [88, 89, 90],
        [-1e4, -1e4, -1e4 + 1],
      ];
      const logsumexp = (r: number[]) => {
        const m = Math.max(...r);
        return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
      };
      const labels = [1, 2, 0];
      const logits = on(() => tensor(rows));
      const ce = await on(() => softmaxCrossEntropy(logits, tensor(labels, [3], 'int32'))).data();
      expectClose(
        ce,
        rows.map((r, i) => logsumexp(r) - r[labels[i]]),
        { rtol: 1e-6, atol: 1e-3 },
        'cross-entropy',
      );
      const ls = await on(() => logSoftmax(logits)).data();
      expectClose(
        ls,
        rows.flatMap((r) => r.map((v) => v - logsumexp(r))),
        { rtol: 1e-6, atol: 1e-3 },
        'logSoftmax',
      );
      const [dLogits] = grad((l) =>
        sum(
          softmaxCrossEntropy(
            l,
            on(() => tensor(labels, [3], 'int32')),
          ),
        ),
      )(logits);
      const g = await dLogits.data();
      const expected = rows.flatMap((r, i) => r.map((v, c) => Math.exp(v - logsumexp(r)) - (c === labels[i] ? 1 : 0)));
      expectClose(g, expected, { rtol: 1e-5, atol: 1e-6 }, 'its gradient');
    });

    it('binary cross-entropy from logits at ±100 and ±1e4', async () => {
      const xs = [100, -100, 1e4, -1e4, 0, 30],
        zs = [0, 1, 1, 0, 1, 0];
      const out = await on(() => sigmoidBinaryCrossEntropy(tensor(xs), tensor(zs))).data();
      expectClose(
        out,
        xs.map((x, i) => log1pExp(x) - x * zs[i]),
        { rtol: 1e-6, atol: 1e-6 },
        'bce',
      );
      const [dx] = grad((x) =>
        sum(
          sigmoidBinaryCrossEntropy(
            x,
            on(() => tensor(zs)),
          ),
        ),
      )(on(() => tensor(xs)));
      expectClose(
        await dx.data(),
        xs.map((x, i) => 1 / (1 + Math.exp(-x)) - zs[i]),
        { rtol: 1e-6, atol: 1e-7 },
        'its gradient',
      );
    });

    it('losses on probabilities clamp their logs: p = 0 and p = 1 give finite losses', async () => {
      const eps = 1e-7;
      const bce = await on(() => binaryCrossentropy().compute(tensor([[1, 0, 1, 0]]), tensor([[0, 1, 1, 0]]))).data();
      // −[z log p + (1 − z) log(1 − p)] with p clipped to [ε, 1 − ε], averaged over the 4 entries
      // 1 − ε is rounded to float32 on the GPU (1 − 1.19e-7), so log(1 − p) differs there
      const top = name === 'webgpu' ? Math.fround(1 - eps) : 1 - eps;
      const clip = (p: number) => Math.min(Math.max(p, eps), top);
      const expected =
        [
          [1, 0],
          [0, 1],
          [1, 1],
          [0, 0],
        ]
          .map(([z, p]) => -(z * Math.log(clip(p)) + (1 - z) * Math.log(1 - clip(p))))
          .reduce((a, b) => a + b) / 4;
      expectClose(bce, [expected], { rtol: 1e-3, atol: 1e-4 }, 'binaryCrossentropy');
      const cce = await on(() => categoricalCrossentropy().compute(tensor([[0, 1, 0]]), tensor([[1, 0, 0]]))).data();
      expectClose(cce, [-Math.log(eps)], { rtol: 1e-3 }, 'categoricalCrossentropy');
    });
  });
}

describe('the CPU reference at huge finite logits', () => {
  // equal logits give equal probabilities whatever their size: softmax 1/n, log-softmax −log n, and a
  // cross-entropy of log n; at 1e16 max + log Σ rounded back to max and gave [1, 1]
  for (const c of [1e14, 1e16, 1e20, 3e38, -3e38]) {
    it(`softmax, logSoftmax and softmax cross-entropy of [${c}, ${c}, ${c}]`, async () =>
      withBackend(cpu(), async () => {
        const logits = tensor([[c, c, c]], [1, 3]);
        expectClose(await softmax(logits).data(), [1 / 3, 1 / 3, 1 / 3], { rtol: 1e-6, atol: 0 });
        expectClose(await logSoftmax(logits).data(), [-Math.log(3), -Math.log(3), -Math.log(3)], { rtol: 1e-6 });
        expectClose(await softmaxCrossEntropy(logits, tensor([2], [1], 'int32')).data(), [Math.log(3)], {
          rtol: 1e-6,
        });
        const [g] = grad((z) => sum(softmaxCrossEntropy(z, tensor([0], [1], 'int32'))))(logits);
        expectClose(await g.data(), [1 / 3 - 1, 1 / 3, 1 / 3], { rtol: 1e-6 });
      }));
  }
  it('logits two apart at 2^24 (float32 steps of 2 there) keep their difference', () =>
    withBackend(cpu(), async () => {
      const z = 2 ** 24;
      const e = Math.E;
      expectClose(await softmax(tensor([[z, z + 2]], [1, 2])).data(), [1 / (1 + e * e), (e * e) / (1 + e * e)], {
        rtol: 1e-6,
      });
    }));
});

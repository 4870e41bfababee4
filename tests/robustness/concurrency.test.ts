// Concurrency on one device: two models training at once (their steps interleaved, each yielding to
// the event loop after every batch) end with exactly the weights and histories each reaches alone,
// and a third model's predict, called again and again during those fits, gives what it gives alone.
import { expect } from 'chai';
import { tensor, withBackend, type Tensor } from '@webgrad/core';
import { adam, dense, dropout, sequential, sgd, type Sequential } from '@webgrad/layers';
import { gpu, randomValues } from '../helpers.js';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function data(n: number, features: number, seed: number) {
  return withBackend(gpu(), () => ({
    x: tensor(Float32Array.from(randomValues(n * features, 'any', seed)), [n, features]),
    y: tensor(
      Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 3),
      [n],
      'int32',
    ),
  }));
}

const modelA = () => {
  const m = sequential(
    [
      dense({ units: 12, activation: 'relu', inputShape: [6] }),
      dropout({ rate: 0.2 }),
      dense({ units: 3, activation: 'softmax' }),
    ],
    { seed: 11 },
  );
  m.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
};
const modelB = () => {
  const m = sequential(
    [dense({ units: 8, activation: 'tanh', inputShape: [4] }), dense({ units: 3, activation: 'softmax' })],
    { seed: 12 },
  );
  m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
};

const weightsOf = (m: Sequential) => Promise.all(m.weights.map(async (w) => Array.from(await w.data())));

describe('concurrency on one GPU device', () => {
  it('two models training at once, and predict during fit, give the same results as alone', async function () {
    this.timeout(300_000);
    const a = data(96, 6, 1),
      b = data(80, 4, 2),
      probe = data(20, 4, 3);
    const fitArgs = { epochs: 3, batchSize: 8, verbose: 0 as const, callbacks: [{ onBatchEnd: yieldToLoop }] };

    const aloneA = modelA(),
      aloneB = modelB(),
      predictor = modelB();
    const historyA = await aloneA.fit(a.x, a.y, fitArgs);
    const historyB = await aloneB.fit(b.x, b.y, fitArgs);
    const predictedAlone = await withBackend(gpu(), () => predictor.predict(probe.x)).data();

    const togetherA = modelA(),
      togetherB = modelB();
    let fitting = true,
      predictions = 0;
    const mismatches: string[] = [];
    const predictLoop = (async () => {
      while (fitting) {
        const p: Tensor = withBackend(gpu(), () => predictor.predict(probe.x));
        const values = await p.data();
        p.dispose();
        predictions++;
        const bad = values.findIndex((v, i) => v !== predictedAlone[i]);
        if (bad >= 0) {
          mismatches.push(`prediction ${predictions}: element ${bad} is ${values[bad]}, alone ${predictedAlone[bad]}`);
        }
        await yieldToLoop();
      }
    })();
    const order: string[] = [];
    const logged = (name: string) => ({
      ...fitArgs,
      callbacks: [
        {
          onBatchEnd: async () => {
            order.push(name);
            await yieldToLoop();
          },
        },
      ],
    });
    const [historyA2, historyB2] = await Promise.all([
      togetherA.fit(a.x, a.y, logged('A')),
      togetherB.fit(b.x, b.y, logged('B')),
    ]);
    expect(order.indexOf('B'), 'the fits interleave').to.be.lessThan(order.lastIndexOf('A'));
    expect(order.indexOf('A')).to.be.lessThan(order.lastIndexOf('B'));
    fitting = false;
    await predictLoop;

    expect(await weightsOf(togetherA), 'model A: weights').to.deep.equal(await weightsOf(aloneA));
    expect(await weightsOf(togetherB), 'model B: weights').to.deep.equal(await weightsOf(aloneB));
    expect(historyA2.history).to.deep.equal(historyA.history);
    expect(historyB2.history).to.deep.equal(historyB.history);
    expect(mismatches).to.deep.equal([]);
    expect(predictions, 'predict ran during the fits').to.be.greaterThan(5);
    console.log(
      `      2 fits interleaved step by step (${3 * 12} + ${3 * 10} steps) ` +
        `with ${predictions} predicts of a third model: identical to each alone`,
    );
    [aloneA, aloneB, predictor, togetherA, togetherB].forEach((m) => m.dispose());
    [a, b, probe].forEach(({ x, y }) => {
      x.dispose();
      y.dispose();
    });
  });
});

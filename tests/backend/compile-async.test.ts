// Asynchronous kernel compiles (commands.ts, compileAsync, on by default in a browser): work that needs
// a pipeline not compiled yet is held and runs once it exists. Each test uses a backend of its own,
// so no pipeline is compiled before it starts, and checks values against the CPU backend or against
// the same work on a backend that compiles on first use, plus that no compile blocked the caller.
import { expect } from 'chai';
import { exp, matmul, registerBackend, relu, setBackend, sum, tensor, tidy, withBackend } from '@webgrad/core';
import { createWebGPUBackend, WebGPUBackend } from '@webgrad/webgpu';
import { adam, dense, dropout, sequential } from '@webgrad/layers';
import { cpu, expectClose, randomValues } from '../helpers.js';

let instances = 0;
async function freshBackend(compileAsync: boolean): Promise<WebGPUBackend> {
  const name = `webgpu-compile-${compileAsync ? 'async' : 'sync'}-${instances++}`;
  registerBackend(name, () => createWebGPUBackend({ compileAsync }));
  return (await setBackend(name)) as WebGPUBackend;
}

describe('asynchronous kernel compiles', function () {
  this.timeout(180_000);
  after(() => setBackend('cpu'));

  it('held work reads its inputs as they were, even when they are freed and their buffers reused for uploads', async () => {
    const backend = await freshBackend(true);
    const a = randomValues(1000, 'any', 1),
      b = randomValues(1000, 'any', 2);
    const { x, y } = withBackend(backend, () => {
      const x = tensor(Float32Array.from(a), [1000]);
      const y = exp(x); // held: exp's pipeline is not compiled yet
      x.dispose();
      return { x: tensor(Float32Array.from(b), [1000]), y }; // an upload while exp is held
    });
    expect(backend.commands.stats().compiles.sync, 'compiles on the calling thread').to.equal(0);
    expectClose(await y.data(), a.map(Math.exp), { rtol: 1e-5 }, 'exp of the freed input');
    expectClose(await x.data(), Float32Array.from(b), {}, 'the upload');
    [x, y].forEach((t) => t.dispose());
  });

  it('a chain recorded across several compiles matches the CPU backend', async () => {
    const backend = await freshBackend(true);
    const a = randomValues(64 * 32, 'any', 3),
      w = randomValues(32 * 8, 'any', 4);
    const f = () =>
      tidy(() =>
        exp(sum(relu(matmul(tensor(Float32Array.from(a), [64, 32]), tensor(Float32Array.from(w), [32, 8]))), 1)),
      );
    const expected = await withBackend(cpu(), f).data();
    const out = withBackend(backend, f);
    expectClose(await out.data(), expected, { rtol: 1e-4, atol: 1e-5 }, 'exp(sum(relu(a·w)))');
    out.dispose();
    expect(backend.commands.stats().compiles.sync).to.equal(0);
  });

  it('fit trains bit for bit as with compiles on first use, without one compile on the calling thread', async () => {
    const n = 96,
      xs = Float32Array.from(randomValues(n * 8, 'any', 5)),
      labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const trainOn = async (compileAsync: boolean) => {
      const backend = await freshBackend(compileAsync);
      const model = sequential(
        [
          dense({ units: 16, activation: 'relu', inputShape: [8] }),
          dropout({ rate: 0.2 }),
          dense({ units: 3, activation: 'softmax' }),
        ],
        { seed: 3 },
      );
      model.compile({
        optimizer: adam({ learningRate: 1e-2 }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const x = tensor(xs, [n, 8]),
        y = tensor(labels, [n], 'int32');
      const history = await model.fit(x, y, { epochs: 3, batchSize: 16, validationData: [x, y], verbose: 0 });
      const weights = await Promise.all(model.getWeights().map((t) => t.data()));
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { history: history.history, weights, compiles: backend.commands.stats().compiles };
    };
    const sync = await trainOn(false),
      held = await trainOn(true);
    expect(held.compiles.sync, 'compiles on the calling thread').to.equal(0);
    expect(held.compiles.async).to.be.greaterThan(10);
    expect(sync.compiles.sync).to.be.greaterThan(10);
    expect(held.history).to.deep.equal(sync.history);
    held.weights.forEach((w, i) => expect(Array.from(w), `weight ${i}`).to.deep.equal(Array.from(sync.weights[i])));
  });

  it('fit holds no step behind a compile, and creates the same bind groups and buffers whatever the number of steps', async () => {
    // The same data each time, so the work before the first step (the data checks) is the same too,
    // and only the number of steps differs: 4 steps an epoch, for 2 epochs against 10.
    const fitEpochs = async (epochs: number) => {
      const backend = await freshBackend(true);
      const n = 64,
        xs = Float32Array.from(randomValues(n * 8, 'any', 6)),
        labels = Int32Array.from({ length: n }, (_, i) => i % 3);
      const model = sequential(
        [dense({ units: 16, activation: 'relu', inputShape: [8] }), dense({ units: 3, activation: 'softmax' })],
        { seed: 4 },
      );
      model.compile({
        optimizer: adam({ learningRate: 1e-2 }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const x = tensor(xs, [n, 8]),
        y = tensor(labels, [n], 'int32');
      let mostHeld = 0;
      await model.fit(x, y, {
        epochs,
        batchSize: 16,
        verbose: 0,
        callbacks: [
          {
            onBatchEnd: () => {
              mostHeld = Math.max(mostHeld, backend.commands.stats().held);
            },
          },
        ],
      });
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { mostHeld, bindGroups: backend.commands.stats().bindGroupsCreated, buffers: backend.memory().created };
    };
    // the first steps settle which pooled buffers each op gets; from then on every step is the same
    const short = await fitEpochs(2),
      long = await fitEpochs(10);
    expect(short.mostHeld, 'dispatches held after a step').to.equal(0);
    expect(long.mostHeld, 'dispatches held after a step').to.equal(0);
    expect(long.bindGroups, 'bind groups: 40 steps against 8').to.equal(short.bindGroups);
    expect(long.buffers, 'buffers: 40 steps against 8').to.equal(short.buffers);
  });
});

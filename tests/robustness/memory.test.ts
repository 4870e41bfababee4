// Memory under long runs: a 1,000-step fit on the GPU whose live tensors, storages, buffers and bytes
// stay constant after step 10 and which creates no GPU buffer and no bind group after warm-up; watchTensors naming the
// op behind each leak; tidyAsync freeing across awaits, and isolating two async tasks at once.
import { expect } from 'chai';
import {
  add,
  asyncScopesIsolated,
  matmul,
  memory,
  mul,
  setBackend,
  sum,
  tensor,
  tidy,
  tidyAsync,
  watchTensors,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import { WebGPUBackend } from '@webgrad/webgpu';
import { adam, dense, sequential } from '@webgrad/layers';
import { gpu, randomValues } from '../helpers.js';

const CONSTANT_AFTER_WARMUP =
  '1,000 training steps: tensors, storages, buffers and bytes constant after step 10; ' +
  'no buffer created after the first epoch, no bind group after the third';

describe('memory under a long run (WebGPU)', () => {
  it(CONSTANT_AFTER_WARMUP, async function () {
    this.timeout(300_000);
    const backend = gpu() as WebGPUBackend;
    const n = 40,
      batchSize = 4,
      epochs = 100; // 10 steps an epoch: 1,000 steps
    const { x, y } = withBackend(backend, () => ({
      x: tensor(Float32Array.from(randomValues(n * 4, 'any', 11)), [n, 4]),
      y: tensor(
        Int32Array.from({ length: n }, (_, i) => i % 2),
        [n],
        'int32',
      ),
    }));
    const model = sequential(
      [dense({ units: 8, activation: 'relu', inputShape: [4] }), dense({ units: 2, activation: 'softmax' })],
      { seed: 3 },
    );
    model.compile({
      optimizer: adam({ learningRate: 0.01 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const samples: {
      step: number;
      tensors: number;
      storages: number;
      bytes: number;
      buffers: number;
      bufferBytes: number;
      created: number;
      bindGroups: number;
    }[] = [];
    let step = 0;
    await setBackend('webgpu');
    try {
      await model.fit(x, y, {
        epochs,
        batchSize,
        verbose: 0,
        callbacks: [
          {
            onBatchEnd: () => {
              step++;
              const m = memory();
              samples.push({
                step,
                tensors: m.tensors,
                storages: m.storages,
                bytes: m.bytes,
                buffers: m.backend!.buffers,
                bufferBytes: m.backend!.bytes,
                created: m.backend!.created!,
                bindGroups: backend.commands.stats().bindGroupsCreated,
              });
            },
          },
        ],
      });
    } finally {
      await setBackend('cpu');
    }
    expect(samples.length).to.equal(1000);
    const reference = samples[9]; // after step 10
    const live = (s: typeof reference) => [s.tensors, s.storages, s.bytes, s.buffers, s.bufferBytes];
    const drifted = samples.slice(10).filter((s) => live(s).join() !== live(reference).join());
    expect(
      drifted,
      `steps whose live memory differs from step 10 (${JSON.stringify(reference)}): ${JSON.stringify(drifted.slice(0, 3))}`,
    ).to.deep.equal([]);
    // The first end-of-epoch readback (after step 10) needs one buffer size no step needs; from then
    // on no buffer is ever created, through 99 more epoch ends and 990 steps.
    const createdAfterWarmUp = samples[10].created;
    expect(
      samples
        .slice(10)
        .filter((s) => s.created !== createdAfterWarmUp)
        .map((s) => s.step),
    ).to.deep.equal([]);
    expect(createdAfterWarmUp - reference.created).to.be.at.most(1);
    // Each step repeats the same dispatches on the same pooled buffers in the same params slots; the
    // pool settles on its buffers over the first epochs, and from the end of the third epoch on every
    // bind group comes from the recorder's cache.
    const bindGroupsAfterWarmUp = samples[29].bindGroups;
    expect(
      samples
        .slice(29)
        .filter((s) => s.bindGroups !== bindGroupsAfterWarmUp)
        .map((s) => s.step),
    ).to.deep.equal([]);
    console.log(
      `      1,000 steps: ${reference.tensors} tensors, ${reference.buffers} GPU buffers (${reference.bufferBytes} bytes) live at every ` +
        `step from 10 to 1,000; buffers ever created: ${reference.created} at step 10, ${createdAfterWarmUp} from step 11 to 1,000; ` +
        `bind groups ever created: ${reference.bindGroups} at step 10, ${bindGroupsAfterWarmUp} from step 30 to 1,000`,
    );
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('watchTensors: leaks named by the op that made them', () => {
  it('lists exactly the tensors a step forgot, with their ops and shapes', () => {
    const watch = watchTensors();
    try {
      const a = tensor([
        [1, 2],
        [3, 4],
      ]);
      let leaked: Tensor | undefined;
      const kept = tidy(() => {
        const m = matmul(a, a);
        leaked = mul(m, 2); // made inside, then disposed by tidy: not a leak
        return sum(m);
      });
      const forgotten = add(a, a); // made outside any tidy and never disposed: a leak
      const alive = watch.alive();
      expect(alive.map((t) => t.madeBy)).to.deep.equal(['tensor', 'sum', 'add']);
      expect(alive.map((t) => t.shape)).to.deep.equal([[2, 2], [], [2, 2]]);
      expect(leaked!.isDisposed).to.equal(true);
      expect(watch.report()).to.match(/#\d+ add \[2,2\] float32/);
      [a, kept, forgotten].forEach((t) => t.dispose());
      expect(watch.alive()).to.deep.equal([]);
    } finally {
      watch.stop();
    }
  });
});

describe('tidyAsync', () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('frees tensors made across awaits, keeps what it returns, and frees on rejection too', async () => {
    const before = memory().tensors;
    const result = await tidyAsync(async () => {
      const a = tensor([1, 2, 3]);
      await pause(1);
      const b = mul(a, 2);
      await b.data();
      return add(b, 1);
    });
    expect(Array.from(await result.data())).to.deep.equal([3, 5, 7]);
    expect(memory().tensors - before).to.equal(1);
    result.dispose();
    await tidyAsync(async () => {
      tensor([1]);
      await pause(1);
      tensor([2]);
      throw new Error('boom');
    }).catch((e: Error) => expect(e.message).to.equal('boom'));
    expect(memory().tensors).to.equal(before);
  });

  it('two async tasks at once each free only their own tensors (AsyncLocalStorage in Node)', async () => {
    expect(asyncScopesIsolated, 'Node has AsyncLocalStorage').to.equal(true);
    const before = memory().tensors;
    let fromB: Tensor | undefined;
    const taskA = tidyAsync(async () => {
      const a = tensor([1, 2]);
      await pause(5); // B runs meanwhile and makes its tensors
      return mul(a, 10);
    });
    const taskB = tidyAsync(async () => {
      fromB = tensor([5]);
      await pause(20); // still alive when A's scope closes
      expect(fromB.isDisposed, 'A must not free B’s tensor').to.equal(false);
      return add(fromB, 1);
    });
    const [ra, rb] = await Promise.all([taskA, taskB]);
    expect(Array.from(await ra.data())).to.deep.equal([10, 20]);
    expect(Array.from(await rb.data())).to.deep.equal([6]);
    expect(fromB!.isDisposed).to.equal(true);
    ra.dispose();
    rb.dispose();
    expect(memory().tensors).to.equal(before);
  });

  it('refuses to start inside a synchronous tidy', () => {
    expect(() =>
      tidy(() => {
        void tidyAsync(async () => undefined);
      }),
    ).to.throw(/tidyAsync: cannot start inside a synchronous tidy/);
  });
});

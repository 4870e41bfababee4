// Losing the GPU device mid-fit: device.destroy() from a callback makes the running fit reject with a
// DeviceLostError that says what happened; the backend is re-initialised (a new device), the model is
// restored from its last modelCheckpoint with its optimizer state, and the resumed fit ends in the
// same accuracy band as a run that was never interrupted. A backend of its own ('webgpu-loss') keeps
// the shared test device alive.
import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetBackend, registerBackend, setBackend, tensor } from '@webgrad/core';
import { createWebGPUBackend, DeviceLostError, WebGPUBackend } from '@webgrad/webgpu';
import { adam, dense, loadCheckpoint, modelCheckpoint, sequential, type Model } from '@webgrad/layers';
import { randomValues } from '../helpers.js';

const N = 240,
  FEATURES = 8,
  EPOCHS = 6,
  BATCH = 16;

/** A seeded 3-class problem: class = argmax of a fixed linear map of the features. */
function toyData() {
  const x = Float32Array.from(randomValues(N * FEATURES, 'any', 21));
  const labels = Int32Array.from({ length: N }, (_, i) => {
    const s = [0, 1, 2].map((c) => x[i * FEATURES + c] - x[i * FEATURES + c + 3]);
    return s.indexOf(Math.max(...s));
  });
  return { x, labels };
}

const makeModel = () => {
  const model = sequential(
    [dense({ units: 16, activation: 'relu', inputShape: [FEATURES] }), dense({ units: 3, activation: 'softmax' })],
    { seed: 5 },
  );
  model.compile({
    optimizer: adam({ learningRate: 0.01 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
};

async function accuracyOf(model: Model, x: Float32Array, labels: Int32Array): Promise<number> {
  const logs = await model.evaluate(tensor(x, [N, FEATURES]), tensor(labels, [N], 'int32'), { batchSize: 64 });
  return logs.accuracy;
}

describe('device loss during fit (WebGPU)', () => {
  registerBackend('webgpu-loss', () => createWebGPUBackend());
  after(async () => {
    forgetBackend('webgpu-loss');
    await setBackend('cpu');
  });

  it('rejects with DeviceLostError, then resumes from the last checkpoint to the same accuracy band', async function () {
    this.timeout(300_000);
    const { x, labels } = toyData();

    // the reference: the same run, never interrupted
    await setBackend('webgpu-loss');
    const reference = makeModel();
    await reference.fit(tensor(x, [N, FEATURES]), tensor(labels, [N], 'int32'), {
      epochs: EPOCHS,
      batchSize: BATCH,
      verbose: 0,
    });
    const referenceAccuracy = await accuracyOf(reference, x, labels);
    const referenceWeights = await Promise.all(reference.weights.map((w) => w.data()));

    // the interrupted run: checkpoints every epoch, and the device is destroyed in epoch 4, batch 3
    const dir = join(await mkdtemp(join(tmpdir(), 'webgrad-loss-')), 'checkpoint');
    const first = (await setBackend('webgpu-loss')) as WebGPUBackend;
    const model = makeModel();
    let error: unknown;
    let epochNow = 0;
    await model
      .fit(tensor(x, [N, FEATURES]), tensor(labels, [N], 'int32'), {
        epochs: EPOCHS,
        batchSize: BATCH,
        verbose: 0,
        callbacks: [
          modelCheckpoint(model, { filepath: dir }),
          {
            onEpochBegin: (epoch) => {
              epochNow = epoch;
            },
            onBatchEnd: (batch) => {
              if (epochNow === 3 && batch === 2) first.device.destroy();
            },
          },
        ],
      })
      .catch((e) => {
        error = e;
      });
    expect(error, 'fit must reject').to.be.instanceOf(DeviceLostError);
    expect((error as Error).message).to.match(
      /the WebGPU device was lost \(reason: destroyed.*forgetBackend\('webgpu'\) and setBackend\('webgpu'\).*last checkpoint/,
    );
    expect(first.loss.lost?.reason).to.equal('destroyed');

    // recover: a new device, the model from its last checkpoint (end of epoch 3), the fit resumed
    forgetBackend('webgpu-loss');
    const second = (await setBackend('webgpu-loss')) as WebGPUBackend;
    expect(second).to.not.equal(first);
    const { model: restored, epoch } = await loadCheckpoint(dir);
    expect(epoch, 'epochs completed in the last checkpoint').to.equal(3);
    await restored.fit(tensor(x, [N, FEATURES]), tensor(labels, [N], 'int32'), {
      epochs: EPOCHS,
      initialEpoch: epoch,
      batchSize: BATCH,
      verbose: 0,
    });
    const resumedAccuracy = await accuracyOf(restored, x, labels);
    const resumedWeights = await Promise.all(restored.weights.map((w) => w.data()));
    const maxDiff = Math.max(
      ...resumedWeights.flatMap((w, i) => Array.from(w, (v, k) => Math.abs(v - referenceWeights[i][k]))),
    );
    console.log(
      `      accuracy: uninterrupted ${(referenceAccuracy * 100).toFixed(1)}%, ` +
        `resumed after device loss ${(resumedAccuracy * 100).toFixed(1)}%; ` +
        `largest weight difference ${maxDiff.toExponential(2)}`,
    );
    expect(referenceAccuracy, 'the problem is learnable').to.be.greaterThan(0.85);
    expect(Math.abs(resumedAccuracy - referenceAccuracy), 'same accuracy band').to.be.at.most(0.03);
    expect(maxDiff, 'the resumed run repeats the lost work exactly (same shuffles and steps)').to.be.below(1e-3);
    restored.dispose();
  });
});

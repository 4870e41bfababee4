// Learning-rate schedules against their formulas, and earlyStopping: stopping at the right epoch and
// restoring the best weights, alone (scripted logs) and inside a real fit; fit's per-step check in
// check-numerics mode (tests/robustness/numerics.test.ts has the fuller story, outside the mutation run).
import { expect } from 'chai';
import { checkNumerics, NonFiniteError, tensor } from '@webgrad/core';
import {
  cosineDecay,
  dense,
  earlyStopping,
  exponentialDecay,
  linearDecay,
  piecewiseConstant,
  polynomialDecay,
  sequential,
  sgd,
  type Callback,
} from '@webgrad/layers';
import { expectClose, useBackend } from '../helpers.js';

describe('learning-rate schedules', () => {
  const steps = [0, 1, 5, 10, 11, 50, 100, 1000];
  it('piecewiseConstant', () => {
    const s = piecewiseConstant({ boundaries: [10, 50], values: [1, 0.5, 0.1] });
    expect(steps.map(s)).to.deep.equal([1, 1, 1, 1, 0.5, 0.5, 0.1, 0.1]);
  });
  it('exponentialDecay, smooth and staircase', () => {
    expectClose(
      steps.map(exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 })),
      steps.map((k) => 0.1 * 0.5 ** (k / 10)),
      { rtol: 1e-12 },
    );
    expectClose(
      steps.map(exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true })),
      steps.map((k) => 0.1 * 0.5 ** Math.floor(k / 10)),
      { rtol: 1e-12 },
    );
  });
  it('polynomialDecay', () => {
    const s = polynomialDecay({ initialLearningRate: 1, decaySteps: 100, endLearningRate: 0.01, power: 2 });
    expectClose(
      steps.map(s),
      steps.map((k) => 0.99 * (1 - Math.min(k, 100) / 100) ** 2 + 0.01),
      { rtol: 1e-12 },
    );
  });
  it('linearDecay: ε_k = (1 − α)ε0 + α ετ with α = k/τ, then ετ', () => {
    const s = linearDecay({ initialLearningRate: 0.1, finalLearningRate: 0.001, decaySteps: 100 });
    expect(s(0)).to.equal(0.1);
    expectClose([s(50)], [0.5 * 0.1 + 0.5 * 0.001], { rtol: 1e-12 });
    expect(s(100)).to.equal(0.001);
    expect(s(1000)).to.equal(0.001);
  });
  it('cosineDecay', () => {
    const s = cosineDecay({ initialLearningRate: 0.2, decaySteps: 100, alpha: 0.1 });
    expectClose(
      steps.map(s),
      steps.map((k) => 0.2 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(k, 100)) / 100)) + 0.1)),
      { rtol: 1e-12 },
    );
  });
  it('drives an optimizer: the rate used at each step follows the schedule', () => {
    const schedule = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 });
    const optimizer = sgd({ learningRate: schedule });
    expect(optimizer.currentLearningRate()).to.equal(0.1);
    optimizer.iterations = 3;
    expect(optimizer.currentLearningRate()).to.equal(0.1 * 0.125);
  });
});

describe('earlyStopping', () => {
  it("stops after `patience` epochs without improvement and restores the best epoch's weights", async () => {
    let restored: Float32Array[] | undefined;
    const fakeModel = {
      stopTraining: false,
      learningRate: 0.1,
      epoch: 0,
      getWeightValues: async () => [Float32Array.of(fakeModel.epoch)],
      setWeightValues: (values: readonly Float32Array[]) => {
        restored = [...values];
      },
    };
    const callback = earlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    callback.setModel!(fakeModel);
    await callback.onTrainBegin!({});
    const valLoss = [1.0, 0.8, 0.9, 0.85, 0.95, 0.5];
    let stoppedAt = -1;
    for (let epoch = 0; epoch < valLoss.length && !fakeModel.stopTraining; epoch++) {
      fakeModel.epoch = epoch;
      await callback.onEpochEnd!(epoch, { val_loss: valLoss[epoch] });
      stoppedAt = epoch;
    }
    await callback.onTrainEnd!({});
    // best at epoch 1 (0.8); epochs 2 and 3 are within patience; epoch 4 is the third without improvement
    expect(stoppedAt).to.equal(4);
    expect(callback.stoppedEpoch).to.equal(4);
    expect(callback.bestEpoch).to.equal(1);
    expect(Array.from(restored![0])).to.deep.equal([1]);
  });

  it('asks for a monitor that exists', async () => {
    const callback = earlyStopping({ monitor: 'val_accuracy' });
    await callback.onTrainBegin!({});
    let error: unknown;
    await Promise.resolve(callback.onEpochEnd!(0, { loss: 1 })).catch((e) => {
      error = e;
    });
    expect(String(error)).to.match(/earlyStopping: monitor 'val_accuracy' is not among the logs \(loss\)/);
  });

  describe('inside fit on webgpu', () => {
    useBackend('webgpu');
    it('stops fit and leaves the weights of the best epoch', async () => {
      // A learning rate far too large makes the loss climb after the first epochs.
      const x = tensor(Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i)]));
      const y = tensor(Array.from({ length: 64 }, (_, i) => [Math.sin(i) + Math.cos(i)]));
      const model = sequential([dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros' })], { seed: 1 });
      model.compile({ optimizer: sgd({ learningRate: 1.9 }), loss: 'meanSquaredError' });
      const perEpoch: Float32Array[] = [];
      const record: Callback = {
        onEpochEnd: async () => {
          perEpoch.push((await model.weights[0].data()) as Float32Array);
        },
      };
      const stopper = earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
      const history = await model.fit(x, y, {
        epochs: 30,
        batchSize: 64,
        shuffle: false,
        verbose: 0,
        callbacks: [record, stopper],
      });
      const losses = history.history.loss;
      expect(stopper.stoppedEpoch).to.be.greaterThan(-1);
      expect(losses).to.have.length(stopper.stoppedEpoch + 1);
      const best = losses.indexOf(Math.min(...losses));
      expect(stopper.bestEpoch).to.equal(best);
      expect(Array.from(await model.weights[0].data())).to.deep.equal(Array.from(perEpoch[best]));
      model.dispose();
    });
  });
});

describe('fit in check-numerics mode', () => {
  useBackend('cpu');
  afterEach(() => checkNumerics(false));

  it('rejects at the step whose update overflowed, naming the epoch, the batch and the first bad op', async () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const y = tensor([[1], [2], [3], [4]]);
    const model = sequential([dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' })], { seed: 1 });
    // batch 1's update makes the weights about −1e302, and batch 2's squared error overflows even the
    // CPU backend's float64
    model.compile({ optimizer: sgd({ learningRate: 1e300 }), loss: 'meanSquaredError' });
    let batches = 0;
    checkNumerics(true);
    const error = await model
      .fit(x, y, {
        epochs: 2,
        batchSize: 2,
        shuffle: false,
        verbose: 0,
        callbacks: [{ onBatchEnd: () => void batches++ }],
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(NonFiniteError);
    expect((error as Error).message).to.match(
      /^fit: epoch 1, batch 2: op '\w+' \(output shape .*\) produced NaN or Infinity/,
    );
    expect(batches, 'rejected before batch 2 ended').to.equal(1);
    model.dispose();
  });
});

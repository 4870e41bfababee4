// Sparse categorical cross-entropy and accuracy on sequence outputs, as a language model trains: logits
// [batch, T, classes] against int32 class indices [batch, T] (the next token at every position). The
// loss and accuracy evaluate reports against a float64 hand computation from predict's logits, on
// both backends, from logits and through a softmax (the fused path); fit lowers the loss; a target of
// the wrong length is refused naming both shapes.
import { expect } from 'chai';
import { tensor } from '@webgrad/core';
import { adam, dense, sequential, sparseCategoricalCrossentropy } from '@webgrad/layers';
import { BACKENDS, randomValues, useBackend } from '../helpers.js';

const BATCH = 5,
  STEPS = 4,
  FEATURES = 2,
  CLASSES = 3;

/** Mean cross-entropy and accuracy over every position, in float64 from the logits. */
function reference(logits: Float32Array, labels: Int32Array): { loss: number; accuracy: number } {
  let loss = 0,
    hits = 0;
  for (let r = 0; r < labels.length; r++) {
    const row = Array.from(logits.subarray(r * CLASSES, (r + 1) * CLASSES));
    const top = Math.max(...row);
    const logSum = top + Math.log(row.reduce((s, z) => s + Math.exp(z - top), 0));
    loss += logSum - row[labels[r]];
    if (row.indexOf(top) === labels[r]) hits++;
  }
  return { loss: loss / labels.length, accuracy: hits / labels.length };
}

for (const backend of BACKENDS) {
  describe(`sparse targets of a sequence output [batch, T] on ${backend}`, () => {
    useBackend(backend);
    const x = tensor(Float32Array.from(randomValues(BATCH * STEPS * FEATURES, 'any', 3)), [BATCH, STEPS, FEATURES]);
    const labels = Int32Array.from({ length: BATCH * STEPS }, (_, i) => (i * 7 + 1) % CLASSES);
    const y = tensor(labels, [BATCH, STEPS], 'int32');

    for (const fused of [false, true]) {
      it(`evaluates the mean over all positions ${fused ? 'through a softmax (fused)' : 'from logits'}`, async () => {
        const activation = fused ? 'softmax' : 'linear';
        const model = sequential([dense({ units: CLASSES, activation, inputShape: [STEPS, FEATURES] })], { seed: 4 });
        model.compile({
          optimizer: adam(),
          loss: fused ? 'sparseCategoricalCrossentropy' : sparseCategoricalCrossentropy({ fromLogits: true }),
          metrics: ['accuracy'],
        });
        const predicted = model.predict(x);
        expect(predicted.shape).to.deep.equal([BATCH, STEPS, CLASSES]);
        const values = (await predicted.data()) as Float32Array;
        predicted.dispose();
        // through the softmax the reference takes log p as its logits: softmax(log p) = p
        const logits = fused ? values.map((p) => Math.log(p)) : values;
        const expected = reference(logits, labels);
        const { loss, accuracy } = await model.evaluate(x, y, { batchSize: 2 });
        expect(loss).to.be.closeTo(expected.loss, 1e-5);
        expect(accuracy).to.be.closeTo(expected.accuracy, 1e-6);
        expect(expected.accuracy).to.be.above(0).and.below(1); // the figure depends on every position
      });
    }

    it('fits: the loss falls', async () => {
      const model = sequential([dense({ units: CLASSES, inputShape: [STEPS, FEATURES] })], { seed: 4 });
      model.compile({
        optimizer: adam({ learningRate: 0.05 }),
        loss: sparseCategoricalCrossentropy({ fromLogits: true }),
      });
      const history = await model.fit(x, y, { epochs: 20, batchSize: BATCH, verbose: 0 });
      const losses = history.history.loss;
      expect(losses.at(-1)).to.be.below(losses[0] - 0.1);
    });

    it('refuses targets of another length, naming both shapes', async () => {
      const model = sequential([dense({ units: CLASSES, inputShape: [STEPS, FEATURES] })], { seed: 4 });
      model.compile({ optimizer: adam(), loss: 'sparseCategoricalCrossentropy' });
      let message = '';
      try {
        await model.fit(x, tensor(new Int32Array(BATCH * 3), [BATCH, 3], 'int32'), { verbose: 0 });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.equal(
        "fit: targets of shape [5,3] (int32) do not fit loss 'sparseCategoricalCrossentropy' for outputs " +
          '(None, 4, 3); expected [5, 4] int32 class indices',
      );
    });
  });
}

// Plain data in fit, evaluate, predict and the batch methods, as TF.js takes it (packages/layers/src/plain-data.ts):
// nested arrays and typed arrays give the same results as the tensors made from them, become the
// model's input dtype (int32 inputs, int32 labels for a sparse loss), go by position or by name for
// several inputs, leave no tensor behind, and a ragged array or a typed array of a wrong length is
// refused naming the input and the shapes. (Replaces functional.test's refusal of plain data.)
import { expect } from 'chai';
import { memory, tensor, type Tensor } from '@webgrad/core';
import { concatenate, dense, embedding, flatten, input, model, sequential, sgd } from '@webgrad/layers';

const xs = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const ys = [[0], [1], [1], [0]];

function mlp() {
  const x = input({ shape: [2] });
  const m = model({
    inputs: x,
    outputs: dense({ units: 1 }).apply(dense({ units: 4, activation: 'tanh' }).apply(x)),
    seed: 3,
  });
  m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  return m;
}
const values = async (t: Tensor | Tensor[]) => Array.from(await (t as Tensor).data());

describe('fit, evaluate and predict take nested arrays and typed arrays', () => {
  it('as the tensors made from them: same history, same loss, same predictions, nothing left behind', async () => {
    const [a, b] = [mlp(), mlp()];
    const x = tensor(xs);
    const y = tensor(ys);
    const before = memory().tensors;
    const plain = await a.fit(Float32Array.from(xs.flat()), ys, {
      epochs: 3,
      batchSize: 2,
      shuffle: false,
      verbose: 0,
    });
    const asTensors = await b.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
    expect(plain.history.loss).to.deep.equal(asTensors.history.loss);
    expect(await a.evaluate(xs, ys)).to.deep.equal(await b.evaluate(x, y));
    expect(await values(a.predict(xs))).to.deep.equal(await values(b.predict(x)));
    const left = memory().tensors - before;
    // what is left: the two predictions made above, nothing of the plain data
    expect(left).to.equal(2);
    [a, b].forEach((m) => m.dispose());
  });

  it("as the model's input dtype: int32 token ids, and int32 labels for a sparse loss", async () => {
    const ids = input({ shape: [3], dtype: 'int32' });
    const m = model({
      inputs: ids,
      outputs: dense({ units: 4 }).apply(flatten().apply(embedding({ inputDim: 5, outputDim: 2 }).apply(ids))),
      seed: 1,
    });
    m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    const history = await m.fit(
      [
        [0, 1, 4],
        [3, 2, 1],
      ],
      [3, 0],
      { epochs: 2, verbose: 0 },
    );
    expect(history.history.loss).to.have.length(2);
    expect(await values(m.predict(Int32Array.from([4, 4, 4])))).to.have.length(4);
    m.dispose();
  });

  it('for several inputs, by position or by name', async () => {
    const left = input({ shape: [1], name: 'left' });
    const right = input({ shape: [2], name: 'right' });
    const m = model({
      inputs: [left, right],
      outputs: dense({ units: 1 }).apply(concatenate().apply([left, right])),
      seed: 2,
    });
    const byPosition = await values(
      m.predict([
        [[1], [2]],
        [
          [3, 4],
          [5, 6],
        ],
      ]),
    );
    const byName = await values(m.predict({ left: [[1], [2]], right: new Float32Array([3, 4, 5, 6]) }));
    expect(byName).to.deep.equal(byPosition);
    expect(byPosition).to.deep.equal(
      await values(
        m.predict([
          tensor([[1], [2]]),
          tensor([
            [3, 4],
            [5, 6],
          ]),
        ]),
      ),
    );
    m.dispose();
  });

  it('trainOnBatch, testOnBatch and predictOnBatch as the tensors made from them, nothing left behind', async () => {
    const [a, b] = [mlp(), mlp()];
    const x = tensor(xs);
    const y = tensor(ys);
    const before = memory().tensors;
    expect(await a.trainOnBatch(xs, ys)).to.deep.equal(await b.trainOnBatch(x, y));
    expect(await a.testOnBatch(Float32Array.from(xs.flat()), ys)).to.deep.equal(await b.testOnBatch(x, y));
    expect(await values(a.predictOnBatch(xs))).to.deep.equal(await values(b.predictOnBatch(x)));
    expect(memory().tensors - before, 'the two predictions, nothing of the plain data').to.equal(2);
    [a, b].forEach((m) => m.dispose());
  });

  it('a Sequential not yet built takes the shape of the nesting', async () => {
    const m = sequential([dense({ units: 1 })]);
    expect(await values(m.predict(xs))).to.have.length(4);
    expect(m.inputs[0].sampleShape).to.deep.equal([2]);
    m.dispose();
  });

  it('refuses a ragged array and a typed array of a wrong length, naming the input and the shapes', async () => {
    const m = mlp();
    const refused = (run: () => unknown) =>
      Promise.resolve()
        .then(run)
        .then(
          () => 'no error',
          (e: Error) => e.message,
        );
    expect(
      await refused(() =>
        m.fit(
          [
            [0, 0],
            [0, 1, 1],
          ],
          ys,
          { verbose: 0 },
        ),
      ),
    ).to.equal('fit: x is ragged: x[1] has 3 entries where x[0] has 2; every sample needs the shape [2]');
    expect(await refused(() => m.evaluate(xs, [[0], [1], 1, [0]]))).to.equal(
      'evaluate: y is ragged: y[2] is number where y[0] has 1; every sample needs the shape [1]',
    );
    expect(await refused(() => m.predict(new Float32Array(5)))).to.equal(
      'predict: x is a Float32Array of 5 values, not a whole number of samples of shape [2]; ' +
        'pass a nested array, or tensor(values, [samples, ...shape])',
    );
    m.dispose();
  });
});

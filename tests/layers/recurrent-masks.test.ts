// Keras's mask semantics beyond the recurrent layers themselves, against Keras 3.15.1 on the same weights
// (fixtures/recurrent-masks-keras.json, written by fixtures/recurrent-masks-keras.py): a masked sequence
// output's loss and metrics (evaluate over batches of different padding, testOnBatch, one SGD step's
// weights), masks through the merge layers, Bidirectional with initial states (with checkGradients on the
// states), Model.dispose freeing a stateful layer's states, and out-of-range ids refused by fit on WebGPU
// before any step.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  checkGradients,
  memory,
  slice,
  tensor,
  withBackend,
  type Backend,
  type Tensor,
  type Variable,
} from '@webgrad/core';
import {
  add,
  bidirectional,
  concatenate,
  dense,
  embedding,
  gru,
  input,
  lstm,
  maximum,
  minimum,
  model,
  multiply,
  sequential,
  sgd,
  type ListLayer,
  type RecurrentLayer,
  type RecurrentStateLayer,
} from '@webgrad/layers';
import { cpu, expectClose, gpu, randomValues } from '../helpers.js';

interface LossCase {
  name: string;
  loss: 'sparse_categorical_crossentropy' | 'mse';
  headUnits: number;
  activation: 'softmax' | null;
  metrics: string[];
  targets: number[];
  targetShape: number[];
  weights: number[][];
  evaluate: Record<string, number>;
  testOnBatch: Record<string, number>;
  byHandOneBatch: number;
  byHandMetricMasked: number;
  byHandMetricUnmasked: number;
  trainOnBatch: Record<string, number>;
  weightsAfterStep: number[][];
}
interface MergeCase {
  name: string;
  secondMasked: boolean;
  weights: number[][];
  mergedMask: number[] | null;
  mergedMaskShape: number[] | null;
  output: number[];
  outputShape: number[];
}
interface BidiCase {
  name: string;
  cell: 'LSTM' | 'GRU';
  mergeMode: 'concat' | 'sum';
  options: { return_sequences?: boolean; return_state?: boolean };
  x: number[];
  mask: number[];
  weights: number[][];
  initial: number[][];
  outputs: number[][];
  outputShapes: number[][];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/recurrent-masks-keras.json', import.meta.url), 'utf8')) as {
  keras: string;
  vocabulary: number;
  timesteps: number;
  embedding: number;
  units: number;
  ids: number[];
  idsB: number[];
  losses: LossCase[];
  merges: MergeCase[];
  bidirectional: BidiCase[];
};
const { vocabulary: V, timesteps: T, embedding: E, units: U } = fx;
const N = fx.ids.length / T;

const f32 = (values: readonly number[], shape: readonly number[]): Tensor => tensor(Float32Array.from(values), shape);
const ids = (values: readonly number[]): Tensor => tensor(Int32Array.from(values), [values.length / T, T], 'int32');
const setWeights = (ws: readonly Variable[], values: readonly number[][]): void =>
  ws.forEach((w, i) => w.assign(f32(values[i], w.shape)));

/** Embedding(maskZero) → LSTM(returnSequences) → Dense, compiled as the case's Keras model. */
function lossModel(c: LossCase) {
  const x = input({ shape: [T], dtype: 'int32' });
  const h = lstm({ units: U, returnSequences: true }).apply(
    embedding({ inputDim: V, outputDim: E, maskZero: true }).apply(x),
  );
  const out = dense({ units: c.headUnits, ...(c.activation ? { activation: c.activation } : {}) }).apply(h);
  const net = model({ inputs: x, outputs: out });
  setWeights(net.weights, c.weights);
  const sparse = c.loss === 'sparse_categorical_crossentropy';
  net.compile({
    optimizer: sgd({ learningRate: 0.5 }),
    loss: sparse ? 'sparseCategoricalCrossentropy' : 'meanSquaredError',
    metrics: sparse ? ['accuracy'] : ['mae'],
  });
  const y = sparse ? tensor(Int32Array.from(c.targets), c.targetShape, 'int32') : f32(c.targets, c.targetShape);
  return { net, x: ids(fx.ids), y, metric: sparse ? 'accuracy' : 'mae' };
}

describe(`masks in losses and metrics against Keras ${fx.keras} (fixtures/recurrent-masks-keras.json)`, () => {
  for (const c of fx.losses) {
    it(`${c.name}: evaluate in batches of 2, testOnBatch and one SGD step, on the CPU`, async () => {
      await withBackend(cpu(), async () => {
        const { net, x, y, metric } = lossModel(c);
        // Keras: each batch's loss is Σ loss·mask / Σ mask, batches weighted by their size; a metric is
        // Σ value·mask / Σ mask over all the batches' kept timesteps
        const evaluated = await net.evaluate(x, y, { batchSize: 2 });
        expectClose(
          [evaluated.loss, evaluated[metric]],
          [c.evaluate.loss, c.evaluate[metric]],
          { rtol: 1e-5, atol: 1e-6 },
          'evaluate',
        );
        const one = await net.testOnBatch(x, y);
        expectClose(
          [one.loss, one[metric]],
          [c.testOnBatch.loss, c.testOnBatch[metric]],
          { rtol: 1e-5, atol: 1e-6 },
          'testOnBatch',
        );
        expectClose([one.loss], [c.byHandOneBatch], { rtol: 1e-5, atol: 1e-6 }, 'the masked mean by hand');
        // Keras's train step (JAX) masks the loss but reports its metrics over the padding too; here a
        // training step's metrics are masked as evaluate's are (Keras's own by hand, before the update)
        const trained = await net.trainOnBatch(x, y);
        expectClose(
          [trained.loss, trained[metric]],
          [c.trainOnBatch.loss, c.byHandMetricMasked],
          { rtol: 1e-5, atol: 1e-6 },
          'trainOnBatch',
        );
        expect(Math.abs(trained[metric] - c.byHandMetricUnmasked)).to.be.greaterThan(0.01);
        for (const [i, w] of net.weights.entries()) {
          expectClose(
            await w.data(),
            c.weightsAfterStep[i],
            { rtol: 1e-4, atol: 1e-6 },
            `weight ${w.name} after one step`,
          );
        }
      });
    });
  }

  it('on WebGPU: evaluate and one SGD step match Keras (sparse cross-entropy, accuracy)', async () => {
    const c = fx.losses[0];
    await withBackend(gpu(), async () => {
      const { net, x, y } = lossModel(c);
      const evaluated = await net.evaluate(x, y, { batchSize: 2 });
      expectClose(
        [evaluated.loss, evaluated.accuracy],
        [c.evaluate.loss, c.evaluate.accuracy],
        { rtol: 1e-4, atol: 1e-5 },
        'evaluate',
      );
      await net.fit(x, y, { epochs: 1, batchSize: N, shuffle: false, verbose: 0 });
      for (const [i, w] of net.weights.entries()) {
        expectClose(
          await w.data(),
          c.weightsAfterStep[i],
          { rtol: 1e-3, atol: 1e-5 },
          `weight ${w.name} after one step`,
        );
      }
    });
  });

  it('a fully padded batch gives a finite loss and no gradient, as Keras (its ε keeps the division finite)', async () => {
    await withBackend(cpu(), async () => {
      const { net } = lossModel(fx.losses[0]);
      const before = await Promise.all(net.weights.map((w) => w.data()));
      const padded = ids(new Array(2 * T).fill(0));
      const logs = await net.trainOnBatch(padded, tensor(new Int32Array(2 * T).fill(1), [2, T], 'int32'));
      expect(logs.loss).to.equal(0);
      expect(logs.accuracy).to.equal(0);
      const after = await Promise.all(net.weights.map((w) => w.data()));
      after.forEach((values, i) => expect(Array.from(values)).to.deep.equal(Array.from(before[i])));
    });
  });
});

describe(`masks through merge layers against Keras ${fx.keras}`, () => {
  const MAKERS: Record<string, () => ListLayer> = {
    add: () => add(),
    multiply: () => multiply(),
    'concatenate on the features': () => concatenate({ axis: -1 }),
    'concatenate on the features, second input unmasked': () => concatenate({ axis: -1 }),
    'concatenate on the timesteps': () => concatenate({ axis: 1 }),
    'add, second input unmasked': () => add(),
    'multiply, second input unmasked': () => multiply(),
    maximum: () => maximum(),
    'minimum, second input unmasked': () => minimum(),
  };
  for (const c of fx.merges) {
    it(`${c.name}: the merged mask and the LSTM after it, on the CPU`, async () => {
      await withBackend(cpu(), async () => {
        const a = input({ shape: [T], dtype: 'int32' });
        const b = input({ shape: [T], dtype: 'int32' });
        const merge = MAKERS[c.name]();
        const merged = merge.apply([
          embedding({ inputDim: V, outputDim: E, maskZero: true }).apply(a),
          embedding({ inputDim: V, outputDim: E, maskZero: c.secondMasked }).apply(b),
        ]);
        const net = model({ inputs: [a, b], outputs: lstm({ units: U, returnSequences: true }).apply(merged) });
        setWeights(net.weights, c.weights);
        const out = net.predict([ids(fx.ids), ids(fx.idsB)]) as Tensor;
        expect(out.shape).to.deep.equal(c.outputShape);
        expectClose(await out.data(), c.output, { rtol: 1e-5, atol: 1e-6 }, c.name);
        // the layer's own rule on the embeddings' masks
        const keepA = f32(
          fx.ids.map((i) => (i !== 0 ? 1 : 0)),
          [N, T],
        );
        const keepB = c.secondMasked
          ? f32(
              fx.idsB.map((i) => (i !== 0 ? 1 : 0)),
              [N, T],
            )
          : undefined;
        const xs = [f32(new Array(N * T * E).fill(0.5), [N, T, E]), f32(new Array(N * T * E).fill(0.5), [N, T, E])];
        const mask = merge.computeMask!(xs, [keepA, keepB]);
        if (c.mergedMask === null) expect(mask).to.equal(undefined);
        else {
          expect(mask!.shape).to.deep.equal(c.mergedMaskShape);
          expect(Array.from(await mask!.data())).to.deep.equal(c.mergedMask);
        }
      });
    });
  }
});

/** The Bidirectional of the case with Keras's weights (forward then backward), on the current backend. */
function bidiFor(c: BidiCase): RecurrentLayer | RecurrentStateLayer {
  const make = (c.cell === 'LSTM' ? lstm : gru) as (o: object) => RecurrentLayer | RecurrentStateLayer;
  const inner = make({
    units: U,
    returnSequences: c.options.return_sequences ?? false,
    returnState: c.options.return_state ?? false,
  });
  const layer = bidirectional({ layer: inner, mergeMode: c.mergeMode });
  if (layer.signature === 'many-to-many') layer.build([[T, E]], 1);
  else layer.build([T, E], 1);
  setWeights(layer.weights, c.weights);
  return layer;
}

describe(`bidirectional with initial states against Keras ${fx.keras}`, () => {
  const B = 3;
  for (const c of fx.bidirectional) {
    it(`${c.name}: the first half of the states to the forward layer, the rest to the backward (CPU, masked)`, async () => {
      const outputs = withBackend(cpu(), () => {
        const layer = bidiFor(c);
        const states = c.initial.map((s) => f32(s, [B, U]));
        const out = (layer.apply as (x: Tensor[], o: object) => Tensor | Tensor[])([f32(c.x, [B, T, E]), ...states], {
          mask: f32(c.mask, [B, T]),
        });
        return Array.isArray(out) ? out : [out];
      });
      expect(outputs.map((o) => o.shape)).to.deep.equal(c.outputShapes);
      for (const [i, o] of outputs.entries()) {
        expectClose(await o.data(), c.outputs[i], { rtol: 1e-5, atol: 1e-6 }, `${c.name} output ${i}`);
      }
    });
  }

  it('in a graph: states as inputs give what an eager call gives, on WebGPU as on the CPU', async () => {
    const c = fx.bidirectional[0];
    for (const backend of [cpu(), gpu()] as Backend[]) {
      const out = withBackend(backend, () => {
        const x = input({ shape: [T, E] });
        const states = c.initial.map(() => input({ shape: [U] }));
        const layer = bidiFor(c) as RecurrentLayer;
        const net = model({ inputs: [x, ...states], outputs: layer.apply([x, ...states]) });
        // no mask reaches a graph's plain inputs, so the reference is an eager call without one
        const eager = layer.apply([f32(c.x, [B, T, E]), ...c.initial.map((s) => f32(s, [B, U]))]);
        return [net.predict([f32(c.x, [B, T, E]), ...c.initial.map((s) => f32(s, [B, U]))]) as Tensor, eager];
      });
      expectClose(await out[0].data(), await out[1].data(), { rtol: 1e-5, atol: 1e-6 }, backend.name);
    }
  });

  it('d/d(initial states) through both halves by checkGradients', async () => {
    const c = fx.bidirectional[0];
    const layer = withBackend(cpu(), () => bidiFor(c)) as RecurrentLayer;
    const x = withBackend(cpu(), () => f32(c.x, [B, T, E]));
    const mask = withBackend(cpu(), () => f32(c.mask, [B, T]));
    const call = (...states: Tensor[]) => layer.call(x, { training: false, seed: 0, mask, initialState: states });
    const states = withBackend(cpu(), () => c.initial.map((s) => f32(s, [B, U])));
    const result = await checkGradients(call, states, { rtol: 1e-5, atol: 1e-7 });
    expect(result.checks).to.equal(4 * B * U);
  });

  it('refuses states of the wrong count or size, naming the layer and the shapes', () => {
    withBackend(cpu(), () => {
      const layer = bidirectional({ layer: lstm({ units: U }), name: 'bidi_states' });
      const x = f32(Array.from(randomValues(2 * T * E, 'any', 3)), [2, T, E]);
      const h = f32(Array.from(randomValues(2 * U, 'any', 4)), [2, U]);
      expect(() => layer.apply([x, h, h])).to.throw(
        "layer 'bidi_states' (Bidirectional): expected 4 initial states (the forward layer's [h, c], then the backward layer's), got 2",
      );
      const wide = f32(Array.from(randomValues(2 * (U + 1), 'any', 5)), [2, U + 1]);
      expect(() => layer.apply([x, h, h, h, wide])).to.throw(
        `layer 'bidi_states' (Bidirectional): initial state 3 (the backward layer's) has shape [batch, ${U + 1}]; ` +
          `expected [batch, ${U}] (units)`,
      );
    });
    expect(() =>
      bidirectional({ layer: gru({ units: U }), name: 'bidi_sym' }).apply([
        input({ shape: [T, E] }),
        input({ shape: [U] }),
      ]),
    ).to.throw(/layer 'bidi_sym' \(Bidirectional\) applied to .*: expected 2 initial states/);
  });
});

describe('Model.dispose frees a stateful layer’s states', () => {
  for (const [name, make] of [
    ['lstm', () => lstm({ units: 3, stateful: true, batchSize: 2 })],
    ['bidirectional(gru)', () => bidirectional({ layer: gru({ units: 3, stateful: true, batchSize: 2 }) })],
  ] as const) {
    it(`${name} on WebGPU: after fit and dispose the tensor and storage counts are back where they were`, async () => {
      await withBackend(gpu(), async () => {
        const x = f32(Array.from(randomValues(4 * 5 * 2, 'any', 7)), [4, 5, 2]);
        const y = f32(Array.from(randomValues(4, 'any', 8)), [4, 1]);
        const before = memory();
        const net = sequential([make() as RecurrentLayer, dense({ units: 1 })]);
        net.compile({ optimizer: sgd({ learningRate: 0.01 }), loss: 'meanSquaredError' });
        await net.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
        expect(memory().tensors).to.be.greaterThan(before.tensors);
        net.dispose();
        expect(memory().tensors - before.tensors, 'tensors left').to.equal(0);
        expect(memory().storages - before.storages, 'storages left').to.equal(0);
      });
    });
  }
});

describe('embedding ids out of range: nothing trained on garbage', () => {
  it('fit on WebGPU refuses an id ≥ inputDim before any step, naming the layer, the range and the id', async () => {
    await withBackend(gpu(), async () => {
      const ids3 = input({ shape: [3], dtype: 'int32' });
      const h = lstm({ units: 2 }).apply(embedding({ inputDim: 4, outputDim: 2, name: 'ids_in' }).apply(ids3));
      const net = model({ inputs: ids3, outputs: dense({ units: 1 }).apply(h) });
      net.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      const before = await Promise.all(net.weights.map((w) => w.data()));
      const x = tensor(Int32Array.from([0, 1, 2, 3, 1, 9]), [2, 3], 'int32');
      const y = f32([1, 0], [2, 1]);
      let message = '';
      await net.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0 }).catch((error: Error) => (message = error.message));
      expect(message).to.equal(
        "fit: x holds id 9, outside [0, 4) for layer 'ids_in' (Embedding) with inputDim 4 (ids of shape [2,3]); nothing was trained",
      );
      const after = await Promise.all(net.weights.map((w) => w.data()));
      after.forEach((values, i) => expect(Array.from(values)).to.deep.equal(Array.from(before[i])));
      const negative = tensor(Int32Array.from([0, 1, 2, 3, -1, 2]), [2, 3], 'int32');
      await net.evaluate(negative, y).catch((error: Error) => (message = error.message));
      expect(message).to.equal(
        "evaluate: x holds id -1, outside [0, 4) for layer 'ids_in' (Embedding) with inputDim 4 (ids of shape [2,3]); nothing was trained",
      );
    });
  });
});

describe('stateful fit with batches of another size: refused before any step', () => {
  it('names the layer, its batch size and the data, and leaves the weights as they were', async () => {
    await withBackend(cpu(), async () => {
      const seq = input({ shape: [4, 2] });
      const h = lstm({ units: 2, stateful: true, batchSize: 2, name: 'kept_lstm' }).apply(seq);
      const net = model({ inputs: seq, outputs: dense({ units: 1 }).apply(h) });
      net.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      const before = await Promise.all(net.weights.map((w) => w.data()));
      const x = f32(Array.from(randomValues(5 * 4 * 2, 'any', 11)), [5, 4, 2]);
      const y = f32(Array.from(randomValues(5, 'any', 12)), [5, 1]);
      let message = '';
      await net.fit(x, y, { batchSize: 2, verbose: 0 }).catch((error: Error) => (message = error.message));
      expect(message).to.equal(
        "fit: layer 'kept_lstm' (LSTM) is stateful with batchSize 2, but batchSize 2 over 5 training samples gives " +
          'batches of other sizes; pass batchSize 2 and a multiple of 2 samples; nothing was trained',
      );
      await net.fit(x, y, { batchSize: 5, verbose: 0 }).catch((error: Error) => (message = error.message));
      expect(message).to.contain('is stateful with batchSize 2, but batchSize 5 over 5 training samples');
      const after = await Promise.all(net.weights.map((w) => w.data()));
      after.forEach((values, i) => expect(Array.from(values)).to.deep.equal(Array.from(before[i])));
      const four = await net.fit(slice(x, [0, 0, 0], [4, 4, 2]), slice(y, [0, 0], [4, 1]), {
        batchSize: 2,
        verbose: 0,
      });
      expect(four.history.loss.every(Number.isFinite)).to.equal(true);
    });
  });
});

// Bidirectional (against Keras 3.15.1 and against its two halves), stateful layers (two calls equal
// one call on the joined sequence, states detached between batches, memory flat over a fit),
// dropout / recurrentDropout (training only, seeded, one mask per sequence), save → load of every new
// option, and exploding gradients: a 100-step SimpleRNN's gradient norm explodes and clipNorm bounds
// each update.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  concat,
  checkGradients,
  div,
  gather,
  globalNorm,
  grad,
  mean,
  square,
  sub,
  memory,
  mul,
  slice,
  sum,
  tensor,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import {
  bidirectional,
  concatenate,
  dense,
  embedding,
  gru,
  input,
  loadModel,
  lstm,
  masking,
  model,
  orthogonal,
  recurrentForward,
  sgd,
  simpleRNN,
  getActivation,
  type CellName,
  type MergeMode,
  type RecurrentLayer,
  type RecurrentStateLayer,
} from '@webgrad/layers';
import { cpu, expectClose, gpu, randomValues, useBackend } from '../helpers.js';
import { fitsAndRoundTrips } from './roundtrip.js';
import { fixtures } from './recurrent-fixtures.js';

interface BidiCase {
  name: string;
  cell: CellName;
  mergeMode: MergeMode;
  options: { return_sequences?: boolean; return_state?: boolean };
  mask: number[] | null;
  weights: number[][];
  outputs: number[][];
  outputShapes: number[][];
}

const [B, T, F] = fixtures.shape;
const U = fixtures.units;
const FACTORY = { SimpleRNN: simpleRNN, LSTM: lstm, GRU: gru };
const f32 = (values: ArrayLike<number>, shape: readonly number[]): Tensor => tensor(Float32Array.from(values), shape);
const x0 = () => f32(fixtures.cases[0].x, [B, T, F]);

function bidiFor(c: BidiCase): RecurrentLayer | RecurrentStateLayer {
  const make = FACTORY[c.cell] as (options: object) => RecurrentLayer | RecurrentStateLayer;
  const inner = make({
    units: U,
    returnSequences: c.options.return_sequences ?? false,
    returnState: c.options.return_state ?? false,
  });
  const layer = bidirectional({ layer: inner, mergeMode: c.mergeMode });
  if (layer.signature === 'many-to-many') layer.build([[T, F]], 1);
  else layer.build([T, F], 1);
  layer.weights.forEach((w, i) => w.assign(f32(c.weights[i], w.shape)));
  return layer;
}

const runBidi = (c: BidiCase): Tensor[] => {
  const layer = bidiFor(c);
  const mask = c.mask ? f32(c.mask, [B, T]) : undefined;
  const out = (layer.apply as (x: Tensor, o: object) => Tensor | Tensor[])(x0(), { mask });
  return Array.isArray(out) ? out : [out];
};

describe('bidirectional', () => {
  for (const c of fixtures.bidirectional as BidiCase[]) {
    it(`${c.name}${c.mask ? ', masked' : ''}: within 1e-5 of Keras's Bidirectional on the same weights (CPU)`, async () => {
      const outs = withBackend(cpu(), () => runBidi(c));
      expect(outs.map((o) => o.shape)).to.deep.equal(c.outputShapes);
      for (const [i, o] of outs.entries()) {
        expectClose(await o.data(), c.outputs[i], { rtol: 1e-5, atol: 1e-6 }, `${c.name} output ${i}`);
      }
    });
  }

  it('concat of returnSequences equals [forward layer, goBackwards layer read back in time order]', async () => {
    await withBackend(cpu(), async () => {
      const forward = gru({ units: U, returnSequences: true });
      const layer = bidirectional({ layer: forward });
      const x = x0();
      const y = layer.apply(x);
      const backward = gru({ units: U, returnSequences: true, goBackwards: true });
      backward.build([T, F], 3);
      backward.weights.forEach((w, i) => w.assign(layer.weights[3 + i]));
      const order = tensor([4, 3, 2, 1, 0], [T], 'int32');
      const expected = concat([forward.apply(x), gather(backward.apply(x), order, 1)], 2);
      expect(y.shape).to.deep.equal([B, T, 2 * U]);
      expectClose(await y.data(), await expected.data(), { rtol: 1e-6, atol: 1e-7 }, 'bidirectional');
    });
  });

  it('d/dx through both halves (masked, averaged) by checkGradients', async () => {
    const c = (fixtures.bidirectional as BidiCase[])[0];
    const layer = withBackend(cpu(), () => bidiFor({ ...c, mergeMode: 'ave' }));
    const mask = withBackend(cpu(), () => f32(c.mask!, [B, T]));
    const context = { training: false, seed: 0, mask };
    const call = (x: Tensor) => (layer as RecurrentLayer).call(x, context);
    const result = await checkGradients(call, [withBackend(cpu(), x0)], { rtol: 1e-5, atol: 1e-7 });
    expect(result.checks).to.equal(B * T * F);
  });

  it('WebGPU matches the CPU: a masked bidirectional LSTM (concat, returnSequences)', async () => {
    const c = (fixtures.bidirectional as BidiCase[])[0];
    const [onCpu] = withBackend(cpu(), () => runBidi(c));
    const [onGpu] = withBackend(gpu(), () => runBidi(c));
    expect(onGpu.backend.name).to.equal('webgpu');
    expectClose(await onGpu.data(), await onCpu.data(), { rtol: 1e-4, atol: 1e-5 }, 'webgpu vs cpu');
  });

  it('refuses a layer that is not recurrent, and an unknown merge mode', () => {
    expect(() => bidirectional({ layer: dense({ units: 2 }) as never })).to.throw(
      'bidirectional: layer must be a recurrent layer (simpleRNN, lstm, gru), got Dense',
    );
    expect(() => bidirectional({ layer: lstm({ units: 2 }), mergeMode: 'max' as never })).to.throw(
      'bidirectional: mergeMode must be one of concat, sum, mul, ave, got "max"',
    );
  });
});

describe('stateful recurrent layers', () => {
  const xs = () => f32(randomValues(2 * 6 * 3, 'any', 31), [2, 6, 3]);
  for (const cell of ['LSTM', 'GRU', 'SimpleRNN'] as const) {
    it(`${cell}: two calls on halves of a sequence equal one call on the whole; resetStates starts again`, async () => {
      await withBackend(cpu(), async () => {
        const make = FACTORY[cell] as (options: object) => RecurrentLayer;
        const layer = make({ units: 3, stateful: true, batchSize: 2, returnSequences: true });
        const whole = make({ units: 3, returnSequences: true });
        const x = xs();
        const first = layer.apply(slice(x, [0, 0, 0], [2, 2, 3]));
        const second = layer.apply(slice(x, [0, 2, 0], [2, 4, 3]));
        whole.build([6, 3], 1);
        whole.weights.forEach((w, i) => w.assign(layer.weights[i]));
        const expected = await whole.apply(x).data();
        expectClose(await concat([first, second], 1).data(), expected, { rtol: 1e-6, atol: 1e-7 }, 'stateful');
        layer.resetStates();
        const again = layer.apply(slice(x, [0, 0, 0], [2, 2, 3]));
        expect(Array.from(await again.data())).to.deep.equal(Array.from(await first.data()));
      });
    });
  }

  it('truncated backpropagation: the gradient of a batch stops at the states the previous batch left', async () => {
    await withBackend(cpu(), async () => {
      const layer = lstm({ units: 3, stateful: true, batchSize: 2 });
      const plain = lstm({ units: 3 });
      const x = xs();
      const [a, b] = [slice(x, [0, 0, 0], [2, 3, 3]), slice(x, [0, 3, 0], [2, 3, 3])];
      layer.apply(a);
      plain.build([3, 3], 1);
      plain.weights.forEach((w, i) => w.assign(layer.weights[i]));
      const spec = {
        cell: 'LSTM' as const,
        returnSequences: false,
        goBackwards: false,
        resetAfter: true,
        acts: { activation: getActivation('tanh'), recurrentActivation: getActivation('sigmoid') },
      };
      const [kernel, recurrentKernel, bias] = plain.weights;
      const carried = recurrentForward(spec, a, { kernel, recurrentKernel, bias }).states;
      const u = f32(randomValues(6, 'any', 5), [2, 3]);
      const stateful = grad(() => sum(mul(layer.apply(b, { training: true }), u)))(...layer.weights);
      const onB = () => recurrentForward(spec, b, { kernel, recurrentKernel, bias }, { initialStates: carried });
      const detached = grad(() => sum(mul(onB().output, u)))(kernel, recurrentKernel, bias);
      for (const [i, g] of stateful.entries()) {
        expectClose(await g.data(), await detached[i].data(), { rtol: 1e-6, atol: 1e-8 }, `weight ${i}`);
      }
    });
  });

  describe('on WebGPU', () => {
    useBackend('webgpu');
    it('fit keeps the tensor count flat across epochs (states are updated in place, nothing leaks)', async () => {
      const inp = input({ shape: [4, 3] });
      const net = model({
        inputs: inp,
        outputs: dense({ units: 1 }).apply(lstm({ units: 4, stateful: true, batchSize: 2 }).apply(inp)),
      });
      net.compile({ optimizer: sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      const x = f32(randomValues(8 * 4 * 3, 'any', 41), [8, 4, 3]);
      const y = f32(randomValues(8, 'any', 42), [8, 1]);
      await net.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
      const before = memory().tensors;
      const history = await net.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
      expect(memory().tensors - before, 'tensors left by three more epochs').to.equal(0);
      expect(history.history.loss.every(Number.isFinite)).to.equal(true);
    });
  });
});

describe('recurrent dropout', () => {
  // a linear SimpleRNN with an identity kernel and no bias reads its masks off its outputs
  const eye = f32(
    Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0)),
    [6, 6],
  );
  const probe = (options: object, recurrentIdentity: boolean) => {
    const layer = simpleRNN({ units: 6, activation: 'linear', useBias: false, returnSequences: true, ...options });
    layer.build([T, 6], 0);
    layer.weights[0].assign(eye);
    layer.weights[1].assign(recurrentIdentity ? eye : mul(eye, 0));
    return layer;
  };
  it('is off in inference and seeded in training: the same seed gives the same output, another seed another', async () => {
    await withBackend(cpu(), async () => {
      const layer = gru({ units: 4, dropout: 0.4, recurrentDropout: 0.4, returnSequences: true });
      const x = x0();
      const plain = await layer.apply(x).data();
      const inference = gru({ units: 4, returnSequences: true });
      inference.build([T, F], 0);
      inference.weights.forEach((w, i) => w.assign(layer.weights[i]));
      expect(Array.from(await inference.apply(x).data())).to.deep.equal(Array.from(plain));
      const [a, b, c] = [3, 3, 4].map((seed) => layer.apply(x, { training: true, seed }));
      const [da, db, dc] = await Promise.all([a, b, c].map((t) => t.data()));
      expect(Array.from(da)).to.deep.equal(Array.from(db));
      expect(Array.from(da)).to.not.deep.equal(Array.from(dc));
      expect(Array.from(da)).to.not.deep.equal(Array.from(plain));
    });
  });

  it('dropout drops the same input features at every timestep of a sequence (one mask per sequence)', async () => {
    await withBackend(cpu(), async () => {
      const layer = probe({ dropout: 0.5 }, false);
      const x = f32(randomValues(B * T * 6, 'positive', 3), [B, T, 6]);
      const y = layer.apply(x, { training: true, seed: 11 });
      const ratio = await div(y, x).data();
      let dropped = 0;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < 6; j++) {
          const first = ratio[b * T * 6 + j];
          expect(
            [0, 2].some((v) => Math.abs(first - v) < 1e-5),
            `ratio ${first}`,
          ).to.equal(true);
          for (let t = 1; t < T; t++) expect(ratio[(b * T + t) * 6 + j]).to.be.closeTo(first, 1e-5);
          if (first === 0) dropped++;
        }
      }
      expect(dropped).to.be.within(1, B * 6 - 1);
    });
  });

  it('recurrentDropout drops the same units of h₋₁ at every timestep (h_t = h_(t−1) ⊙ r)', async () => {
    await withBackend(cpu(), async () => {
      const layer = probe({ recurrentDropout: 0.5 }, true);
      // x is nonzero only at t = 0, so h_t = x_0 ⊙ rᵗ
      const values = new Float64Array(B * T * 6);
      const first = randomValues(B * 6, 'positive', 5);
      for (let b = 0; b < B; b++) for (let j = 0; j < 6; j++) values[b * T * 6 + j] = first[b * 6 + j];
      const y = await layer.apply(f32(values, [B, T, 6]), { training: true, seed: 12 }).data();
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < 6; j++) {
          const at = (t: number) => y[(b * T + t) * 6 + j];
          const r = at(1) / at(0);
          expect(
            [0, 2].some((v) => Math.abs(r - v) < 1e-5),
            `mask value ${r}`,
          ).to.equal(true);
          expect(at(2)).to.be.closeTo(at(0) * r * r, 1e-4);
        }
      }
    });
  });
});

describe('recurrent options save and load', () => {
  useBackend('webgpu');
  it('returnState, initial states, masks (Embedding maskZero, Masking), bidirectional, dropout round-trip', async () => {
    await fitsAndRoundTrips(() => {
      const ids = input({ shape: [5], dtype: 'int32', name: 'ids' });
      const seq = input({ shape: [5, 3], name: 'seq' });
      const [encoded, h, c] = lstm({ units: 4, returnState: true, dropout: 0.2, recurrentDropout: 0.1, seed: 3 }).apply(
        embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(ids),
      );
      const decoded = lstm({ units: 4, returnSequences: true, goBackwards: true }).apply([masking().apply(seq), h, c]);
      const both = bidirectional({ layer: gru({ units: 2, resetAfter: false }), mergeMode: 'sum' }).apply(decoded);
      const out = dense({ units: 1 }).apply(concatenate().apply([encoded, both]));
      const net = model({ inputs: [ids, seq], outputs: out });
      const x = [
        tensor(Int32Array.from([1, 2, 3, 0, 0, 0, 4, 5, 6, 7]), [2, 5], 'int32'),
        f32(randomValues(2 * 5 * 3, 'any', 8), [2, 5, 3]),
      ];
      return { net, x, y: f32([0.5, -0.5], [2, 1]) };
    });
  });

  it('stateful, batchSize and a bidirectional returnState layer rebuild from their configs', async () => {
    const seq = input({ shape: [5, 3] });
    const [out, hf, hb] = bidirectional({ layer: gru({ units: 2, returnState: true }), mergeMode: 'mul' }).apply(seq);
    const last = simpleRNN({ units: 2, stateful: true, batchSize: 2, name: 'kept' }).apply(seq);
    const net = model({ inputs: seq, outputs: [out, hf, hb, last] });
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-rnn-'));
    await net.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.getLayer('kept').getConfig()).to.include({ stateful: true, batchSize: 2 });
    const x = f32(randomValues(2 * 5 * 3, 'any', 9), [2, 5, 3]);
    const [want, got] = [net, loaded].map((m) => m.predict(x) as Tensor[]);
    // mul keeps the units: [output, forward h, backward h, the stateful layer's output]
    expect(got.map((t) => t.shape.join('x'))).to.deep.equal(['2x2', '2x2', '2x2', '2x2']);
    for (const [i, t] of got.entries()) {
      expect(Array.from(await t.data())).to.deep.equal(Array.from(await want[i].data()));
    }
  });
});

describe('exploding gradients in a 100-step SimpleRNN', () => {
  const steps = 100;
  const make = (clipNorm?: number) => {
    const inp = input({ shape: [steps, 2] });
    const rnn = simpleRNN({
      units: 8,
      activation: 'linear',
      useBias: false,
      recurrentInitializer: orthogonal({ gain: 1.1 }),
    });
    const net = model({ inputs: inp, outputs: rnn.apply(inp), seed: 5 });
    net.compile({ optimizer: sgd({ learningRate: 0.01, clipNorm }), loss: 'meanSquaredError' });
    return net;
  };
  const data = () => ({
    x: f32(randomValues(4 * steps * 2, 'any', 61), [4, steps, 2]),
    y: f32(randomValues(4 * 8, 'any', 62), [4, 8]),
  });

  it('the gradient norm explodes with the sequence length, and clipNorm bounds every update', async () => {
    await withBackend(cpu(), async () => {
      const { x, y } = data();
      const rnn = make().layers[1] as RecurrentLayer;
      const norm = async (length: number) => {
        const part = slice(x, [0, steps - length, 0], [4, length, 2]);
        const lossOf = () => mean(square(sub(rnn.apply(part), y)));
        const grads = grad(lossOf)(...rnn.weights);
        return (await globalNorm(grads).data())[0];
      };
      const [short, long] = [await norm(10), await norm(steps)];
      // 1.1^90 ≈ 5·10³: the recurrent product's spectral radius compounds over the 90 extra steps
      expect(long / short, `gradient norm ${long} at 100 steps vs ${short} at 10`).to.be.greaterThan(1000);

      const moves = async (net: ReturnType<typeof make>) => {
        const before = await Promise.all(net.trainableWeights.map((w) => w.data()));
        await net.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
        const after = await Promise.all(net.trainableWeights.map((w) => w.data()));
        return after.map((w, i) => Math.hypot(...Array.from(w, (v, k) => v - before[i][k])));
      };
      const unclipped = await moves(make());
      const clipped = await moves(make(1));
      expect(Math.max(...unclipped), `an unclipped step moves a weight by ${Math.max(...unclipped)}`).to.be.greaterThan(
        10,
      );
      for (const m of clipped) {
        expect(m, 'a clipped step moves each weight by at most learningRate · clipNorm').to.be.at.most(0.01 + 1e-6);
      }
    });
  });
});

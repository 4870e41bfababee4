// The recurrent layers' Keras features: masks (padding at either end), initial states given at call
// time, returnState, Embedding's maskZero and Masking in front of them, and Keras 3's per-gate dropout
// masks, each against Keras 3.15.1 on the same weights (fixtures/recurrent-keras.json, written by
// fixtures/recurrent-keras.py); padded batches against the unpadded samples; gradients by
// checkGradients; WebGPU against the CPU; and the errors bad input gets.
import { expect } from 'chai';
import { checkGradients, slice, tensor, withBackend, type Backend, type Tensor } from '@webgrad/core';
import {
  dense,
  droppedForward,
  dropout,
  embedding,
  getActivation,
  gru,
  input,
  lstm,
  masking,
  model,
  recurrentForward,
  sequential,
  simpleRNN,
  type CellName,
  type RecurrentLayer,
  type RecurrentStateLayer,
  type SequenceSpec,
} from '@webgrad/layers';
import { cpu, expectClose, gpu, randomValues } from '../helpers.js';
import { fixtures, type KerasCase } from './recurrent-fixtures.js';

const [B, T, F] = fixtures.shape;
const U = fixtures.units;
const GATES: Record<CellName, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };
const FACTORY = { SimpleRNN: simpleRNN, LSTM: lstm, GRU: gru };

const f32 = (values: number[], shape: readonly number[]): Tensor => tensor(Float32Array.from(values), shape);
const weightShapes = (cell: CellName, resetAfter: boolean): number[][] => {
  const width = GATES[cell] * U;
  return [[F, width], [U, width], cell === 'GRU' && resetAfter ? [2, width] : [width]];
};

/** A layer of the case's options with Keras's weights, on the current backend. */
function layerFor(c: KerasCase): RecurrentLayer | RecurrentStateLayer {
  const make = FACTORY[c.cell] as (options: object) => RecurrentLayer | RecurrentStateLayer;
  const layer = make({
    units: U,
    returnSequences: c.options.return_sequences ?? false,
    returnState: c.options.return_state ?? false,
    goBackwards: c.options.go_backwards ?? false,
    ...(c.cell === 'GRU' ? { resetAfter: c.resetAfter } : {}),
  });
  if (layer.signature === 'many-to-many') layer.build([[T, F]], 1);
  else layer.build([T, F], 1);
  const shapes = weightShapes(c.cell, c.resetAfter);
  layer.weights.forEach((w, i) => w.assign(f32(c.weights[i], shapes[i])));
  return layer;
}

/** The case run through layer.apply: [x, ...initial states] and the mask. */
function runCase(c: KerasCase): Tensor[] {
  const layer = layerFor(c);
  const x = f32(c.x, c.xShape);
  const states = c.initial?.map((s) => f32(s, [B, U])) ?? [];
  const mask = c.mask ? f32(c.mask, [B, T]) : undefined;
  const given = states.length ? [x, ...states] : x;
  const out = (layer.apply as (x: Tensor | Tensor[], o: object) => Tensor | Tensor[])(given, { mask });
  return Array.isArray(out) ? out : [out];
}

const specOf = (c: KerasCase): SequenceSpec => ({
  cell: c.cell,
  returnSequences: c.options.return_sequences ?? false,
  goBackwards: c.options.go_backwards ?? false,
  resetAfter: c.resetAfter,
  acts: { activation: getActivation('tanh'), recurrentActivation: getActivation('sigmoid') },
});

describe(`recurrent layer features against Keras ${fixtures.keras} (fixtures/recurrent-keras.json)`, () => {
  for (const c of fixtures.cases.filter((k) => !k.dropoutMasks)) {
    it(`${c.name}: every output within 1e-5 of Keras's, on the CPU`, async () => {
      const outs = withBackend(cpu(), () => runCase(c));
      expect(outs.map((o) => o.shape)).to.deep.equal(c.outputShapes);
      for (const [i, o] of outs.entries()) {
        expectClose(await o.data(), c.outputs[i], { rtol: 1e-5, atol: 1e-6 }, `${c.name} output ${i}`);
      }
    });
  }

  for (const c of fixtures.cases.filter((k) => k.dropoutMasks)) {
    it(`${c.name}: Keras's forward with the same per-gate dropout masks (droppedForward), on the CPU`, async () => {
      const y = withBackend(cpu(), () => {
        const shapes = weightShapes(c.cell, c.resetAfter);
        const [kernel, recurrentKernel, bias] = c.weights.map((w, i) => f32(w, shapes[i]));
        const gateMasks = (list: number[][], width: number) =>
          Array.from({ length: GATES[c.cell] }, (_, g) => f32(list[c.cell === 'SimpleRNN' ? 0 : g], [B, width]));
        return droppedForward(
          specOf(c),
          f32(c.x, c.xShape),
          { kernel, recurrentKernel, bias },
          { mask: f32(c.mask!, [B, T]) },
          { input: gateMasks(c.dropoutMasks!.input, F), recurrent: gateMasks(c.dropoutMasks!.recurrent, U) },
        ).output;
      });
      expectClose(await y.data(), c.outputs[0], { rtol: 1e-5, atol: 1e-6 }, c.name);
    });
  }

  it("Embedding(maskZero) → LSTM in a sequential model: the mask reaches the LSTM, as Keras's does", async () => {
    const { ids, weights, output } = fixtures.pipelines.embedding;
    const net = withBackend(cpu(), () => {
      const m = sequential([
        embedding({ inputDim: 10, outputDim: F, maskZero: true, inputShape: [T] }),
        lstm({ units: U, returnSequences: true }),
      ]);
      m.build();
      m.setWeights(weights.map((w, i) => f32(w, m.weights[i].shape)));
      return m;
    });
    const y = withBackend(cpu(), () => net.predict(tensor(Int32Array.from(ids), [B, T], 'int32')));
    expectClose(await y.data(), output, { rtol: 1e-5, atol: 1e-6 }, 'embedding → lstm');
  });

  it("the mask passes through Dropout and Dense (Keras's supports_masking) on its way to the LSTM", async () => {
    await withBackend(cpu(), async () => {
      const ids = tensor(Int32Array.from(fixtures.pipelines.embedding.ids), [B, T], 'int32');
      const emb = embedding({ inputDim: 10, outputDim: F, maskZero: true });
      const proj = dense({ units: 2 });
      const rnn = lstm({ units: U });
      const inp = input({ shape: [T], dtype: 'int32' });
      const net = model({ inputs: inp, outputs: rnn.apply(proj.apply(dropout({ rate: 0.5 }).apply(emb.apply(inp)))) });
      const y = await net.predict(ids).data();
      const mask = emb.computeMask!(ids);
      expect(Array.from(await mask!.data())).to.deep.equal(fixtures.pipelines.embedding.ids.map((id) => (id ? 1 : 0)));
      const masked = await rnn.apply(proj.apply(emb.apply(ids)), { mask }).data();
      const unmasked = await rnn.apply(proj.apply(emb.apply(ids))).data();
      expect(Array.from(y)).to.deep.equal(Array.from(masked));
      expect(Array.from(y)).to.not.deep.equal(Array.from(unmasked));
    });
  });

  it('Masking(0) → SimpleRNN in a functional model: padded timesteps are skipped, as in Keras', async () => {
    const { x, weights, output } = fixtures.pipelines.masking;
    const y = withBackend(cpu(), () => {
      const inp = input({ shape: [T, F] });
      const m = model({ inputs: inp, outputs: simpleRNN({ units: U }).apply(masking({ maskValue: 0 }).apply(inp)) });
      m.setWeights(weights.map((w, i) => f32(w, m.weights[i].shape)));
      return m.predict(f32(x, [B, T, F]));
    });
    expectClose(await y.data(), output, { rtol: 1e-5, atol: 1e-6 }, 'masking → simple rnn');
  });
});

describe('recurrent masks: a padded batch gives each sample its unpadded result', () => {
  const cells: [CellName, boolean][] = [
    ['SimpleRNN', false],
    ['LSTM', false],
    ['LSTM', true],
    ['GRU', true],
  ];
  for (const [cell, goBackwards] of cells) {
    const what = `${cell}${goBackwards ? ' goBackwards' : ''}`;
    it(`${what}: a length-3 sample padded to 5 ends with the states of the sample alone; gradients`, async () => {
      await withBackend(cpu(), async () => {
        const spec: SequenceSpec = { ...specOf(fixtures.cases[0]), cell, goBackwards, returnSequences: false };
        const width = GATES[cell] * U;
        const kernel = f32(
          Array.from(randomValues(F * width, 'any', 1), (v) => v * 0.5),
          [F, width],
        );
        const recurrentKernel = f32(
          Array.from(randomValues(U * width, 'any', 2), (v) => v * 0.5),
          [U, width],
        );
        const bias = f32(
          Array.from(randomValues(cell === 'GRU' ? 2 * width : width, 'any', 3), (v) => v * 0.3),
          cell === 'GRU' ? [2, width] : [width],
        );
        const x = f32(Array.from(randomValues(2 * 5 * F, 'any', 4)), [2, 5, F]);
        // sample 0 has 3 real steps then 2 padding steps; sample 1 is full
        const mask = f32([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5]);
        const padded = recurrentForward(spec, x, { kernel, recurrentKernel, bias }, { mask });
        const alone = recurrentForward(spec, slice(x, [0, 0, 0], [1, 3, F]), { kernel, recurrentKernel, bias });
        const row0 = (t: Tensor) => slice(t, [0, 0], [1, U]);
        expectClose(await row0(padded.output).data(), await alone.output.data(), { rtol: 1e-6, atol: 1e-7 }, 'output');
        for (const [k, s] of padded.states.entries()) {
          expectClose(await row0(s).data(), await alone.states[k].data(), { rtol: 1e-6, atol: 1e-7 }, `state ${k}`);
        }
        // the masked forward's gradients, by central differences in float64
        const result = await checkGradients(
          (xs, k, r, b) => recurrentForward(spec, xs, { kernel: k, recurrentKernel: r, bias: b }, { mask }).output,
          [x, kernel, recurrentKernel, bias],
          { rtol: 1e-5, atol: 1e-7, maxElements: 400 },
        );
        expect(result.checks).to.be.greaterThan(50);
      });
    });
  }

  it('initial states and returnState: d/dh0 and d/dc0 of a masked LSTM by checkGradients', async () => {
    const c = fixtures.cases[0];
    const spec = specOf(c);
    const shapes = weightShapes(c.cell, c.resetAfter);
    const inputs = withBackend(cpu(), () => [
      f32(c.x, c.xShape),
      ...c.weights.map((w, i) => f32(w, shapes[i])),
      ...c.initial!.map((s) => f32(s, [B, U])),
    ]);
    const mask = withBackend(cpu(), () => f32(c.mask!, [B, T]));
    const result = await checkGradients(
      (x, kernel, recurrentKernel, bias, h0, c0) => {
        const r = recurrentForward(spec, x, { kernel, recurrentKernel, bias }, { initialStates: [h0, c0], mask });
        return r.states[1];
      },
      inputs,
      { rtol: 1e-5, atol: 1e-7, maxElements: 400 },
    );
    expect(result.checks).to.be.greaterThan(100);
  });
});

describe('recurrent layer features on WebGPU match the CPU', () => {
  const onBoth = async (fn: () => Tensor[]): Promise<void> => {
    const [onCpu, onGpu] = [cpu(), gpu()].map((b: Backend) => withBackend(b, fn));
    for (const [i, t] of onGpu.entries()) {
      expect(t.backend.name).to.equal('webgpu');
      expectClose(await t.data(), await onCpu[i].data(), { rtol: 1e-4, atol: 1e-5 }, `output ${i}`);
    }
  };
  it('a masked LSTM with initial states and returnState ([output, h, c])', async () => {
    await onBoth(() => runCase(fixtures.cases[0]));
  });
  it('a masked GRU with Keras per-gate dropout masks (droppedForward)', async () => {
    const c = fixtures.cases.find((k) => k.dropoutMasks && k.cell === 'GRU')!;
    await onBoth(() => {
      const shapes = weightShapes(c.cell, c.resetAfter);
      const [kernel, recurrentKernel, bias] = c.weights.map((w, i) => f32(w, shapes[i]));
      const masks = (list: number[][], width: number) => list.map((m) => f32(m, [B, width]));
      const r = droppedForward(
        specOf(c),
        f32(c.x, c.xShape),
        { kernel, recurrentKernel, bias },
        { mask: f32(c.mask!, [B, T]) },
        { input: masks(c.dropoutMasks!.input, F), recurrent: masks(c.dropoutMasks!.recurrent, U) },
      );
      return [r.output, ...r.states];
    });
  });
});

describe('recurrent layers: the errors bad input gets', () => {
  it('a 2-D input to an LSTM names the layer and the shapes', () => {
    const layer = lstm({ units: 4, name: 'lstm_bad_rank' });
    withBackend(cpu(), () => {
      expect(() => layer.apply(f32([1, 2, 3, 4, 5, 6], [2, 3]))).to.throw(
        "layer 'lstm_bad_rank' (LSTM): expected input of shape [batch, timesteps, features] (rank 3), got [batch, 3] (rank 2)",
      );
    });
    expect(() => lstm({ units: 4, name: 'lstm_bad_sym' }).apply(input({ shape: [3] }))).to.throw(
      /layer 'lstm_bad_sym' \(LSTM\) applied to 'input_\d+' \[3\]: expected input of shape \[batch, timesteps, features\] \(rank 3\), got \[batch, 3\] \(rank 2\)/,
    );
  });

  it('a mask of the wrong shape names the layer, the mask and the input', () => {
    withBackend(cpu(), () => {
      const layer = gru({ units: 2, name: 'gru_bad_mask' });
      const x = f32(Array.from(randomValues(2 * 5 * 3, 'any', 9)), [2, 5, 3]);
      expect(() => layer.apply(x, { mask: f32([1, 1, 1, 1, 1, 1, 1, 1], [2, 4]) })).to.throw(
        "layer 'gru_bad_mask' (GRU): mask of shape [2,4] (float32) does not fit input [2,5,3]; " +
          'expected float32 [batch, timesteps] = [2,5] (1 = keep)',
      );
    });
  });

  it('an initial state of the wrong size names the state and both shapes, eagerly and in a graph', () => {
    withBackend(cpu(), () => {
      const layer = lstm({ units: 4, name: 'lstm_bad_state' });
      const x = f32(Array.from(randomValues(2 * 5 * 3, 'any', 9)), [2, 5, 3]);
      const h = f32(Array.from(randomValues(8, 'any', 1)), [2, 4]);
      expect(() => layer.apply([x, h, f32(Array.from(randomValues(6, 'any', 2)), [2, 3])])).to.throw(
        "layer 'lstm_bad_state' (LSTM): initial state 1 (c) has shape [batch, 3]; expected [batch, 4] (units)",
      );
      expect(() => layer.apply([x, h])).to.throw(
        "layer 'lstm_bad_state' (LSTM): expected 2 initial states [h, c], got 1",
      );
      expect(() => layer.apply([x, h, f32(Array.from(randomValues(12, 'any', 2)), [3, 4])])).to.throw(
        "layer 'lstm_bad_state' (LSTM): initial state 1 (c) has shape [3,4]; expected [batch, units] = [2,4] for input [2,5,3]",
      );
    });
    const seq = input({ shape: [5, 3] });
    expect(() =>
      lstm({ units: 4, name: 'lstm_bad_sym_state' }).apply([seq, input({ shape: [4] }), input({ shape: [5] })]),
    ).to.throw(
      /layer 'lstm_bad_sym_state' \(LSTM\) applied to .*: initial state 1 \(c\) has shape \[batch, 5\]; expected \[batch, 4\] \(units\)/,
    );
  });

  it('stateful without a fixed batch size is refused when the layer is made, and a batch of another size when run', () => {
    expect(() => lstm({ units: 4, stateful: true })).to.throw(
      'lstm: stateful needs a fixed batch size: pass batchSize (the number of sequences in every batch; ' +
        'sample i of a batch continues sample i of the one before)',
    );
    withBackend(cpu(), () => {
      const layer = simpleRNN({ units: 2, stateful: true, batchSize: 2, name: 'rnn_stateful_batch' });
      expect(() => layer.apply(f32(Array.from(randomValues(3 * 4 * 3, 'any', 9)), [3, 4, 3]))).to.throw(
        "layer 'rnn_stateful_batch' (SimpleRNN): stateful with batchSize 2 got a batch of 3 (input [3,4,3]); " +
          'every batch must hold 2 sequences',
      );
    });
    expect(() => lstm({ units: 4 }).resetStates()).to.throw(/resetStates needs a stateful layer \(stateful: true\)/);
  });

  it('a returnState layer in a sequential stack is refused by name', () => {
    expect(() => sequential([lstm({ units: 2, returnState: true, name: 'lstm_rs_seq' }) as never])).to.throw(
      "sequential: layer 'lstm_rs_seq' (LSTM) gives several outputs (returnState); " +
        'a stack takes one, so use it in model({inputs, outputs})',
    );
  });

  it('dropout rates outside [0, 1) are refused', () => {
    expect(() => gru({ units: 2, dropout: 1 })).to.throw('gru: dropout must be a number in [0, 1), got 1');
    expect(() => gru({ units: 2, recurrentDropout: -0.1 })).to.throw(
      'gru: recurrentDropout must be a number in [0, 1), got -0.1',
    );
  });
});

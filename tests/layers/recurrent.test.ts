// Embedding, SimpleRNN, LSTM and GRU: each cell's forward against a float64 hand computation of the
// Keras equations (returnSequences, goBackwards, both GRU forms) on CPU and WebGPU, LSTM and GRU
// (resetAfter false, the only form TF.js has) against TF.js 4.22 on the same weights, gradients by
// checkGradients and WebGPU's against the CPU's, the embedding's gradient as a sum per id, save → load,
// a sequence classifier that learns on WebGPU, and the errors bad input gets.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import {
  checkGradients,
  grad,
  mul,
  sum,
  tensor,
  valueAndGrad,
  withBackend,
  type Backend,
  uniformValues,
  type Tensor,
} from '@webgrad/core';
import {
  adam,
  dense,
  embedding,
  getActivation,
  gru,
  input,
  lstm,
  model,
  orthogonal,
  recurrentForward,
  sequential,
  simpleRNN,
  timeDistributed,
  type CellName,
  type Layer,
  type SequenceSpec,
} from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose, gpu, randomValues, useBackend } from '../helpers.js';
import { fitsAndRoundTrips } from './roundtrip.js';

const GATES: Record<CellName, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

interface Config {
  cell: CellName;
  returnSequences: boolean;
  goBackwards: boolean;
  resetAfter: boolean;
}

const configs: Config[] = [
  { cell: 'SimpleRNN', returnSequences: false, goBackwards: false, resetAfter: true },
  { cell: 'SimpleRNN', returnSequences: true, goBackwards: true, resetAfter: true },
  { cell: 'LSTM', returnSequences: false, goBackwards: false, resetAfter: true },
  { cell: 'LSTM', returnSequences: true, goBackwards: false, resetAfter: true },
  { cell: 'LSTM', returnSequences: true, goBackwards: true, resetAfter: true },
  { cell: 'GRU', returnSequences: false, goBackwards: false, resetAfter: true },
  { cell: 'GRU', returnSequences: true, goBackwards: true, resetAfter: true },
  { cell: 'GRU', returnSequences: true, goBackwards: false, resetAfter: false },
];

const describeConfig = (c: Config): string =>
  `${c.cell}${c.cell === 'GRU' ? ` resetAfter ${c.resetAfter}` : ''}` +
  `${c.returnSequences ? ', returnSequences' : ''}${c.goBackwards ? ', goBackwards' : ''}`;

const biasShape = (c: Config, units: number): number[] =>
  c.cell === 'GRU' && c.resetAfter ? [2, 3 * units] : [GATES[c.cell] * units];

/** Seeded float32-exact values for x and the three weights of a cell. */
function caseData(c: Config, [batch, steps, features]: number[], units: number, seed: number) {
  const width = GATES[c.cell] * units;
  const f32 = (n: number, s: number, scale = 0.6) =>
    Float64Array.from(randomValues(n, 'any', s), (v) => Math.fround(v * scale));
  return {
    x: f32(batch * steps * features, seed, 1),
    kernel: f32(features * width, seed + 1),
    recurrentKernel: f32(units * width, seed + 2),
    bias: f32(
      biasShape(c, units).reduce((n, d) => n * d, 1),
      seed + 3,
      0.3,
    ),
  };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Keras's equations in float64, written out per unit: the reference every cell is held to. */
function reference(
  c: Config,
  [batch, steps, features]: number[],
  units: number,
  d: ReturnType<typeof caseData>,
): Float64Array {
  const width = GATES[c.cell] * units;
  const splitBias = c.cell === 'GRU' && c.resetAfter;
  const inputBias = (j: number) => d.bias[j];
  const recurrentBias = (j: number) => (splitBias ? d.bias[width + j] : 0);
  const out = new Float64Array(batch * (c.returnSequences ? steps : 1) * units);
  for (let b = 0; b < batch; b++) {
    let h = new Float64Array(units),
      cell = new Float64Array(units);
    for (let i = 0; i < steps; i++) {
      const t = c.goBackwards ? steps - 1 - i : i;
      // xw[j] = x_t·W[:, j] + b_in[j];  hu[j] = h·U[:, j] + b_rec[j]
      const xw = new Float64Array(width),
        hu = new Float64Array(width);
      for (let j = 0; j < width; j++) {
        let s = inputBias(j);
        for (let f = 0; f < features; f++) s += d.x[(b * steps + t) * features + f] * d.kernel[f * width + j];
        xw[j] = s;
        let r = recurrentBias(j);
        for (let k = 0; k < units; k++) r += h[k] * d.recurrentKernel[k * width + j];
        hu[j] = r;
      }
      const next = new Float64Array(units),
        nextCell = new Float64Array(units);
      for (let u = 0; u < units; u++) {
        if (c.cell === 'SimpleRNN') next[u] = Math.tanh(xw[u] + hu[u]);
        else if (c.cell === 'LSTM') {
          const z = (g: number) => xw[g * units + u] + hu[g * units + u];
          const ig = sigmoid(z(0)),
            fg = sigmoid(z(1)),
            cand = Math.tanh(z(2)),
            og = sigmoid(z(3));
          nextCell[u] = fg * cell[u] + ig * cand;
          next[u] = og * Math.tanh(nextCell[u]);
        } else {
          const zg = sigmoid(xw[u] + hu[u]);
          const rg = sigmoid(xw[units + u] + hu[units + u]);
          let cand: number;
          if (c.resetAfter) cand = Math.tanh(xw[2 * units + u] + rg * hu[2 * units + u]);
          else {
            // (r ⊙ h)·U_h needs every unit's reset gate first
            let s = xw[2 * units + u];
            for (let k = 0; k < units; k++) {
              const rk = sigmoid(xw[units + k] + hu[units + k]);
              s += rk * h[k] * d.recurrentKernel[k * width + 2 * units + u];
            }
            cand = Math.tanh(s);
          }
          next[u] = zg * h[u] + (1 - zg) * cand;
        }
      }
      h = next;
      cell = nextCell;
      if (c.returnSequences) out.set(h, (b * steps + i) * units);
    }
    if (!c.returnSequences) out.set(h, b * units);
  }
  return out;
}

function makeLayer(c: Config, units: number): Layer {
  const common = { units, returnSequences: c.returnSequences, goBackwards: c.goBackwards };
  if (c.cell === 'SimpleRNN') return simpleRNN(common);
  if (c.cell === 'LSTM') return lstm(common);
  return gru({ ...common, resetAfter: c.resetAfter });
}

/** The layer on `backend`, built for x and given the case's weights, and its output for x. */
function runLayer(backend: Backend, c: Config, shape: number[], units: number, d: ReturnType<typeof caseData>) {
  return withBackend(backend, () => {
    const layer = makeLayer(c, units);
    const x = tensor(Float32Array.from(d.x), shape);
    layer.apply(x);
    const [kernel, recurrentKernel, bias] = layer.weights;
    kernel.assign(tensor(Float32Array.from(d.kernel), kernel.shape));
    recurrentKernel.assign(tensor(Float32Array.from(d.recurrentKernel), recurrentKernel.shape));
    bias.assign(tensor(Float32Array.from(d.bias), bias.shape));
    return { layer, y: layer.apply(x) };
  });
}

const SHAPE = [3, 5, 4];
const UNITS = 6;

for (const backendName of BACKENDS) {
  describe(`recurrent layers' forward against Keras's equations on ${backendName}`, () => {
    configs.forEach((c, k) => {
      it(describeConfig(c), async () => {
        const d = caseData(c, SHAPE, UNITS, 100 + 10 * k);
        const { layer, y } = runLayer(backendOf(backendName), c, SHAPE, UNITS, d);
        expect(y.shape).to.deep.equal(c.returnSequences ? [SHAPE[0], SHAPE[1], UNITS] : [SHAPE[0], UNITS]);
        expect(layer.weights.map((w) => w.shape)).to.deep.equal([
          [SHAPE[2], GATES[c.cell] * UNITS],
          [UNITS, GATES[c.cell] * UNITS],
          biasShape(c, UNITS),
        ]);
        const tolerance = backendName === 'cpu' ? { rtol: 1e-6, atol: 1e-7 } : { rtol: 1e-4, atol: 1e-5 };
        expectClose(await y.data(), reference(c, SHAPE, UNITS, d), tolerance, describeConfig(c));
      });
    });
  });
}

/** The slice of TF.js's API these tests call (it is loaded untyped from the bench's node_modules). */
interface TfTensor {
  data(): Promise<Float32Array>;
}
interface TfLayer {
  apply(x: TfTensor): TfTensor;
  setWeights(weights: TfTensor[]): void;
}
interface TfRnnArgs {
  units: number;
  returnSequences: boolean;
  goBackwards: boolean;
  recurrentActivation: string;
}
interface Tf {
  enableProdMode(): void;
  setBackend(name: string): Promise<boolean>;
  tensor(values: Float32Array, shape: readonly number[]): TfTensor;
  layers: {
    lstm(args: TfRnnArgs): TfLayer;
    gru(args: TfRnnArgs): TfLayer;
  };
}

describe('LSTM and GRU against TF.js 4.22 (cpu backend) on the same weights', () => {
  let tf: Tf;
  before(async () => {
    const fromBench = createRequire(new URL('../../bench/package.json', import.meta.url));
    tf = fromBench('@tensorflow/tfjs') as Tf;
    tf.enableProdMode(); // silences the banner that suggests tfjs-node
    await tf.setBackend('cpu');
  });

  const tfConfigs: Config[] = [
    { cell: 'LSTM', returnSequences: true, goBackwards: false, resetAfter: false },
    { cell: 'LSTM', returnSequences: false, goBackwards: true, resetAfter: false },
    // TF.js's GRU is Keras's resetAfter=False form (it cannot load reset_after=True, tfjs#5728)
    { cell: 'GRU', returnSequences: true, goBackwards: false, resetAfter: false },
    { cell: 'GRU', returnSequences: false, goBackwards: true, resetAfter: false },
  ];
  for (const backendName of BACKENDS) {
    tfConfigs.forEach((c, k) => {
      it(`${describeConfig(c)} on ${backendName}`, async () => {
        const d = caseData(c, SHAPE, UNITS, 300 + 10 * k);
        // TF.js's default recurrentActivation is Keras 2's hardSigmoid; Keras 3's (and webgrad's) is sigmoid
        const args = {
          units: UNITS,
          returnSequences: c.returnSequences,
          goBackwards: c.goBackwards,
          recurrentActivation: 'sigmoid',
        };
        const tfLayer = c.cell === 'LSTM' ? tf.layers.lstm(args) : tf.layers.gru(args);
        const tfX = tf.tensor(Float32Array.from(d.x), SHAPE);
        tfLayer.apply(tfX); // builds it
        const width = GATES[c.cell] * UNITS;
        tfLayer.setWeights([
          tf.tensor(Float32Array.from(d.kernel), [SHAPE[2], width]),
          tf.tensor(Float32Array.from(d.recurrentKernel), [UNITS, width]),
          tf.tensor(Float32Array.from(d.bias), [width]),
        ]);
        const expected = await tfLayer.apply(tfX).data();
        const { y } = runLayer(backendOf(backendName), c, SHAPE, UNITS, d);
        expectClose(await y.data(), expected, { rtol: 1e-4, atol: 1e-5 }, `${describeConfig(c)} vs TF.js`);
      });
    });
  }
});

describe('recurrent gradients (backpropagation through time by autodiff)', () => {
  const tiny = [2, 3, 2];
  const units = 2;
  const specOf = (c: Config): SequenceSpec => ({
    ...c,
    acts: { activation: getActivation('tanh'), recurrentActivation: getActivation('sigmoid') },
  });
  const inputsOn = (backend: Backend, c: Config, d: ReturnType<typeof caseData>) =>
    withBackend(backend, () => {
      const width = GATES[c.cell] * units;
      return [
        tensor(Float32Array.from(d.x), tiny),
        tensor(Float32Array.from(d.kernel), [tiny[2], width]),
        tensor(Float32Array.from(d.recurrentKernel), [units, width]),
        tensor(Float32Array.from(d.bias), biasShape(c, units)),
      ];
    });
  const forward =
    (c: Config) =>
    (x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor): Tensor =>
      recurrentForward(specOf(c), x, { kernel, recurrentKernel, bias }).output;

  configs.forEach((c, k) => {
    it(`${describeConfig(c)}: d/dx, d/dkernel, d/drecurrentKernel, d/dbias by checkGradients`, async () => {
      const d = caseData(c, tiny, units, 500 + 10 * k);
      const result = await checkGradients(forward(c), inputsOn(backendOf('cpu'), c, d), { rtol: 1e-5, atol: 1e-7 });
      expect(result.mode).to.equal('elementwise');
      expect(result.checks).to.be.greaterThan(20);
    });
  });

  for (const c of [configs[4], configs[6], configs[7]]) {
    it(`${describeConfig(c)}: WebGPU's gradients match the CPU's`, async () => {
      const d = caseData(c, tiny, units, 700);
      const u = Float32Array.from(randomValues(c.returnSequences ? 2 * 3 * units : 2 * units, 'any', 701));
      const gradsOn = async (backend: Backend) =>
        withBackend(backend, () => {
          const inputs = inputsOn(backend, c, d);
          const probe = tensor(u, c.returnSequences ? [2, 3, units] : [2, units]);
          const { grads } = valueAndGrad((...xs: Tensor[]) => sum(mul(forward(c)(xs[0], xs[1], xs[2], xs[3]), probe)))(
            ...inputs,
          );
          return grads;
        });
      const expected = await Promise.all((await gradsOn(backendOf('cpu'))).map((g) => g.data()));
      const actual = await Promise.all((await gradsOn(gpu())).map((g) => g.data()));
      actual.forEach((g, i) => expectClose(g, expected[i], { rtol: 1e-4, atol: 1e-5 }, `gradient ${i}`));
    });
  }
});

for (const backendName of BACKENDS) {
  describe(`embedding on ${backendName}`, () => {
    it('gathers rows of its table; its gradient sums the rows that picked each id', async () => {
      const backend = backendOf(backendName);
      const ids = [3, 0, 3, 1, 4, 3];
      const table = Float32Array.from(randomValues(5 * 2, 'any', 41));
      const probe = Float32Array.from(randomValues(6 * 2, 'any', 42));
      const { y, dTable } = withBackend(backend, () => {
        const layer = embedding({ inputDim: 5, outputDim: 2 });
        const x = tensor(Int32Array.from(ids), [2, 3], 'int32');
        layer.apply(x);
        layer.weights[0].assign(tensor(table, [5, 2]));
        const u = tensor(probe, [2, 3, 2]);
        return {
          y: layer.apply(x),
          dTable: grad(() => sum(mul(layer.apply(x), u)))(layer.weights[0])[0],
        };
      });
      expect(y.shape).to.deep.equal([2, 3, 2]);
      expect(Array.from(await y.data())).to.deep.equal(ids.flatMap((id) => [table[2 * id], table[2 * id + 1]]));
      const expected = new Float64Array(10);
      ids.forEach((id, p) => {
        expected[2 * id] += probe[2 * p];
        expected[2 * id + 1] += probe[2 * p + 1];
      });
      expectClose(await dTable.data(), expected, { rtol: 1e-6, atol: 1e-6 }, 'd/dembeddings');
    });
  });
}

/** ids in {0..4} standing for −2..2; the label says whether their sum is positive. */
function sumSignTask(n: number, steps: number, seed: number) {
  const ids = Int32Array.from(uniformValues(n * steps, seed, 0, 5), (v) => Math.min(4, Math.floor(v)));
  const labels = Int32Array.from({ length: n }, (_, s) => {
    let total = 0;
    for (let t = 0; t < steps; t++) total += ids[s * steps + t] - 2;
    return total > 0 ? 1 : 0;
  });
  return { ids, labels };
}

describe('recurrent models on webgpu', () => {
  useBackend('webgpu');

  for (const cell of ['SimpleRNN', 'LSTM', 'GRU', 'GRU resetAfter false'] as const) {
    it(`embedding → ${cell} → dense fits a step, then saves and loads with identical predictions`, async () => {
      await fitsAndRoundTrips(() => {
        const x = input({ shape: [5], dtype: 'int32' });
        const e = embedding({ inputDim: 7, outputDim: 3 }).apply(x);
        const r =
          cell === 'SimpleRNN'
            ? simpleRNN({ units: 4, returnSequences: true, goBackwards: true })
            : cell === 'LSTM'
              ? lstm({ units: 4, unitForgetBias: false })
              : gru({ units: 4, resetAfter: cell === 'GRU' });
        const h = r.apply(e);
        const net = model({ inputs: x, outputs: dense({ units: 2 }).apply(h) });
        const ids = tensor(
          Int32Array.from({ length: 6 * 5 }, (_, i) => (i * 5) % 7),
          [6, 5],
          'int32',
        );
        const y = tensor(Float32Array.from(randomValues(6 * 2 * (cell === 'SimpleRNN' ? 5 : 1), 'any', 9)), [
          6,
          ...(cell === 'SimpleRNN' ? [5] : []),
          2,
        ]);
        return { net, x: ids, y };
      });
    });
  }

  it('embedding → LSTM (returnSequences) → timeDistributed(dense) fits a step, saves and loads identically', async () => {
    await fitsAndRoundTrips(() => {
      const x = input({ shape: [5], dtype: 'int32' });
      const h = lstm({ units: 4, returnSequences: true }).apply(embedding({ inputDim: 7, outputDim: 3 }).apply(x));
      const net = model({ inputs: x, outputs: timeDistributed({ layer: dense({ units: 2 }) }).apply(h) });
      const ids = tensor(
        Int32Array.from({ length: 6 * 5 }, (_, i) => (i * 3) % 7),
        [6, 5],
        'int32',
      );
      return { net, x: ids, y: tensor(Float32Array.from(randomValues(6 * 5 * 2, 'any', 19)), [6, 5, 2]) };
    });
  });

  it('an embedding → LSTM → dense classifier learns whether a sequence sums above zero', async function () {
    this.timeout(300_000);
    const steps = 5;
    const train = sumSignTask(384, steps, 1),
      test = sumSignTask(256, steps, 2);
    const x = input({ shape: [steps], dtype: 'int32' });
    const h = lstm({ units: 16 }).apply(embedding({ inputDim: 5, outputDim: 8 }).apply(x));
    const net = model({ inputs: x, outputs: dense({ units: 2, activation: 'softmax' }).apply(h) });
    net.compile({
      optimizer: adam({ learningRate: 0.02 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const started = performance.now();
    await net.fit(tensor(train.ids, [384, steps], 'int32'), tensor(train.labels, [384], 'int32'), {
      epochs: 6,
      batchSize: 32,
      verbose: 0,
    });
    const seconds = (performance.now() - started) / 1000;
    const logs = await net.evaluate(tensor(test.ids, [256, steps], 'int32'), tensor(test.labels, [256], 'int32'));
    const majority = Math.max(...[0, 1].map((k) => test.labels.filter((l) => l === k).length)) / 256;
    console.log(
      `      sum-sign classifier: held-out accuracy ${(logs.accuracy * 100).toFixed(1)}% ` +
        `(majority class ${(majority * 100).toFixed(1)}%), fit ${seconds.toFixed(1)} s`,
    );
    expect(logs.accuracy).to.be.greaterThan(Math.max(0.85, majority + 0.25));
  });
});

for (const backendName of BACKENDS) {
  describe(`timeDistributed on ${backendName}`, () => {
    it('runs its layer on every timestep with one set of weights', async () => {
      const xs = Float32Array.from(randomValues(2 * 3 * 4, 'any', 61));
      const ws = Float32Array.from(randomValues(4 * 5, 'any', 62));
      const bs = Float32Array.from(randomValues(5, 'any', 63));
      const y = withBackend(backendOf(backendName), () => {
        const wrapped = timeDistributed({ layer: dense({ units: 5, activation: 'tanh' }) });
        const x = tensor(xs, [2, 3, 4]);
        wrapped.apply(x);
        expect(wrapped.weights.map((w) => w.shape)).to.deep.equal([[4, 5], [5]]);
        wrapped.weights[0].assign(tensor(ws, [4, 5]));
        wrapped.weights[1].assign(tensor(bs, [5]));
        return wrapped.apply(x);
      });
      expect(y.shape).to.deep.equal([2, 3, 5]);
      const expected = Array.from({ length: 2 * 3 * 5 }, (_, k) => {
        const row = Math.floor(k / 5),
          unit = k % 5;
        let s = bs[unit];
        for (let f = 0; f < 4; f++) s += xs[row * 4 + f] * ws[f * 5 + unit];
        return Math.tanh(s);
      });
      expectClose(await y.data(), expected, { rtol: 1e-5, atol: 1e-6 }, 'timeDistributed(dense)');
    });
  });
}

describe('recurrent layers: initial weights as Keras makes them', () => {
  it('the recurrent kernel is orthogonal (U·Uᵀ = I for [units, 4·units]); the LSTM forget bias starts at 1', async () => {
    const layer = lstm({ units: 3 });
    layer.apply(tensor(new Float32Array(2 * 4 * 5), [2, 4, 5]));
    const [kernel, recurrentKernel, bias] = layer.weights;
    expect(kernel.shape).to.deep.equal([5, 12]);
    const u = await recurrentKernel.data();
    const gram = Array.from({ length: 9 }, (_, k) => {
      let dot = 0;
      for (let j = 0; j < 12; j++) dot += u[Math.floor(k / 3) * 12 + j] * u[(k % 3) * 12 + j];
      return dot;
    });
    expectClose(gram, [1, 0, 0, 0, 1, 0, 0, 0, 1], { rtol: 0, atol: 1e-6 }, 'U·Uᵀ');
    expect(Array.from(await bias.data())).to.deep.equal([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const plain = lstm({ units: 3, unitForgetBias: false });
    plain.apply(tensor(new Float32Array(2 * 4 * 5), [2, 4, 5]));
    expect(Array.from(await plain.weights[2].data())).to.deep.equal(new Array(12).fill(0));
  });

  it('orthogonal on a tall shape gives orthonormal columns', async () => {
    const w = await orthogonal().init([6, 2], 5).data();
    const dot = (a: number, b: number) => [0, 1, 2, 3, 4, 5].reduce((s, r) => s + w[r * 2 + a] * w[r * 2 + b], 0);
    expectClose([dot(0, 0), dot(0, 1), dot(1, 1)], [1, 0, 1], { rtol: 0, atol: 1e-6 }, 'QᵀQ');
  });
});

describe('recurrent layers: bad input', () => {
  it('embedding refuses float ids, naming the layer and the shape', () => {
    const layer = embedding({ inputDim: 4, outputDim: 2, name: 'tokens' });
    expect(() => layer.apply(tensor(Float32Array.from([0, 1, 2, 3]), [2, 2]))).to.throw(
      "layer 'tokens' (Embedding): ids must be int32, got float32 input of shape [2,2]; cast them with cast(x, 'int32') " +
        "or declare input({shape, dtype: 'int32'})",
    );
  });

  it('embedding refuses ids outside [0, inputDim) on the CPU, naming the layer, the position and the id', () => {
    const layer = embedding({ inputDim: 4, outputDim: 2, name: 'tokens' });
    expect(() => layer.apply(tensor(Int32Array.from([0, 1, 7, 3]), [2, 2], 'int32'))).to.throw(
      "layer 'tokens' (Embedding) with inputDim 4, ids of shape [2,2]: gather: 1 index out of range [0, 4), " +
        'the first at position 2 of the indices (7)',
    );
  });

  it('on WebGPU an id out of range fails the readback (the kernel records it; the read throws)', async () => {
    const y = withBackend(gpu(), () =>
      embedding({ inputDim: 4, outputDim: 2 }).apply(tensor(Int32Array.from([0, 1, 7, 3]), [2, 2], 'int32')),
    );
    let message = '';
    await y.data().catch((error: Error) => (message = error.message));
    expect(message).to.contain('gather: 1 index out of range [0, 4), the first at position 2 of the indices');
  });

  // maskZero is supported now: recurrent-features.test.ts checks its mask against Keras's
  it('embedding refuses ids not of inputLength', () => {
    const layer = embedding({ inputDim: 4, outputDim: 2, inputLength: 3, name: 'fixed' });
    expect(() => layer.apply(input({ shape: [5] }))).to.throw("layer 'fixed' (Embedding) applied to");
    expect(() => layer.apply(input({ shape: [5] }))).to.throw(
      'expected ids of shape [batch, 3] (inputLength), got [batch, 5]',
    );
  });

  for (const [make, name] of [
    [() => lstm({ units: 3, name: 'seq' }), "layer 'seq' (LSTM)"],
    [() => gru({ units: 3, name: 'seq' }), "layer 'seq' (GRU)"],
    [() => simpleRNN({ units: 3, name: 'seq' }), "layer 'seq' (SimpleRNN)"],
  ] as const) {
    it(`${name} refuses a 2-D input, symbolic or real, naming the layer and the shapes`, () => {
      const x = input({ shape: [5], name: 'flat' });
      expect(() => make().apply(x)).to.throw(
        `${name} applied to 'flat' [5]: expected input of shape [batch, timesteps, features] (rank 3), ` +
          `got [batch, 5] (rank 2)`,
      );
      expect(() => make().apply(tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]))).to.throw(
        `${name}: expected input of shape [batch, timesteps, features] (rank 3), got [batch, 2] (rank 2)`,
      );
    });
  }

  it('a built LSTM refuses inputs of other features', () => {
    const layer = lstm({ units: 3, name: 'seq' });
    layer.apply(tensor(new Float32Array(2 * 4 * 5), [2, 4, 5]));
    expect(() => layer.apply(tensor(new Float32Array(2 * 4 * 6), [2, 4, 6]))).to.throw(
      "layer 'seq' (LSTM) was built for inputs [4,5] and cannot take [4,6]",
    );
  });

  it('timeDistributed refuses an input without a time axis, naming the layer and the shape', () => {
    const layer = timeDistributed({ layer: dense({ units: 2 }), name: 'each' });
    expect(() => layer.apply(tensor(new Float32Array(6), [2, 3]))).to.throw(
      "layer 'each' (TimeDistributed): expected input of shape [batch, timesteps, …] (rank 3 or more), got [batch, 3] (rank 2)",
    );
  });

  it('units must be a positive integer', () => {
    expect(() => lstm({ units: 0 })).to.throw('lstm: units must be a positive integer, got 0');
    expect(() => gru({ units: 2.5 })).to.throw('gru: units must be a positive integer, got 2.5');
  });
});

describe('an embedding first in a Sequential', () => {
  it('makes the stack take int32 ids, and its predictions equal the same layers as a functional model', async () => {
    const layers = () => [
      embedding({ inputDim: 6, outputDim: 3, inputLength: 4 }),
      lstm({ units: 2 }),
      dense({ units: 1 }),
    ];
    const stack = sequential(layers(), { seed: 3 });
    const ids = tensor(Int32Array.from([1, 2, 3, 4, 5, 0, 1, 2]), [2, 4], 'int32');
    const fromStack = await stack.predict(ids).data();
    expect(stack.inputs[0].dtype).to.equal('int32');
    const x = input({ shape: [4], dtype: 'int32' });
    const [e, r, d] = layers();
    const graph = model({ inputs: x, outputs: d.apply(r.apply(e.apply(x))), seed: 3 });
    expect(Array.from(await graph.predict(ids).data())).to.deep.equal(Array.from(fromStack));
    [stack, graph, ids].forEach((t) => t.dispose());
  });
});

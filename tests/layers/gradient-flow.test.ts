// The gradient-flow monitor: its figures on a hand-set ReLU → sigmoid net against a float64 hand
// computation (backprop written out), the same figures on WebGPU against the CPU reference, and the
// callback inside fit: records after the right steps, one readback each; on the probe, the last one
// equal to a fresh measurement of the trained weights; from the training step (the default), each
// equal to the hand computation on that step's batch from the weights the step started from.
import { expect } from 'chai';
import { currentBackend, setBackend, svgText, tensor } from '@webgrad/core';
import {
  activation,
  dense,
  flowSvg,
  gradientFlow,
  HISTOGRAM_BINS,
  measureFlow,
  sequential,
  sgd,
  traceModel,
  type Callback,
  type LayerFlow,
} from '@webgrad/layers';
import { expectClose, useBackend } from '../helpers.js';

const DATA_X = [
  [1, 2],
  [3, -1],
  [-2, 0.5],
  [0.5, 0.5],
];
const DATA_Y = [
  [1, 0],
  [0, 1],
  [1, 1],
  [0, 0],
];
const KERNEL_1 = [
  [1, -1, 0.5],
  [1, 1, -0.5],
];
const BIAS_1 = [0, 0, -100]; // unit 3 never fires: dead
const KERNEL_2 = [
  [4, -0.1],
  [4, 0.1],
  [1, 1],
];
const BIAS_2 = [0, 0.2];
const [X, Y, K1] = [DATA_X, DATA_Y, KERNEL_1];

/** The net's weights as byHand takes them: kernel 1 [2][3], bias 1, kernel 2 [3][2], bias 2. */
type Weights = [number[][], number[], number[][], number[]];
const rowsOf = (values: number[], width: number) =>
  Array.from({ length: values.length / width }, (_, r) => values.slice(r * width, (r + 1) * width));
const asWeights = ([k1, b1, k2, b2]: number[][]): Weights => [rowsOf(k1, 3), b1, rowsOf(k2, 2), b2];

/** Forward and backward of the net under mean squared error, in float64, and the monitor's figures. */
function byHand(X = DATA_X, Y = DATA_Y, [K1, B1, K2, B2]: Weights = [KERNEL_1, BIAS_1, KERNEL_2, BIAS_2]) {
  const n = X.length;
  const pre = X.map((x) => B1.map((b, j) => b + x[0] * K1[0][j] + x[1] * K1[1][j]));
  const h = pre.map((r) => r.map((v) => Math.max(0, v)));
  const o = h
    .map((r) => B2.map((b, k) => b + r.reduce((s, v, j) => s + v * K2[j][k], 0)))
    .map((r) => r.map((z) => 1 / (1 + Math.exp(-z))));
  const dz = o.map((r, i) => r.map((v, k) => ((2 * (v - Y[i][k])) / (n * 2)) * v * (1 - v)));
  const dK2 = K2.map((row, j) => row.map((_, k) => h.reduce((s, r, i) => s + r[j] * dz[i][k], 0)));
  const dB2 = B2.map((_, k) => dz.reduce((s, r) => s + r[k], 0));
  const dpre = dz.map((r, i) => K1[0].map((_, j) => (pre[i][j] > 0 ? r.reduce((s, d, k) => s + d * K2[j][k], 0) : 0)));
  const dK1 = K1.map((row, a) => row.map((_, j) => X.reduce((s, x, i) => s + x[a] * dpre[i][j], 0)));
  const dB1 = B1.map((_, j) => dpre.reduce((s, r) => s + r[j], 0));
  const l2 = (...parts: number[][][]) => Math.sqrt(parts.flat(2).reduce((s, v) => s + v * v, 0));
  const stats = (a: number[][]) => {
    const flat = a.flat();
    const m = flat.reduce((s, v) => s + v, 0) / flat.length;
    return { m, sd: Math.sqrt(flat.reduce((s, v) => s + (v - m) ** 2, 0) / flat.length) };
  };
  const s1 = stats(h);
  const s2 = stats(o);
  const deadUnits = K1[0].filter((_, j) => h.every((r) => r[j] <= 0)).length;
  const saturatedOutputs = o.flat().filter((v) => v * (1 - v) < 0.25 / 20).length;
  return {
    h,
    o,
    dK1,
    loss: o.flat().reduce((s, v, i) => s + (v - Y.flat()[i]) ** 2, 0) / (n * 2),
    layers: [
      { gradNorm: l2(dK1, [dB1]), weightNorm: l2(K1, [B1]), mean: s1.m, std: s1.sd, dead: deadUnits / 3 },
      {
        gradNorm: l2(dK2, [dB2]),
        weightNorm: l2(K2, [B2]),
        mean: s2.m,
        std: s2.sd,
        saturated: saturatedOutputs / o.flat().length,
      },
    ],
  };
}

function handSetModel() {
  const model = sequential([
    dense({ units: 3, activation: 'relu', inputShape: [2] }),
    dense({ units: 2, activation: 'sigmoid' }),
  ]);
  model.setWeights([tensor(KERNEL_1), tensor(BIAS_1), tensor(KERNEL_2), tensor(BIAS_2)]);
  model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  return model;
}

const figures = (layers: LayerFlow[]) =>
  layers.flatMap((l) => [
    l.gradNorm!,
    l.weightNorm!,
    l.activationMean,
    l.activationStd,
    l.deadFraction ?? l.saturatedFraction!,
  ]);

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`gradient flow on ${backend}`, () => {
    useBackend(backend);

    it('measureFlow: gradient and weight norms, activation mean/std, dead and saturated fractions match backprop by hand', async () => {
      const model = handSetModel();
      const hand = byHand();
      const { loss, layers } = await measureFlow(model, [tensor(X), tensor(Y)]);
      expect(hand.layers[0].dead).to.be.closeTo(1 / 3, 1e-12); // the example means what it says
      expect(hand.layers[1].saturated).to.be.greaterThan(0);
      expect(hand.layers[1].saturated).to.be.lessThan(1);
      expectClose([loss], [hand.loss], { rtol: 1e-5 }, 'loss');
      expectClose(
        figures(layers),
        hand.layers.flatMap((l) => [l.gradNorm, l.weightNorm, l.mean, l.std, l.dead ?? l.saturated!]),
        { rtol: 1e-5, atol: 1e-7 },
        'figures',
      );
      expect(layers[0].saturatedFraction).to.equal(undefined);
      expect(layers[1].deadFraction).to.equal(undefined);
      model.dispose();
    });

    it('histograms of activations, weights and gradients: the counts a float64 binning of the same values gives', async () => {
      const model = handSetModel();
      const hand = byHand();
      const { layers } = await measureFlow(model, [tensor(X), tensor(Y)]);
      const bins = (values: number[]) => {
        const lo = Math.min(...values);
        const hi = Math.max(...values);
        const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, k) => lo + ((hi - lo) * k) / HISTOGRAM_BINS);
        const counts = Array<number>(HISTOGRAM_BINS).fill(0);
        for (const v of values) {
          const below = edges.filter((e) => v >= e).length - 1; // edges rise: the last edge at or below v
          counts[Math.min(HISTOGRAM_BINS - 1, below)]++;
        }
        return { edges, counts };
      };
      const expected = [
        ['layer 1 activations', layers[0].activationHistogram!, bins(hand.h.flat())],
        ['layer 2 activations', layers[1].activationHistogram!, bins(hand.o.flat())],
        ['layer 1 kernel', layers[0].weightHistogram!, bins(K1.flat())],
        ['layer 1 kernel gradient', layers[0].gradHistogram!, bins(hand.dK1.flat())],
      ] as const;
      for (const [what, actual, reference] of expected) {
        expect(actual.counts, what).to.deep.equal(reference.counts);
        expectClose(actual.edges, reference.edges, { rtol: 1e-6, atol: 1e-7 }, what);
      }
      model.dispose();
    });

    it("gradientFlow in fit, from: 'probe': a record before training and after every 2nd step, the last the trained weights", async () => {
      const model = handSetModel();
      const probe = [tensor(X), tensor(Y)] as const;
      const monitor = gradientFlow(model, { probe, every: 2, from: 'probe' });
      const x = tensor(X.flatMap((r) => [r, r]));
      const y = tensor(Y.flatMap((r) => [r, r]));
      // count the readbacks made inside the monitor's own hooks (fit's reads are not its business)
      const backendNow = currentBackend();
      const read = backendNow.read.bind(backendNow);
      let inside = false;
      let reads = 0;
      backendNow.read = (info) => {
        if (inside) reads++;
        return read(info);
      };
      const hooks = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;
      const counted: Callback = Object.fromEntries(
        hooks.map((h) => [
          h,
          async (...args: never[]) => {
            inside = true;
            try {
              await (monitor[h] as (...a: never[]) => unknown)(...args);
            } finally {
              inside = false;
            }
          },
        ]),
      );
      try {
        await model.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0, callbacks: [counted] });
      } finally {
        backendNow.read = read;
      }
      expect(reads, 'readbacks: one per record').to.equal(monitor.records.length);
      const now = await measureFlow(model, probe);
      expectClose(figures(monitor.records[6].layers), figures(now.layers), { rtol: 1e-6, atol: 1e-9 }, 'last record');
      // 8 samples in batches of 2: 4 steps an epoch, 12 in all; records at 0, 2, 4, …, 12
      expect(monitor.records.map((r) => r.step)).to.deep.equal([0, 2, 4, 6, 8, 10, 12]);
      expect(monitor.records.map((r) => r.epoch)).to.deep.equal([0, 0, 0, 1, 1, 2, 2]);
      expect(monitor.records[0].layers[0].updateRatio).to.equal(undefined);
      for (const r of monitor.records.slice(1)) {
        for (const l of r.layers) expect(l.updateRatio).to.be.within(1e-6, 1);
      }
      expect(monitor.records[1].loss).to.be.lessThan(monitor.records[0].loss);
      const svg = monitor.toSvg();
      for (const title of [
        'weight-gradient norm',
        'update / weight norm',
        'dead ReLU units (fraction)',
        'saturated units (fraction)',
      ]) {
        expect(svg).to.contain(title);
      }
      expect(svg).to.contain(model.layers[0].name);
      expect(monitor.histogramsSvg()).to.contain('activations (step 12)');
      model.dispose();
      probe.forEach((t) => t.dispose());
    });

    it("gradientFlow in fit, from the training step: each record is that step's batch, from the weights it started with", async () => {
      const model = handSetModel();
      const probe = [tensor(X), tensor(Y)] as const;
      const arrived: number[] = [];
      const monitor = gradientFlow(model, { probe, every: 3, onRecord: (r) => arrived.push(r.step) });
      // the weights before and after each step, read by a callback of the test's own ahead of the monitor
      const before: Weights[] = [];
      const after: Weights[] = [];
      const read = async () =>
        asWeights(await Promise.all(model.getWeights().map(async (w) => Array.from(await w.data()))));
      const snapshots: Callback = {
        onBatchBegin: async () => void before.push(await read()),
        onBatchEnd: async () => void after.push(await read()),
      };
      // 8 samples in batches of 2, unshuffled: step s (1-based) trains on rows 2(s − 1) mod 8 and the next
      const rowsX = X.flatMap((r) => [r, r]);
      const rowsY = Y.flatMap((r) => [r, r]);
      const fitArgs = { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 as const };
      await model.fit(tensor(rowsX), tensor(rowsY), { ...fitArgs, callbacks: [snapshots, monitor] });
      expect(monitor.records.map((r) => r.step)).to.deep.equal([0, 3, 6]);
      expect(arrived, 'onRecord, in step order').to.deep.equal([0, 3, 6]);
      for (const record of monitor.records.slice(1)) {
        const [start, end] = [before[record.step - 1], after[record.step - 1]];
        const first = ((record.step - 1) * 2) % 8;
        const hand = byHand(rowsX.slice(first, first + 2), rowsY.slice(first, first + 2), start);
        const norm = (ws: number[][]) => Math.sqrt(ws.flat().reduce((sum, v) => sum + v * v, 0));
        const layerOf = (w: Weights, i: number): number[][] => (i === 0 ? [w[0].flat(), w[1]] : [w[2].flat(), w[3]]);
        const change = (i: number) =>
          layerOf(end, i).map((values, j) => values.map((v, k) => v - layerOf(start, i)[j][k]));
        expectClose([record.loss], [hand.loss], { rtol: 1e-5 }, `step ${record.step} loss`);
        expectClose(
          record.layers.flatMap((l) => [
            l.gradNorm!,
            l.activationMean,
            l.activationStd,
            l.deadFraction ?? l.saturatedFraction!,
          ]),
          hand.layers.flatMap((l) => [l.gradNorm, l.mean, l.std, l.dead ?? l.saturated!]),
          { rtol: 1e-5, atol: 1e-7 },
          `step ${record.step}: gradients and activations from the weights the step started with`,
        );
        expectClose(
          record.layers.flatMap((l) => [l.weightNorm!, l.updateRatio!]),
          [0, 1].flatMap((i) => [norm(layerOf(end, i)), norm(change(i)) / norm(layerOf(end, i))]),
          { rtol: 1e-5, atol: 1e-9 },
          `step ${record.step}: weights after it, and the update across it`,
        );
        const total = (h: { counts: number[] }) => h.counts.reduce((a, b) => a + b, 0);
        expect(record.layers.map((l) => total(l.activationHistogram!))).to.deep.equal([6, 4]);
        expect(record.layers.map((l) => total(l.gradHistogram!))).to.deep.equal([6, 6]);
      }
      model.dispose();
      probe.forEach((t) => t.dispose());
    });
  });
}

describe('gradient flow: a layer that hands back its input', () => {
  useBackend('webgpu');

  it('leaves the caller its tensors: the probe and the training data stay readable, and the records are taken', async () => {
    const model = sequential([
      activation({ activation: 'linear', inputShape: [2] }), // returns its input tensor itself
      dense({ units: 3, activation: 'relu' }),
      dense({ units: 2, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const [x, y] = [tensor(X), tensor(Y)];
    const { layers } = await measureFlow(model, [x, y]);
    expectClose([layers[0].activationMean], [X.flat().reduce((a, b) => a + b, 0) / 8], { rtol: 1e-6 }, 'input mean');
    const monitor = gradientFlow(model, { every: 1 });
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, callbacks: [monitor] });
    expect(monitor.records.map((r) => r.step)).to.deep.equal([1]);
    expect(Array.from(await x.data())).to.deep.equal(X.flat());
    model.dispose();
  });
});

describe('traceModel', () => {
  it("a model's graph with one scope per layer: its weights' gradients match backprop by hand, and it collapses per layer", async () => {
    const model = handSetModel();
    const hand = byHand();
    const trace = await traceModel(model, tensor(X), tensor(Y));
    const [first, second] = model.layers.map((l) => l.name);
    expect([...new Set(trace.json.ops.map((o) => o.scope))]).to.deep.equal([first, second, 'loss']);
    const gradNorm = (layer: string) =>
      Math.hypot(...[`${layer}/kernel`, `${layer}/bias`].flatMap((name) => trace.tensor(name)!.grad!));
    expectClose(
      [gradNorm(first), gradNorm(second)],
      hand.layers.map((l) => l.gradNorm),
      { rtol: 1e-5 },
      'grad norms',
    );
    expectClose(
      trace.json.tensors.find((t) => t.id === trace.json.output)!.value!,
      [hand.loss],
      { rtol: 1e-5 },
      'loss',
    );
    const texts = svgText(await trace.toSvg({ collapse: true })).map((t) => t.trim());
    for (const shown of ['params: 9', `${first}/kernel [2,3]`, 'params: 8', `${second}/bias [2]`]) {
      expect(texts).to.include(shown);
    }
    model.dispose();
  });
});

describe('gradient flow: the figures on WebGPU equal the CPU reference', () => {
  it('after a few steps of training on each backend from the same weights', async () => {
    const run = async (backend: 'cpu' | 'webgpu') => {
      await setBackend(backend);
      try {
        const model = handSetModel();
        await model.fit(tensor(X), tensor(Y), { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
        const { layers } = await measureFlow(model, [tensor(X), tensor(Y)]);
        model.dispose();
        return figures(layers);
      } finally {
        await setBackend('cpu');
      }
    };
    expectClose(await run('webgpu'), await run('cpu'), { rtol: 1e-5, atol: 1e-7 }, 'webgpu vs cpu');
  });

  it('a step record of a deeper net: three kernels, their gradients and updates in one summary of three inputs', async () => {
    // three 130×130 kernels laid end to end with their biases, their gradients with the activations, and
    // the updates read as the weights less their snapshot: one summaryStats call, whatever the depth
    const weights = [0, 1, 2].flatMap((k) => [
      Array.from({ length: 130 * 130 }, (_, i) => Math.sin(i * 0.37 + k) * 0.1),
      Array.from({ length: 130 }, (_, i) => Math.cos(i + k) * 0.01),
    ]);
    const inputs = Array.from({ length: 8 * 130 }, (_, i) => Math.sin(i * 0.11));
    const targets = Array.from({ length: 8 * 130 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const run = async (backend: 'cpu' | 'webgpu') => {
      await setBackend(backend);
      try {
        const model = sequential(
          ['tanh', 'relu', 'sigmoid'].map((activation, k) =>
            dense({ units: 130, activation: activation as 'tanh', ...(k === 0 ? { inputShape: [130] } : {}) }),
          ),
        );
        model.setWeights(weights.map((w, i) => tensor(w, i % 2 ? [130] : [130, 130])));
        model.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'meanSquaredError' });
        const monitor = gradientFlow(model, { every: 1 });
        const data = [tensor(inputs, [8, 130]), tensor(targets, [8, 130])] as const;
        await model.fit(...data, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [monitor] });
        model.dispose();
        const [record] = monitor.records;
        const counts = record.layers.flatMap((l) =>
          [l.activationHistogram!, l.weightHistogram!, l.gradHistogram!].map((h) => h.counts.reduce((x, y) => x + y)),
        );
        expect(counts).to.deep.equal([1040, 16900, 16900, 1040, 16900, 16900, 1040, 16900, 16900]);
        return [record.loss, ...figures(record.layers), ...record.layers.map((l) => l.updateRatio!)];
      } finally {
        await setBackend('cpu');
      }
    };
    expectClose(await run('webgpu'), await run('cpu'), { rtol: 1e-5, atol: 1e-7 }, 'webgpu vs cpu');
  });
});

describe('gradient flow: the chart', () => {
  it('labels ticks with round numbers and leaves gaps at missing values', () => {
    const svg = flowSvg([
      {
        epoch: 0,
        step: 0,
        loss: 1,
        layers: [{ layer: 'd1', className: 'Dense', gradNorm: 0.93, activationMean: 0.137, activationStd: 1 }],
      },
      {
        epoch: 0,
        step: 10,
        loss: 1,
        layers: [{ layer: 'd1', className: 'Dense', gradNorm: 0.0021, activationMean: 0.712, activationStd: 1 }],
      },
    ]);
    const ticks = [...svg.matchAll(/text-anchor="end" font-size="11">([^<]+)</g)].map((m) => m[1]);
    expect(ticks.length).to.be.greaterThan(4);
    // round: two significant digits say each tick exactly (not 0.931, 0.712, … as a plain min-max split gives)
    for (const t of ticks) expect(Number(Number(t).toPrecision(2)), `tick ${t}`).to.equal(Number(t));
    expect(svg).to.not.contain('NaN');
  });
});

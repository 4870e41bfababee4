// Models that are graphs: the functional API against Sequential and hand computations — bit-identical
// training from one seed, shared layers whose gradients add, frozen layers, cutting a model at a layer,
// nested models, several inputs and outputs, custom training steps, addLoss, gradients with respect to
// inputs, save → load of all of these, and the errors a wrong graph gets.
import { expect } from 'chai';
import {
  add,
  checkGradients,
  grad,
  mean,
  meanSquaredError,
  mul,
  relu,
  slice,
  square,
  sum,
  tanh,
  tensor,
  tidy,
  valueAndGrad,
  withBackend,
  type Tensor,
} from '@webgrad/core';
import {
  adam,
  batchNormalization,
  defineLayer,
  defineListLayer,
  dense,
  dropout,
  input,
  loadModel,
  model,
  sequential,
  sgd,
  type Layer,
  type ListLayer,
  type ModelArtifacts,
  type SymbolicTensor,
} from '@webgrad/layers';
import { backendOf, BACKENDS, expectClose, randomValues } from '../helpers.js';

const values = async (ts: readonly Tensor[]): Promise<number[][]> =>
  Promise.all(ts.map(async (t) => Array.from(await t.data())));

/** A seeded regression and 3-class problem on 8 features. */
function toyData(n: number, seed: number) {
  const x = Float32Array.from(randomValues(n * 8, 'any', seed));
  const labels = Int32Array.from({ length: n }, (_, i) => (x[i * 8] + x[i * 8 + 1] > 0 ? 1 : x[i * 8 + 2] > 0 ? 2 : 0));
  const target = Float32Array.from({ length: n * 2 }, (_, k) => x[Math.floor(k / 2) * 8 + (k % 2)] * 0.5 + 0.1);
  return {
    x: () => tensor(x, [n, 8]),
    labels: () => tensor(labels, [n], 'int32'),
    target: () => tensor(target, [n, 2]),
  };
}

/** add([a, b]) as a user would write a list layer (the library's merge layers are tested apart). */
function sumLayer(name?: string): ListLayer {
  return defineListLayer({
    className: 'TestSum',
    name: name ?? 'test_sum',
    weights: [],
    built: true,
    build: () => {},
    computeOutputShape: (shapes) => {
      if (shapes.some((s) => s.join() !== shapes[0].join())) {
        throw new Error(`shapes ${shapes.map((s) => `[${s}]`).join(' ')} differ`);
      }
      return shapes[0];
    },
    call: (xs) => xs.reduce((a, b) => add(a, b)),
    getConfig: () => ({}),
  });
}

for (const backendName of BACKENDS) {
  describe(`functional models on ${backendName}`, () => {
    const run = <T>(fn: () => T): T => withBackend(backendOf(backendName), fn);

    it('a functional model of the same layers and seed trains bit-identically to a Sequential one (3 epochs, dropout on)', async () => {
      const data = toyData(48, 3);
      const stack = run(() =>
        sequential(
          [
            dense({ units: 16, activation: 'relu', inputShape: [8] }),
            dropout({ rate: 0.25 }),
            dense({ units: 3, activation: 'softmax' }),
          ],
          { seed: 11 },
        ),
      );
      const graph = run(() => {
        const x = input({ shape: [8] });
        const h = dense({ units: 16, activation: 'relu' }).apply(x);
        const y = dense({ units: 3, activation: 'softmax' }).apply(dropout({ rate: 0.25 }).apply(h));
        return model({ inputs: x, outputs: y, seed: 11 });
      });
      const [x, y] = run(() => [data.x(), data.labels()]);
      // a Sequential builds on its first data or build(), on the backend of that moment
      run(() => stack.build());
      expect(await values(graph.weights)).to.deep.equal(await values(stack.weights));
      for (const m of [stack, graph]) {
        m.compile({
          optimizer: adam({ learningRate: 0.01 }),
          loss: 'sparseCategoricalCrossentropy',
          metrics: ['accuracy'],
        });
      }
      const histories = [];
      for (const m of [stack, graph]) histories.push(await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 }));
      expect(histories[1].history).to.deep.equal(histories[0].history);
      const trained = await values(graph.weights);
      expect(trained).to.deep.equal(await values(stack.weights));
      expect(trained[0]).to.not.deep.equal((await values(run(() => [data.x()])))[0].slice(0, 128));
      const predictions = await values(run(() => tidy(() => [stack.predict(x), graph.predict(x)])));
      expect(predictions[1]).to.deep.equal(predictions[0]);
      [stack, graph, x, y].forEach((t) => t.dispose());
    });

    it("a shared layer's gradient is the sum of its uses' gradients", async () => {
      const shared = run(() => dense({ units: 3, activation: 'tanh', name: 'shared' }));
      const [a, b] = [input({ shape: [4] }), input({ shape: [4] })];
      const both = run(() => model({ inputs: [a, b], outputs: sumLayer().apply([shared.apply(a), shared.apply(b)]) }));
      expect(both.weights).to.have.length(2);
      const [xa, xb] = run(() => [
        tensor(Float32Array.from(randomValues(20, 'any', 1)), [5, 4]),
        tensor(Float32Array.from(randomValues(20, 'any', 2)), [5, 4]),
      ]);
      const weights = both.trainableWeights;
      const total = run(() => grad(() => sum(both.apply([xa, xb])))(...weights));
      const first = run(() => grad(() => sum(shared.apply(xa)))(...weights));
      const second = run(() => grad(() => sum(shared.apply(xb)))(...weights));
      const expected = run(() => first.map((g, i) => add(g, second[i])));
      const [got, want] = [await values(total), await values(expected)];
      got.forEach((g, i) => expectClose(g, want[i], { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));
      [...total, ...first, ...second, ...expected, xa, xb].forEach((t) => t.dispose());
      both.dispose();
    });

    it('a frozen layer keeps its weights bit for bit through fit, a frozen BatchNormalization its statistics; the rest train', async () => {
      const data = toyData(32, 5);
      const x = input({ shape: [8] });
      const frozen = dense({ units: 6, activation: 'relu', name: 'frozen' });
      const norm = batchNormalization({ name: 'norm' });
      const head = dense({ units: 3, activation: 'softmax', name: 'head' });
      const m = run(() => model({ inputs: x, outputs: head.apply(norm.apply(frozen.apply(x))) }));
      frozen.trainable = false;
      norm.trainable = false;
      expect(m.trainableWeights.map((w) => w.name)).to.deep.equal(['head/kernel', 'head/bias']);
      expect(m.nonTrainableWeights).to.have.length(6);
      m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
      const before = await values(m.weights);
      const [xs, ys] = run(() => [data.x(), data.labels()]);
      await m.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
      const after = await values(m.weights);
      expect(after.slice(0, 6)).to.deep.equal(before.slice(0, 6));
      expect(after[6]).to.not.deep.equal(before[6]);
      expect(after[7]).to.not.deep.equal(before[7]);
      // the optimizer keeps slots only for what trains: Adam's two per trainable weight
      // webgrad's own layout, whose optimizerState this reads
      const json = await m.save(
        { url: 'memory://frozen', save: async () => {} },
        { includeOptimizer: true, format: 'webgrad' },
      );
      expect(json.optimizerState!.weights).to.have.length(4);
      [m, xs, ys].forEach((t) => t.dispose());
    });

    it("cutting a trained model at a named layer gives that layer's activations, sharing its weights", async () => {
      const data = toyData(24, 8);
      const x = input({ shape: [8] });
      const hidden = dense({ units: 5, activation: 'tanh', name: 'hidden' });
      const full = run(() => model({ inputs: x, outputs: dense({ units: 2 }).apply(hidden.apply(x)) }));
      full.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      const [xs, ys] = run(() => [data.x(), data.target()]);
      await full.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
      const cut = model({ inputs: full.inputs, outputs: full.getLayer('hidden').output });
      const both = model({ inputs: full.inputs, outputs: [full.getLayer('hidden').output, full.output] });
      expect(cut.weights).to.deep.equal(hidden.weights);
      const [fromCut, fromBoth, eager] = await values(
        run(() => tidy(() => [cut.predict(xs), both.predict(xs)[0], hidden.apply(xs)])),
      );
      expect(fromCut).to.deep.equal(fromBoth);
      expect(fromCut).to.deep.equal(eager);
      [full, xs, ys].forEach((t) => t.dispose());
    });

    it('a model used as a layer (nested) predicts as its parts composed; frozen, only the outer layers train', async () => {
      const xi = input({ shape: [8] });
      const encoder = run(() =>
        model({ inputs: xi, outputs: dense({ units: 4, activation: 'relu' }).apply(xi), name: 'encoder' }),
      );
      encoder.trainable = false;
      const xo = input({ shape: [8] });
      const top = dense({ units: 2, name: 'top' });
      const outer = run(() => model({ inputs: xo, outputs: top.apply(encoder.apply(xo)), name: 'outer' }));
      expect(outer.trainableWeights).to.deep.equal(top.weights);
      const xs = run(() => toyData(6, 9).x());
      const [nested, composed] = await values(
        run(() => tidy(() => [outer.predict(xs), top.apply(encoder.predict(xs))])),
      );
      expect(nested).to.deep.equal(composed);
      [outer, xs].forEach((t) => t.dispose());
    });

    it('refuses a class label out of range, in the training or the validation data, before any step', async () => {
      const x = input({ shape: [8] });
      const m = run(() => model({ inputs: x, outputs: dense({ units: 3, activation: 'softmax' }).apply(x) }));
      m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      const data = toyData(8, 40);
      const [xs, good] = run(() => [data.x(), data.labels()]);
      const bad = run(() => tensor(Int32Array.from([0, 1, 2, 0, 1, 5, 2, 0]), [8], 'int32'));
      const before = await values(m.weights);
      const refused = async (fitting: () => Promise<unknown>) =>
        fitting().then(
          () => 'no error',
          (e: Error) => e.message,
        );
      expect(await refused(() => m.fit(xs, bad, { batchSize: 2, verbose: 0 }))).to.equal(
        'fit: y holds class index 5, outside [0, 3) for outputs of 3 classes; nothing was trained',
      );
      expect(await refused(() => m.fit(xs, good, { batchSize: 2, verbose: 0, validationData: [xs, bad] }))).to.equal(
        'fit (validationData): y holds class index 5, outside [0, 3) for outputs of 3 classes; nothing was trained',
      );
      expect(await values(m.weights)).to.deep.equal(before);
      expect((await values([xs, bad]))[1]).to.deep.equal([0, 1, 2, 0, 1, 5, 2, 0]); // the caller's tensors are alive
      [m, xs, good, bad].forEach((t) => t.dispose());
    });

    it('setWeights(model.weights) — each weight assigned to itself — leaves every value as it was', async () => {
      const x = input({ shape: [3] });
      const m = run(() => model({ inputs: x, outputs: dense({ units: 2 }).apply(x) }));
      const before = await values(m.weights);
      run(() => m.setWeights(m.weights));
      expect(await values(m.weights)).to.deep.equal(before);
      const [xs] = run(() => [tensor([[1, 2, 3]])]);
      expect((await values([tidy(() => m.predict(xs))]))[0]).to.have.length(2);
      [m, xs].forEach((t) => t.dispose());
    });

    it('several inputs and outputs: per-output losses, weights and metrics by name, logs named as Keras names them', async () => {
      const data = toyData(16, 12);
      const [features, extra] = [input({ shape: [8], name: 'features' }), input({ shape: [2], name: 'extra' })];
      const trunk = dense({ units: 6, activation: 'relu', name: 'trunk' });
      const cls = dense({ units: 3, activation: 'softmax', name: 'cls' });
      const reg = dense({ units: 2, name: 'reg' });
      const h = trunk.apply(features);
      const m = run(() =>
        model({ inputs: [features, extra], outputs: [cls.apply(h), sumLayer('reg_sum').apply([reg.apply(h), extra])] }),
      );
      expect(m.outputNames).to.deep.equal(['cls', 'reg_sum']);
      m.compile({
        optimizer: sgd({ learningRate: 0.1 }),
        loss: { cls: 'sparseCategoricalCrossentropy', reg_sum: 'meanSquaredError' },
        lossWeights: { reg_sum: 0.5 },
        metrics: { cls: ['accuracy'] },
      });
      const [xs, extras, labels, target] = run(() => [
        data.x(),
        tensor(new Float32Array(32).fill(0.25), [16, 2]),
        data.labels(),
        data.target(),
      ]);
      const logs = await m.testOnBatch({ features: xs, extra: extras }, { cls: labels, reg_sum: target });
      expect(Object.keys(logs)).to.deep.equal(['loss', 'cls_loss', 'reg_sum_loss', 'cls_accuracy']);
      expectClose([logs.loss], [logs.cls_loss + 0.5 * logs.reg_sum_loss], { rtol: 1e-6, atol: 1e-6 }, 'weighted total');
      // each output's loss by hand from the predictions
      const [probs, regression] = run(() => m.predict([xs, extras]));
      const [p, r, l, t] = await values([probs, regression, labels, target]);
      const ce = l.reduce((s, label, i) => s - Math.log(p[i * 3 + label]), 0) / 16;
      const mse = r.reduce((s, v, k) => s + (v - t[k]) ** 2, 0) / 32;
      const accuracy =
        l.filter((label, i) => p.slice(i * 3, i * 3 + 3).indexOf(Math.max(...p.slice(i * 3, i * 3 + 3))) === label)
          .length / 16;
      expectClose(
        [logs.cls_loss, logs.reg_sum_loss, logs.cls_accuracy],
        [ce, mse, accuracy],
        { rtol: 1e-5, atol: 1e-6 },
        'per output',
      );
      const history = await m.fit([xs, extras], [labels, target], { epochs: 2, batchSize: 8, verbose: 0 });
      expect(Object.keys(history.history)).to.deep.equal(['loss', 'cls_loss', 'reg_sum_loss', 'cls_accuracy']);
      expect(history.history.loss[1]).to.be.lessThan(history.history.loss[0]);
      [m, xs, extras, labels, target, probs, regression].forEach((t) => t.dispose());
    });

    it('a custom step (valueAndGrad + applyGradients) reaches the weights of fit over 20 steps, as trainOnBatch does', async () => {
      const data = toyData(160, 21);
      const build = () =>
        run(() =>
          sequential([dense({ units: 12, activation: 'relu', inputShape: [8] }), dense({ units: 2 })], { seed: 5 }),
        );
      const [viaFit, viaStep, viaBatch] = [build(), build(), build()];
      run(() => viaStep.build());
      const [x, y] = run(() => [data.x(), data.target()]);
      viaFit.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      await viaFit.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
      const optimizer = adam({ learningRate: 0.01 });
      viaBatch.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      for (let step = 0; step < 20; step++) {
        const [xb, yb] = run(() => [x, y].map((t) => slice(t, [step * 8], [8, t.shape[1]])));
        run(() =>
          tidy(() => {
            const weights = viaStep.trainableWeights;
            const { grads } = valueAndGrad(() => mean(meanSquaredError(yb, viaStep.apply(xb, { training: true }))))(
              ...weights,
            );
            optimizer.applyGradients(weights, grads);
          }),
        );
        await viaBatch.trainOnBatch(xb, yb);
        [xb, yb].forEach((t) => t.dispose());
      }
      const reached = await values(viaFit.weights);
      expect(await values(viaStep.weights)).to.deep.equal(reached);
      expect(await values(viaBatch.weights)).to.deep.equal(reached);
      [viaFit, viaStep, viaBatch, x, y].forEach((t) => t.dispose());
      optimizer.dispose();
    });

    it("addLoss: a layer's activity penalty, added in its call, trains through fit and shows in the loss", async () => {
      const factor = 0.01;
      const activity: Layer = defineLayer({
        className: 'TestActivity',
        name: 'activity',
        weights: [],
        built: true,
        build: () => {},
        computeOutputShape: (s) => s,
        call: (h) => {
          activity.addLoss(mul(sum(square(h)), factor / h.shape[0]));
          return h;
        },
        getConfig: () => ({}),
      });
      const x = input({ shape: [8] });
      const hidden = dense({ units: 4, name: 'hidden' });
      const m = run(() => model({ inputs: x, outputs: dense({ units: 2 }).apply(activity.apply(hidden.apply(x))) }));
      m.compile({ optimizer: sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      const data = toyData(8, 30);
      const [xs, ys] = run(() => [data.x(), data.target()]);
      const [h, out] = await values(run(() => tidy(() => [hidden.apply(xs), m.predict(xs)])));
      const t = (await values([ys]))[0];
      const dataLoss = out.reduce((s, v, k) => s + (v - t[k]) ** 2, 0) / 16;
      const penalty = (factor / 8) * h.reduce((s, v) => s + v * v, 0);
      expect(penalty).to.be.greaterThan(1e-3);
      const history = await m.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 });
      expectClose(history.history.loss, [dataLoss + penalty], { rtol: 1e-5, atol: 1e-6 }, 'fit loss with the penalty');
      // a model-level loss function is evaluated each step too
      m.addLoss(() => run(() => tensor(0.5)));
      const logs = await m.testOnBatch(xs, ys);
      const [h2, out2] = await values(run(() => tidy(() => [hidden.apply(xs), m.predict(xs)])));
      const expected =
        out2.reduce((s, v, k) => s + (v - t[k]) ** 2, 0) / 16 + (factor / 8) * h2.reduce((s, v) => s + v * v, 0) + 0.5;
      expectClose([logs.loss], [expected], { rtol: 1e-5, atol: 1e-6 }, 'testOnBatch with both losses');
      [m, xs, ys].forEach((t) => t.dispose());
    });
  });
}

describe('functional models: gradients with respect to inputs, and errors', () => {
  it('the gradient of an output with respect to the input (a saliency map) agrees with central differences in float64', async () => {
    const x = input({ shape: [3] });
    const shared = dense({ units: 3, activation: 'tanh', name: 'shared_sal' });
    const m = withBackend(backendOf('cpu'), () =>
      model({
        inputs: x,
        outputs: dense({ units: 1 }).apply(sumLayer('sal_sum').apply([shared.apply(x), shared.apply(shared.apply(x))])),
      }),
    );
    const sample = withBackend(backendOf('cpu'), () => tensor([[0.3, -0.7, 1.1]]));
    const result = await checkGradients((xs) => sum(m.apply(xs)), [sample]);
    expect(result.checks).to.be.greaterThan(0);
    const [saliency] = withBackend(backendOf('cpu'), () => grad((xs) => sum(relu(tanh(m.apply(xs)))))(sample));
    expect(saliency.shape).to.deep.equal([1, 3]);
    m.dispose();
  });

  it('a nested graph model with a frozen part saves and loads: same predictions and frozen flags; training resumes', async () => {
    const xi = input({ shape: [8] });
    const encoder = model({ inputs: xi, outputs: dense({ units: 4, activation: 'relu' }).apply(xi), name: 'enc' });
    encoder.trainable = false;
    const xo = input({ shape: [8] });
    const outer = model({
      inputs: xo,
      outputs: dense({ units: 2, name: 'out_top' }).apply(encoder.apply(xo)),
      name: 'outer',
    });
    outer.compile({ optimizer: adam({ learningRate: 0.02 }), loss: 'meanSquaredError' });
    const data = toyData(16, 4);
    const [xs, ys] = [data.x(), data.target()];
    await outer.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 });
    let saved: ModelArtifacts | undefined;
    await outer.save({ url: 'memory://outer', save: async (a) => void (saved = a) }, { includeOptimizer: true });
    expect(saved!.json.modelTopology.class_name).to.equal('Model');
    const loaded = await loadModel({ url: 'memory://outer', load: async () => saved! });
    expect(loaded.getLayer('enc').trainable).to.equal(false);
    expect(loaded.trainableWeights.map((w) => w.name)).to.deep.equal(['out_top/kernel', 'out_top/bias']);
    // the CPU reference holds float64 values that saving rounds to float32: equal to float32 rounding
    const [before, after] = await values([tidy(() => outer.predict(xs)), tidy(() => loaded.predict(xs))]);
    expectClose(after, before, { rtol: 1e-6, atol: 1e-6 }, 'predictions after reload');
    for (const m of [outer, loaded]) await m.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 });
    const [resumed, original] = [await values(loaded.weights), await values(outer.weights)];
    resumed.forEach((w, i) =>
      expectClose(w, original[i], { rtol: 1e-5, atol: 1e-6 }, `weight ${i} after one more epoch`),
    );
    expect(resumed[0]).to.deep.equal(original[0]); // the frozen encoder's kernel, untouched by both
    [outer, loaded, xs, ys].forEach((t) => t.dispose());
  });

  it('refuses a disconnected graph, an unused input, two layers of one name, incompatible shapes, and leaves layers as they were', () => {
    const a = input({ shape: [8], name: 'a_in' });
    const b = input({ shape: [8], name: 'b_in' });
    expect(() => model({ inputs: a, outputs: dense({ units: 2, name: 'needs_b' }).apply(b) })).to.throw(
      /model 'model_\d+': the graph is disconnected: output 'needs_b' <- needs_b <- 'b_in' \(None, 8\), and 'b_in' is not among the model's inputs \('a_in'\); add it to inputs/,
    );
    expect(() => model({ inputs: [a, b], outputs: dense({ units: 2, name: 'only_a' }).apply(a) })).to.throw(
      /input 'b_in' is not connected to the outputs \('only_a'\)/,
    );
    const first = dense({ units: 3, name: 'twin' }).apply(a);
    expect(() => model({ inputs: a, outputs: dense({ units: 3, name: 'twin' }).apply(first) })).to.throw(
      /two layers are named 'twin' \(Dense and Dense\); names must be unique/,
    );
    const shared = dense({ units: 3, name: 'built_for_8' });
    model({ inputs: a, outputs: shared.apply(a) });
    const nodes = shared.nodes.length;
    expect(() => shared.apply(input({ shape: [5], name: 'five' }))).to.throw(
      /layer 'built_for_8' \(Dense\) applied to 'five' \[5\]: layer 'built_for_8' \(Dense\) was built for inputs \[8\] and cannot take \[5\]/,
    );
    expect(shared.nodes.length).to.equal(nodes);
    expect(() => sumLayer('mismatch').apply([a, input({ shape: [4], name: 'four' })])).to.throw(
      /layer 'mismatch' \(TestSum\) applied to 'a_in' \[8\], 'four' \[4\]: shapes \[8\] \[4\] differ/,
    );
  });

  it('names a symbolic tensor handed to an eager op, and refuses trainOnBatch before compile with the model unchanged', async () => {
    const x = input({ shape: [3], name: 'sym' });
    expect(() => relu(x as unknown as Tensor)).to.throw(
      /relu: input 0 is SymbolicTensor 'sym' \(None, 3\) float32, a symbolic tensor: it describes a model's graph and holds no values/,
    );
    expect(() => add(x as unknown as Tensor, 1)).to.throw(/add: input 0 is SymbolicTensor 'sym'/);
    const m = model({ inputs: x, outputs: dense({ units: 2 }).apply(x) });
    const before = await values(m.weights);
    const xs = tensor([[1, 2, 3]]);
    const ys = tensor([[1, 2]]);
    let error: Error | undefined;
    await m.trainOnBatch(xs, ys).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/trainOnBatch: the model must be compiled first/);
    expect(await values(m.weights)).to.deep.equal(before);
    const wrong = tensor([[1, 2]]);
    expect(() => m.apply(wrong)).to.throw(/apply: model 'model_\d+' takes inputs \(None, 3\), got \(None, 2\)/);
    wrong.dispose();
    expect(() => m.predict(x as unknown as Tensor)).to.throw(
      /predict: input 'sym' got SymbolicTensor 'sym'.*runs on real tensors/,
    );
    [m, xs, ys].forEach((t) => t.dispose());
  });

  it('refuses an empty x, a split that leaves no training rows, and a batchSize that is not a positive integer', async () => {
    const x = input({ shape: [2] });
    const m = model({ inputs: x, outputs: dense({ units: 1 }).apply(x) });
    m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const [none, noTargets] = [tensor(new Float32Array(0), [0, 2]), tensor(new Float32Array(0), [0, 1])];
    const [two, twoTargets] = [
      tensor([
        [1, 2],
        [3, 4],
      ]),
      tensor([[1], [2]]),
    ];
    const refused = async (run: () => Promise<unknown>) =>
      run().then(
        () => 'no error',
        (e: Error) => e.message,
      );
    expect(await refused(() => m.fit(none, noTargets, { verbose: 0 }))).to.equal(
      'fit: x holds no samples (its first dimension is 0); nothing to train on',
    );
    expect(await refused(() => m.fit(two, twoTargets, { validationSplit: 0.6, verbose: 0 }))).to.equal(
      'fit: validationSplit 0.6 of 2 samples leaves no training rows; use a smaller split or more samples',
    );
    expect(await refused(() => m.evaluate(two, twoTargets, { batchSize: 0 }))).to.equal(
      'evaluate: batchSize must be a positive integer, got 0',
    );
    expect(() => m.predict(two, { batchSize: 1.5 })).to.throw('predict: batchSize must be a positive integer, got 1.5');
    [m, none, noTargets, two, twoTargets].forEach((t) => t.dispose());
  });

  it('loading refuses a graph with a cycle, naming the layers', async () => {
    const x = input({ shape: [2], name: 'cyc_in' });
    const m = model({
      inputs: x,
      outputs: dense({ units: 2, name: 'cyc_b' }).apply(dense({ units: 2, name: 'cyc_a' }).apply(x)),
    });
    let saved: ModelArtifacts | undefined;
    await m.save({ url: 'memory://cycle', save: async (a) => void (saved = a) });
    const layers = saved!.json.modelTopology.config.layers;
    const a = layers.find((l) => l.name === 'cyc_a')!;
    a.inbound_nodes = [[['cyc_b', 0, 0, {}]]];
    let error: Error | undefined;
    await loadModel({ url: 'memory://cycle', load: async () => saved! }).catch((e: Error) => (error = e));
    expect(error?.message).to.match(
      /loadModel: the graph in memory:\/\/cycle has a cycle or names a missing layer: cyc_a <- cyc_b\[0\]\[0\]; cyc_b <- cyc_a\[0\]\[0\]/,
    );
    m.dispose();
  });

  it("summary shows what feeds each layer of a graph ('Connected to')", () => {
    const a = input({ shape: [4], name: 'left' });
    const b = input({ shape: [4], name: 'right' });
    const m = model({
      inputs: [a, b],
      outputs: sumLayer('joined').apply([a, dense({ units: 4, name: 'proj' }).apply(b)]),
    });
    const text = m.summary(() => {});
    expect(text).to.match(/Connected to/);
    expect(text).to.match(/proj \(Dense\)\s+\(None, 4\)\s+20\s+right\[0\]\[0\]/);
    expect(text).to.match(/joined \(TestSum\)\s+\(None, 4\)\s+0\s+left\[0\]\[0\], proj\[0\]\[0\]/);
    m.dispose();
  });
});

export type { SymbolicTensor };

// The course's classic experiments, each a function that trains or probes small networks on seeded
// synthetic data and returns its figures (SVG text by file name), a table of the measured numbers and
// a conclusion drawn from those numbers. `size: 'tiny'` shrinks each to a test's budget with the same
// qualitative effect; `progress(text)`, if given, hears what runs next. Nothing here imports a Node
// module: examples/lab.mjs runs them from the command line, examples/web/lab.js in the browser demo;
// tests/examples/lab.test.ts and tests/browser/lab.test.ts assert their effects.
import {
  add,
  checkGradients,
  matmul,
  mul,
  relu,
  sigmoid,
  slice,
  square,
  sub,
  sum,
  tensor,
  traceGraph,
} from '@webgrad/core';
import { normalValues, uniformValues } from '@webgrad/core';
import {
  chartsSvg,
  dense,
  dropout,
  cosineDecay,
  earlyStopping,
  exponentialDecay,
  gaussianNoise,
  glorotNormal,
  gradientFlow,
  gradientNormsByLayerSvg,
  heNormal,
  l1,
  l2,
  linearDecay,
  measureFlow,
  piecewiseConstant,
  randomNormal,
  sequential,
  sgd,
  adam,
  traceModel,
  zeros,
} from '@webgrad/layers';
import { clipping } from './clipping.mjs';
import { optimizers } from './optimizers.mjs';

export { clipping, optimizers };

/** A measured number for the tables: 3 significant digits, exponents outside [1e-3, 1e4). */
const fmt = (v, digits = 3) =>
  !Number.isFinite(v) || v === 0
    ? String(v)
    : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4
      ? String(Number(v.toPrecision(digits)))
      : v.toExponential(1);

/**
 * n points of `dims` normal features, labelled by the sign pattern of a fixed random projection
 * (`classes` classes, one-hot; the projection is seeded by `teacher`, the points by `seed`), with a
 * fraction `noise` of labels redrawn at random.
 */
export function syntheticData({ n, dims, classes, seed, noise = 0, teacher = 1000 }) {
  const x = Float32Array.from(normalValues(n * dims, seed));
  const w = normalValues(dims * classes, teacher); // one labelling rule for every seed: train and held-out agree
  const flip = uniformValues(n, 2000 + seed);
  const other = uniformValues(n, 3000 + seed);
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let d = 0; d < dims; d++) score += x[i * dims + d] * w[d * classes + c];
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    const label = flip[i] < noise ? Math.floor(other[i] * classes) : best;
    y[i * classes + label] = 1;
  }
  return { x: tensor(x, [n, dims]), y: tensor(y, [n, classes]) };
}

/** A plain MLP: `depth` hidden layers of `width` units, then a softmax over `classes`. */
function mlp({ inputs, width, depth, classes, activation, init, seed = 1, extra }) {
  // augmentation by jitter: each training pass sees the points moved by fresh N(0, σ²) noise
  const layers = extra?.jitter ? [gaussianNoise({ stddev: extra.jitter, inputShape: [inputs] })] : [];
  for (let i = 0; i < depth; i++) {
    layers.push(
      dense({
        units: width,
        activation,
        kernelInitializer: init,
        ...(i === 0 && !extra?.jitter ? { inputShape: [inputs] } : {}),
        ...(extra?.dense ?? {}),
      }),
    );
    if (extra?.dropout) layers.push(dropout({ rate: extra.dropout }));
  }
  layers.push(dense({ units: classes, activation: 'softmax', kernelInitializer: init }));
  return sequential(layers, { seed });
}

const table = (header, rows) => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((cell, c) => String(cell).padEnd(widths[c])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

// ---- backprop: the lecture's graphs ---------------------------------------------------------------

export async function backprop({ progress } = {}) {
  const figures = {};
  const rows = [];
  const graphs = [
    {
      file: 'xyz.svg',
      title: '(x + y)·z at (−2, 5, −4)',
      fn: (x, y, z) => mul(add(x, y), z),
      args: [-2, 5, -4],
      names: ['x', 'y', 'z'],
    },
    {
      file: 'sigmoid-neuron.svg',
      title: 'σ(w0·x0 + w1·x1 + w2)',
      fn: (w0, x0, w1, x1, w2) => sigmoid(add(add(mul(w0, x0), mul(w1, x1)), w2)),
      args: [2, -1, -3, -2, -3],
      names: ['w0', 'x0', 'w1', 'x1', 'w2'],
    },
    {
      file: 'branch.svg',
      title: 'x·y + x: the gradients of a branch add',
      fn: (x, y) => add(mul(x, y), x),
      args: [3, 4],
      names: ['x', 'y'],
    },
  ];
  let branchX = NaN; // x's gradient in x·y + x
  for (const g of graphs) {
    progress?.(`tracing ${g.title}`);
    const inputs = g.args.map((v) => tensor(v));
    const trace = await traceGraph(g.fn, ...inputs, { names: g.names });
    figures[g.file] = await trace.toSvg({ title: g.title });
    const check = await checkGradients(g.fn, inputs);
    const grads = g.names.map((n) => `${n}: ${fmt(trace.tensor(n).grad[0], 4)}`).join(', ');
    rows.push([g.title, grads, check.maxError.toExponential(1)]);
    if (g.file === 'branch.svg') branchX = trace.tensor('x').grad[0];
    inputs.forEach((t) => t.dispose());
  }
  // a two-layer MLP on one sample, drawn op by op and collapsed per layer
  const W1 = tensor(
    normalValues(12, 5).map((v) => v * 0.5),
    [3, 4],
  );
  const W2 = tensor(
    normalValues(8, 6).map((v) => v * 0.5),
    [4, 2],
  );
  const net = (x, w1, w2) => sum(square(sub(matmul(relu(matmul(x, w1)), w2), tensor([[1, 0]]))));
  const x = tensor([[0.5, -1.2, 2]]);
  const trace = await traceGraph(net, x, W1, W2, { names: ['x', 'W1', 'W2'] });
  figures['mlp.svg'] = await trace.toSvg({ title: 'a two-layer MLP on one sample, squared error' });
  const check = await checkGradients(net, [x, W1, W2]);
  rows.push(['two-layer MLP', `‖∂W1‖ ${fmt(Math.hypot(...trace.tensor('W1').grad))}`, check.maxError.toExponential(1)]);
  [x, W1, W2].forEach((t) => t.dispose());
  // a layers model on a batch of 8, one box per layer: weights inside, gradient norms on the edges
  const model = mlp({ inputs: 16, width: 32, depth: 2, classes: 4, activation: 'relu', init: 'heNormal' });
  model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
  const batch = syntheticData({ n: 8, dims: 16, classes: 4, seed: 7 });
  const modelTrace = await traceModel(model, batch.x, batch.y);
  figures['model.svg'] = await modelTrace.toSvg({ collapse: true, title: 'a Sequential MLP, one box per layer' });
  [batch.x, batch.y].forEach((t) => t.dispose());
  model.dispose();
  const worst = Math.max(...rows.map((r) => Number(r[2])));
  return {
    figures,
    table: table(['graph', 'gradients', 'gradient check: worst error'], rows),
    numbers: { worstCheckError: worst, branchX },
    conclusion:
      // checkGradients rejects on any element past its tolerance, so reaching here means every check passed
      `Every graph's backward pass agrees with central differences in float64 (worst error ${worst.toExponential(1)}, ` +
      `measured as |analytic − numeric| against atol + rtol·max(|analytic|, |numeric|)); in x·y + x at (3, 4) the ` +
      `gradient of x is ${fmt(branchX)}${branchX === 4 + 1 ? ' = y + 1, the sum over its two uses' : ', not y + 1 = 5'}.`,
  };
}

// ---- vanishing gradients ------------------------------------------------------------------------

export async function vanishing({ size = 'full', progress } = {}) {
  const tiny = size === 'tiny';
  const depth = 10;
  const width = tiny ? 16 : 64;
  const n = tiny ? 128 : 1024;
  const data = syntheticData({ n, dims: 16, classes: 4, seed: 1 });
  const probe = syntheticData({ n: 64, dims: 16, classes: 4, seed: 2 });
  const nets = [
    { name: 'sigmoid, glorot', activation: 'sigmoid', init: 'glorotUniform' },
    { name: 'tanh, glorot', activation: 'tanh', init: 'glorotUniform' },
    { name: 'relu, he', activation: 'relu', init: 'heNormal' },
  ];
  const results = [];
  const figures = {};
  for (const net of nets) {
    progress?.(`training the ${net.name} net for one epoch`);
    const model = mlp({ inputs: 16, width, depth: depth - 1, classes: 4, activation: net.activation, init: net.init });
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    const monitor = gradientFlow(model, { probe: [probe.x, probe.y], every: tiny ? 1 : 4 });
    await model.fit(data.x, data.y, { epochs: 1, batchSize: 32, verbose: 0, callbacks: [monitor] });
    const first = monitor.records[0].layers;
    const ratio = first[0].gradNorm / first[depth - 1].gradNorm;
    results.push({ ...net, records: monitor.records, ratio });
    figures[`flow-${net.activation}.svg`] = monitor.toSvg();
    model.dispose();
  }
  figures['gradient-norm-by-layer.svg'] = chartsSvg(
    [
      {
        title: 'weight-gradient norm by layer, at initialisation',
        series: results.map((r) => ({
          name: r.name,
          points: r.records[0].layers.map((l, i) => [i + 1, l.gradNorm]),
        })),
        logY: true,
        xLabel: 'layer (1 = next to the input)',
        yLabel: '‖∂loss/∂W‖',
      },
    ],
    1,
  );
  for (const r of results) {
    figures[`by-layer-${r.activation}.svg`] = gradientNormsByLayerSvg(
      [r.records[0], r.records[r.records.length - 1]],
      `${r.name}: gradient norm by layer, start and end of epoch 1`,
    );
  }
  [data.x, data.y, probe.x, probe.y].forEach((t) => t.dispose());
  const [sig, , rel] = results;
  return {
    figures,
    numbers: Object.fromEntries(results.map((r) => [r.activation, r.ratio])),
    table: table(
      ['net (10 layers)', '‖∂W1‖', `‖∂W${depth}‖`, 'first / last'],
      results.map((r) => [
        r.name,
        fmt(r.records[0].layers[0].gradNorm),
        fmt(r.records[0].layers[depth - 1].gradNorm),
        fmt(r.ratio),
      ]),
    ),
    conclusion:
      `At initialisation the sigmoid net's first-layer gradient is ${fmt(sig.ratio)} of its last layer's ` +
      `(${sig.ratio < 1e-3 ? 'below 1e-3: it vanishes' : 'not below 1e-3'}): each sigmoid multiplies the gradient ` +
      `by σ' ≤ 1/4. ReLU with He init keeps it at ${fmt(rel.ratio)} of the last layer's ` +
      `(${rel.ratio > 0.1 && rel.ratio < 10 ? 'within 10×' : 'not within 10×'}).`,
  };
}

// ---- initialisation -------------------------------------------------------------------------------

export async function init({ size = 'full', progress } = {}) {
  const tiny = size === 'tiny';
  const width = tiny ? 32 : 128;
  const depth = 8;
  const probe = syntheticData({ n: tiny ? 64 : 256, dims: width, classes: 4, seed: 3 });
  const inits = [
    { name: 'zeros', init: zeros() },
    { name: 'N(0, 0.01²)', init: randomNormal({ stddev: 0.01 }) },
    { name: 'N(0, 1)', init: randomNormal({ stddev: 1 }) },
    { name: 'glorot normal', init: glorotNormal() },
    { name: 'he normal', init: heNormal() },
  ];
  const results = [];
  for (const { name, init } of inits) {
    progress?.(`measuring 8 tanh layers initialised ${name}`);
    const model = mlp({ inputs: width, width, depth, classes: 4, activation: 'tanh', init });
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    const { layers } = await measureFlow(model, [probe.x, probe.y]);
    results.push({ name, layers: layers.slice(0, depth) });
    model.dispose();
  }
  [probe.x, probe.y].forEach((t) => t.dispose());
  const series = (field) => results.map((r) => ({ name: r.name, points: r.layers.map((l, i) => [i + 1, l[field]]) }));
  const figures = {
    'activations-by-layer.svg': chartsSvg([
      {
        title: 'tanh activation std by layer',
        series: series('activationStd'),
        xLabel: 'layer',
        yLabel: 'std',
        logY: true,
      },
      {
        title: 'saturated tanh units by layer',
        series: series('saturatedFraction'),
        xLabel: 'layer',
        yLabel: 'fraction',
      },
      {
        title: 'weight-gradient norm by layer',
        series: series('gradNorm'),
        xLabel: 'layer',
        yLabel: '‖∂loss/∂W‖',
        logY: true,
      },
    ]),
    // the lecture's picture: each layer's activation distribution, one panel per initialisation
    'activation-histograms.svg': chartsSvg(
      results.map((r) => ({
        title: `tanh activations, ${r.name}`,
        series: r.layers.map((l, i) => {
          const { edges, counts } = l.activationHistogram;
          const total = counts.reduce((a, b) => a + b, 0);
          return { name: `layer ${i + 1}`, points: counts.map((c, k) => [(edges[k] + edges[k + 1]) / 2, c / total]) };
        }),
        xLabel: 'activation',
        yLabel: 'fraction',
      })),
      3,
    ),
  };
  const last = (r, f) => r.layers[depth - 1][f];
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  return {
    figures,
    numbers: Object.fromEntries(
      results.map((r) => [r.name, { std: last(r, 'activationStd'), saturated: last(r, 'saturatedFraction') }]),
    ),
    table: table(
      ['init (8 tanh layers)', 'std at layer 1', `std at layer ${depth}`, `saturated at layer ${depth}`],
      results.map((r) => [
        r.name,
        fmt(r.layers[0].activationStd),
        fmt(last(r, 'activationStd')),
        fmt(last(r, 'saturatedFraction')),
      ]),
    ),
    conclusion:
      `Zeros give every unit the same output (std ${fmt(last(byName.zeros, 'activationStd'))}): nothing breaks the ` +
      `symmetry. N(0, 0.01²) shrinks the activations layer after layer to std ` +
      `${fmt(last(byName['N(0, 0.01²)'], 'activationStd'))} at layer ${depth}; N(0, 1) saturates ` +
      `${fmt(100 * last(byName['N(0, 1)'], 'saturatedFraction'))}% of the units. Glorot keeps std ` +
      `${fmt(last(byName['glorot normal'], 'activationStd'))} at layer ${depth} with ` +
      `${fmt(100 * last(byName['glorot normal'], 'saturatedFraction'))}% saturated.`,
  };
}

// ---- learning rate ----------------------------------------------------------------------------------

/** A schedule from a plain function of the step, named and configured as the library's own are. */
const namedSchedule = (name, config, fn) =>
  Object.defineProperties((k) => fn(k), { name: { value: name }, config: { value: config } });

/** An exponentially moving average with bias correction (the range test's smoothing, as fastai's). */
function smoothed(values, beta = 0.9) {
  let average = 0;
  return values.map((v, k) => {
    average = beta * average + (1 - beta) * v;
    return average / (1 - beta ** (k + 1));
  });
}

/**
 * The learning-rate range test (Smith): one run whose rate grows exponentially from 1e-4 to 10 over
 * `steps` steps (the library's exponentialDecay with a decay rate above 1), stopped once the loss
 * passes 4× its best. Returns per step the rate and the loss of that step's batch.
 */
async function rangeTest(net, data, steps, batchSize) {
  const [low, high] = [1e-4, 10];
  const model = net();
  const schedule = exponentialDecay({ initialLearningRate: low, decaySteps: steps, decayRate: high / low });
  model.compile({ optimizer: sgd({ learningRate: schedule }), loss: 'categoricalCrossentropy' });
  const n = data.x.shape[0];
  const rates = [];
  const losses = [];
  for (let k = 0; k < steps; k++) {
    const start = (k * batchSize) % (n - batchSize + 1);
    const xb = slice(data.x, [start, 0], [batchSize, data.x.shape[1]]);
    const yb = slice(data.y, [start, 0], [batchSize, data.y.shape[1]]);
    const { loss } = await model.trainOnBatch(xb, yb);
    xb.dispose();
    yb.dispose();
    rates.push(schedule(k));
    losses.push(loss);
    if (!Number.isFinite(loss) || loss > 4 * Math.min(...losses)) break;
  }
  model.dispose();
  const smooth = smoothed(losses);
  const bottom = smooth.indexOf(Math.min(...smooth));
  return { rates, losses, smooth, bottomRate: rates[bottom], suggestion: rates[bottom] / 10 };
}

/** The schedules side by side, each from one base rate over `total` steps. */
function schedules(base, total) {
  const warmup = Math.round(total / 10);
  const cosine = cosineDecay({ initialLearningRate: base, decaySteps: total - warmup });
  return [
    { name: 'constant', rate: namedSchedule('constant', { base }, () => base) },
    {
      name: 'step (÷10 at ⅓ and ⅔)',
      rate: piecewiseConstant({
        boundaries: [Math.round(total / 3), Math.round((2 * total) / 3)],
        values: [base, base / 10, base / 100],
      }),
    },
    {
      name: 'exponential (÷100 over the run)',
      rate: exponentialDecay({ initialLearningRate: base, decaySteps: total, decayRate: 0.01 }),
    },
    {
      name: 'linear (to base/100)',
      rate: linearDecay({ initialLearningRate: base, finalLearningRate: base / 100, decaySteps: total }),
    },
    { name: 'cosine', rate: cosineDecay({ initialLearningRate: base, decaySteps: total }) },
    {
      name: `warmup ${warmup} steps + cosine`,
      rate: namedSchedule('warmupCosine', { base, warmup }, (k) =>
        k < warmup ? (base * (k + 1)) / warmup : cosine(k - warmup),
      ),
    },
  ];
}

export async function learningRate({ size = 'full', progress } = {}) {
  const tiny = size === 'tiny';
  const n = tiny ? 256 : 1024;
  const data = syntheticData({ n, dims: 16, classes: 4, seed: 4 });
  const rates = [0.01, 0.1, 1, 10];
  const epochs = tiny ? 4 : 15;
  const batchSize = 32;
  const net = () => mlp({ inputs: 16, width: 64, depth: 2, classes: 4, activation: 'relu', init: 'heNormal' });
  /** Trains a fresh net at this rate (a number or a schedule): the loss before training, then per epoch. */
  const train = async (rate) => {
    const model = net();
    model.compile({ optimizer: sgd({ learningRate: rate }), loss: 'categoricalCrossentropy' });
    const probeLoss = (await measureFlow(model, [data.x, data.y])).loss;
    const history = await model.fit(data.x, data.y, { epochs, batchSize, verbose: 0 });
    model.dispose();
    return [probeLoss, ...history.history.loss];
  };
  const results = [];
  for (const rate of rates) {
    progress?.(`SGD at lr ${rate}, ${epochs} epochs`);
    results.push({ rate, losses: await train(rate) });
  }
  progress?.('the range test: one run, the rate growing from 1e-4 to 10');
  const range = await rangeTest(net, data, tiny ? 60 : 200, batchSize);
  const total = epochs * Math.ceil(n / batchSize);
  const base = 0.5;
  const scheduled = [];
  for (const s of schedules(base, total)) {
    progress?.(`schedule: ${s.name}`);
    scheduled.push({ ...s, losses: await train(s.rate) });
  }
  [data.x, data.y].forEach((t) => t.dispose());
  const final = (r) => r.losses[r.losses.length - 1];
  // failed: not better than guessing every class alike (loss ln 4), or not finite
  const chance = Math.log(4);
  const failed = (r) => !(final(r) < chance);
  const best = results.filter((r) => !failed(r)).sort((a, b) => final(a) - final(b))[0];
  const trained = results.filter((r) => !failed(r)).map((r) => r.rate);
  const suggestionTrains = range.suggestion >= Math.min(...trained) && range.suggestion <= Math.max(...trained);
  const constant = scheduled[0];
  const bestScheduled = [...scheduled].sort((a, b) => final(a) - final(b))[0];
  const everyStep = Array.from({ length: total }, (_, k) => k);
  return {
    figures: {
      'loss-by-learning-rate.svg': chartsSvg(
        [
          {
            title: 'training loss, SGD at four learning rates',
            series: results.map((r) => ({ name: `lr ${r.rate}`, points: r.losses.map((l, e) => [e, l]) })),
            logY: true,
            xLabel: 'epoch (0: at initialisation)',
            yLabel: 'loss',
          },
        ],
        1,
      ),
      'range-test.svg': chartsSvg(
        [
          {
            title: 'range test: batch loss as the rate grows exponentially each step',
            series: [
              { name: 'batch loss', points: range.rates.map((r, k) => [Math.log10(r), range.losses[k]]) },
              { name: 'smoothed (EMA 0.9)', points: range.rates.map((r, k) => [Math.log10(r), range.smooth[k]]) },
            ],
            xLabel: 'log₁₀ learning rate',
            yLabel: 'loss',
          },
        ],
        1,
      ),
      'schedules.svg': chartsSvg(
        [
          {
            title: `schedules from lr ${base} over ${total} steps`,
            series: scheduled.map((s) => ({ name: s.name, points: everyStep.map((k) => [k, s.rate(k)]) })),
            xLabel: 'step',
            yLabel: 'learning rate',
          },
          {
            title: 'training loss under each schedule',
            series: scheduled.map((s) => ({ name: s.name, points: s.losses.map((l, e) => [e, l]) })),
            logY: true,
            xLabel: 'epoch (0: at initialisation)',
            yLabel: 'loss',
          },
        ],
        2,
      ),
    },
    numbers: {
      ...Object.fromEntries(results.map((r) => [r.rate, { initial: r.losses[0], final: final(r), failed: failed(r) }])),
      range: {
        bottomRate: range.bottomRate,
        suggestion: range.suggestion,
        steps: range.losses.length,
        suggestionTrains,
      },
      schedules: Object.fromEntries(
        scheduled.map((s) => [s.name, { final: final(s), rateAtHalf: s.rate(Math.round(total / 2)) }]),
      ),
    },
    table:
      table(
        ['learning rate', 'loss at start', `loss after ${epochs} epochs`, ''],
        results.map((r) => [r.rate, fmt(r.losses[0]), fmt(final(r)), failed(r) ? 'no better than chance' : '']),
      ) +
      '\n\n' +
      table(
        [
          `schedule (from lr ${base})`,
          `rate at step ${Math.round(total / 2)} of ${total}`,
          `loss after ${epochs} epochs`,
        ],
        scheduled.map((s) => [s.name, fmt(s.rate(Math.round(total / 2))), fmt(final(s))]),
      ),
    conclusion:
      `Too high a rate fails: ${
        results
          .filter(failed)
          .map((r) => `lr ${r.rate} ended at ${fmt(final(r))}`)
          .join(', ') || 'none did'
      }, ` +
      `no better than guessing every class alike (ln 4 = ${fmt(chance)}). ` +
      `Too low crawls: lr ${rates[0]} went from ${fmt(results[0].losses[0])} to ` +
      `${fmt(final(results[0]))}. The best here was lr ${best?.rate}, at ${fmt(best ? final(best) : NaN)}. ` +
      `The range test's smoothed loss bottoms at lr ${fmt(range.bottomRate)} (stopped after ${range.losses.length} ` +
      `steps); a tenth of that, ${fmt(range.suggestion)}, ${suggestionTrains ? 'lies' : 'does not lie'} within ` +
      `the fixed rates that trained (${trained.join(', ')}). From lr ${base}, the constant rate ends at ` +
      `${fmt(final(constant))} and the lowest loss is the ${bestScheduled.name} schedule's, ${fmt(final(bestScheduled))}.`,
  };
}

// ---- regularization ---------------------------------------------------------------------------------

/**
 * The mean cross-entropy of the model's predictions (inference mode: no dropout, no jitter) on data, the
 * penalty of L1/L2 left out, which fit's loss and val_loss include.
 */
async function dataLoss(model, data) {
  const p = model.predict(data.x);
  const [probabilities, targets] = await Promise.all([p.data(), data.y.data()]);
  p.dispose();
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] > 0) total -= targets[i] * Math.log(Math.max(probabilities[i], 1e-7));
  }
  return total / data.x.shape[0];
}

export async function regularization({ size = 'full', progress } = {}) {
  const tiny = size === 'tiny';
  const samples = tiny ? 32 : 512;
  const train = syntheticData({ n: samples, dims: 4, classes: 4, seed: 5, noise: 0.2 });
  const held = tiny ? 128 : 512;
  const validation = syntheticData({ n: held, dims: 4, classes: 4, seed: 6, noise: 0.2 });
  const epochs = 40;
  const width = tiny ? 64 : 256;
  const variants = [
    { name: 'no regularisation', extra: undefined },
    { name: 'L2 1e-2', extra: { dense: { kernelRegularizer: l2({ l2: 1e-2 }) } } },
    { name: 'L1 1e-3', extra: { dense: { kernelRegularizer: l1({ l1: 1e-3 }) } } },
    { name: 'dropout 0.5', extra: { dropout: 0.5 } },
    { name: 'early stopping', extra: undefined, stopEarly: true },
    { name: 'augmentation (jitter σ 0.3)', extra: { jitter: 0.3 } },
  ];
  const results = [];
  for (const v of variants) {
    progress?.(`${v.name}: up to ${epochs} epochs on ${samples} samples`);
    const model = mlp({
      inputs: 4,
      width,
      depth: 2,
      classes: 4,
      activation: 'relu',
      init: 'heNormal',
      extra: v.extra,
    });
    model.compile({ optimizer: adam({ learningRate: tiny ? 0.003 : 0.001 }), loss: 'categoricalCrossentropy' });
    const history = await model.fit(train.x, train.y, {
      epochs,
      batchSize: 32,
      verbose: 0,
      validationData: [validation.x, validation.y],
      callbacks: v.stopEarly ? [earlyStopping({ monitor: 'val_loss', patience: 5 })] : [],
    });
    const { loss, val_loss: val } = history.history;
    const bestEpoch = val.indexOf(Math.min(...val));
    const trainData = await dataLoss(model, train);
    const valData = await dataLoss(model, validation);
    results.push({ ...v, loss, val, bestEpoch, trainData, valData, gap: valData - trainData });
    model.dispose();
  }
  [train.x, train.y, validation.x, validation.y].forEach((t) => t.dispose());
  const [base] = results;
  return {
    figures: {
      'train-vs-validation.svg': chartsSvg(
        [
          {
            title: `loss on ${samples} training samples (20% noisy labels) and on ${held} held out (L1/L2: with the penalty)`,
            series: results.flatMap((r) => [
              { name: `${r.name}: train`, points: r.loss.map((l, e) => [e + 1, l]) },
              { name: `${r.name}: validation`, points: r.val.map((l, e) => [e + 1, l]) },
            ]),
            logY: true,
            xLabel: 'epoch',
            yLabel: 'loss',
          },
        ],
        1,
      ),
    },
    numbers: Object.fromEntries(
      results.map((r) => [
        r.name,
        {
          gap: r.gap,
          bestEpoch: r.bestEpoch,
          epochs: r.loss.length,
          finalVal: r.val.at(-1),
          minVal: Math.min(...r.val),
          finalTrain: r.loss.at(-1),
          dataTrain: r.trainData,
          dataVal: r.valData,
        },
      ]),
    ),
    table: table(
      ['variant', 'train loss', 'validation loss', 'gap', 'epochs', 'best validation epoch'],
      results.map((r) => [r.name, fmt(r.trainData), fmt(r.valData), fmt(r.gap), r.loss.length, r.bestEpoch + 1]),
    ),
    conclusion:
      `Without regularisation the training loss falls to ${fmt(base.loss.at(-1))} while the validation loss bottoms ` +
      `out at epoch ${base.bestEpoch + 1} (${fmt(Math.min(...base.val))}) and climbs to ${fmt(base.val.at(-1))}: the net ` +
      `learns the noise. After training (cross-entropy alone, in inference mode; the table's numbers) ` +
      results
        .slice(1)
        .map(
          (r) =>
            `${r.name} leaves a gap of ${fmt(r.gap)} against ${fmt(base.gap)}` +
            ` (${r.gap < base.gap ? 'narrower' : 'not narrower'}; validation loss ${fmt(r.valData)} against ` +
            `${fmt(base.valData)}, ${r.valData < base.valData ? 'lower' : 'not lower'})` +
            `${r.stopEarly ? ` — stopped after epoch ${r.loss.length}` : ''}.`,
        )
        .join(' '),
  };
}

/** The labs by the names `npm run lab` and the lab page take; `overfitting` is regularization's old name. */
export const experiments = {
  backprop,
  vanishing,
  init,
  optimizers,
  'learning-rate': learningRate,
  regularization,
  clipping,
};
export const aliases = { overfitting: 'regularization' };

/** Kept for callers of the old name. */
export const overfitting = regularization;

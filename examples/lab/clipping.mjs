// The clipping lab: a deep ReLU MLP whose weights start too large (N(0, 0.35²) at width 32, where He's
// init is N(0, 0.25²)) regresses a linear target by SGD; its gradient norm explodes and the loss with
// it. The same net from the same weights with Keras's clipnorm (each weight's gradient rescaled to norm
// ≤ 1) and with a global clip (all gradients together) trains. A custom step (valueAndGrad over the
// trainable weights, then the optimizer, whose clipping is folded into its update) records the loss
// and the gradient's global norm before clipping at every step; the held-out mean squared error is
// measured on samples drawn apart from the training ones.
import { add, keep, mean, slice, sqrt, square, sub, sum, tensor, tidy, valueAndGrad } from '@webgrad/core';
import { normalValues } from '@webgrad/core';
import { chartsSvg, dense, randomNormal, sequential, sgd } from '@webgrad/layers';

const DIMS = 16;
// the weights' std: 1.4× He's √(2/32) for the hidden layers
const SCALE = 0.35;

/** n samples x ~ N(0, I) with y = x·w (w fixed, seeded apart from x) plus a little noise. */
function regressionData(n, seed) {
  const x = Float32Array.from(normalValues(n * DIMS, seed));
  const w = normalValues(DIMS, 500).map((v) => v / Math.sqrt(DIMS));
  const noise = normalValues(n, seed + 1);
  const y = Float32Array.from({ length: n }, (_, i) => {
    let s = 0.1 * noise[i];
    for (let d = 0; d < DIMS; d++) s += x[i * DIMS + d] * w[d];
    return s;
  });
  return { x: tensor(x, [n, DIMS]), y: tensor(y, [n, 1]) };
}

function deepNet(depth, width) {
  const layers = [];
  for (let i = 0; i < depth; i++) {
    layers.push(
      dense({
        units: width,
        activation: 'relu',
        kernelInitializer: randomNormal({ stddev: SCALE }),
        ...(i === 0 ? { inputShape: [DIMS] } : {}),
      }),
    );
  }
  layers.push(dense({ units: 1, kernelInitializer: randomNormal({ stddev: SCALE }) }));
  return sequential(layers, { seed: 3 });
}

const mse = (prediction, y) => mean(square(sub(prediction, y)));

/** Trains one net from the seeded start; resolves with the loss and gradient norm per step and the held-out MSE. */
async function train({ optimizer, data, heldOut, steps, batchSize, depth, width }) {
  const model = deepNet(depth, width);
  model.build([DIMS]);
  const weights = model.trainableWeights;
  const n = data.x.shape[0];
  const losses = [];
  const norms = [];
  for (let step = 0; step < steps; step++) {
    const start = (step * batchSize) % (n - batchSize + 1);
    const [loss, norm] = tidy(() => {
      const xb = slice(data.x, [start, 0], [batchSize, DIMS]);
      const yb = slice(data.y, [start, 0], [batchSize, 1]);
      const { value, grads } = valueAndGrad(() => mse(model.apply(xb, { training: true }), yb))(...weights);
      const global = sqrt(grads.reduce((total, g) => add(total, sum(square(g))), tensor(0)));
      optimizer.applyGradients(weights, grads);
      return [keep(value), keep(global)];
    });
    losses.push((await loss.data())[0]);
    norms.push((await norm.data())[0]);
    loss.dispose();
    norm.dispose();
    if (!Number.isFinite(losses.at(-1))) break;
  }
  const held = tidy(() => mse(model.predict(heldOut.x), heldOut.y));
  const heldOutMse = (await held.data())[0];
  held.dispose();
  model.dispose();
  optimizer.dispose();
  return { losses, norms, heldOutMse };
}

const fmt = (v) =>
  !Number.isFinite(v) || v === 0
    ? String(v)
    : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4
      ? String(Number(v.toPrecision(3)))
      : v.toExponential(1);

export async function clipping({ size = 'full', progress } = {}) {
  const tiny = size === 'tiny';
  const depth = 8;
  const width = 32;
  const steps = tiny ? 40 : 300;
  const batchSize = 32;
  const learningRate = 0.01;
  const data = regressionData(tiny ? 256 : 1024, 1);
  const heldOut = regressionData(512, 2);
  const variants = [
    { name: 'no clipping', options: {} },
    { name: 'clipnorm 1 (per weight)', options: { clipNorm: 1 } },
    { name: 'global clipnorm 1', options: { globalClipNorm: 1 } },
  ];
  const results = [];
  for (const v of variants) {
    progress?.(`${v.name}: ${steps} steps of SGD`);
    const optimizer = sgd({ learningRate, ...v.options });
    results.push({ ...v, ...(await train({ optimizer, data, heldOut, steps, batchSize, depth, width })) });
  }
  [data.x, data.y, heldOut.x, heldOut.y].forEach((t) => t.dispose());
  // the variance of the target: what predicting its mean scores
  const baseline = 1 + 0.01;
  const series = (field) =>
    results.map((r) => ({ name: r.name, points: r[field].map((value, step) => [step + 1, value]) }));
  const figures = {
    'loss-and-gradient-norm.svg': chartsSvg([
      { title: 'training loss (MSE) per step', series: series('losses'), logY: true, xLabel: 'step', yLabel: 'loss' },
      {
        title: 'global gradient norm before clipping',
        series: series('norms'),
        logY: true,
        xLabel: 'step',
        yLabel: '‖∂loss/∂W‖',
      },
    ]),
  };
  const rows = results.map((r) => [
    r.name,
    fmt(r.norms[0]),
    fmt(Math.max(...r.norms.filter(Number.isFinite))),
    r.losses.length < steps ? `non-finite at step ${r.losses.length}` : fmt(r.losses.at(-1)),
    fmt(r.heldOutMse),
  ]);
  const header = [
    'variant (SGD 0.01)',
    'grad norm at step 1',
    'largest grad norm',
    'final training loss',
    'held-out MSE',
  ];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => String(row[c]).length)));
  const line = (cells) => cells.map((cell, c) => String(cell).padEnd(widths[c])).join('  ');
  const [plain, perWeight, global] = results;
  const diverged =
    plain.losses.length < steps || !Number.isFinite(plain.heldOutMse) || plain.heldOutMse > 100 * baseline;
  const how =
    plain.losses.length < steps
      ? `the loss is non-finite at step ${plain.losses.length}`
      : `held-out MSE ${fmt(plain.heldOutMse)}`;
  return {
    figures,
    numbers: Object.fromEntries(
      results.map((r) => [
        r.name,
        {
          firstNorm: r.norms[0],
          firstLoss: r.losses[0],
          steps: r.losses.length,
          finalLoss: r.losses.at(-1),
          heldOutMse: r.heldOutMse,
        },
      ]),
    ),
    table: [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'),
    conclusion:
      `From weights ${depth} layers deep at 1.4× He's scale the first gradient's norm is ${fmt(plain.norms[0])}. ` +
      `Without clipping SGD ${diverged ? `diverges (${how})` : `survives (held-out MSE ${fmt(plain.heldOutMse)})`}; ` +
      `with clipnorm 1 the held-out MSE is ${fmt(perWeight.heldOutMse)} and with a global clip ` +
      `${fmt(global.heldOutMse)}, against ${fmt(baseline)} for predicting the mean.`,
  };
}

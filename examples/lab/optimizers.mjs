// The optimizers lab: SGD, momentum, Nesterov, AdaGrad, RMSProp, RMSProp + Nesterov momentum, Adam and
// AdamW — the library's own fused updates, each stepping a 2-D Variable by valueAndGrad — on three test
// functions (an ill-conditioned quadratic, Rosenbrock's valley, a saddle), their paths drawn over the
// contours (d3-contour traces the level sets); then the same optimizers' training and held-out loss on
// the MNIST MLP. The learning rates are set by hand per function, the usual ones for MNIST, and stated
// in the table: the point is each method's path, not a tuned race. The digits come from the caller's
// `mnist` loader (examples/mnist-data.mjs in Node, the served split in the page), so this module runs in
// a browser as it does in Node; without one the MNIST part is left out.
import { contours } from 'd3-contour';
import { add, mul, slice, square, sub, sum, tensor, tidy, valueAndGrad, variable } from '@webgrad/core';
import { adagrad, adam, adamw, CATEGORY_COLORS, chartsSvg, dense, rmsprop, sequential, sgd } from '@webgrad/layers';

/** The test functions: f in float64 for the contours, the same f in tensor ops for the gradients. */
const FUNCTIONS = [
  {
    key: 'quadratic',
    title: 'ill-conditioned quadratic ½x² + 50y² (κ = 100)',
    f: (x, y) => 0.5 * x * x + 50 * y * y,
    tensorF: (p) => sum(mul(square(p), tensor([0.5, 50]))),
    start: [-4, 1.5],
    minimum: [0, 0],
    fMin: 0,
    box: [-4.5, 1.5, -2, 2],
    steps: 100,
    // SGD just below 2/100, where the steep direction would diverge
    rates: { sgd: 0.019, momentum: 0.01, nesterov: 0.01, adagrad: 1, rmsprop: 0.05, rmspropNesterov: 0.01, adam: 0.2 },
  },
  {
    key: 'rosenbrock',
    title: 'Rosenbrock (1 − x)² + 100(y − x²)²',
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    tensorF: (p) => {
      const x = slice(p, [0], [1]);
      const y = slice(p, [1], [1]);
      return sum(add(square(sub(1, x)), mul(square(sub(y, square(x))), 100)));
    },
    start: [-1.5, 2],
    minimum: [1, 1],
    fMin: 0,
    box: [-2, 2, -1, 3],
    steps: 300,
    rates: {
      sgd: 0.001,
      momentum: 0.0002,
      nesterov: 0.0002,
      adagrad: 0.5,
      rmsprop: 0.01,
      rmspropNesterov: 0.002,
      adam: 0.05,
    },
  },
  {
    key: 'saddle',
    title: 'saddle ½x² − ½y² + ¼y⁴ (minima at y = ±1)',
    f: (x, y) => 0.5 * x * x - 0.5 * y * y + 0.25 * y ** 4,
    tensorF: (p) => {
      const x = slice(p, [0], [1]);
      const y = slice(p, [1], [1]);
      return sum(add(sub(mul(square(x), 0.5), mul(square(y), 0.5)), mul(square(square(y)), 0.25)));
    },
    start: [1.5, 1e-4],
    minimum: [0, 1],
    fMin: -0.25,
    box: [-2, 2, -1.6, 1.6],
    steps: 150,
    rates: { sgd: 0.1, momentum: 0.02, nesterov: 0.02, adagrad: 0.5, rmsprop: 0.05, rmspropNesterov: 0.01, adam: 0.05 },
  },
];

/** The optimizers, each made for a learning rate (the rate of its family from the function's table). */
const OPTIMIZERS = [
  { name: 'SGD', rate: 'sgd', make: (lr) => sgd({ learningRate: lr }) },
  { name: 'momentum 0.9', rate: 'momentum', make: (lr) => sgd({ learningRate: lr, momentum: 0.9 }) },
  { name: 'Nesterov 0.9', rate: 'nesterov', make: (lr) => sgd({ learningRate: lr, momentum: 0.9, nesterov: true }) },
  { name: 'AdaGrad', rate: 'adagrad', make: (lr) => adagrad({ learningRate: lr }) },
  { name: 'RMSProp', rate: 'rmsprop', make: (lr) => rmsprop({ learningRate: lr }) },
  {
    name: 'RMSProp + Nesterov 0.9',
    rate: 'rmspropNesterov',
    make: (lr) => rmsprop({ learningRate: lr, momentum: 0.9, nesterov: true }),
  },
  { name: 'Adam', rate: 'adam', make: (lr) => adam({ learningRate: lr }) },
  { name: 'AdamW (decay 0.004)', rate: 'adam', make: (lr) => adamw({ learningRate: lr }) },
];

/** The path of one optimizer on one function: positions and values, one per step (read back each step). */
async function descend(fn, optimizer, steps) {
  const p = variable(tensor(fn.start));
  const path = [fn.start];
  const values = [fn.f(...fn.start)];
  for (let step = 0; step < steps; step++) {
    tidy(() => {
      const { grads } = valueAndGrad((q) => fn.tensorF(q))(p);
      optimizer.applyGradients([p], grads);
    });
    const [x, y] = await p.data();
    path.push([x, y]);
    values.push(fn.f(x, y));
    if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > 1e6 || Math.abs(y) > 1e6) break;
  }
  p.dispose();
  optimizer.dispose();
  return { path, values };
}

/** The contour plot of fn over its box with each run's path, as SVG. */
export function contourPathsSvg(fn, runs, { size = 460, grid = 120 } = {}) {
  const [x0, x1, y0, y1] = fn.box;
  const values = new Float64Array(grid * grid);
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      values[j * grid + i] = fn.f(x0 + ((i + 0.5) / grid) * (x1 - x0), y1 - ((j + 0.5) / grid) * (y1 - y0));
    }
  }
  // level sets evenly spaced in log(1 + f − min): the valley's floor and its walls both get lines
  const lo = Math.min(...values);
  const shifted = values.map((v) => Math.log1p(v - lo));
  const top = Math.max(...shifted);
  const thresholds = Array.from({ length: 16 }, (_, k) => (top * (k + 0.5)) / 16);
  const pad = { left: 40, top: 30, right: 250, bottom: 30 };
  const scale = size / grid;
  const px = (x) => pad.left + ((x - x0) / (x1 - x0)) * size;
  const py = (y) => pad.top + ((y1 - y) / (y1 - y0)) * size;
  const rings = contours().size([grid, grid]).thresholds(thresholds)(shifted);
  const level = rings.map((ring, k) => {
    const d = ring.coordinates
      .flatMap((polygon) =>
        polygon.map(
          (line) =>
            'M' +
            line
              .map(([gx, gy]) => `${(pad.left + gx * scale).toFixed(1)},${(pad.top + gy * scale).toFixed(1)}`)
              .join('L') +
            'Z',
        ),
      )
      .join('');
    const shade = Math.round(235 - (100 * k) / thresholds.length);
    return `<path d="${d}" fill="none" stroke="rgb(${shade},${shade},${shade + 15})" stroke-width="1"/>`;
  });
  const clip = (v, a, b) => Math.min(Math.max(v, a - (b - a)), b + (b - a));
  const paths = runs.map((run, k) => {
    const color = CATEGORY_COLORS[k % CATEGORY_COLORS.length];
    const points = run.path
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y]) => `${px(clip(x, x0, x1)).toFixed(1)},${py(clip(y, y0, y1)).toFixed(1)}`);
    return `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="1.6" stroke-opacity="0.9"/>`;
  });
  const legend = runs.map((run, k) => {
    const y = pad.top + 14 + 18 * k;
    const color = CATEGORY_COLORS[k % CATEGORY_COLORS.length];
    return (
      `<line x1="${pad.left + size + 14}" x2="${pad.left + size + 34}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"/>` +
      `<text x="${pad.left + size + 40}" y="${y + 4}" font-size="11">${run.name}</text>`
    );
  });
  const [sx, sy] = fn.start;
  const [mx, my] = fn.minimum;
  const width = pad.left + size + pad.right;
  const height = pad.top + size + pad.bottom;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<clipPath id="box"><rect x="${pad.left}" y="${pad.top}" width="${size}" height="${size}"/></clipPath>
<g clip-path="url(#box)">${level.join('\n')}\n${paths.join('\n')}</g>
<rect x="${pad.left}" y="${pad.top}" width="${size}" height="${size}" fill="none" stroke="#333"/>
<circle cx="${px(sx).toFixed(1)}" cy="${py(sy).toFixed(1)}" r="4" fill="black"/>
<text x="${(px(sx) + 6).toFixed(1)}" y="${(py(sy) - 6).toFixed(1)}" font-size="11">start</text>
<text x="${px(mx).toFixed(1)}" y="${(py(my) + 4).toFixed(1)}" font-size="14" text-anchor="middle">★</text>
<text x="${pad.left + size / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${fn.title}</text>
<text x="${pad.left}" y="${pad.top + size + 18}" font-size="11">x ∈ [${x0}, ${x1}], y ∈ [${y0}, ${y1}]</text>
${legend.join('\n')}
</svg>
`;
}

/** The first step at which f − f* falls below tol (or null). */
const stepsTo = (values, fMin, tol) => {
  const k = values.findIndex((v) => v - fMin < tol);
  return k < 0 ? null : k;
};

const IMAGE_SIZE = 784;

/** The optimizers on the MNIST MLP (784-128-10): training loss per epoch and the held-out loss at the end. */
async function mnistCurves(epochs, loadMnist, progress) {
  const { train, test } = await loadMnist();
  const x = tensor(train.images, [train.n, IMAGE_SIZE]);
  const y = tensor(train.labels, [train.n], 'int32');
  const xTest = tensor(test.images, [test.n, IMAGE_SIZE]);
  const yTest = tensor(test.labels, [test.n], 'int32');
  const rates = {
    sgd: 0.1,
    momentum: 0.01,
    nesterov: 0.01,
    adagrad: 0.05,
    rmsprop: 0.001,
    rmspropNesterov: 0.001,
    adam: 0.001,
  };
  const results = [];
  for (const opt of OPTIMIZERS) {
    progress?.(`MNIST MLP: ${opt.name}`);
    const model = sequential(
      [
        dense({ units: 128, activation: 'relu', inputShape: [IMAGE_SIZE] }),
        dense({ units: 10, activation: 'softmax' }),
      ],
      { seed: 1 },
    );
    model.compile({
      optimizer: opt.make(rates[opt.rate]),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const start = await model.evaluate(x, y, { batchSize: 500 });
    const history = await model.fit(x, y, { epochs, batchSize: 128, verbose: 0, validationData: [xTest, yTest] });
    results.push({
      name: opt.name,
      rate: rates[opt.rate],
      loss: [start.loss, ...history.history.loss],
      valLoss: history.history.val_loss,
      valAccuracy: history.history.val_accuracy.at(-1),
    });
    model.dispose();
  }
  [x, y, xTest, yTest].forEach((t) => t.dispose());
  return results;
}

const fmt = (v) =>
  !Number.isFinite(v)
    ? String(v)
    : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4
      ? String(Number(v.toPrecision(3)))
      : v.toExponential(1);

const table = (header, rows) => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((cell, c) => String(cell).padEnd(widths[c])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

/**
 * `mnist`: an async loader of the seeded split ({ train, test }, each { images, labels, n }), needed
 * for the MNIST part at full size. `progress` hears what runs next.
 */
export async function optimizers({ size = 'full', mnist: loadMnist, progress } = {}) {
  const tiny = size === 'tiny';
  const figures = {};
  const rows = [];
  const numbers = {};
  for (const fn of FUNCTIONS) {
    const steps = tiny ? Math.min(60, fn.steps) : fn.steps;
    const runs = [];
    progress?.(`${fn.title}: ${OPTIMIZERS.length} optimizers, ${steps} steps each`);
    for (const opt of OPTIMIZERS) {
      const lr = fn.rates[opt.rate];
      const { path, values } = await descend(fn, opt.make(lr), steps);
      runs.push({ name: `${opt.name} (lr ${lr})`, optimizer: opt.name, path, values });
    }
    figures[`${fn.key}-paths.svg`] = contourPathsSvg(fn, runs);
    figures[`${fn.key}-loss.svg`] = chartsSvg(
      [
        {
          title: `${fn.title}: f − f* per step`,
          series: runs.map((r) => ({ name: r.name, points: r.values.map((v, k) => [k, v - fn.fMin]) })),
          logY: true,
          xLabel: 'step',
          yLabel: 'f − f*',
        },
      ],
      1,
    );
    numbers[fn.key] = {};
    for (const r of runs) {
      const gap = r.values.at(-1) - fn.fMin;
      const reached = stepsTo(r.values, fn.fMin, 1e-3);
      const escaped = r.path.findIndex(([, y]) => Math.abs(y) > 0.5);
      const distance = Math.hypot(r.path.at(-1)[0] - fn.minimum[0], r.path.at(-1)[1] - fn.minimum[1]);
      numbers[fn.key][r.optimizer] = {
        final: gap,
        stepsTo1e3: reached,
        escaped: escaped < 0 ? null : escaped,
        distance,
      };
      rows.push([
        fn.key,
        r.name,
        fmt(gap),
        reached ?? `> ${steps}`,
        fn.key === 'saddle' ? (escaped < 0 ? `> ${steps}` : escaped) : '',
      ]);
    }
  }
  let mnist;
  if (!tiny && loadMnist) {
    mnist = await mnistCurves(3, loadMnist, progress);
    figures['mnist-loss.svg'] = chartsSvg(
      [
        {
          title: 'MNIST MLP 784-128-10: training loss (epoch 0: at initialisation)',
          series: mnist.map((r) => ({ name: `${r.name} (lr ${r.rate})`, points: r.loss.map((l, e) => [e, l]) })),
          logY: true,
          xLabel: 'epoch',
          yLabel: 'loss',
        },
      ],
      1,
    );
    numbers.mnist = Object.fromEntries(
      mnist.map((r) => [r.name, { valLoss: r.valLoss.at(-1), valAccuracy: r.valAccuracy }]),
    );
  }
  const q = numbers.quadratic;
  const s = numbers.saddle;
  const escape = (name) =>
    s[name].escaped === null
      ? 'had not left the ridge (|y| ≤ 0.5)'
      : `left the ridge (|y| > 0.5) after ${s[name].escaped} steps`;
  const adamFirst = (s.Adam.escaped ?? Infinity) < (s.SGD.escaped ?? Infinity);
  const r = numbers.rosenbrock;
  const closest = Object.entries(r).sort((a, b) => a[1].distance - b[1].distance)[0];
  const mnistTable = mnist
    ? '\n\n' +
      table(
        ['MNIST MLP, 3 epochs', 'lr', 'training loss', 'held-out loss', 'held-out accuracy'],
        mnist.map((r) => [
          r.name,
          r.rate,
          fmt(r.loss.at(-1)),
          fmt(r.valLoss.at(-1)),
          `${(100 * r.valAccuracy).toFixed(2)}%`,
        ]),
      )
    : '';
  const bestMnist = mnist ? [...mnist].sort((a, b) => a.valLoss.at(-1) - b.valLoss.at(-1))[0] : undefined;
  return {
    figures,
    numbers,
    table:
      table(
        ['function', 'optimizer (learning rate)', 'f − f* at the end', 'steps to f − f* < 1e-3', 'steps to |y| > 0.5'],
        rows,
      ) + mnistTable,
    conclusion:
      `On the ill-conditioned quadratic plain SGD, held below 2/100 by the steep direction, ends ` +
      `${fmt(q.SGD.final)} above the minimum, momentum ${fmt(q['momentum 0.9'].final)}` +
      `${q['momentum 0.9'].final < q.SGD.final ? ': velocity builds up along the shallow direction that SGD crawls' : ''}. ` +
      `At the saddle, started 1e-4 off the ridge, SGD ${escape('SGD')}, Adam ${escape('Adam')}` +
      `${adamFirst ? ': its per-coordinate scaling magnifies the tiny y gradient' : ''}. ` +
      `In Rosenbrock's curved valley ${closest[0]} ended closest to (1, 1), ${fmt(closest[1].distance)} away.` +
      (bestMnist
        ? ` On the MNIST MLP the lowest held-out loss after 3 epochs was ${bestMnist.name}'s (${fmt(bestMnist.valLoss.at(-1))}).`
        : ''),
  };
}

// The browser demo's lab page (examples/web/lab.html) in headless Chromium on WebGPU, served by
// examples/web/serve.mjs: each of the course's experiments, the first started by the URL
// (?lab=<name>&size=tiny&autostart=1) and the others from the page's controls, runs in the page at its
// tiny size, shows every figure it made as inline SVG, its table and its conclusion,
// and its numbers are held against something real: the backprop graph's drawn text against the
// lecture's hand computation, the optimizers lab's SGD path against its closed form, the vanishing and
// init labs' figures at initialisation against the same lab run in Node on the CPU reference backend,
// and each conclusion against the numbers it was drawn from. The live monitor trains a small sigmoid MLP
// in the page; its drawn per-layer table must equal measureFlow on the same weights (1e-5), in the page
// and on Node's CPU backend from the page's weights, and its panels must have been redrawn as records
// arrived. A missing adapter fails, as every GPU test here does.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { setBackend, tensor } from '@webgrad/core';
import { dense, measureFlow, sequential, sgd } from '@webgrad/layers';
import { init, syntheticData, vanishing } from '../../examples/lab/experiments.mjs';
import { startServer } from '../../examples/web/serve.mjs';
import { launchChromium } from './chromium.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface LabState {
  name: string;
  size: string;
  phase: string;
  error: string;
  messages: string[];
  seconds: number;
  result: { figures: string[]; table: string; conclusion: string } | null;
  numbers: Record<string, unknown>;
}
interface LayerFigures {
  layer: string;
  [field: string]: unknown;
}
interface MonitorState {
  phase: string;
  error: string;
  redraws: number;
  records: number;
  steps: number;
  last: { step: number; loss: number; layers: LayerFigures[] } | null;
  check: { loss: number; layers: LayerFigures[] } | null;
  weights: { shape: number[]; values: number[] }[] | null;
}

/** The significant digits the labs print (experiments.mjs's fmt). */
const fmt = (v: number) =>
  !Number.isFinite(v) || v === 0
    ? String(v)
    : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4
      ? String(Number(v.toPrecision(3)))
      : v.toExponential(1);

describe('browser: the lab page in headless Chromium on WebGPU', function () {
  this.timeout(120_000);
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;

  before(async () => {
    if (!existsSync(join(root, 'dist/web/core.js'))) {
      throw new Error('no browser build in dist/web/: run `node scripts/build-web.mjs` (scripts/setup.mjs does)');
    }
    await setBackend('cpu'); // the Node side's reference runs
    server = await startServer({ port: 0 });
    browser = await launchChromium();
  });
  let labPage: Page | undefined;
  after(async () => {
    await labPage?.close();
    await browser?.close();
    await server?.close();
  });

  const errors = new WeakMap<Page, string[]>();
  async function openPage(query: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // no named inner functions in page.evaluate: tsx's esbuild wraps them in a __name helper the page lacks
    const seen: string[] = [];
    errors.set(page, seen);
    page.on('pageerror', (e) => seen.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') seen.push(m.text());
    });
    await page.goto(`${server.url}lab.html?${query}`);
    return page;
  }

  // One page for the labs (labPage), as a student uses it: the first lab comes from the URL
  // (?lab=…&autostart=1), the others are picked in the Experiment list and started with Run.

  /** Runs the lab at its tiny size in the lab page, waits for it to finish and checks what every lab shows. */
  async function runLab(name: string) {
    let page = labPage;
    if (!page) {
      page = labPage = await openPage(`lab=${name}&size=tiny&autostart=1`);
    } else {
      await page.selectOption('#size', 'tiny');
      await page.selectOption('#experiment', name);
      await page.click('#run');
    }
    await page.waitForFunction(
      (expected) => {
        const s = (window as unknown as { lab?: { state: { phase: string; lab: LabState | null } } }).lab?.state;
        return s?.phase === 'error' || (s?.lab?.name === expected && ['done', 'error'].includes(s.lab.phase));
      },
      name,
      { polling: 250, timeout: 100_000 },
    );
    const { state, shown } = await page.evaluate(() => {
      const w = window as unknown as { lab: { state: { backend: string; error: string; lab: LabState } } };
      const figures = Array.from(document.querySelectorAll<HTMLElement>('#lab-figures figure'), (f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          file: f.dataset.file ?? '',
          texts: svg ? Array.from(svg.querySelectorAll('text'), (t) => t.textContent ?? '') : [],
          width: box?.width ?? 0,
          height: box?.height ?? 0,
        };
      });
      return {
        state: { backend: w.lab.state.backend, error: w.lab.state.error, lab: w.lab.state.lab },
        shown: {
          log: document.getElementById('lab-log')!.textContent ?? '',
          conclusion: document.getElementById('lab-conclusion')!.textContent ?? '',
          table: document.getElementById('lab-table')!.textContent ?? '',
          progress: document.getElementById('lab-progress')!.textContent ?? '',
          figures,
        },
      };
    });
    const lab = state.lab;
    expect(state.error, 'the page failed to start').to.equal('');
    expect(lab.error, `the ${name} lab failed in the page`).to.equal('');
    expect(errors.get(page), 'page errors').to.deep.equal([]);
    expect(lab.size).to.equal('tiny');
    expect(state.backend).to.match(/^WebGPU: /);
    expect(lab.name).to.equal(name);
    // what the page shows is the result: every figure inline as drawn SVG, the table, the conclusion, the progress
    expect(shown.figures.map((f) => f.file)).to.deep.equal(lab.result!.figures);
    for (const f of shown.figures) {
      expect(f.width * f.height, `${f.file} is drawn`).to.be.greaterThan(1000);
      expect(f.texts.length, `${f.file} has text`).to.be.greaterThan(0);
    }
    expect(shown.table).to.equal(lab.result!.table);
    expect(shown.conclusion).to.equal(lab.result!.conclusion);
    expect(lab.messages.length).to.be.greaterThan(0);
    for (const message of lab.messages) expect(shown.log).to.contain(message);
    expect(shown.progress).to.match(/^done in \d+\.\d s$/);
    console.log(`      ${name}: ${lab.seconds.toFixed(1)} s in the page`);
    return { lab, shown, numbers: lab.numbers, figure: (file: string) => shown.figures.find((f) => f.file === file)! };
  }

  it('backprop: the (x + y)·z graph shows −2, 5, −4, 3, −12 and gradients −4, −4, 3; the branch sums', async () => {
    const { figure, numbers, shown } = await runLab('backprop');
    // Graphviz writes each node's label as lines: name (or op), value, ∂ gradient
    const texts = figure('xyz.svg').texts.map((t) => t.replace(/\u2212/g, '-').trim());
    const node = (label: string) => texts.slice(texts.indexOf(label), texts.indexOf(label) + 3);
    expect(node('x')).to.deep.equal(['x', '-2', '∂ -4']);
    expect(node('y')).to.deep.equal(['y', '5', '∂ -4']);
    expect(node('z')).to.deep.equal(['z', '-4', '∂ 3']);
    expect(node('add')).to.deep.equal(['add', '-2', '∂ -4']);
    expect(texts).to.include.members(['3', '-12']);
    expect(node('result')).to.deep.equal(['result', '-12', '∂ 1']);
    // x·y + x at (3, 4): x's gradient is y + 1 = 5, drawn as the sum over its two uses
    const branch = figure('branch.svg').texts.map((t) => t.trim());
    expect(branch.slice(branch.indexOf('x'), branch.indexOf('x') + 3)).to.deep.equal(['x', '3', '∂ 4 + 1 = 5']);
    expect(shown.table).to.contain('x: -4, y: -4, z: 3').and.to.contain('x: 5, y: 3');
    expect(numbers.worstCheckError as number).to.be.lessThan(1e-6);
  });

  it("vanishing: sigmoid's first-layer gradient below 1e-3 of its last's, ReLU + He's within 10×, as on the CPU", async () => {
    const { numbers, shown } = await runLab('vanishing');
    const ratios = numbers as Record<string, number>;
    expect(ratios.sigmoid).to.be.lessThan(1e-3);
    expect(ratios.relu).to.be.within(0.1, 10);
    expect(shown.conclusion)
      .to.contain(
        `sigmoid net's first-layer gradient is ${fmt(ratios.sigmoid)} of its last layer's (below 1e-3: it vanishes)`,
      )
      .and.to.contain(`keeps it at ${fmt(ratios.relu)} of the last layer's (within 10×)`);
    // the ratios are taken at initialisation: the same seeded weights on the CPU backend give them too
    const reference = (await vanishing({ size: 'tiny' })).numbers as Record<string, number>;
    for (const net of ['sigmoid', 'tanh', 'relu']) {
      expect(Math.abs(ratios[net] / reference[net] - 1), net).to.be.lessThan(1e-3);
    }
  });

  it('init: the activation std and saturated fraction at the last layer match the CPU reference', async () => {
    const { numbers, shown } = await runLab('init');
    type At = Record<string, { std: number; saturated: number }>;
    const page = numbers as At;
    expect(page['N(0, 1)'].saturated).to.be.greaterThan(0.5);
    expect(page['glorot normal'].std).to.be.within(0.1, 1);
    expect(shown.conclusion).to.contain(`saturates ${fmt(100 * page['N(0, 1)'].saturated)}% of the units`);
    const reference = (await init({ size: 'tiny' })).numbers as At;
    // float32 on the GPU against float64 through 8 tanh layers: 1e-3 relative
    for (const name of ['N(0, 1)', 'glorot normal', 'he normal']) {
      expect(page[name].std, name).to.be.closeTo(reference[name].std, 1e-3 * reference[name].std);
      expect(page[name].saturated, name).to.be.closeTo(reference[name].saturated, 1e-3); // two of 2,048 outputs
    }
    expect(page['N(0, 0.01²)'].std).to.be.lessThan(1e-6);
    expect(page.zeros.std).to.equal(0);
  });

  it('optimizers: the SGD path on ½x² + 50y² follows its closed form; the paths are drawn on the contours', async () => {
    const { numbers, shown, figure } = await runLab('optimizers');
    type Run = { final: number; escaped: number | null };
    const runs = numbers as Record<string, Record<string, Run>>;
    const x = -4 * (1 - 0.019) ** 60;
    const y = 1.5 * (1 - 100 * 0.019) ** 60;
    const expected = 0.5 * x * x + 50 * y * y;
    expect(Math.abs(runs.quadratic.SGD.final - expected) / expected).to.be.lessThan(1e-3);
    expect(runs.saddle.SGD.escaped).to.equal(null);
    expect(runs.saddle.Adam.escaped).to.be.a('number');
    expect(shown.conclusion).to.contain('its per-coordinate scaling magnifies the tiny y gradient');
    expect(figure('quadratic-paths.svg').texts).to.include('SGD (lr 0.019)');
  });

  it('learning-rate: lr 10 fails, the range test suggests a rate that trains, the schedules are drawn', async () => {
    const { numbers, shown } = await runLab('learning-rate');
    const at = numbers as Record<string, { final: number; failed: boolean }> & {
      range: { bottomRate: number; suggestion: number; suggestionTrains: boolean };
    };
    expect(at['10'].failed).to.equal(true);
    expect(at['0.1'].failed).to.equal(false);
    expect(at.range.suggestionTrains).to.equal(true);
    expect(shown.conclusion)
      .to.contain(`lr 10 ended at ${fmt(at['10'].final)}`)
      .and.to.contain(`bottoms at lr ${fmt(at.range.bottomRate)}`);
  });

  it('regularization: the unregularised net overfits, each regulariser narrows the gap', async () => {
    const { numbers, shown } = await runLab('regularization');
    type Run = { gap: number; finalVal: number; minVal: number; finalTrain: number; epochs: number };
    const runs = numbers as Record<string, Run>;
    const base = runs['no regularisation'];
    expect(base.finalVal).to.be.greaterThan(1.3 * base.minVal);
    for (const [name, run] of Object.entries(runs).slice(1)) {
      expect(run.gap, name).to.be.lessThan(base.gap);
      expect(shown.conclusion).to.contain(`${name} leaves a gap of ${fmt(run.gap)} against ${fmt(base.gap)} (narrower`);
    }
  });

  it('clipping: without clipnorm the loss turns non-finite, with it the net trains', async () => {
    const { numbers, shown } = await runLab('clipping');
    type Run = { firstNorm: number; firstLoss: number; steps: number; finalLoss: number };
    const runs = numbers as Record<string, Run>;
    expect(runs['no clipping'].firstNorm).to.be.above(100);
    expect(runs['no clipping'].steps).to.be.lessThan(40);
    expect(runs['clipnorm 1 (per weight)'].finalLoss).to.be.lessThan(runs['clipnorm 1 (per weight)'].firstLoss / 10);
    expect(shown.conclusion).to.contain(
      `Without clipping SGD diverges (the loss is non-finite at step ${runs['no clipping'].steps})`,
    );
  });

  it("the live monitor redraws its panels as records arrive, and its table equals measureFlow's on the same weights", async () => {
    // 128 samples in batches of 32: 4 steps an epoch, 3 epochs, a record every 2 steps and one before training
    const page = await openPage('monitor=1&activation=sigmoid&depth=5&epochs=3&every=2&samples=128');
    await page.waitForFunction(
      () => {
        const m = (window as unknown as { lab?: { state: { monitor: MonitorState | null } } }).lab?.state.monitor;
        return m?.phase === 'done' || m?.phase === 'error';
      },
      undefined,
      { polling: 250, timeout: 100_000 },
    );
    const { monitor, table, panelTitles } = await page.evaluate(() => {
      const rows = Array.from(document.querySelectorAll<HTMLElement>('#monitor-layers tr[data-layer]'), (tr) => ({
        layer: tr.dataset.layer!,
        cells: Object.fromEntries(
          Array.from(tr.querySelectorAll('td'), (td) => [td.dataset.field!, td.textContent ?? '']),
        ),
      }));
      const titles = Array.from(document.querySelectorAll('#monitor-panels svg text'), (t) => t.textContent ?? '');
      return {
        monitor: (window as unknown as { lab: { state: { monitor: MonitorState } } }).lab.state.monitor,
        table: rows,
        panelTitles: titles,
      };
    });
    expect(monitor.error).to.equal('');
    expect(errors.get(page)).to.deep.equal([]);
    expect(monitor.steps).to.equal(12);
    expect(monitor.records).to.equal(7);
    expect(monitor.redraws, 'one redraw per epoch, as each epoch reads its records back').to.equal(3);
    expect(monitor.last!.step).to.equal(12);
    expect(panelTitles).to.include.members(['weight-gradient norm', 'activation std', 'saturated units (fraction)']);
    const check = monitor.check!;
    expect(table.map((r) => r.layer)).to.deep.equal(check.layers.map((l) => l.layer));
    let compared = 0;
    for (const [i, row] of table.entries()) {
      for (const field of ['gradNorm', 'activationMean', 'activationStd', 'deadFraction', 'saturatedFraction']) {
        const reference = check.layers[i][field] as number | undefined;
        if (reference === undefined) {
          expect(row.cells[field], `${row.layer} ${field}`).to.equal('');
          continue;
        }
        const drawn = Number(row.cells[field]);
        expect(drawn, `${row.layer} ${field}`).to.be.closeTo(reference, 1e-5 * Math.max(1, Math.abs(reference)));
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(15);
    // the last layer is softmax: sigmoid saturation is counted for the four hidden layers only
    expect(table.filter((r) => r.cells.saturatedFraction !== '')).to.have.length(4);
    // the same statistics from the page's trained weights on Node's CPU backend (float64), on the same probe
    const net = sequential([
      ...Array.from({ length: 4 }, (_, i) =>
        dense({ units: 32, activation: 'sigmoid', ...(i === 0 ? { inputShape: [16] } : {}) }),
      ),
      dense({ units: 4, activation: 'softmax' }),
    ]);
    net.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    net.build();
    const weights = monitor.weights!.map((w) => tensor(w.values, w.shape));
    net.setWeights(weights);
    const probe = syntheticData({ n: 64, dims: 16, classes: 4, seed: 2 });
    const cpu = await measureFlow(net, [probe.x, probe.y]);
    [...weights, probe.x, probe.y].forEach((t) => t.dispose());
    net.dispose();
    expect(cpu.loss).to.be.closeTo(check.loss, 1e-5 * check.loss);
    for (const [i, layer] of cpu.layers.entries()) {
      for (const field of ['gradNorm', 'activationMean', 'activationStd', 'saturatedFraction']) {
        const reference = layer[field as keyof typeof layer] as number | undefined;
        if (reference === undefined) continue;
        const drawn = Number(table[i].cells[field]);
        expect(drawn, `${layer.layer} ${field}: page against CPU`).to.be.closeTo(
          reference,
          1e-5 * Math.max(1, Math.abs(reference)),
        );
      }
    }
    await page.close();
  });
});

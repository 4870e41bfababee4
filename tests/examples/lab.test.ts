// The labs (examples/lab/experiments.mjs) at their tiny size on the CPU reference: each shows its
// qualitative effect in the numbers it measured, its printed conclusion says what those numbers say,
// and its figures are SVG documents holding its series. The optimizers lab's SGD path on the quadratic
// against its closed form.
import { expect } from 'chai';
import { setBackend } from '@webgrad/core';
import {
  backprop,
  clipping,
  init,
  learningRate,
  aliases,
  experiments,
  optimizers,
  overfitting,
  regularization,
  vanishing,
} from '../../examples/lab/experiments.mjs';

/** The significant digits the labs print (experiments.mjs's fmt). */
const fmt = (v: number) =>
  !Number.isFinite(v) || v === 0
    ? String(v)
    : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4
      ? String(Number(v.toPrecision(3)))
      : v.toExponential(1);

const isSvg = (svg: string) => expect(svg).to.match(/^<(\?xml|svg|!DOCTYPE)[\s\S]*<\/svg>\s*$/);

describe('the labs, tiny, on the CPU reference', () => {
  before(() => setBackend('cpu'));

  it('backprop: the lecture graphs drawn with their numbers, and each passes the gradient check', async () => {
    const lab = await backprop();
    expect(Object.keys(lab.figures)).to.deep.equal([
      'xyz.svg',
      'sigmoid-neuron.svg',
      'branch.svg',
      'mlp.svg',
      'model.svg',
    ]);
    Object.values(lab.figures).forEach(isSvg);
    expect(lab.numbers.worstCheckError as number).to.be.lessThan(1e-6);
    expect(lab.table).to.contain('x: -4, y: -4, z: 3');
    expect(lab.table).to.contain('x: 5, y: 3');
    expect(lab.numbers.branchX).to.equal(5);
    expect(lab.conclusion)
      .to.contain(`worst error ${(lab.numbers.worstCheckError as number).toExponential(1)}`)
      .and.to.contain('the gradient of x is 5 = y + 1, the sum over its two uses');
  });

  it("vanishing: the 10-layer sigmoid net's first-layer gradient is below 1e-3 of its last layer's; ReLU + He within 10×", async () => {
    const lab = await vanishing({ size: 'tiny' });
    const ratios = lab.numbers as Record<string, number>;
    expect(ratios.sigmoid).to.be.lessThan(1e-3);
    expect(ratios.relu).to.be.within(0.1, 10);
    expect(lab.conclusion)
      .to.contain(`first-layer gradient is ${fmt(ratios.sigmoid)} of its last layer's (below 1e-3: it vanishes)`)
      .and.to.contain(`keeps it at ${fmt(ratios.relu)} of the last layer's (within 10×)`);
    expect(Object.keys(lab.figures)).to.include('gradient-norm-by-layer.svg');
    Object.values(lab.figures).forEach(isSvg);
    expect(lab.figures['gradient-norm-by-layer.svg']).to.contain('sigmoid, glorot').and.to.contain('relu, he');
  });

  it('init: small weights shrink the tanh activations, large ones saturate them, Glorot keeps them', async () => {
    const lab = await init({ size: 'tiny' });
    const at = (name: string) => (lab.numbers as Record<string, { std: number; saturated: number }>)[name];
    expect(at('zeros').std).to.equal(0);
    expect(at('N(0, 0.01²)').std).to.be.lessThan(1e-6);
    expect(at('N(0, 1)').saturated).to.be.greaterThan(0.5);
    expect(at('glorot normal').std).to.be.within(0.1, 1);
    expect(at('glorot normal').saturated).to.be.lessThan(0.05);
    // the conclusion quotes these numbers
    expect(lab.conclusion)
      .to.contain(`std ${fmt(at('N(0, 0.01²)').std)} at layer 8`)
      .and.to.contain(`saturates ${fmt(100 * at('N(0, 1)').saturated)}% of the units`)
      .and.to.contain(`Glorot keeps std ${fmt(at('glorot normal').std)} at layer 8`);
    isSvg(lab.figures['activations-by-layer.svg']);
    isSvg(lab.figures['activation-histograms.svg']);
  });

  it('learning-rate: lr 10 ends no better than chance, a moderate rate far below where it started', async () => {
    const lab = await learningRate({ size: 'tiny' });
    const at = (rate: number) =>
      (lab.numbers as Record<string, { initial: number; final: number; failed: boolean }>)[String(rate)];
    expect(at(10).failed).to.equal(true);
    expect(at(0.1).failed).to.equal(false);
    expect(at(0.1).final).to.be.lessThan(0.5 * at(0.1).initial);
    expect(at(0.01).final).to.be.greaterThan(at(0.1).final); // too low crawls
    expect(lab.conclusion).to.contain('lr 10');
    isSvg(lab.figures['loss-by-learning-rate.svg']);
    // the range test: the rate grows ×10 every 12 steps (1e-4 to 10 over 60), the loss bottoms before lr
    // 10 (where SGD fails) and a tenth of the bottom's rate is one the fixed-rate runs trained at
    const range = (lab.numbers as { range: { bottomRate: number; suggestion: number; suggestionTrains: boolean } })
      .range;
    expect(range.bottomRate).to.be.within(0.1, 10);
    expect(range.suggestion).to.be.closeTo(range.bottomRate / 10, 1e-12);
    expect(range.suggestionTrains).to.equal(true);
    expect(lab.conclusion).to.contain(`a tenth of that, ${Number(range.suggestion.toPrecision(3))}, lies within`);
    // the schedules' rates halfway (step 16 of 32 at lr 0.5): step ÷10 after 11, exponential 0.5·0.01^½,
    // linear and cosine at about half, warmup (3 steps) then cosine over 29
    const schedules = (lab.numbers as { schedules: Record<string, { final: number; rateAtHalf: number }> }).schedules;
    expect(schedules['step (÷10 at ⅓ and ⅔)'].rateAtHalf).to.be.closeTo(0.05, 1e-12);
    expect(schedules['exponential (÷100 over the run)'].rateAtHalf).to.be.closeTo(0.05, 1e-9);
    expect(schedules['linear (to base/100)'].rateAtHalf).to.be.closeTo(0.5 - (0.5 - 0.005) / 2, 1e-12);
    expect(schedules.cosine.rateAtHalf).to.be.closeTo(0.25, 1e-12);
    expect(schedules['warmup 3 steps + cosine'].rateAtHalf).to.be.closeTo(
      0.25 * (1 + Math.cos((Math.PI * 13) / 29)),
      1e-12,
    );
    for (const s of Object.values(schedules)) expect(s.final).to.be.lessThan(Math.log(4));
    isSvg(lab.figures['range-test.svg']);
    isSvg(lab.figures['schedules.svg']);
  });

  it('regularization: the training loss falls while the validation loss turns up; each regulariser narrows the gap', async () => {
    const lab = await regularization({ size: 'tiny' });
    type Run = {
      finalTrain: number;
      finalVal: number;
      minVal: number;
      gap: number;
      epochs: number;
      dataTrain: number;
      dataVal: number;
    };
    const numbers = lab.numbers as Record<string, Run>;
    const base = numbers['no regularisation'];
    expect(base.finalTrain).to.be.lessThan(0.2);
    expect(base.finalVal).to.be.greaterThan(1.3 * base.minVal);
    expect(base.gap).to.be.greaterThan(1);
    const others = ['L2 1e-2', 'L1 1e-3', 'dropout 0.5', 'early stopping', 'augmentation (jitter σ 0.3)'];
    expect(Object.keys(numbers)).to.deep.equal(['no regularisation', ...others]);
    for (const name of others) {
      // the gap and validation loss are the cross-entropy alone after training, the L1/L2 penalty left out
      expect(numbers[name].gap, name).to.be.lessThan(base.gap);
      expect(numbers[name].dataVal, name).to.be.lessThan(base.dataVal);
      expect(numbers[name].gap).to.be.closeTo(numbers[name].dataVal - numbers[name].dataTrain, 1e-12);
      expect(lab.conclusion).to.contain(
        `${name} leaves a gap of ${fmt(numbers[name].gap)} against ${fmt(base.gap)} (narrower; ` +
          `validation loss ${fmt(numbers[name].dataVal)} against ${fmt(base.dataVal)}, lower)`,
      );
    }
    expect(numbers['dropout 0.5'].finalVal).to.be.lessThan(base.finalVal);
    expect(numbers['early stopping'].epochs).to.be.lessThan(40);
    expect(lab.conclusion).to.contain(`stopped after epoch ${numbers['early stopping'].epochs}`);
    isSvg(lab.figures['train-vs-validation.svg']);
  });

  it("the lab list is the issue's, and overfitting is regularization's old name", () => {
    expect(Object.keys(experiments)).to.deep.equal([
      'backprop',
      'vanishing',
      'init',
      'optimizers',
      'learning-rate',
      'regularization',
      'clipping',
    ]);
    expect(aliases.overfitting).to.equal('regularization');
    expect(overfitting).to.equal(regularization);
  });

  it('optimizers: SGD on ½x² + 50y² follows its closed form; momentum beats it there; Adam leaves the saddle first', async () => {
    const lab = await optimizers({ size: 'tiny' });
    type Run = { final: number; escaped: number | null };
    const numbers = lab.numbers as Record<string, Record<string, Run>>;
    // x_k = x₀(1 − lr)^k, y_k = y₀(1 − 100·lr)^k at lr 0.019 after the tiny run's 60 steps from (−4, 1.5)
    const x = -4 * (1 - 0.019) ** 60;
    const y = 1.5 * (1 - 100 * 0.019) ** 60;
    const expected = 0.5 * x * x + 50 * y * y;
    expect(Math.abs(numbers.quadratic.SGD.final - expected) / expected).to.be.lessThan(1e-4);
    expect(numbers.quadratic['momentum 0.9'].final).to.be.lessThan(numbers.quadratic.SGD.final);
    expect(numbers.saddle.SGD.escaped).to.equal(null);
    expect(numbers.saddle.Adam.escaped).to.be.a('number');
    expect(lab.conclusion)
      .to.contain('velocity builds up along the shallow direction')
      .and.to.contain('its per-coordinate scaling magnifies the tiny y gradient');
    expect(Object.keys(lab.figures)).to.include.members([
      'quadratic-paths.svg',
      'rosenbrock-paths.svg',
      'saddle-paths.svg',
    ]);
    Object.values(lab.figures).forEach(isSvg);
    // the contour lines and one path per optimizer
    expect(lab.figures['quadratic-paths.svg'].match(/<polyline/g)).to.have.length(8);
    expect(lab.figures['quadratic-paths.svg'].match(/<path d="M/g)?.length).to.be.above(8);
  });

  it('clipping: without clipnorm the loss becomes non-finite; with it the net trains below where it started', async () => {
    const lab = await clipping({ size: 'tiny' });
    type Run = { firstNorm: number; firstLoss: number; steps: number; finalLoss: number; heldOutMse: number };
    const numbers = lab.numbers as Record<string, Run>;
    const plain = numbers['no clipping'];
    const clipped = numbers['clipnorm 1 (per weight)'];
    expect(plain.firstNorm).to.be.above(100);
    expect(plain.steps).to.be.lessThan(40);
    expect(Number.isFinite(plain.finalLoss)).to.equal(false);
    expect(clipped.steps).to.equal(40);
    expect(clipped.finalLoss).to.be.lessThan(clipped.firstLoss / 10);
    expect(Number.isFinite(clipped.heldOutMse)).to.equal(true);
    expect(lab.conclusion).to.contain(`Without clipping SGD diverges (the loss is non-finite at step ${plain.steps})`);
    expect(lab.conclusion).to.contain(`with clipnorm 1 the held-out MSE is ${fmt(clipped.heldOutMse)}`);
    Object.values(lab.figures).forEach(isSvg);
  });
});

// The labs (examples/lab/experiments.mjs) at their tiny size on the CPU reference: each shows its
// qualitative effect in the numbers it measured, its printed conclusion says what those numbers say,
// and its figures are SVG documents holding its series.
import { expect } from 'chai';
import { setBackend } from '@webgrad/core';
import { backprop, init, learningRate, overfitting, vanishing } from '../../examples/lab/experiments.mjs';

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
  });

  it("vanishing: the 10-layer sigmoid net's first-layer gradient is below 1e-3 of its last layer's; ReLU + He within 10×", async () => {
    const lab = await vanishing({ size: 'tiny' });
    const ratios = lab.numbers as Record<string, number>;
    expect(ratios.sigmoid).to.be.lessThan(1e-3);
    expect(ratios.relu).to.be.within(0.1, 10);
    expect(lab.conclusion).to.contain('below 1e-3: it vanishes').and.to.contain('within 10×');
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
  });

  it('overfitting: the training loss falls while the validation loss turns up', async () => {
    const lab = await overfitting({ size: 'tiny' });
    const base = (lab.numbers as Record<string, { finalTrain: number; finalVal: number; minVal: number; gap: number }>)[
      'no regularisation'
    ];
    expect(base.finalTrain).to.be.lessThan(0.2);
    expect(base.finalVal).to.be.greaterThan(1.3 * base.minVal);
    expect(base.gap).to.be.greaterThan(1);
    isSvg(lab.figures['train-vs-validation.svg']);
  });
});

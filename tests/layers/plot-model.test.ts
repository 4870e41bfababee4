// plotModel: a Sequential's diagram carries every layer's name, class, shapes and parameter count (the
// counts against the weights' sizes worked out by hand), a functional model's branches and merge draw
// every edge, and an edge naming no layer is refused by name.
import { expect } from 'chai';
import { sum, svgText, tensor, traceGraph } from '@webgrad/core';
import {
  concatenate,
  dense,
  dropout,
  input,
  model as graphModel,
  modelDiagram,
  modelDot,
  plotModel,
  sequential,
} from '@webgrad/layers';

describe('plotModel', () => {
  it('a Sequential: layers in a chain with their shapes and parameter counts (counted by hand)', async () => {
    const model = sequential(
      [
        dense({ units: 8, activation: 'relu', inputShape: [4], name: 'hidden' }),
        dropout({ rate: 0.5, name: 'drop' }),
        dense({ units: 3, activation: 'softmax', name: 'out' }),
      ],
      { name: 'classifier' },
    );
    model.build();
    const diagram = modelDiagram(model);
    expect(diagram.layers.map((l) => [l.name, l.params])).to.deep.equal([
      ['classifier_input', 0],
      ['hidden', 4 * 8 + 8],
      ['drop', 0],
      ['out', 8 * 3 + 3],
    ]);
    expect(diagram.edges).to.deep.equal([
      ['classifier_input', 'hidden'],
      ['hidden', 'drop'],
      ['drop', 'out'],
    ]);
    const svg = await plotModel(model);
    const texts = svgText(svg);
    for (const shown of ['hidden', 'Dense (relu)', '(None, 4)', '(None, 8)', '(None, 3)', '40', '27', 'Dropout']) {
      expect(texts.join(' | '), shown).to.contain(shown);
    }
    expect(texts.join(' ')).to.contain('classifier: 67 parameters');
    expect(svg.match(/class="edge"/g)?.length).to.equal(3);
    model.dispose();
  });

  it('a functional model with branches: every edge drawn, a merge shows both inputs', async () => {
    const x = input({ shape: [16], name: 'features' });
    const left = dense({ units: 8, name: 'left' }).apply(x);
    const right = dense({ units: 4, name: 'right' }).apply(x);
    const towers = graphModel({
      inputs: x,
      outputs: concatenate({ name: 'join' }).apply([left, right]),
      name: 'two towers',
    });
    const diagram = modelDiagram(towers);
    expect(diagram.layers.map((l) => [l.name, l.className, l.params])).to.deep.equal([
      ['features', 'InputLayer', 0],
      ['left', 'Dense', 16 * 8 + 8],
      ['right', 'Dense', 16 * 4 + 4],
      ['join', 'Concatenate', 0],
    ]);
    const svg = await plotModel(towers);
    expect(svg.match(/class="edge"/g)?.length).to.equal(4);
    expect(svgText(svg).map((t) => t.trim())).to.include('(None, 8) + (None, 4)');
    expect(svgText(svg).map((t) => t.trim())).to.include('(None, 12)');
    towers.dispose();
  });

  it("traceGraph of a graph model's call groups each layer's ops under the layer's name", async () => {
    const x = input({ shape: [3], name: 'pixels' });
    const hidden = dense({ units: 2, activation: 'relu', name: 'hidden' }).apply(x);
    const net = graphModel({ inputs: x, outputs: dense({ units: 1, name: 'score' }).apply(hidden) });
    const trace = await traceGraph((batch) => sum(net.apply(batch)), tensor([[1, -2, 0.5]]), { names: ['batch'] });
    const scopes = new Set(trace.json.ops.map((op) => op.scope));
    expect([...scopes].filter(Boolean).sort()).to.deep.equal(['hidden', 'score']);
    expect(trace.json.ops.filter((op) => op.scope === 'hidden').length).to.be.greaterThan(0);
    net.dispose();
  });

  it('refuses an edge that names no layer, and a model without an input shape', () => {
    expect(() => modelDot({ name: 'm', layers: [], edges: [['a', 'b']] })).to.throw(
      "plotModel: edge a -> b names 'a', which is not a layer of 'm'",
    );
    const model = sequential([dense({ units: 2 })], { name: 'shapeless' });
    expect(() => modelDiagram(model)).to.throw(
      'sequential: the first layer needs an inputShape (or call build(shape)) before use',
    );
  });
});

// plotModel: a Sequential's diagram carries every layer's name, class, shapes and parameter count (the
// counts against the weights' sizes worked out by hand), a diagram with branching edges draws every
// edge, and an edge naming no layer is refused by name.
import { expect } from 'chai';
import { svgText } from '@webgrad/core';
import { dense, dropout, modelDot, plotModel, sequential, sequentialDiagram, type ModelDiagram } from '@webgrad/layers';

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
    const diagram = sequentialDiagram(model);
    expect(diagram.layers.map((l) => [l.name, l.params])).to.deep.equal([
      ['input', 0],
      ['hidden', 4 * 8 + 8],
      ['drop', 0],
      ['out', 8 * 3 + 3],
    ]);
    expect(diagram.edges).to.deep.equal([
      ['input', 'hidden'],
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

  it('a diagram with branches (what a functional model gives): every edge drawn, a merge shows both inputs', async () => {
    const diagram: ModelDiagram = {
      name: 'two towers',
      layers: [
        { name: 'input', className: 'InputLayer', outputShape: [16], params: 0 },
        { name: 'left', className: 'Dense', outputShape: [8], params: 136 },
        { name: 'right', className: 'Dense', outputShape: [4], params: 68 },
        { name: 'join', className: 'Concatenate', outputShape: [12], params: 0 },
      ],
      edges: [
        ['input', 'left'],
        ['input', 'right'],
        ['left', 'join'],
        ['right', 'join'],
      ],
    };
    const svg = await plotModel(diagram);
    expect(svg.match(/class="edge"/g)?.length).to.equal(4);
    expect(svgText(svg).map((t) => t.trim())).to.include('(None, 8) + (None, 4)');
  });

  it('refuses an edge that names no layer, and a model without an input shape', () => {
    expect(() => modelDot({ name: 'm', layers: [], edges: [['a', 'b']] })).to.throw(
      "plotModel: edge a -> b names 'a', which is not a layer of 'm'",
    );
    const model = sequential([dense({ units: 2 })], { name: 'shapeless' });
    expect(() => sequentialDiagram(model)).to.throw(
      "plotModel: model 'shapeless' has no input shape: give the first layer an inputShape, or pass one",
    );
  });
});

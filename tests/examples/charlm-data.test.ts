// The character-level language model lab's pipeline pieces (examples/charlm-data.mjs): the fortune
// files' normalisation, the fixed vocabulary, the split by position, the windows and their targets,
// and the count models' perplexities against hand computations on tiny texts; and its sampler
// (examples/charlm.mjs) against greedy decoding by the whole-sequence model. The corpus itself is read
// only by the demo (it needs Debian's fortunes package); here a folder of made-up files stands in.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, tidy } from '@webgrad/core';
import { dense, embedding, gru, lstm, sequential } from '@webgrad/layers';
import { sample } from '../../examples/charlm.mjs';
import {
  bigramModel,
  countPerplexity,
  decode,
  encode,
  loadFortunes,
  normalizeFortunes,
  randomStarts,
  splitByPosition,
  tiledStarts,
  unigramModel,
  VOCABULARY,
  windows,
} from '../../examples/charlm-data.mjs';
import { useBackend } from '../helpers.js';

describe('the char LM lab: text, windows and count models', () => {
  it('normalises a fortune file: overstrikes, tabs, runs of spaces, % separators, non-ASCII', () => {
    const raw = 'A _\bb_\bo_\bl_\bd  claim.\t-- Me  \n%\nSecond \u00e9t\u00e9 one.\n%\n\n\nThird\n';
    expect(normalizeFortunes(raw)).to.equal('A bold claim. -- Me\n\nSecond t one.\n\nThird\n');
  });

  it('has 96 symbols, newline first, and round-trips text through ids', () => {
    expect(VOCABULARY.length).to.equal(96);
    expect(VOCABULARY[0]).to.equal('\n');
    expect(VOCABULARY[1]).to.equal(' ');
    expect(VOCABULARY[95]).to.equal('~');
    const text = 'Hello, world!\n~';
    expect(Array.from(encode(text).slice(0, 2))).to.deep.equal([
      1 + 'H'.charCodeAt(0) - 32,
      1 + 'e'.charCodeAt(0) - 32,
    ]);
    expect(decode(encode(text))).to.equal(text);
    expect(() => encode('caf\u00e9')).to.throw('charlm: character "\u00e9" at 3 is outside the vocabulary');
  });

  it('splits by position, 90/5/5, and loads each file split so, in order', () => {
    const text = 'x'.repeat(180) + 'v'.repeat(10) + 't'.repeat(10);
    expect(splitByPosition(text)).to.deep.equal(['x'.repeat(180), 'v'.repeat(10), 't'.repeat(10)]);
    const dir = mkdtempSync(join(tmpdir(), 'charlm-'));
    writeFileSync(join(dir, 'one'), 'a'.repeat(18) + 'bc');
    writeFileSync(join(dir, 'two'), 'd'.repeat(36) + 'eeff');
    const parts = loadFortunes({ dir, files: ['one', 'two'] });
    expect(decode(parts.train)).to.equal('a'.repeat(18) + '\n\n' + 'd'.repeat(36));
    expect(decode(parts.validation)).to.equal('b\n\nee');
    expect(decode(parts.test)).to.equal('c\n\nff');
    expect(() => loadFortunes({ dir, files: ['one', 'missing'] })).to.throw(
      `charlm: the corpus is Debian's fortunes package, but ${join(dir, 'missing')} is missing (1 of 2 files)`,
    );
  });

  it('makes windows whose targets are the next character at every position', () => {
    const ids = encode('abcdefghij');
    const { x, y } = windows(ids, [0, 4, 6], 3);
    expect(decode(x)).to.equal('abcefgghi');
    expect(decode(y)).to.equal('bcdfghhij');
    expect(tiledStarts(10, 3)).to.deep.equal([0, 3, 6]); // 6 + 3 = 9 < 10: the last window's target is 'j'
    expect(tiledStarts(10, 4)).to.deep.equal([0, 4]);
    expect(() => windows(ids, [7], 3)).to.throw('charlm: a window of 3 at 7 needs 11 ids, have 10');
    const starts = randomStarts(1000, 32, 500, 1, 0);
    expect(Math.min(...starts)).to.be.at.least(0);
    expect(Math.max(...starts)).to.be.at.most(1000 - 32 - 1);
    expect(new Set(starts).size).to.be.above(300);
    expect(randomStarts(1000, 32, 500, 1, 1)).to.not.deep.equal(starts);
  });

  it("gives the add-one unigram's and bigram's perplexities of a hand computation", () => {
    // vocabulary {a, b, c} as ids 0..2; training text "aab": unigram counts a 2, b 1, c 0 over N = 3
    const train = [0, 0, 1];
    const unigram = unigramModel(train, 3);
    expect(Math.exp(unigram(2, 0))).to.be.closeTo(3 / 6, 1e-12);
    expect(Math.exp(unigram(0, 2))).to.be.closeTo(1 / 6, 1e-12);
    // pairs aa, ab: from a 2 (to a 1, to b 1), from b 0
    const bigram = bigramModel(train, 3);
    expect(Math.exp(bigram(0, 0))).to.be.closeTo(2 / 5, 1e-12);
    expect(Math.exp(bigram(0, 2))).to.be.closeTo(1 / 5, 1e-12);
    expect(Math.exp(bigram(1, 2))).to.be.closeTo(1 / 3, 1e-12);
    // held-out "abca" in one window of 3 predicts b|a, c|b, a|c
    const heldOut = [0, 1, 2, 0];
    const unigramExpected = Math.exp(-(Math.log(2 / 6) + Math.log(1 / 6) + Math.log(3 / 6)) / 3);
    const bigramExpected = Math.exp(-(Math.log(2 / 5) + Math.log(1 / 3) + Math.log(1 / 3)) / 3);
    expect(countPerplexity(unigram, heldOut, [0], 3)).to.be.closeTo(unigramExpected, 1e-12);
    expect(countPerplexity(bigram, heldOut, [0], 3)).to.be.closeTo(bigramExpected, 1e-12);
    // two windows of 1 predict b|a and a|c only
    expect(countPerplexity(bigram, heldOut, [0, 2], 1)).to.be.closeTo(
      Math.exp(-(Math.log(2 / 5) + Math.log(1 / 3)) / 2),
      1e-12,
    );
  });
});

describe('the char LM lab: sampling on the device', () => {
  useBackend('webgpu');
  for (const cell of ['LSTM', 'GRU'] as const) {
    it(`carries the ${cell} stack's states from draw to draw: at a tiny temperature it writes the greedy continuation`, async () => {
      // greedy: the argmax of the whole-sequence forward's last position, re-run on the text so far
      const embed = embedding({ inputDim: VOCABULARY.length, outputDim: 5 });
      const recurrents = [0, 1].map(() =>
        cell === 'LSTM' ? lstm({ units: 6, returnSequences: true }) : gru({ units: 6, returnSequences: true }),
      );
      const head = dense({ units: VOCABULARY.length });
      const prompt = 'The q';
      const ids = (text: string) => tensor(encode(text), [1, text.length], 'int32');
      sequential([embed, ...recurrents, head], { seed: 3 })
        .predict(ids(prompt))
        .dispose(); // builds the layers
      const context = { training: false, seed: 0 };
      let greedy = prompt;
      for (let i = 0; i < 6; i++) {
        const logits = tidy(() =>
          head.call(
            recurrents.reduce((x, layer) => layer.call(x, context), embed.call(ids(greedy), context)),
            context,
          ),
        );
        const last = (await logits.data()).slice((greedy.length - 1) * VOCABULARY.length);
        logits.dispose();
        greedy += VOCABULARY[last.indexOf(Math.max(...last))];
      }
      const drawn = await sample({
        embed,
        recurrents,
        head,
        cell,
        prompt,
        length: 6,
        temperature: 1e-6,
        seed: 1,
        stream: 0,
      });
      expect(prompt + drawn).to.equal(greedy);
      // at temperature 1 the draws vary with the seed
      const a = await sample({ embed, recurrents, head, cell, prompt, length: 30, temperature: 1, seed: 1, stream: 0 });
      const b = await sample({ embed, recurrents, head, cell, prompt, length: 30, temperature: 1, seed: 2, stream: 0 });
      expect(a).to.have.length(30);
      expect(a).to.not.equal(b);
    });
  }
});

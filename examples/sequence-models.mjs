// The sequence labs' models, browser-safe (no Node built-ins; the labs lstm.mjs and charlm.mjs and the
// browser demo build them from here): the MNIST-rows classifier (each digit's 28 rows of 28 pixels read
// by an LSTM, its last output classified by a dense softmax), the character-level language model
// (embedding → a stack of LSTMs or GRUs returning whole sequences → dense logits at every position),
// and the language model's sampler, which draws text on the device one character at a time.
import { add, concat, gather, matmul, multinomial, reshape as reshapeTensor, slice, tensor, tidy } from '@webgrad/core';
import {
  dense,
  embedding,
  getActivation,
  gru,
  lstm,
  randomTranslation,
  recurrentForward,
  reshape,
  sequential,
} from '@webgrad/layers';
import { decode, encode, VOCABULARY } from './charlm-text.mjs';

export const ROWS = 28;

/**
 * The MNIST-rows classifier: [n, 28, 28] → LSTM(units) → dense(10, softmax). With `shift` > 0 each
 * training digit is first moved by up to `shift` pixels (randomTranslation works on images, so the rows
 * are an image for it and a sequence again after; it does nothing at prediction).
 */
export function buildRowsLstm({ units = 128, shift = 1, seed = 1 } = {}) {
  const augment =
    shift > 0
      ? [
          reshape({ targetShape: [ROWS, ROWS, 1], inputShape: [ROWS, ROWS] }),
          randomTranslation({ heightFactor: shift / ROWS }),
          reshape({ targetShape: [ROWS, ROWS] }),
        ]
      : [];
  return sequential(
    [
      ...augment,
      lstm({ units, ...(shift > 0 ? {} : { inputShape: [ROWS, ROWS] }) }),
      dense({ units: 10, activation: 'softmax' }),
    ],
    { name: 'mnist_lstm', seed },
  );
}

/**
 * The character-level language model over VOCABULARY: embedding(embeddingDim) → `depth` LSTMs (cell
 * 'LSTM') or GRUs ('GRU') of `units`, each returning its whole sequence → dense(vocabulary) logits at
 * every position. Returns the model and its layers (the sampler runs them step by step).
 */
export function buildCharLm({ cell = 'LSTM', depth = 2, units = 128, embeddingDim = 32, window = 32, seed = 1 } = {}) {
  if (cell !== 'LSTM' && cell !== 'GRU') throw new Error(`buildCharLm: cell ${cell}: expected 'LSTM' or 'GRU'`);
  const embed = embedding({ inputDim: VOCABULARY.length, outputDim: embeddingDim, inputShape: [window] });
  const recurrents = Array.from({ length: depth }, () =>
    (cell === 'LSTM' ? lstm : gru)({ units, returnSequences: true }),
  );
  const head = dense({ units: VOCABULARY.length });
  const model = sequential([embed, ...recurrents, head], { name: `charlm_${cell.toLowerCase()}`, seed });
  return { model, embed, recurrents, head };
}

/**
 * Draws `length` characters after `prompt` from the trained layers, on the device: the prompt runs
 * through the stack once, then each step feeds the drawn id back with the states the last step left.
 * Draw i uses the multinomial stream `stream + i`.
 */
export async function sample({ embed, recurrents, head, cell, prompt, length, temperature, seed, stream }) {
  const acts = { activation: getActivation('tanh'), recurrentActivation: getActivation('sigmoid') };
  // every position goes up the stack: the prompt's whole sequence feeds the layer above
  const spec = { cell, acts, returnSequences: true, goBackwards: false, resetAfter: true };
  const [embeddings] = embed.weights;
  const [denseKernel, denseBias] = head.weights;
  const step = (ids, states) => {
    let x = gather(embeddings, ids, 0);
    const next = recurrents.map((layer, l) => {
      const [kernel, recurrentKernel, bias] = layer.weights;
      const result = recurrentForward(spec, x, { kernel, recurrentKernel, bias }, { initialStates: states?.[l] });
      x = result.output;
      return result.states;
    });
    const [, steps, units] = x.shape;
    const last = reshapeTensor(slice(x, [0, steps - 1, 0], [1, 1, units]), [1, units]);
    return { states: next, logits: add(matmul(last, denseKernel), denseBias) };
  };
  let { states, logits } = tidy(() => step(tensor(encode(prompt), [1, prompt.length], 'int32')));
  const drawn = [];
  for (let i = 0; i < length; i++) {
    const id = multinomial(logits, 1, { seed, stream: stream + i, temperature });
    drawn.push(id);
    const previous = [logits, ...states.flat()];
    ({ states, logits } = tidy(() => step(id, states)));
    for (const t of previous) t.dispose();
  }
  const all = concat(drawn, 1);
  const ids = await all.data();
  for (const t of [all, logits, ...drawn, ...states.flat()]) t.dispose();
  return decode(ids);
}

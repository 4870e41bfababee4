// The character-level language model's text, browser-safe (no Node built-ins; the browser demo imports
// it, and charlm-data.mjs adds the reading of the installed files): the fortune files' names, the
// normalisation of their text to 96 characters (newline and printable ASCII), the fixed
// train/validation/test split by text position (each file's first 90%, next 5%, last 5%, so every part
// mixes the files' genres), training windows, and the two count models the LSTM is measured against —
// unigram and bigram character frequencies with add-one smoothing — with their perplexity on exactly
// the characters the network predicts. Plain typed arrays; callers make tensors.
import { uniformValues } from '@webgrad/core';

/** The package's prose files: its ASCII art, Perl one-liners and non-English file are left out. */
export const FORTUNE_FILES = [
  'computers', 'cookie', 'debian', 'definitions', 'disclaimer', 'drugs', 'education', 'ethnic', 'food',
  'fortunes', 'goedel', 'humorists', 'kids', 'knghtbrd', 'law', 'linux', 'linuxcookie', 'literature',
  'love', 'magic', 'medicine', 'men-women', 'miscellaneous', 'news', 'paradoxum', 'people', 'pets',
  'platitudes', 'politics', 'pratchett', 'riddles', 'science', 'songs-poems', 'sports', 'startrek', 'tao',
  'wisdom', 'work', 'zippy',
]; // prettier-ignore

/** Newline, then the 95 printable ASCII characters: the same 96 ids whatever the text. */
export const VOCABULARY = '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const idOf = new Map([...VOCABULARY].map((c, i) => [c, i]));

/**
 * A fortune file as plain text over VOCABULARY: overstruck characters (`_\bx`, the files' underlining)
 * keep the character struck last, tabs become spaces, runs of spaces one space, the `%` lines between
 * fortunes a blank line, and characters outside printable ASCII are dropped.
 */
export function normalizeFortunes(text) {
  // a backspace takes back the character before it
  const pieces = text.split('\b');
  return pieces
    .map((piece, i) => (i < pieces.length - 1 ? piece.slice(0, -1) : piece))
    .join('')
    .replace(/^%$/gm, '')
    .replace(/\t/g, ' ')
    .replace(/[^\n\x20-\x7e]/g, '')
    .replace(/ {2,}/g, ' ')
    .replace(/ +$/gm, '')
    .replace(/\n{3,}/g, '\n\n');
}

/** Text over VOCABULARY → int32 ids (a character outside it is an error, naming it and where). */
export function encode(text) {
  const ids = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const id = idOf.get(text[i]);
    if (id === undefined) {
      throw new Error(`charlm: character ${JSON.stringify(text[i])} at ${i} is outside the vocabulary`);
    }
    ids[i] = id;
  }
  return ids;
}

export const decode = (ids) => Array.from(ids, (id) => VOCABULARY[id]).join('');

/** [first 1 − validation − test, the next `validation`, the last `test`] of a text, cut by position. */
export function splitByPosition(text, { validation = 0.05, test = 0.05 } = {}) {
  const trainEnd = Math.round(text.length * (1 - validation - test));
  const validationEnd = Math.round(text.length * (1 - test));
  return [text.slice(0, trainEnd), text.slice(trainEnd, validationEnd), text.slice(validationEnd)];
}

/**
 * {train, validation, test} from the fortune files' raw texts (one string per file, in FORTUNE_FILES
 * order, each byte one character as latin1 reads it): each the ids of its part of every file.
 */
export function fortunesCorpus(texts) {
  const parts = [[], [], []];
  for (const text of texts) splitByPosition(normalizeFortunes(text)).forEach((part, k) => parts[k].push(part));
  const [train, validation, test] = parts.map((p) => encode(p.join('\n\n')));
  return { train, validation, test };
}

/**
 * Windows of `length` ids starting at `starts`: x the window, y the same shifted one on (the next
 * character at every position), each [starts.length · length].
 */
export function windows(ids, starts, length) {
  const x = new Int32Array(starts.length * length),
    y = new Int32Array(starts.length * length);
  starts.forEach((start, w) => {
    if (!(start >= 0 && start + length < ids.length)) {
      throw new Error(`charlm: a window of ${length} at ${start} needs ${start + length + 1} ids, have ${ids.length}`);
    }
    x.set(ids.subarray(start, start + length), w * length);
    y.set(ids.subarray(start + 1, start + length + 1), w * length);
  });
  return { x, y };
}

/** Back-to-back windows over a text: every character after the first predicted once (a ragged end left out). */
export const tiledStarts = (n, length) => Array.from({ length: Math.floor((n - 1) / length) }, (_, w) => w * length);

/** `count` window starts drawn uniformly from the text, seeded (stream: one per epoch). */
export function randomStarts(n, length, count, seed, stream) {
  return Array.from(uniformValues(count, seed, 0, n - length, stream), Math.floor);
}

/** Add-one unigram: p(c) = (count(c) + 1) / (N + V). Returns log p as a function of (previous, next). */
export function unigramModel(ids, vocabularySize) {
  const counts = new Float64Array(vocabularySize);
  for (const id of ids) counts[id]++;
  const total = ids.length + vocabularySize;
  const logP = Float64Array.from(counts, (c) => Math.log((c + 1) / total));
  return (_previous, next) => logP[next];
}

/** Add-one bigram: p(c | a) = (count(a c) + 1) / (count(a ·) + V), over the text's adjacent pairs. */
export function bigramModel(ids, vocabularySize) {
  const pairs = new Float64Array(vocabularySize * vocabularySize),
    from = new Float64Array(vocabularySize);
  for (let i = 1; i < ids.length; i++) {
    pairs[ids[i - 1] * vocabularySize + ids[i]]++;
    from[ids[i - 1]]++;
  }
  return (previous, next) =>
    Math.log((pairs[previous * vocabularySize + next] + 1) / (from[previous] + vocabularySize));
}

/** exp of the mean −log p over the characters windows at `starts` predict: ids[s + 1 … s + length]. */
export function countPerplexity(logP, ids, starts, length) {
  let nll = 0;
  for (const start of starts) {
    for (let i = start + 1; i <= start + length; i++) nll -= logP(ids[i - 1], ids[i]);
  }
  return Math.exp(nll / (starts.length * length));
}

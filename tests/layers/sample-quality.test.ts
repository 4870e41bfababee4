// The sample-quality figures against hand computations: the Fréchet distance of Gaussians in closed
// form (diagonal covariances; any 2×2 pair through tr√M = √(tr M + 2√det M); a rotated covariance
// against a multiple of the identity), from samples of known Gaussians, and the class scores of
// distributions whose confidence, class count, histogram entropy and Inception-style score are known.
import { expect } from 'chai';
import { normalValues } from '@webgrad/core';
import {
  classScores,
  featureMoments,
  frechetDistance,
  frechetDistanceOfMoments,
  symmetricEigen,
} from '@webgrad/layers';
import { expectClose } from '../helpers.js';

/** A d×d matrix of rows. */
const flat = (rows: number[][]) => rows.flat();

describe('sample quality: the Fréchet distance', () => {
  it('diagonal covariances: ‖μ₁ − μ₂‖² + Σ(σ₁ − σ₂)²', () => {
    const mu1 = [0.5, -1, 2, 0, 3];
    const mu2 = [1, 1, -0.5, 0.25, 3];
    const var1 = [1, 4, 0.25, 9, 2];
    const var2 = [4, 1, 1, 9, 0.5];
    const diag = (v: number[]) => v.flatMap((x, i) => v.map((_, j) => (i === j ? x : 0)));
    const expected =
      mu1.reduce((s, m, i) => s + (m - mu2[i]) ** 2, 0) +
      var1.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(var2[i])) ** 2, 0);
    expectClose([frechetDistanceOfMoments(mu1, diag(var1), mu2, diag(var2))], [expected], { rtol: 1e-12, atol: 1e-12 });
  });

  it('a 2×2 pair that does not commute: tr(Σ₁^½Σ₂Σ₁^½)^½ = √(tr Σ₁Σ₂ + 2√(det Σ₁ det Σ₂))', () => {
    const s1 = [
      [2, 1],
      [1, 2],
    ];
    const s2 = [
      [1, -0.3],
      [-0.3, 0.5],
    ];
    const trProduct = s1[0][0] * s2[0][0] + s1[0][1] * s2[1][0] + s1[1][0] * s2[0][1] + s1[1][1] * s2[1][1];
    const det = (m: number[][]) => m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const cross = Math.sqrt(trProduct + 2 * Math.sqrt(det(s1) * det(s2)));
    const expected = (1 - -1) ** 2 + (2 - 0.5) ** 2 + 4 + 1.5 - 2 * cross;
    const got = frechetDistanceOfMoments([1, 2], flat(s1), [-1, 0.5], flat(s2));
    expectClose([got], [expected], { rtol: 1e-12, atol: 1e-12 });
    // the distance is symmetric although its formula is not
    expectClose([frechetDistanceOfMoments([-1, 0.5], flat(s2), [1, 2], flat(s1))], [expected], {
      rtol: 1e-12,
      atol: 1e-12,
    });
  });

  it('a·I against R·diag(d)·Rᵀ (R a product of rotations): d·a + Σd − 2√a·Σ√d', () => {
    const size = 8;
    const a = 1.7;
    const d = [0.1, 0.5, 1, 2, 3, 4.5, 6, 9];
    // R = G(0,3)·G(1,5)·G(2,7)·G(4,6)·G(0,1): Givens rotations at fixed angles
    let r: number[][] = Array.from({ length: size }, (_, i) =>
      Array.from({ length: size }, (_, j) => (i === j ? 1 : 0)),
    );
    for (const [p, q, angle] of [
      [0, 3, 0.4],
      [1, 5, 1.1],
      [2, 7, -0.7],
      [4, 6, 2.0],
      [0, 1, 0.3],
    ]) {
      const g = r.map((row) => [...row]);
      for (let k = 0; k < size; k++) {
        g[k][p] = Math.cos(angle) * r[k][p] - Math.sin(angle) * r[k][q];
        g[k][q] = Math.sin(angle) * r[k][p] + Math.cos(angle) * r[k][q];
      }
      r = g;
    }
    const cov2 = Array.from({ length: size }, (_, i) =>
      Array.from({ length: size }, (_, j) => d.reduce((s, dk, k) => s + r[i][k] * dk * r[j][k], 0)),
    );
    const cov1 = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => (i === j ? a : 0)));
    const mu = new Array<number>(size).fill(0);
    const expected =
      size * a + d.reduce((s, x) => s + x, 0) - 2 * Math.sqrt(a) * d.reduce((s, x) => s + Math.sqrt(x), 0);
    expectClose([frechetDistanceOfMoments(mu, flat(cov1), mu, flat(cov2))], [expected], { rtol: 1e-10, atol: 1e-10 });
    // and the eigenvalues of R·diag(d)·Rᵀ are d
    const { values } = symmetricEigen(flat(cov2), size);
    expectClose(
      Array.from(values).sort((x, y) => x - y),
      d,
      { rtol: 1e-10, atol: 1e-12 },
    );
  });

  it('from samples: 20,000 draws of N(0, I₃) and of N(1, 4·I₃) give about 3·1² + 3·(2 − 1)² = 6', () => {
    const n = 20_000;
    const a = normalValues(3 * n, 11);
    const b = normalValues(3 * n, 12).map((v) => 1 + 2 * v);
    const got = frechetDistance(a, b, 3);
    // the estimate's spread at this n is ~0.05; 0.2 leaves room and still fails a factor or a square root wrong
    expect(got).to.be.within(5.8, 6.2);
    expect(frechetDistance(a, a, 3)).to.be.within(-1e-9, 1e-9);
  });

  it('featureMoments: the mean and the (n − 1) covariance of a hand example', () => {
    const { mean, cov } = featureMoments([1, 2, 3, 6, 5, 4], 2);
    expectClose(Array.from(mean), [3, 4], { rtol: 1e-12, atol: 1e-12 });
    // deviations (−2, −2), (0, 2), (2, 0): Σ = [[8, 4], [4, 8]] / 2
    expectClose(Array.from(cov), [4, 2, 2, 4], { rtol: 1e-12, atol: 1e-12 });
  });

  it('refuses features that are not whole rows, and moments of unequal sizes, naming the shapes', () => {
    expect(() => frechetDistance([1, 2, 3], [1, 2, 3, 4], 2)).to.throw(
      'featureMoments: 3 values are not at least 2 rows of 2; expected [samples, 2]',
    );
    expect(() => frechetDistanceOfMoments([0, 0], [1, 0, 0, 1], [0], [1])).to.throw(
      'frechetDistance: means of 2 and 1 and covariances of 4 and 1 values',
    );
  });
});

describe('sample quality: the class scores', () => {
  it('one confident digit of each class, 100 each: confidence 1, 10 classes, entropy ln 10, score 10', () => {
    const probabilities = new Float64Array(1000 * 10);
    for (let i = 0; i < 1000; i++) probabilities[i * 10 + (i % 10)] = 1;
    const s = classScores(probabilities, 10);
    expect(s.classesPresent).to.equal(10);
    expectClose([s.meanConfidence, s.classEntropy, s.classifierScore], [1, Math.log(10), 10], {
      rtol: 1e-12,
      atol: 1e-12,
    });
  });

  it('mode collapse, every sample 70% a "3": confidence 0.7, one class, entropy 0, score 1', () => {
    const row = [0, 0, 0, 0.7, 0.3 / 9, 0.3 / 9, 0.3 / 9, 0.3 / 9, 0.3 / 9, 0.3 / 9 + 0.3 / 9 + 0.3 / 9 + 0.3 / 9];
    const probabilities = Array.from({ length: 50 }, () => row).flat();
    const s = classScores(probabilities, 10);
    expect(s.classesPresent).to.equal(1);
    expectClose([s.meanConfidence, s.classEntropy, s.classifierScore], [0.7, 0, 1], { rtol: 1e-12, atol: 1e-12 });
  });

  it('two samples, [0.9, 0.1] and [0.2, 0.8]: the score is exp of the mean KL to the marginal [0.55, 0.45]', () => {
    const kl1 = 0.9 * Math.log(0.9 / 0.55) + 0.1 * Math.log(0.1 / 0.45);
    const kl2 = 0.2 * Math.log(0.2 / 0.55) + 0.8 * Math.log(0.8 / 0.45);
    const s = classScores([0.9, 0.1, 0.2, 0.8], 2);
    expect(s.classesPresent).to.equal(2);
    expectClose([s.meanConfidence, s.classEntropy, s.classifierScore], [0.85, Math.log(2), Math.exp((kl1 + kl2) / 2)], {
      rtol: 1e-12,
      atol: 1e-12,
    });
  });
});

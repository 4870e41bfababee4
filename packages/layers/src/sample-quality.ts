// Sample quality measured, not eyeballed: figures a generative model's samples get from a fixed
// classifier. From its class probabilities, the classifier score (Salimans et al.'s Inception Score
// with a digit classifier in Inception's place) and the plainer parts the issue asks for: the mean
// top-class confidence, how many classes occur, and the entropy of the predicted-class histogram (mode
// collapse shows in the last two). From its penultimate features, the Fréchet distance between
// generated and real samples (Heusel et al.'s FID with the same substitution). Plain float64
// arithmetic on read-back arrays: a few thousand samples' statistics, done once per evaluation.

export interface ClassScores {
  /** Mean over samples of the largest class probability. */
  readonly meanConfidence: number;
  /** Distinct predicted (argmax) classes. */
  readonly classesPresent: number;
  /** Entropy in nats of the predicted-class histogram (ln(classes) when every class is predicted equally often). */
  readonly classEntropy: number;
  /** exp(mean_x KL(p(y|x) ‖ p(y))): from 1 (all alike or all unsure) to the number of classes. */
  readonly classifierScore: number;
}

function checkRows(op: string, values: ArrayLike<number>, width: number): number {
  const rows = values.length / width;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(rows) || rows < 2) {
    throw new Error(`${op}: ${values.length} values are not at least 2 rows of ${width}; expected [samples, ${width}]`);
  }
  return rows;
}

/** The scores of class probabilities `probabilities` ([samples, classes], rows summing to 1). */
export function classScores(probabilities: ArrayLike<number>, classes: number): ClassScores {
  const n = checkRows('classScores', probabilities, classes);
  const marginal = new Float64Array(classes);
  const counts = new Float64Array(classes);
  let confidence = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const p = probabilities[i * classes + c];
      marginal[c] += p / n;
      if (p > probabilities[i * classes + best]) best = c;
    }
    confidence += probabilities[i * classes + best] / n;
    counts[best]++;
  }
  let klSum = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) {
      const p = probabilities[i * classes + c];
      if (p > 0) klSum += p * Math.log(p / marginal[c]);
    }
  }
  const entropy = counts.reduce((h, k) => (k > 0 ? h - (k / n) * Math.log(k / n) : h), 0);
  return {
    meanConfidence: confidence,
    classesPresent: counts.filter((k) => k > 0).length,
    classEntropy: entropy,
    classifierScore: Math.exp(klSum / n),
  };
}

/** Mean and covariance (divided by n − 1) of `features` ([samples, width]). */
export function featureMoments(features: ArrayLike<number>, width: number): { mean: Float64Array; cov: Float64Array } {
  const n = checkRows('featureMoments', features, width);
  const mean = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) mean[j] += features[i * width + j] / n;
  const cov = new Float64Array(width * width);
  const centred = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) centred[j] = features[i * width + j] - mean[j];
    for (let j = 0; j < width; j++) {
      for (let k = j; k < width; k++) cov[j * width + k] += centred[j] * centred[k];
    }
  }
  for (let j = 0; j < width; j++) {
    for (let k = j; k < width; k++) {
      cov[j * width + k] /= n - 1;
      cov[k * width + j] = cov[j * width + k];
    }
  }
  return { mean, cov };
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi
 * rotations: slow for large matrices, but accurate to float64 and short.
 */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  size: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(size * size);
  for (let i = 0; i < size; i++) v[i * size + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    let diagonal = 0;
    for (let p = 0; p < size; p++) {
      diagonal += a[p * size + p] ** 2;
      for (let q = p + 1; q < size; q++) off += a[p * size + q] ** 2;
    }
    if (off <= 1e-30 * diagonal || off === 0) break;
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q];
        if (apq === 0) continue;
        // the rotation that zeroes a[p][q]: tan of its angle is the smaller root of t² + 2θt − 1
        const theta = (a[q * size + q] - a[p * size + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < size; k++) {
          const akp = a[k * size + p];
          const akq = a[k * size + q];
          a[k * size + p] = c * akp - s * akq;
          a[k * size + q] = s * akp + c * akq;
        }
        for (let k = 0; k < size; k++) {
          const apk = a[p * size + k];
          const aqk = a[q * size + k];
          a[p * size + k] = c * apk - s * aqk;
          a[q * size + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < size; k++) {
          const vkp = v[k * size + p];
          const vkq = v[k * size + q];
          v[k * size + p] = c * vkp - s * vkq;
          v[k * size + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: size }, (_, i) => a[i * size + i]), vectors: v };
}

/** The PSD square root V·diag(√max(λ, 0))·Vᵀ of a symmetric matrix. */
function sqrtPsd(matrix: ArrayLike<number>, size: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, size);
  const root = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = i; j < size; j++) {
      let sum = 0;
      for (let k = 0; k < size; k++) {
        sum += vectors[i * size + k] * Math.sqrt(Math.max(values[k], 0)) * vectors[j * size + k];
      }
      root[i * size + j] = sum;
      root[j * size + i] = sum;
    }
  }
  return root;
}

function matmulSquare(a: ArrayLike<number>, b: ArrayLike<number>, size: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < size; k++) {
      const aik = a[i * size + k];
      for (let j = 0; j < size; j++) out[i * size + j] += aik * b[k * size + j];
    }
  }
  return out;
}

/**
 * The Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂): ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½).
 * The symmetric form of the cross term, so one eigendecomposition each gives it exactly.
 */
export function frechetDistanceOfMoments(
  mean1: ArrayLike<number>,
  cov1: ArrayLike<number>,
  mean2: ArrayLike<number>,
  cov2: ArrayLike<number>,
): number {
  const size = mean1.length;
  if (mean2.length !== size || cov1.length !== size * size || cov2.length !== size * size) {
    throw new Error(
      `frechetDistance: means of ${mean1.length} and ${mean2.length} and covariances of ${cov1.length} and ` +
        `${cov2.length} values; expected two means of one size d and two d×d covariances`,
    );
  }
  let distance = 0;
  for (let i = 0; i < size; i++) distance += (mean1[i] - mean2[i]) ** 2 + cov1[i * size + i] + cov2[i * size + i];
  const root1 = sqrtPsd(cov1, size);
  const cross = matmulSquare(matmulSquare(root1, cov2, size), root1, size);
  const { values } = symmetricEigen(cross, size);
  return distance - 2 * values.reduce((sum, lambda) => sum + Math.sqrt(Math.max(lambda, 0)), 0);
}

/** The Fréchet distance between the Gaussians fitted to two sets of features ([samples, width] each). */
export function frechetDistance(features1: ArrayLike<number>, features2: ArrayLike<number>, width: number): number {
  const a = featureMoments(features1, width);
  const b = featureMoments(features2, width);
  return frechetDistanceOfMoments(a.mean, a.cov, b.mean, b.cov);
}

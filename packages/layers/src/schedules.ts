// Learning-rate schedules: pure functions of the optimizer step k (0-based), usable anywhere a rate
// is. Each carries its config so a model can be saved with it.

export interface Schedule {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  (step: number): number;
}

export type LearningRate = number | Schedule;

// A function's `name` is read-only to assignment but configurable, so define it.
const schedule = (name: string, config: Record<string, unknown>, fn: (step: number) => number): Schedule =>
  Object.defineProperties((step: number) => fn(step), { name: { value: name }, config: { value: config } }) as Schedule;

const positive = (name: string, key: string, value: number) => {
  if (!(value > 0)) throw new Error(`${name}: ${key} must be > 0, got ${value}`);
};

/** rate(k) = values[i] for boundaries[i-1] < k <= boundaries[i] (Keras PiecewiseConstantDecay). */
export function piecewiseConstant({ boundaries, values }: { boundaries: number[]; values: number[] }): Schedule {
  if (values.length !== boundaries.length + 1) {
    throw new Error(
      `piecewiseConstant: expected ${boundaries.length + 1} values for ${boundaries.length} boundaries, got ${values.length}`,
    );
  }
  return schedule('piecewiseConstant', { boundaries, values }, (k) => {
    const i = boundaries.findIndex((b) => k <= b);
    return values[i < 0 ? boundaries.length : i];
  });
}

/** rate(k) = ε0 · r^(k / T), or r^floor(k / T) when staircase. */
export function exponentialDecay({
  initialLearningRate,
  decaySteps,
  decayRate,
  staircase = false,
}: {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}): Schedule {
  positive('exponentialDecay', 'decaySteps', decaySteps);
  return schedule('exponentialDecay', { initialLearningRate, decaySteps, decayRate, staircase }, (k) => {
    const p = k / decaySteps;
    return initialLearningRate * decayRate ** (staircase ? Math.floor(p) : p);
  });
}

/** rate(k) = (ε0 - εend)(1 - min(k, T)/T)^power + εend. */
export function polynomialDecay({
  initialLearningRate,
  decaySteps,
  endLearningRate = 1e-4,
  power = 1,
}: {
  initialLearningRate: number;
  decaySteps: number;
  endLearningRate?: number;
  power?: number;
}): Schedule {
  positive('polynomialDecay', 'decaySteps', decaySteps);
  return schedule(
    'polynomialDecay',
    { initialLearningRate, decaySteps, endLearningRate, power },
    (k) =>
      (initialLearningRate - endLearningRate) * (1 - Math.min(k, decaySteps) / decaySteps) ** power + endLearningRate,
  );
}

/** The course's linear decay: ε_k = (1 - α)ε0 + α ετ with α = k/τ until step τ, then ετ. */
export function linearDecay({
  initialLearningRate,
  finalLearningRate,
  decaySteps,
}: {
  initialLearningRate: number;
  finalLearningRate: number;
  decaySteps: number;
}): Schedule {
  positive('linearDecay', 'decaySteps', decaySteps);
  return schedule('linearDecay', { initialLearningRate, finalLearningRate, decaySteps }, (k) => {
    const alpha = Math.min(k / decaySteps, 1);
    return (1 - alpha) * initialLearningRate + alpha * finalLearningRate;
  });
}

/** rate(k) = ε0 · ((1 - a) · ½(1 + cos(π · min(k, T)/T)) + a) (Keras CosineDecay, alpha = a). */
export function cosineDecay({
  initialLearningRate,
  decaySteps,
  alpha = 0,
}: {
  initialLearningRate: number;
  decaySteps: number;
  alpha?: number;
}): Schedule {
  positive('cosineDecay', 'decaySteps', decaySteps);
  return schedule('cosineDecay', { initialLearningRate, decaySteps, alpha }, (k) => {
    const cosine = 0.5 * (1 + Math.cos((Math.PI * Math.min(k, decaySteps)) / decaySteps));
    return initialLearningRate * ((1 - alpha) * cosine + alpha);
  });
}

export const scheduleFactories = {
  piecewiseConstant,
  exponentialDecay,
  polynomialDecay,
  linearDecay,
  cosineDecay,
} as const;

/** The rate at optimizer step k, whether a constant or a schedule. */
export const rateAt = (rate: LearningRate, step: number): number => (typeof rate === 'number' ? rate : rate(step));

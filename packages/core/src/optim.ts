// Optimizers' state logic: Variables (tensors an optimizer may update in place), the per-parameter
// state each rule keeps, the step counter, learning-rate schedules, clipping by norm, and one fused
// backend update per parameter. The update rules themselves live in the backends' optimizerStep
// (shaders/optim/optimizer_step.wgsl).
import { OPTIMIZER_KINDS, OPTIMIZER_STATE_COUNT, type OptimizerHyper, type OptimizerKind } from './backend.js';
import { fmt, sameShape } from './dtype.js';
import { keep, makeTensor, tidy } from './engine.js';
import { zerosLike } from './ops/creation.js';
import { add, mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { Tensor } from './tensor.js';

/** A Tensor whose storage an optimizer updates in place. Never freed by tidy; dispose it yourself. */
export class Variable extends Tensor {
  trainable = true;
  name = '';

  /** Overwrites this variable's values with value's (same shape, dtype and backend). */
  assign(value: Tensor): void {
    if (!sameShape(value.shape, this.shape) || value.dtype !== this.dtype || value.backend !== this.backend) {
      throw new Error(
        `assign: value (shape ${fmt(value.shape)}, ${value.dtype}, ${value.backend.name}) does not fit variable ` +
          `${this.name || `#${this.id}`} (shape ${fmt(this.shape)}, ${this.dtype}, ${this.backend.name})`,
      );
    }
    // a value that is this variable's own storage (setWeights(model.weights)) already holds it; a copy
    // onto itself would read and write one GPU buffer in one pass, which WebGPU refuses
    if (value.ref.storage === this.ref.storage) return;
    this.backend.assign(this.info('assign'), value.info('assign'));
  }
}

/** A Variable holding x's values (x itself is left as it is). */
export function variable(
  x: Tensor,
  { name = '', trainable = true }: { name?: string; trainable?: boolean } = {},
): Variable {
  const copy = tidy(() => add(x, 0)); // a fresh storage, so updates never show through x
  copy.ref.refs++;
  const v = new Variable(copy.shape, copy.dtype, copy.backend, copy.ref);
  copy.dispose();
  v.name = name;
  v.trainable = trainable;
  return v;
}

export interface OptimizerOptions {
  /** ε: a number or a schedule of the step (0-based). */
  learningRate?: number | ((step: number) => number);
  /** α, for momentum and Nesterov. */
  momentum?: number;
  /** ρ, RMSProp's decay. */
  rho?: number;
  /** ρ1, ρ2: Adam's decays. */
  beta1?: number;
  beta2?: number;
  /** δ, the small constant in the denominators. */
  epsilon?: number;
  /** λ: L2 added to the gradient (AdamW: decoupled decay). */
  weightDecay?: number;
  /** Clip each gradient element to ±clipValue. */
  clipValue?: number;
  /** Rescale each gradient whose L2 norm exceeds clipNorm. */
  clipNorm?: number;
  /** Rescale all gradients together when their global L2 norm exceeds globalClipNorm. */
  globalClipNorm?: number;
}

const DEFAULTS: Required<Omit<OptimizerOptions, 'clipNorm' | 'globalClipNorm'>> = {
  learningRate: 0.01,
  momentum: 0,
  rho: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  weightDecay: 0,
  clipValue: 0,
};

const sumOfSquares = (g: Tensor) => sum(mul(g, g));

/** Each hyperparameter in its range, so a NaN or a typo fails here rather than as NaN weights later. */
function checkOptions(kind: string, o: OptimizerOptions): void {
  const inRange = (name: keyof OptimizerOptions, ok: (v: number) => boolean, range: string) => {
    const v = o[name];
    if (v !== undefined && typeof v !== 'function' && !(typeof v === 'number' && ok(v))) {
      throw new Error(`optimizer ${kind}: ${name} must be ${range}, got ${String(v)}`);
    }
  };
  const finite = Number.isFinite;
  inRange('learningRate', (v) => finite(v) && v >= 0, 'a finite number >= 0 (or a schedule)');
  for (const name of ['momentum', 'rho', 'beta1', 'beta2'] as const) inRange(name, (v) => v >= 0 && v < 1, 'in [0, 1)');
  inRange('epsilon', (v) => finite(v) && v >= 0, 'a finite number >= 0');
  inRange('weightDecay', (v) => finite(v) && v >= 0, 'a finite number >= 0');
  inRange('clipValue', (v) => v >= 0, '>= 0 (0: off)');
  for (const name of ['clipNorm', 'globalClipNorm'] as const) inRange(name, (v) => v > 0, '> 0');
}

export class Optimizer {
  /** Steps taken so far: t − 1 for Adam's bias correction, k for schedules. */
  iterations = 0;
  /** ε, a number or a schedule of the step; settable (learning-rate schedulers change it). */
  learningRate: number | ((step: number) => number);
  readonly options: Readonly<OptimizerOptions>;
  private readonly state = new Map<Variable, Tensor[]>();

  constructor(
    readonly kind: OptimizerKind,
    options: OptimizerOptions = {},
  ) {
    if (!OPTIMIZER_KINDS.includes(kind)) {
      throw new Error(`optimizer: unknown kind '${kind}'; expected one of ${OPTIMIZER_KINDS.join(', ')}`);
    }
    if (options.clipNorm !== undefined && options.globalClipNorm !== undefined) {
      throw new Error('optimizer: give clipNorm or globalClipNorm, not both');
    }
    checkOptions(kind, options);
    this.options = { ...DEFAULTS, ...options };
    this.learningRate = this.options.learningRate!;
  }

  /** The learning rate the next step uses. */
  currentLearningRate(): number {
    return typeof this.learningRate === 'number' ? this.learningRate : this.learningRate(this.iterations);
  }

  /** One update of every variable from its gradient, all on the device. */
  applyGradients(variables: readonly Variable[], grads: readonly Tensor[]): void {
    if (variables.length !== grads.length) {
      throw new Error(`applyGradients: ${variables.length} variables but ${grads.length} gradients`);
    }
    variables.forEach((v, i) => {
      const g = grads[i];
      if (!((v as unknown) instanceof Variable)) {
        throw new Error(
          `applyGradients: parameter ${i} (shape ${fmt((v as Tensor).shape)}) is not a Variable; make one with variable(t)`,
        );
      }
      if (g.ref === v.ref) {
        throw new Error(
          `applyGradients: gradient ${i} shares variable ${v.name || i}'s storage; an in-place update cannot read and write one buffer`,
        );
      }
      if (!sameShape(v.shape, g.shape) || g.backend !== v.backend || v.dtype !== 'float32') {
        throw new Error(
          `applyGradients: gradient ${i} (shape ${fmt(g.shape)}, ${g.dtype}, ${g.backend.name}) does not fit variable ` +
            `${v.name || i} (shape ${fmt(v.shape)}, ${v.dtype}, ${v.backend.name})`,
        );
      }
    });
    const o = this.options,
      t = this.iterations + 1;
    const hyper: OptimizerHyper = {
      learningRate: this.currentLearningRate(),
      momentum: o.momentum!,
      rho: o.rho!,
      beta1: o.beta1!,
      beta2: o.beta2!,
      epsilon: o.epsilon!,
      weightDecay: o.weightDecay!,
      clipValue: o.clipValue!,
      bias1: 1 / (1 - o.beta1! ** t),
      bias2: 1 / (1 - o.beta2! ** t),
    };
    tidy(() => {
      const clip = (ss: Tensor, c: number) =>
        makeTensor(ss.backend.clipScale(ss.info('clipScale'), c), [1], 'float32', ss.backend);
      const globalScale =
        o.globalClipNorm !== undefined && grads.length
          ? clip(
              grads.map(sumOfSquares).reduce((a, b) => add(a, b)),
              o.globalClipNorm,
            )
          : undefined;
      variables.forEach((v, i) => {
        const scale = o.clipNorm !== undefined ? clip(sumOfSquares(grads[i]), o.clipNorm) : globalScale;
        v.backend.optimizerStep(
          this.kind,
          v.info('applyGradients'),
          grads[i].info('applyGradients'),
          this.stateOf(v).map((s) => s.info('applyGradients')),
          hyper,
          scale?.info('applyGradients'),
        );
      });
    });
    this.iterations++;
  }

  private stateOf(v: Variable): Tensor[] {
    let s = this.state.get(v);
    if (!s) {
      s = Array.from({ length: OPTIMIZER_STATE_COUNT[this.kind] }, () => keep(zerosLike(v)));
      this.state.set(v, s);
    }
    return s;
  }

  /** The state tensors of each variable, in the order given (for saving a training run). */
  getState(variables: readonly Variable[]): Tensor[][] {
    return variables.map((v) => this.stateOf(v));
  }

  dispose(): void {
    for (const s of this.state.values()) s.forEach((t) => t.dispose());
    this.state.clear();
  }
}

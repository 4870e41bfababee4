// Debug modes, each free when off (the engine pays one null check per op):
// - watchTensors(): remembers which op made each tensor from now on, and lists those still alive, so
//   a leak after a tidy or a training step names the op that made it;
// - checkNumerics(true): after every float op, a flag is computed on the device (min of isFinite over
//   the output) and kept; takeNumericsFinding() reads all the flags of a step with one readback and
//   names the first op whose output held NaN or Infinity.
import { fmt, type Shape } from './dtype.js';
import { engineHooks, keep, tidy, withBackend } from './engine.js';
import { isFinite } from './ops/elementwise.js';
import { concat, reshape } from './ops/movement.js';
import { min } from './ops/reduce.js';
import { Tensor } from './tensor.js';

type Observer = (t: Tensor, madeBy: string) => void;
const observers = new Set<Observer>();
function updateHook(): void {
  engineHooks.observe = observers.size
    ? (t, madeBy) => {
        for (const o of observers) o(t, madeBy);
      }
    : null;
}

/** Whether any debug mode has a hook on the op path (none do by default: then ops pay nothing). */
export const debugHooksActive = (): boolean => engineHooks.observe !== null;

// ---- leaks ---------------------------------------------------------------------------------------

export interface LiveTensor {
  readonly id: number;
  readonly madeBy: string;
  readonly shape: Shape;
  readonly dtype: string;
}

export interface TensorWatch {
  /** Tensors made since the watch started that are not yet disposed, oldest first. */
  alive(): LiveTensor[];
  /** One line per live tensor: `#12 matmul [32,10] float32`. */
  report(): string;
  stop(): void;
}

/** Starts recording the op that makes each tensor; `alive()` lists those still alive (leaks). */
export function watchTensors(): TensorWatch {
  // WeakRefs: the watch itself must not keep a leaked tensor's JS object alive
  const made = new Map<number, { ref: WeakRef<Tensor>; madeBy: string; shape: Shape; dtype: string }>();
  const observer: Observer = (t, madeBy) => {
    made.set(t.id, { ref: new WeakRef(t), madeBy, shape: t.shape, dtype: t.dtype });
  };
  observers.add(observer);
  updateHook();
  const alive = (): LiveTensor[] => {
    const out: LiveTensor[] = [];
    for (const [id, m] of made) {
      const t = m.ref.deref();
      if (t && !t.isDisposed) out.push({ id, madeBy: m.madeBy, shape: m.shape, dtype: m.dtype });
      else made.delete(id);
    }
    return out;
  };
  return {
    alive,
    report: () =>
      alive()
        .map((t) => `#${t.id} ${t.madeBy} ${fmt(t.shape)} ${t.dtype}`)
        .join('\n'),
    stop: () => {
      observers.delete(observer);
      updateHook();
    },
  };
}

// ---- numerics ------------------------------------------------------------------------------------

export interface NumericsFinding {
  /** The first op, in the order ops ran, whose output held NaN or ±Infinity. */
  readonly op: string;
  readonly shape: Shape;
  /** Its position among the ops checked since the last read (0-based). */
  readonly index: number;
  readonly message: string;
}

/** An error naming the op whose output first held NaN or Infinity. */
export class NonFiniteError extends Error {
  constructor(
    readonly finding: NumericsFinding,
    context = '',
  ) {
    super(`${context}${finding.message}`);
    this.name = 'NonFiniteError';
  }
}

// Flags of the ops since the last read: 1 where the output was all finite, on the output's backend.
let pending: { flag: Tensor; op: string; shape: Shape }[] = [];
let checking = false; // the check's own ops are not checked
// Flags wait on the device until read; past this many unread, ops go unchecked (and we say so once).
const MAX_PENDING = 100_000;
let warnedFull = false;
const numericsObserver: Observer = (t, madeBy) => {
  if (checking || t.dtype !== 'float32' || t.size === 0) return;
  if (pending.length >= MAX_PENDING) {
    if (!warnedFull) {
      (globalThis as { console?: { warn(line: string): void } }).console?.warn(
        `checkNumerics: ${MAX_PENDING} ops checked and never read; ` +
          `later ops go unchecked until takeNumericsFinding() is called (fit calls it once per step)`,
      );
    }
    warnedFull = true;
    return;
  }
  checking = true;
  try {
    pending.push({
      flag: keep(withBackend(t.backend, () => tidy(() => min(isFinite(t))))),
      op: madeBy,
      shape: t.shape,
    });
  } finally {
    checking = false;
  }
};

/** Turns the check-numerics mode on or off. Off, it costs nothing; on, two small kernels per op. */
export function checkNumerics(on: boolean): void {
  if (on) observers.add(numericsObserver);
  else {
    observers.delete(numericsObserver);
    for (const p of pending) p.flag.dispose();
    pending = [];
  }
  updateHook();
}

export const checkingNumerics = (): boolean => observers.has(numericsObserver);

/**
 * Reads the flags of every op checked since the last call, with one readback per backend, and
 * forgets them; resolves with the first op whose output was not all finite, or null.
 */
export async function takeNumericsFinding(): Promise<NumericsFinding | null> {
  const taken = pending;
  pending = [];
  warnedFull = false;
  if (!taken.length) return null;
  const firstBad = new Map<number, number>();
  try {
    checking = true;
    const byBackend = new Map<Tensor['backend'], number[]>();
    taken.forEach((p, i) => {
      const list = byBackend.get(p.flag.backend) ?? [];
      list.push(i);
      byBackend.set(p.flag.backend, list);
    });
    const joined = [...byBackend].map(([backend, indices]) => ({
      indices,
      all: keep(
        withBackend(backend, () =>
          tidy(() =>
            concat(
              indices.map((i) => reshape(taken[i].flag, [1])),
              0,
            ),
          ),
        ),
      ),
    }));
    checking = false;
    for (const { indices, all } of joined) {
      const flags = await all.data();
      all.dispose();
      const bad = flags.findIndex((f) => f !== 1);
      if (bad >= 0) firstBad.set(indices[bad], 1);
    }
  } finally {
    checking = false;
    for (const p of taken) p.flag.dispose();
  }
  if (!firstBad.size) return null;
  const index = Math.min(...firstBad.keys());
  const { op, shape } = taken[index];
  return {
    op,
    shape,
    index,
    message:
      `op '${op}' (output shape ${fmt(shape)}) produced NaN or Infinity; ` +
      `it is the first of the ${taken.length} ops checked since the last read to do so`,
  };
}

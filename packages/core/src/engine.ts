// The engine: which backend runs new tensors, the tidy scopes that free intermediates, and `runOp`,
// the single path every op takes (validate -> kernel -> Tensor -> tape).
import type { Backend, Storage, TensorInfo } from './backend.js';
import { fmt, sizeOf, type DType, type Shape } from './dtype.js';
import { liveCounts, newStorageRef, Tensor } from './tensor.js';

// ---- backends ------------------------------------------------------------------------------------

type BackendFactory = () => Backend | Promise<Backend>;
const factories = new Map<string, BackendFactory>();
const instances = new Map<string, Backend>();
let current: Backend | null = null;

/** Makes a backend available to `setBackend(name)`; it is created on first use. */
export function registerBackend(name: string, factory: BackendFactory): void {
  factories.set(name, factory);
}

/** Selects (and on first use initialises) the backend that new tensors are created on. */
export async function setBackend(name: string): Promise<Backend> {
  let instance = instances.get(name);
  if (!instance) {
    const factory = factories.get(name);
    if (!factory) {
      const hint = name === 'webgpu' ? " (import '@webgrad/webgpu' first: importing it registers the backend)" : '';
      throw new Error(`setBackend: unknown backend '${name}'${hint}; registered: ${[...factories.keys()].join(', ')}`);
    }
    instance = await factory();
    instances.set(name, instance);
  }
  current = instance;
  return instance;
}

/**
 * Drops an initialised backend (after its device was lost), so the next setBackend(name) makes a new
 * one. Tensors on the old backend stay unusable; restore a model from a checkpoint instead.
 */
export function forgetBackend(name: string): void {
  const instance = instances.get(name);
  instances.delete(name);
  if (current && current === instance) current = null;
}

/** The name of the backend new tensors are created on ('cpu' until setBackend is called). */
export function getBackend(): string {
  return currentBackend().name;
}

/** The backend instance new tensors are created on. */
export function currentBackend(): Backend {
  if (!current) {
    current = findBackend('cpu') ?? null;
    if (!current) throw new Error('no backend registered');
  }
  return current;
}

export interface MemoryInfo {
  /** Tensors not yet disposed (views included). */
  readonly tensors: number;
  /** Distinct storages they hold, and those storages' bytes (4 an element). */
  readonly storages: number;
  readonly bytes: number;
  /** What the current backend has allocated, where it keeps count (the WebGPU buffer pool). */
  readonly backend?: {
    readonly buffers: number;
    readonly bytes: number;
    readonly pooledBytes: number;
    readonly created?: number;
  };
}

/** Live tensors and memory, to find leaks: after warm-up a training step should leave these unchanged. */
export function memory(): MemoryInfo {
  return { ...liveCounts(), backend: currentBackend().memory?.() };
}

/** An initialised backend by name (a backend with a synchronous factory is created on demand). */
export function findBackend(name: string): Backend | undefined {
  let instance = instances.get(name);
  const made = instance ? undefined : factories.get(name)?.();
  if (made && !(made instanceof Promise)) instances.set(name, (instance = made));
  return instance;
}

/** Runs fn with `backend` as the current backend, then restores the previous one. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const previous = current;
  current = backend;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

// ---- memory: tidy scopes -------------------------------------------------------------------------

const scopes: Set<Tensor>[] = [];

/**
 * Hooks for debug.ts and scope.ts, null when unused so ops pay one check: `observe` sees every tensor
 * made (with the op that made it), `asyncScope` gives the tidyAsync scope of the running async task.
 */
export const engineHooks: {
  observe: ((t: Tensor, madeBy: string) => void) | null;
  asyncScope: (() => Set<Tensor> | undefined) | null;
} = { observe: null, asyncScope: null };

/** Whether a synchronous tidy is open (tidyAsync cannot start inside one). */
export const insideTidy = (): boolean => scopes.length > 0;

function track(t: Tensor): Tensor {
  if (scopes.length) scopes[scopes.length - 1].add(t);
  else engineHooks.asyncScope?.()?.add(t);
  return t;
}

/** Exempts a tensor from the enclosing tidy scopes: the caller now owns it. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  engineHooks.asyncScope?.()?.delete(t);
  return t;
}

export type TensorContainer =
  Tensor | TensorContainer[] | { [key: string]: TensorContainer } | number | string | boolean | null | undefined | void;

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectTensors(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectTensors(v, into));
}

/**
 * Runs fn and disposes every tensor it created except those it returns (in arrays or objects too),
 * which move to the enclosing scope. fn must be synchronous: a scope cannot follow an await.
 */
export function tidy<T extends TensorContainer>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      throw new Error(
        'tidy: fn returned a Promise; tidy only wraps synchronous code (tensors made after an await would escape it)',
      );
    }
  } finally {
    scopes.pop();
  }
  const kept = new Set<Tensor>();
  collectTensors(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  for (const t of kept) track(t);
  return result;
}

// ---- ops -----------------------------------------------------------------------------------------

export interface OutputSpec {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Gradient thunks, one per input (null where no gradient flows): computed only when needed. */
export type GradRule<A> = (
  dy: Tensor,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: A,
) => ReadonlyArray<(() => Tensor) | null>;

/** One op: its shape/dtype rule, its kernel on a backend, and its backward rule written with ops. */
export interface OpDef<A = undefined> {
  readonly name: string;
  /** Checks the inputs and returns the result's shape and dtype; errors name the op and shapes. */
  readonly infer: (inputs: readonly Tensor[], attrs: A) => OutputSpec;
  readonly kernel: (backend: Backend, inputs: readonly TensorInfo[], attrs: A, out: OutputSpec) => Storage;
  /** Gradients may come back in the output's (broadcast) shape: the tape sums them to the input's. */
  readonly grad: GradRule<A> | 'nonDifferentiable';
  /** The result shares input 0's storage (reshape): no kernel runs. */
  readonly view?: boolean;
}

/**
 * A node of the autodiff tape: an op applied to inputs, giving output. It holds its own views of the
 * tensors it saves, so an inner tidy (or a user's dispose) cannot free what the backward pass needs.
 * The tape holds ops of every attrs type: OpDef is contravariant in A, so each OpDef<A> is an
 * OpDef<never>, and `attrs` is the value runOp received with that op, which backward passes back as never.
 */
export interface TapeNode {
  readonly op: OpDef<never>;
  readonly attrs: unknown;
  readonly inputIds: readonly number[];
  readonly inputs: readonly Tensor[];
  readonly outputId: number;
  readonly output: Tensor;
}

/**
 * A tape records the ops that touch tensors it watches (by id). Stacked, so grad can nest. A tape that
 * records all (trace.ts's graph view) takes every op, constants and non-differentiable ones too.
 */
export class Tape {
  readonly nodes: TapeNode[] = [];
  readonly watched = new Set<number>();
  constructor(readonly recordsAll = false) {}
  private readonly saved: Tensor[] = [];

  /**
   * A second handle on t's storage, owned by the tape and freed by `release`. It keeps t's id: the
   * backward pass computes from these handles, and an enclosing tape (a gradient of a gradient) must
   * see those ops as ops on t itself, or the second derivative silently comes out zero.
   */
  save(t: Tensor): Tensor {
    t.ref.refs++;
    const view = new Tensor(t.shape, t.dtype, t.backend, t.ref);
    Object.defineProperty(view, 'id', { value: t.id });
    this.saved.push(view);
    return view;
  }

  release(): void {
    for (const t of this.saved) t.dispose();
  }
}
export const tapes: Tape[] = [];

/** Wraps freshly made storage as a tensor on `backend`, owned by the current tidy scope. */
export function makeTensor(
  storage: Storage,
  shape: Shape,
  dtype: DType,
  backend: Backend = currentBackend(),
  madeBy = 'tensor',
): Tensor {
  const t = track(new Tensor(shape, dtype, backend, newStorageRef(storage, sizeOf(shape))));
  engineHooks.observe?.(t, madeBy);
  return t;
}

/** A second tensor on the same storage, for handing out one value under two names. */
export function shareStorage(t: Tensor): Tensor {
  t.ref.refs++;
  return track(new Tensor(t.shape, t.dtype, t.backend, t.ref));
}

/** The most elements a tensor may hold on any backend: kernels index with 32-bit integers. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * What an op says of an argument that is not a Tensor: a symbolic tensor of @webgrad/layers (marked
 * with a well-known symbol, as core cannot import layers) is named as such, with what to do instead.
 */
export function notATensor(op: string, what: string, value: unknown): string {
  const symbolic = typeof value === 'object' && value !== null && Symbol.for('webgrad.symbolic') in value;
  if (symbolic) {
    return (
      `${op}: ${what} is ${String(value)}, a symbolic tensor: it describes a model's graph and holds no values; ` +
      `apply a layer to it (layer.apply(x)), or build a model and call it on real tensors`
    );
  }
  return `${op}: ${what} is ${typeof value}, expected a Tensor`;
}

export function runOp<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(notATensor(op.name, `input ${i}`, t));
  });
  const backend = inputs.length ? inputs[0].backend : currentBackend();
  inputs.forEach((t, i) => {
    if (t.backend !== backend) {
      throw new Error(
        `${op.name}: input 0 (shape ${fmt(inputs[0].shape)}) is on backend '${backend.name}' but input ${i} ` +
          `(shape ${fmt(t.shape)}) is on '${t.backend.name}'; tensors of two backends cannot be mixed`,
      );
    }
  });
  const infos = inputs.map((t) => t.info(op.name));
  const out = op.infer(inputs, attrs);
  const limit = Math.min(MAX_ELEMENTS, backend.maxElements ?? MAX_ELEMENTS);
  if (sizeOf(out.shape) > limit) {
    throw new Error(
      `${op.name}: the result of shape ${fmt(out.shape)} (from inputs ${inputs.map((t) => fmt(t.shape)).join(', ') || 'none'}) ` +
        `has ${sizeOf(out.shape)} elements, more than the ${backend.name} backend can hold in one tensor (${limit})`,
    );
  }
  let output: Tensor;
  if (op.view) {
    inputs[0].ref.refs++;
    output = track(new Tensor(out.shape, out.dtype, backend, inputs[0].ref));
    engineHooks.observe?.(output, op.name);
  } else {
    output = makeTensor(op.kernel(backend, infos, attrs, out), out.shape, out.dtype, backend, op.name);
  }
  for (const tape of tapes) {
    const differentiable = op.grad !== 'nonDifferentiable' && inputs.some((t) => tape.watched.has(t.id));
    if (!differentiable && !tape.recordsAll) continue;
    tape.nodes.push({
      op,
      attrs,
      inputIds: inputs.map((t) => t.id),
      inputs: inputs.map((t) => tape.save(t)),
      outputId: output.id,
      output: tape.save(output),
    });
    tape.watched.add(output.id);
  }
  return output;
}

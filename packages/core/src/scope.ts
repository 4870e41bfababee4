// tidyAsync: a memory scope that can wrap async code, which TF.js's tidy cannot. Tensors made by the
// async function, across its awaits, are freed when it settles, except those it returns. In Node the
// scope follows the async task through AsyncLocalStorage, so two tidyAsync calls running at once
// (two models training) each free only their own tensors. Where AsyncLocalStorage does not exist
// (browsers), a tensor made while any tidyAsync is pending goes to the one opened last: correct for
// one async task at a time, not for interleaved ones.
import { engineHooks, insideTidy, keep } from './engine.js';
import { Tensor } from './tensor.js';

interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

const AsyncLocalStorageClass = (
  globalThis as {
    process?: {
      getBuiltinModule?(id: string): { AsyncLocalStorage?: new () => AsyncLocalStorageLike<Set<Tensor>> } | undefined;
    };
  }
).process?.getBuiltinModule?.('node:async_hooks')?.AsyncLocalStorage;

const storage = AsyncLocalStorageClass ? new AsyncLocalStorageClass() : undefined;

/**
 * A scope's tensors. A long async task (a whole fit) makes and frees many tensors itself, so the set
 * drops the disposed ones whenever it has doubled: it stays as large as what is alive, not all ever made.
 */
class ScopeSet extends Set<Tensor> {
  private sweepAt = 1024;
  override add(t: Tensor): this {
    super.add(t);
    if (this.size > this.sweepAt) {
      for (const x of this) if (x.isDisposed) this.delete(x);
      this.sweepAt = Math.max(1024, 2 * this.size);
    }
    return this;
  }
}
const openScopes: Set<Tensor>[] = []; // the fallback: scopes in the order they were opened

/** Whether tidyAsync isolates concurrent async tasks here (Node: yes; browsers: no). */
export const asyncScopesIsolated = storage !== undefined;

engineHooks.asyncScope = storage ? () => storage.getStore() : () => openScopes[openScopes.length - 1];

function collect(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collect(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collect(v, into));
}

/**
 * Runs the async fn and, once it settles (resolved or rejected), disposes every tensor it made that
 * it does not return; returned tensors move to the enclosing scope. Variables are never tracked.
 */
export function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  // thrown at once, not as a rejection: the mistake is in the synchronous code around the call
  if (insideTidy()) {
    throw new Error(
      'tidyAsync: cannot start inside a synchronous tidy (its scope would take the tensors); call it outside',
    );
  }
  return runScope(fn);
}

async function runScope<T>(fn: () => Promise<T>): Promise<T> {
  const scope = new ScopeSet();
  const parent = engineHooks.asyncScope?.();
  let result: T;
  if (!storage) openScopes.push(scope);
  try {
    result = await (storage ? storage.run(scope, fn) : fn());
  } catch (error) {
    for (const t of scope) t.dispose();
    throw error;
  } finally {
    if (!storage) openScopes.splice(openScopes.lastIndexOf(scope), 1);
  }
  const kept = new Set<Tensor>();
  collect(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  for (const t of kept) {
    keep(t);
    parent?.add(t);
  }
  return result;
}

// Test helpers: the backends under test, and (from the published harness, @webgrad/core/testing)
// seeded random inputs by domain and closeness checks whose failures say where and by how much.
import { findBackend, getBackend, setBackend, withBackend, type Backend } from '@webgrad/core';
import { assertClose } from '@webgrad/core/testing';
import '@webgrad/webgpu';

export const cpu = (): Backend => findBackend('cpu')!;
export const gpu = (): Backend => {
  const b = findBackend('webgpu');
  if (!b) throw new Error('the webgpu backend was not initialised (tests/setup.ts)');
  return b;
};
/** The backends every table-driven suite runs on; looked up when a test runs (setup.ts makes them). */
export const BACKENDS = ['cpu', 'webgpu'] as const;
export const backendOf = (name: (typeof BACKENDS)[number]): Backend => (name === 'cpu' ? cpu() : gpu());

export { randomValues, tensorOn, type Domain } from '@webgrad/core/testing';

export const on = <T>(backend: Backend, fn: () => T): T => withBackend(backend, fn);

/** |actual - expected| <= atol + rtol·|expected| everywhere; NaN anywhere fails, naming the element. */
export const expectClose = assertClose;

/** Runs a describe block's tests with `name` as the current backend (async code included). */
export function useBackend(name: (typeof BACKENDS)[number]): void {
  let previous = 'cpu';
  before(async () => {
    previous = getBackend();
    await setBackend(name);
  });
  after(async () => {
    await setBackend(previous);
  });
}

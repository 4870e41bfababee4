// Paced waiting on Dawn in Node. Dawn's Node binding resolves its promises (mapAsync, ...) from a
// loop of setImmediate ticks that runs for as long as one is pending: while a readback waits for
// seconds of queued GPU work, that loop spins one CPU core at 100%, each tick leaving an Immediate
// object to collect. On a CPU adapter such as lavapipe the spin takes a core from the "GPU" itself;
// on any machine it churns the heap (bench/RESULTS.md, "Moved from source comments", has the
// figures). While webgrad awaits Dawn, `paced` lets Dawn's
// ticks run back to back for the first SPIN_MS (a short wait keeps its latency), then one a
// millisecond. The binding looks `setImmediate` up on the global object at every tick, so pacing
// swaps in a function that delays only Dawn's own ticks (nameless native functions) and hands every
// other caller to the real setImmediate unchanged; the original is back once no paced wait is pending.
// Browsers resolve WebGPU promises themselves: there `paced` just awaits. So does Node until a device
// is acquired with pacing on (the default; `acquireDevice({ pacing: false })` leaves it off).

const SPIN_MS = 1;
const TICK_MS = 1;

let enabled = false;
let waiting = 0;
let waitStarted = 0;
type Schedule = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;
// Node's global scheduler; this package compiles against the browser's types, which lack it
const host = globalThis as unknown as { setImmediate: Schedule };
let original: Schedule | undefined;

/** Called by acquireDevice in Node unless asked not to: from then on `paced` paces Dawn's ticks, process-wide. */
export function enableDawnPacing(): void {
  enabled = true;
}

const isDawnTick = (callback: unknown): boolean =>
  typeof callback === 'function' &&
  callback.name === '' &&
  Function.prototype.toString.call(callback).includes('[native code]');

function pacedSetImmediate(this: unknown, callback: (...args: unknown[]) => void, ...args: unknown[]) {
  if (performance.now() - waitStarted >= SPIN_MS && isDawnTick(callback)) return setTimeout(callback, TICK_MS, ...args);
  return original!.call(this, callback, ...args);
}

/** Awaits `start()`'s promise, pacing Dawn's event ticks while it is pending (Node only). */
export async function paced<T>(start: () => Promise<T>): Promise<T> {
  if (!enabled) return start();
  if (waiting++ === 0) {
    waitStarted = performance.now();
    original = host.setImmediate;
    host.setImmediate = pacedSetImmediate;
  }
  try {
    return await start();
  } finally {
    if (--waiting === 0) {
      host.setImmediate = original!;
      original = undefined;
    }
  }
}

// The GEMM autotune: times each GEMM choice this device offers (ops/matmul.ts) once per adapter and
// keeps the fastest, cached between runs by a TuningCache (tuning-cache.ts) under a key that names
// the adapter and hashes the kernels' sources, so a new driver or an edited kernel tunes again.
// Tuning can be skipped (AutotuneMode): then the cached answer or a default per adapter class is
// taken without timing anything, which is how a page starts by default (a software adapter takes
// seconds to tune). Measurements stay out of comments: what the choices cost is in bench/RESULTS.md.
import type { TensorInfo } from '@webgrad/core';
import { GEMM_KERNELS, type GemmChoice, type GpuContext } from './context.js';
import { shaderSources } from './generated/shaders.js';
import { describeChoice, gemm, gemmChoicesFor, launch } from './ops/matmul.js';
import type { TuningCache } from './tuning-cache.js';

/** What the autotune tunes: a backend's context, under its adapter's name (a WebGPUBackend is one). */
export interface AutotuneTarget {
  readonly adapterName: string;
  readonly context: GpuContext;
}

/** Milliseconds per product of `choice` on n×n operands: the best of `runs` timed runs of `reps`. */
async function timeChoice(
  ctx: GpuContext,
  choice: GemmChoice,
  x: TensorInfo,
  runs: number,
  reps: number,
): Promise<number> {
  const options = { transposeA: false, transposeB: false };
  let best = Infinity;
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    const outs = Array.from({ length: reps }, () => gemm(ctx, choice, x, x, 1, options));
    await ctx.commands.read([outs[reps - 1].buffer, 4]);
    outs.forEach((o) => ctx.release(o));
    if (run > 0) best = Math.min(best, (performance.now() - started) / reps); // run 0 warms up
  }
  return best;
}

function square(ctx: GpuContext, n: number): TensorInfo {
  const shape = [1, n, n];
  const values = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 13) / 13 - 0.5);
  return { storage: ctx.upload(values, 'float32'), shape, dtype: 'float32' };
}

// One choice per cache key for the life of the page/process, whether or not a TuningCache keeps it.
const tuned = new Map<string, GemmChoice>();

/** Bump when the tuning procedure below changes, so that cached answers from the old one are dropped. */
const AUTOTUNE_VERSION = 2;
/** Rounds of the autotune's final on 512³ products. */
const FINAL_ROUNDS = 4;

/**
 * The autotune's cache key: the adapter, and a hash (FNV-1a) of everything its answer depends on:
 * the procedure's version, the choices offered and the sources of the kernels timed. A new driver
 * or an edited kernel therefore tunes again.
 */
export function autotuneKey(target: AutotuneTarget): string {
  const text = [
    AUTOTUNE_VERSION,
    ...gemmChoicesFor(target.context.device).map(describeChoice),
    ...[...GEMM_KERNELS, 'pack_b_texture', 'prelude'].map((name) => shaderSources[name] ?? ''),
  ].join('\n');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `gemm ${target.adapterName} ${hash.toString(16).padStart(8, '0')}`;
}

/** A cached answer, if it is still one of the choices this device offers. */
function fromCache(value: string | undefined, choices: readonly GemmChoice[]): GemmChoice | undefined {
  if (value === undefined) return undefined;
  try {
    const { kernel, rowBlocks } = JSON.parse(value) as Partial<GemmChoice>;
    return choices.find((c) => c.kernel === kernel && c.rowBlocks === rowBlocks);
  } catch {
    return undefined;
  }
}

/** Lower is preferred on a near-tie: the subgroup kernels first, with the most rows per invocation. */
const preference = ({ kernel, rowBlocks }: GemmChoice) =>
  kernel === 'matmul_texture' ? 0 : kernel === 'matmul_subgroups' ? 5 - rowBlocks : kernel === 'matmul_rows' ? 5 : 6;
/** A less preferred choice wins only when it is over 15% faster: lavapipe's choices are closer than that
 *  up to 512³, and timings on a shared CPU swing by more. */
const CLEAR_WIN = 0.85;

/** The fastest of `timed`, except that a near-tie goes to the preferred choice. */
function fastest(timed: readonly { choice: GemmChoice; ms: number }[]): { choice: GemmChoice; ms: number } {
  const ordered = [...timed].sort((p, q) => preference(p.choice) - preference(q.choice));
  return ordered.reduce((best, next) => (next.ms < best.ms * CLEAR_WIN ? next : best));
}

/**
 * How the GEMM kernel is chosen when a backend starts. `true`: the cache's answer, else timed now
 * (once per process and adapter) and cached. `'cached'`: the cache's answer, else the adapter class's
 * default, nothing timed. `false`: the default, the cache not read.
 */
export type AutotuneMode = boolean | 'cached';

/** One finished step of a tuning run, for a progress bar. */
export interface AutotuneProgress {
  /** Steps finished, of `total`: compiling the choices' kernels, then each timing. */
  done: number;
  total: number;
  /** The step just finished: the compile, a choice timed on 256³ (`screen`) or on 512³ (`final`). */
  step: 'compile' | 'screen' | 'final';
  /** The choice just timed (as describeChoice names it) and its milliseconds per product. */
  choice?: string;
  ms?: number;
}

/** Where a backend's GEMM choice came from. */
export type GemmChoiceSource = 'tuned' | 'cached' | 'default';

export interface AutotuneOptions {
  /** Default true. */
  mode?: AutotuneMode;
  onProgress?: (progress: AutotuneProgress) => void;
}

// Names in an adapter's info that mark a CPU implementation (Mesa's lavapipe/llvmpipe, Chromium's
// SwiftShader, Windows' WARP), for adapters that do not say isFallbackAdapter.
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render|\bwarp\b/i;

/** Whether the adapter runs WebGPU on the CPU. */
export function isSoftwareAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_ADAPTER.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/**
 * The GEMM choice taken without timing anything. On a CPU adapter, what the autotune picks there:
 * the texture kernel where the device has wide enough subgroups (lavapipe), else the row kernel
 * (SwiftShader); the tiled kernel is the slowest of all on both. On a GPU, the tiled kernel, built for
 * workgroup memory: what the autotune is expected to keep there, not yet measured (bench/RESULTS.md).
 */
export function defaultGemmChoice(device: GPUDevice): GemmChoice {
  const choices = gemmChoicesFor(device);
  const offered = (kernel: GemmChoice['kernel']) => choices.find((c) => c.kernel === kernel);
  if (!isSoftwareAdapter(device.adapterInfo)) return offered('matmul') ?? choices[0];
  return offered('matmul_texture') ?? offered('matmul_rows') ?? choices[0];
}

/**
 * The GEMM choice for this backend's device, and where it came from. With mode true (the default):
 * the cache's answer when it has a valid one for this adapter and these kernels, else tuned (once per
 * process and key) and written back to the cache. See AutotuneMode for the others.
 */
export async function chooseGemm(
  target: AutotuneTarget,
  cache: TuningCache | undefined,
  { mode = true, onProgress }: AutotuneOptions = {},
): Promise<{ choice: GemmChoice; source: GemmChoiceSource }> {
  if (mode === false) return { choice: defaultGemmChoice(target.context.device), source: 'default' };
  const key = autotuneKey(target);
  const choices = gemmChoicesFor(target.context.device);
  const cached = fromCache(await passOver(() => cache?.get(key)), choices);
  if (cached) return { choice: cached, source: 'cached' };
  if (mode === 'cached') return { choice: defaultGemmChoice(target.context.device), source: 'default' };
  const choice = tuned.get(key) ?? (await tune(target.context, choices, onProgress));
  await keep(key, choice, cache);
  return { choice, source: 'tuned' };
}

/**
 * Times every choice now, whatever is cached, and keeps the winner for this process and in `cache`:
 * what a page calls when it can afford the wait (after its first step, behind a progress bar), so
 * that its next start takes the tuned answer from the cache.
 */
export async function tuneAndKeep(
  target: AutotuneTarget,
  cache?: TuningCache,
  onProgress?: (progress: AutotuneProgress) => void,
): Promise<GemmChoice> {
  const best = await tune(target.context, gemmChoicesFor(target.context.device), onProgress);
  await keep(autotuneKey(target), best, cache);
  return best;
}

/** Remembers a tuned choice for this process and writes it to the cache. */
async function keep(key: string, choice: GemmChoice, cache: TuningCache | undefined): Promise<void> {
  tuned.set(key, choice);
  await passOver(() =>
    cache?.set(
      key,
      JSON.stringify({ kernel: choice.kernel, rowBlocks: choice.rowBlocks, tuned: new Date().toISOString() }),
    ),
  );
}

/** The GEMM choice as a backend with `autotune: true` starts with (chooseGemm without its source). */
export async function autotuneGemm(target: AutotuneTarget, cache?: TuningCache): Promise<GemmChoice> {
  return (await chooseGemm(target, cache)).choice;
}

/** A cache call whose failure (a user's TuningCache may throw) means only "nothing cached". */
async function passOver<T>(call: () => Promise<T> | undefined): Promise<T | undefined> {
  try {
    return await call();
  } catch {
    return undefined;
  }
}

/**
 * Times every choice on a 256³ product, then the two fastest again on 512³, and keeps the faster
 * there. On lavapipe the choices other than the tiled `matmul` are close to each other up to 512³,
 * while on the large products where the time goes the one-block subgroup kernel falls behind the
 * others (bench/RESULTS.md): hence the near-tie rule, which keeps a noisy small timing from choosing
 * a variant that is bad on large products.
 */
async function tune(
  ctx: GpuContext,
  choices: readonly GemmChoice[],
  onProgress?: (progress: AutotuneProgress) => void,
): Promise<GemmChoice> {
  const total = 1 + choices.length + 2 * FINAL_ROUNDS;
  let done = 0;
  const report = (step: AutotuneProgress['step'], choice?: GemmChoice, ms?: number) => {
    done++;
    onProgress?.({ done, total, step, ...(choice ? { choice: describeChoice(choice), ms } : {}) });
  };
  await ctx.registry.precompile([
    ...choices.map((choice) => ({
      name: choice.kernel,
      overrides: launch(choice, { M: 256, N: 256, K: 256 }, 1).overrides,
    })),
    ...(choices.some((c) => c.kernel === 'matmul_texture') ? [{ name: 'pack_b_texture' as const }] : []),
  ]);
  report('compile');
  const small = square(ctx, 256);
  const screened: { choice: GemmChoice; ms: number }[] = [];
  for (const choice of choices) {
    const ms = await timeChoice(ctx, choice, small, 1, 2);
    screened.push({ choice, ms });
    report('screen', choice, ms);
  }
  ctx.release(small.storage);
  const first = fastest(screened);
  const second = fastest(screened.filter((t) => t !== first));
  // The finals take turns, one product each a round, each keeping its best of FINAL_ROUNDS: a burst of
  // load then slows both, where two runs of one and then two of the other once let a burst decide (one
  // such start cached matmul_subgroups on lavapipe, slower there in training; bench/RESULTS.md).
  const large = square(ctx, 512);
  const finals = [first, second].map(({ choice }) => ({ choice, ms: Infinity }));
  for (let round = 0; round < FINAL_ROUNDS; round++) {
    for (const final of finals) {
      const ms = await timeChoice(ctx, final.choice, large, 1, 1);
      final.ms = Math.min(final.ms, ms);
      report('final', final.choice, ms);
    }
  }
  ctx.release(large.storage);
  return fastest(finals).choice;
}

// The GEMM: which kernel runs a matmul, with which workgroup size, and the small autotune that
// picks the kernel per adapter. Four kernels compute the same thing (shaders/matmul/):
// `matmul` stages 64×64 tiles in workgroup memory (the shape real GPUs like); `matmul_rows` uses no
// workgroup memory or barriers (CPU adapters such as lavapipe run it ~3× faster per CPU second);
// `matmul_subgroups` is matmul_rows with a shared through subgroup broadcasts (devices with the
// `subgroups` feature), in 1–4 blocks of 4 rows per invocation; `matmul_texture` is the subgroup
// kernel reading b from a texture that `pack_b_texture` fills first (on lavapipe a texel fetch is
// much cheaper than a storage-buffer load: ~2× the subgroup kernel). The autotune times each choice
// once per adapter and keeps the fastest; bench/gemm-kernels.mjs shows all of them side by side.
// Imports the backend's types and the core contract.
import type { MatmulEpilogue, MatmulOptions, TensorInfo } from '@webgrad/core';
import type { GpuStorage, WebGPUBackend } from './backend.js';
import type { Resource } from './commands.js';
import { shaderSources } from './generated/shaders.js';
import type { TuningCache } from './tuning-cache.js';

export const GEMM_KERNELS = ['matmul', 'matmul_rows', 'matmul_subgroups', 'matmul_texture'] as const;
export type GemmKernel = (typeof GEMM_KERNELS)[number];

/** A kernel and its rows per invocation in blocks of 4 (matmul_subgroups' ROW_BLOCKS; 4 for matmul_texture, 1 for the others). */
export interface GemmChoice { readonly kernel: GemmKernel; readonly rowBlocks: number }

const buf = (x: TensorInfo) => (x.storage as GpuStorage).buffer;

/** matmul_rows: rows per workgroup, and columns per invocation (fixed in the shaders). */
const ROWS_TM = 8, ROWS_TN = 4;
/** matmul_subgroups broadcasts from this many lanes, so it needs subgroups at least this wide. */
const SUBGROUP_CHUNK = 8;
/** Below this K a chunk of broadcasts barely pays for itself: such products run on matmul_rows. */
const SUBGROUP_MIN_K = 16;

/** matmul_rows' workgroup width for N columns: the smallest of 16/32/64 whose block spans N. */
export function rowsWorkgroupSize(N: number): number {
  return N <= 16 * ROWS_TN ? 16 : N <= 32 * ROWS_TN ? 32 : 64;
}

/** The GEMM choices this device can run: the subgroup kernel only with the feature and wide enough subgroups. */
export function gemmChoicesFor(device: GPUDevice): GemmChoice[] {
  const choices: GemmChoice[] = [{ kernel: 'matmul', rowBlocks: 1 }, { kernel: 'matmul_rows', rowBlocks: 1 }];
  if (device.features.has('subgroups') && (device.adapterInfo?.subgroupMinSize ?? 0) >= SUBGROUP_CHUNK) {
    for (const rowBlocks of [1, 2, 3, 4]) choices.push({ kernel: 'matmul_subgroups', rowBlocks });
    choices.push({ kernel: 'matmul_texture', rowBlocks: 4 });
  }
  return choices;
}

export const describeChoice = ({ kernel, rowBlocks }: GemmChoice): string =>
  kernel === 'matmul_subgroups' ? `${kernel}×${rowBlocks}` : kernel;

interface Dims { M: number; N: number; K: number }

/** Override constants and grid of `choice` for an M×K·K×N product over `batch`. */
function launch({ kernel, rowBlocks }: GemmChoice, { M, N }: Dims, batch: number): { overrides: Record<string, number>; grid: [number, number, number] } {
  if (kernel === 'matmul') return { overrides: {}, grid: [Math.ceil(N / 64), Math.ceil(M / 64), batch] };
  const wg = rowsWorkgroupSize(N), grid0 = Math.ceil(N / (wg * ROWS_TN));
  if (kernel === 'matmul_rows') return { overrides: { WG_SIZE: wg }, grid: [grid0, Math.ceil(M / ROWS_TM), batch] };
  if (kernel === 'matmul_texture') return { overrides: { WG_SIZE: wg }, grid: [Math.ceil(M / 16), grid0, batch] };
  return { overrides: { WG_SIZE: wg, ROW_BLOCKS: rowBlocks }, grid: [Math.ceil(M / (4 * rowBlocks)), grid0, batch] };
}

/** The fused epilogue's params, shared by the GEMM kernels and conv2d: bias or not, and an ACT_* code. */
export function epilogueParams(backend: WebGPUBackend, kernel: string, epilogue?: MatmulEpilogue): { has_bias: number; activation: number } {
  return { has_bias: epilogue?.bias ? 1 : 0, activation: backend.registry.constant(kernel, `ACT_${(epilogue?.activation ?? 'linear').toUpperCase()}`) };
}

export function gemm(backend: WebGPUBackend, choice: GemmChoice, a: TensorInfo, b: TensorInfo, batch: number,
  { transposeA, transposeB }: MatmulOptions, epilogue?: MatmulEpilogue): GpuStorage {
  const [batchA, ra, ca] = a.shape, [batchB, rb, cb] = b.shape;
  const [M, K] = transposeA ? [ca, ra] : [ra, ca];
  const N = transposeB ? rb : cb;
  const out = backend.allocateOutput([batch, M, N]);
  // The texture holds batch·K rows of ceil(N/4) texels, and the pack's grid spans K and the batch:
  // past the device's largest texture or grid, or empty (a texture has at least one texel), the
  // product runs on the subgroup kernel.
  const maxTexture = backend.device.limits.maxTextureDimension2D, maxGroups = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (choice.kernel === 'matmul_texture' && (K === 0 || N === 0 || batchB * K > maxTexture || Math.ceil(N / 4) > maxTexture || Math.max(batchB, K) > maxGroups)) {
    choice = { kernel: 'matmul_subgroups', rowBlocks: 4 };
  }
  // A short K barely fills the subgroup kernel's chunk of broadcasts. The texture kernel loads b's
  // texels directly past its last chunk, so it takes any K: an MLP's 64×10·10×128 product then needs no
  // matmul_rows pipeline (~2.4 MB on lavapipe), at no cost to the MLP case's fit speed there
  // (bench/RESULTS.md). Both put their row blocks on the grid's x axis, 65535 workgroups at most.
  if ((choice.kernel === 'matmul_subgroups' || choice.kernel === 'matmul_texture') &&
    ((choice.kernel === 'matmul_subgroups' && K < SUBGROUP_MIN_K) || Math.ceil(M / (4 * choice.rowBlocks)) > 65535)) {
    choice = { kernel: 'matmul_rows', rowBlocks: 1 };
  }
  const { kernel } = choice;
  const { overrides, grid } = launch(choice, { M, N, K }, batch);
  let bResource: Resource = buf(b);
  if (kernel === 'matmul_texture') {
    const width = Math.ceil(N / 4), height = batchB * K;
    bResource = backend.textures.view(width, height);
    const lanes = Math.min(64, 2 ** Math.ceil(Math.log2(width)));
    backend.commands.dispatch({
      kernel: 'pack_b_texture', inputs: [buf(b)], outputs: [bResource],
      params: { K, N, trans_b: transposeB ? 1 : 0, batch_stride: K * N, lanes_log2: Math.log2(lanes) }, grid: [Math.ceil(width / lanes), Math.ceil(K / (64 / lanes)), batchB],
    });
  }
  backend.commands.dispatch({
    kernel, inputs: [buf(a), bResource, epilogue?.bias ? buf(epilogue.bias) : buf(a)], outputs: [out.buffer],
    overrides,
    params: {
      M, N, K, trans_a: transposeA ? 1 : 0, trans_b: transposeB ? 1 : 0,
      ...epilogueParams(backend, kernel, epilogue),
      // the packed texture stacks the batch's b along its rows: K rows each
      a_batch_stride: batchA === 1 ? 0 : M * K, b_batch_stride: batchB === 1 ? 0 : kernel === 'matmul_texture' ? K : K * N,
    },
    grid,
  });
  return out;
}

/** Milliseconds per product of `choice` on n×n operands: the best of `runs` timed runs of `reps`. */
async function timeChoice(backend: WebGPUBackend, choice: GemmChoice, x: TensorInfo, runs: number, reps: number): Promise<number> {
  const options = { transposeA: false, transposeB: false };
  let best = Infinity;
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    const outs = Array.from({ length: reps }, () => gemm(backend, choice, x, x, 1, options));
    await backend.commands.read([outs[reps - 1].buffer, 4]);
    outs.forEach((o) => backend.dispose(o));
    if (run > 0) best = Math.min(best, (performance.now() - started) / reps); // run 0 warms up
  }
  return best;
}

function square(backend: WebGPUBackend, n: number): TensorInfo {
  const shape = [1, n, n];
  const values = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 13) / 13 - 0.5);
  return { storage: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
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
export function autotuneKey(backend: WebGPUBackend): string {
  const text = [AUTOTUNE_VERSION, ...gemmChoicesFor(backend.device).map(describeChoice),
    ...[...GEMM_KERNELS, 'pack_b_texture', 'prelude'].map((name) => shaderSources[name] ?? '')].join('\n');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `gemm ${backend.adapterName} ${hash.toString(16).padStart(8, '0')}`;
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
  (kernel === 'matmul_texture' ? 0 : kernel === 'matmul_subgroups' ? 5 - rowBlocks : kernel === 'matmul_rows' ? 5 : 6);
/** A less preferred choice wins only when it is over 15% faster: lavapipe's choices are closer than that
 *  up to 512³, and timings on a shared CPU swing by more. */
const CLEAR_WIN = 0.85;

/** The fastest of `timed`, except that a near-tie goes to the preferred choice. */
function fastest(timed: readonly { choice: GemmChoice; ms: number }[]): { choice: GemmChoice; ms: number } {
  const ordered = [...timed].sort((p, q) => preference(p.choice) - preference(q.choice));
  return ordered.reduce((best, next) => (next.ms < best.ms * CLEAR_WIN ? next : best));
}

/**
 * The GEMM choice for this backend's device: the cache's answer when it has a valid one for this
 * adapter and these kernels, else tuned (once per process and key) and written back to the cache.
 */
export async function autotuneGemm(backend: WebGPUBackend, cache?: TuningCache): Promise<GemmChoice> {
  const key = autotuneKey(backend), choices = gemmChoicesFor(backend.device);
  const cached = fromCache(await passOver(() => cache?.get(key)), choices);
  if (cached) return cached;
  const best = tuned.get(key) ?? await tune(backend, choices);
  tuned.set(key, best);
  await passOver(() => cache?.set(key, JSON.stringify({ kernel: best.kernel, rowBlocks: best.rowBlocks, tuned: new Date().toISOString() })));
  return best;
}

/** A cache call whose failure (a user's TuningCache may throw) means only "nothing cached". */
async function passOver<T>(call: () => Promise<T> | undefined): Promise<T | undefined> {
  try { return await call(); } catch { return undefined; }
}

/**
 * Times every choice on a 256³ product, then the two fastest again on 512³, and keeps the faster
 * there. On lavapipe the choices other than the tiled `matmul` are within ~10% of each other up to
 * 512³, while at 1024³–2048³ (where the time goes) the one-block subgroup kernel falls behind the
 * others by up to ~1.5× (bench/RESULTS.md): hence the near-tie rule, which keeps a noisy small
 * timing from choosing a variant that is bad on large products.
 */
async function tune(backend: WebGPUBackend, choices: readonly GemmChoice[]): Promise<GemmChoice> {
  await backend.registry.precompile([...choices.map((choice) => ({
    name: choice.kernel, overrides: launch(choice, { M: 256, N: 256, K: 256 }, 1).overrides,
  })), ...(choices.some((c) => c.kernel === 'matmul_texture') ? [{ name: 'pack_b_texture' }] : [])]);
  const small = square(backend, 256);
  const screened: { choice: GemmChoice; ms: number }[] = [];
  for (const choice of choices) screened.push({ choice, ms: await timeChoice(backend, choice, small, 1, 2) });
  backend.dispose(small.storage);
  const first = fastest(screened);
  const second = fastest(screened.filter((t) => t !== first));
  // The finals take turns, one product each a round, each keeping its best of FINAL_ROUNDS: a burst of
  // load then slows both, where two runs of one and then two of the other once let a burst decide (one
  // such start cached matmul_subgroups on lavapipe, ~2× slower there in training).
  const large = square(backend, 512);
  const finals = [first, second].map(({ choice }) => ({ choice, ms: Infinity }));
  for (let round = 0; round < FINAL_ROUNDS; round++) {
    for (const final of finals) final.ms = Math.min(final.ms, await timeChoice(backend, final.choice, large, 1, 1));
  }
  backend.dispose(large.storage);
  return fastest(finals).choice;
}

// The GEMM on the GPU (shaders/matmul/): which kernel runs a matmul, with which workgroup size and
// grid. Four kernels compute the same thing: `matmul` stages 64×64 tiles in workgroup memory (the
// shape real GPUs like); `matmul_rows` uses no workgroup memory or barriers (CPU adapters such as
// lavapipe run it faster per CPU second); `matmul_subgroups` is matmul_rows with a shared through
// subgroup broadcasts (devices with the `subgroups` feature), in 1–4 blocks of 4 rows per
// invocation; `matmul_texture` is the subgroup kernel reading b from a texture that `pack_b_texture`
// fills first (on lavapipe a texel fetch is much cheaper than a storage-buffer load). The autotune
// (gemm-autotune.ts) picks one per adapter into ctx.gemmChoice; bench/gemm-kernels.mjs shows them
// side by side. Measurements stay out of comments: they are in bench/RESULTS.md.
import type { FusedActivation, MatmulEpilogue, MatmulOptions, TensorInfo } from '@webgrad/core';
import type { Resource } from '../commands.js';
import type { GemmChoice, GpuContext, GpuStorage } from '../context.js';
import { ACTIVATION_CODES, type KernelOverrides } from '../generated/kernels.js';

/** matmul_rows: rows per workgroup, and columns per invocation (fixed in the shaders). */
const ROWS_TM = 8;
const ROWS_TN = 4;
/** matmul_subgroups broadcasts from this many lanes, so it needs subgroups at least this wide. */
const SUBGROUP_CHUNK = 8;
/** Below this K a chunk of broadcasts barely pays for itself: such products run on matmul_rows. */
const SUBGROUP_MIN_K = 16;

const ACTIVATIONS: { readonly [K in FusedActivation]: number } = ACTIVATION_CODES;

/** matmul_rows' workgroup width for N columns: the smallest of 16/32/64 whose block spans N. */
export function rowsWorkgroupSize(N: number): number {
  return N <= 16 * ROWS_TN ? 16 : N <= 32 * ROWS_TN ? 32 : 64;
}

/** The GEMM choices this device can run: the subgroup kernel only with the feature and wide enough subgroups. */
export function gemmChoicesFor(device: GPUDevice): GemmChoice[] {
  const choices: GemmChoice[] = [
    { kernel: 'matmul', rowBlocks: 1 },
    { kernel: 'matmul_rows', rowBlocks: 1 },
  ];
  if (device.features.has('subgroups') && (device.adapterInfo?.subgroupMinSize ?? 0) >= SUBGROUP_CHUNK) {
    for (const rowBlocks of [1, 2, 3, 4]) choices.push({ kernel: 'matmul_subgroups', rowBlocks });
    choices.push({ kernel: 'matmul_texture', rowBlocks: 4 });
  }
  return choices;
}

export const describeChoice = ({ kernel, rowBlocks }: GemmChoice): string =>
  kernel === 'matmul_subgroups' ? `${kernel}×${rowBlocks}` : kernel;

interface Dims {
  M: number;
  N: number;
  K: number;
}

/** The override constants any GEMM kernel may take. */
export type GemmOverrides = KernelOverrides['matmul_subgroups'];

/** Override constants and grid of `choice` for an M×K·K×N product over `batch`. */
export function launch(
  { kernel, rowBlocks }: GemmChoice,
  { M, N }: Dims,
  batch: number,
): { overrides: GemmOverrides; grid: [number, number, number] } {
  if (kernel === 'matmul') return { overrides: {}, grid: [Math.ceil(N / 64), Math.ceil(M / 64), batch] };
  const wg = rowsWorkgroupSize(N);
  const grid0 = Math.ceil(N / (wg * ROWS_TN));
  if (kernel === 'matmul_rows') return { overrides: { WG_SIZE: wg }, grid: [grid0, Math.ceil(M / ROWS_TM), batch] };
  if (kernel === 'matmul_texture') return { overrides: { WG_SIZE: wg }, grid: [Math.ceil(M / 16), grid0, batch] };
  return { overrides: { WG_SIZE: wg, ROW_BLOCKS: rowBlocks }, grid: [Math.ceil(M / (4 * rowBlocks)), grid0, batch] };
}

/** The fused epilogue's params, shared by the GEMM kernels and conv2d: bias or not, and an ACT_* code. */
export function epilogueParams(epilogue?: MatmulEpilogue): { has_bias: number; activation: number } {
  return { has_bias: epilogue?.bias ? 1 : 0, activation: ACTIVATIONS[epilogue?.activation ?? 'linear'] };
}

/** A batched matmul on the context's GEMM choice (the autotune's pick). */
export function matmul(
  ctx: GpuContext,
  a: TensorInfo,
  b: TensorInfo,
  batch: number,
  options: MatmulOptions,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  return gemm(ctx, ctx.gemmChoice, a, b, batch, options, epilogue);
}

/** A batched matmul on `choice`, or on a kernel that can take the product where `choice` cannot. */
export function gemm(
  ctx: GpuContext,
  choice: GemmChoice,
  a: TensorInfo,
  b: TensorInfo,
  batch: number,
  { transposeA, transposeB }: MatmulOptions,
  epilogue?: MatmulEpilogue,
): GpuStorage {
  const [batchA, ra, ca] = a.shape;
  const [batchB, rb, cb] = b.shape;
  const [M, K] = transposeA ? [ca, ra] : [ra, ca];
  const N = transposeB ? rb : cb;
  const out = ctx.allocate([batch, M, N]);
  // The texture holds batch·K rows of ceil(N/4) texels, and the pack's grid spans K and the batch:
  // past the device's largest texture or grid, or empty (a texture has at least one texel), the
  // product runs on the subgroup kernel.
  const maxTexture = ctx.device.limits.maxTextureDimension2D;
  const maxGroups = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (
    choice.kernel === 'matmul_texture' &&
    (K === 0 || N === 0 || batchB * K > maxTexture || Math.ceil(N / 4) > maxTexture || Math.max(batchB, K) > maxGroups)
  ) {
    choice = { kernel: 'matmul_subgroups', rowBlocks: 4 };
  }
  // A short K barely fills the subgroup kernel's chunk of broadcasts. The texture kernel loads b's
  // texels directly past its last chunk, so it takes any K: an MLP's 64×10·10×128 product then needs no
  // matmul_rows pipeline, at no cost to the MLP case's fit speed (bench/RESULTS.md). Both put their
  // row blocks on the grid's x axis, 65535 workgroups at most.
  if (
    (choice.kernel === 'matmul_subgroups' || choice.kernel === 'matmul_texture') &&
    ((choice.kernel === 'matmul_subgroups' && K < SUBGROUP_MIN_K) || Math.ceil(M / (4 * choice.rowBlocks)) > 65535)
  ) {
    choice = { kernel: 'matmul_rows', rowBlocks: 1 };
  }
  const { kernel } = choice;
  const { overrides, grid } = launch(choice, { M, N, K }, batch);
  let bResource: Resource = ctx.buffer(b);
  if (kernel === 'matmul_texture') {
    const width = Math.ceil(N / 4);
    const height = batchB * K;
    bResource = ctx.textures.view(width, height);
    const lanes = Math.min(64, 2 ** Math.ceil(Math.log2(width)));
    ctx.dispatch({
      kernel: 'pack_b_texture',
      inputs: [ctx.buffer(b)],
      outputs: [bResource],
      params: { K, N, trans_b: transposeB ? 1 : 0, batch_stride: K * N, lanes_log2: Math.log2(lanes) },
      grid: [Math.ceil(width / lanes), Math.ceil(K / (64 / lanes)), batchB],
    });
  }
  ctx.dispatch({
    kernel,
    inputs: [ctx.buffer(a), bResource, ctx.buffer(epilogue?.bias ?? a)],
    outputs: [out.buffer],
    overrides,
    params: {
      M,
      N,
      K,
      trans_a: transposeA ? 1 : 0,
      trans_b: transposeB ? 1 : 0,
      ...epilogueParams(epilogue),
      // the packed texture stacks the batch's b along its rows: K rows each
      a_batch_stride: batchA === 1 ? 0 : M * K,
      b_batch_stride: batchB === 1 ? 0 : kernel === 'matmul_texture' ? K : K * N,
    },
    grid,
  });
  return out;
}

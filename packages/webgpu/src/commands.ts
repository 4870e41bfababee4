// Command recording: every dispatch goes into one open command encoder (one compute pass), submitted
// as a batch when someone reads, after SUBMIT_EVERY dispatches, or at the end of the current task
// (a microtask), so a synchronous training step is one submit. Uniform params for the whole batch
// go into one arena buffer uploaded once per submit, each dispatch in the next 256-byte slot. Bind
// groups are cached by the buffers they bind and the params slot, which is bound at a fixed offset, not
// a dynamic one: Dawn validates dynamic offsets on every setBindGroup, a cost paid per dispatch
// (measured in bench/RESULTS.md: figures live there, not in comments), and a training step repeats
// the same dispatches in the same slots, so its bind groups come from the cache from the second step on.
// With `compileAsync` on (the default in a browser), a dispatch whose pipeline is not compiled yet is
// not compiled on the spot: it and every dispatch after it are held, in order and with their params
// packed, while the registry compiles the missing pipelines asynchronously, then encoded and submitted
// together; a readback waits behind the held work. The page's thread never waits on a shader compile,
// and the first training step simply starts on the GPU once its kernels exist. A dispatch is typed
// by kernel from the generated kernel interface (generated/kernels.ts): params, overrides and the
// kernel's name are checked by tsc, and again by the registry at run time.
import { bucketSize, type BufferPool } from './buffer-pool.js';
import { paced } from './dawn-pacing.js';
import type { KernelName, KernelOverrides, KernelParams } from './generated/kernels.js';
import type { Kernel, KernelRegistry, Overrides, ParamValues } from './kernels.js';
import type { KernelProfiler } from './profiler.js';
import { BufferUsage, MapMode } from './gpu-flags.js';

const ARENA_BYTES = 1 << 16;
const MAX_DISPATCHES_PER_SUBMIT = 1024;
// A batch is submitted after this many dispatches even inside one synchronous stretch of work: the
// adapter starts on it while the rest is recorded (a training step of ~30 dispatches is still about
// one submit).
const SUBMIT_EVERY = 32;
const BIND_GROUP_CACHE_LIMIT = 8192;
// Readback buffers are kept for reuse up to this many bytes in all: mapping a fresh MAP_READ buffer
// costs several times what a reused one does (bench/RESULTS.md).
const STAGING_KEEP_BYTES = 16 << 20;

/** What a kernel binds: a buffer, or a texture's view (the texture GEMM's packed operand). */
export type Resource = GPUBuffer | GPUTextureView;

// Told apart without the GPUBuffer class, which is a global only where WebGPU is: only a buffer maps.
const isBuffer = (resource: Resource): resource is GPUBuffer => 'mapAsync' in resource;

/** One dispatch of kernel K: its params and override constants as the shader declares them. */
export type Dispatch<K extends KernelName = KernelName> = {
  readonly kernel: K;
  readonly inputs: readonly Resource[];
  readonly outputs: readonly Resource[];
  readonly params: KernelParams[K];
  /** Workgroups along x, y, z. */
  readonly grid: readonly [number, number, number];
} & (Partial<KernelOverrides[K]> extends KernelOverrides[K] // no required override: may be left out
  ? { readonly overrides?: KernelOverrides[K] }
  : { readonly overrides: KernelOverrides[K] });

/** A dispatch as the recorder handles it: by any kernel's name, checked at run time by the registry. */
interface UntypedDispatch {
  readonly kernel: string;
  readonly inputs: readonly Resource[];
  readonly outputs: readonly Resource[];
  readonly params: ParamValues;
  readonly overrides?: Overrides;
  readonly grid: readonly [number, number, number];
}

/** A dispatch waiting for pipelines to compile, its params already packed. */
interface HeldDispatch {
  kernel: Kernel;
  overrides: Overrides;
  inputs: readonly Resource[];
  outputs: readonly Resource[];
  params: Uint8Array;
  grid: readonly [number, number, number];
  compiled: Promise<void>;
  pipeline?: GPUComputePipeline;
  /** The last dispatch its task recorded: the drain submits after it. */
  endsTask: boolean;
}

export class CommandRecorder {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private passPipeline: GPUComputePipeline | null = null;
  private dispatches = 0;
  private readonly arena: GPUBuffer;
  private readonly arenaData = new ArrayBuffer(ARENA_BYTES);
  private readonly arenaView = new DataView(this.arenaData);
  private arenaUsed = 0;
  private readonly slot: number;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly resourceIds = new WeakMap<Resource, number>();
  private nextResourceId = 0;
  private flushQueued = false;
  private bindGroupsCreated = 0;
  private submits = 0;
  /** Dispatches after which a batch is submitted without waiting for the end of the task. */
  submitEvery = SUBMIT_EVERY;
  /** Compile missing pipelines asynchronously, holding the work that needs them (see above). */
  compileAsync = false;
  private held: HeldDispatch[] = [];
  private draining: Promise<void> | null = null;
  private compileFailure: Error | null = null;
  private readonly freeStaging: GPUBuffer[] = [];
  private readonly retired: GPUTexture[] = [];
  /** While set, each dispatch gets a timed pass of its own (backend.profile). */
  profiler: KernelProfiler | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly registry: KernelRegistry,
    private readonly pool: BufferPool,
  ) {
    this.slot = device.limits.minUniformBufferOffsetAlignment;
    this.arena = device.createBuffer({
      label: 'params arena',
      size: ARENA_BYTES,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
  }

  private idOf(resource: Resource): number {
    let id = this.resourceIds.get(resource);
    if (id === undefined) this.resourceIds.set(resource, (id = this.nextResourceId++));
    return id;
  }

  private bindGroup(
    kernel: Kernel,
    inputs: readonly Resource[],
    outputs: readonly Resource[],
    paramsOffset: number,
  ): GPUBindGroup {
    let key = `${kernel.name}@${paramsOffset}`;
    for (const b of inputs) key += `,${this.idOf(b)}`;
    for (const b of outputs) key += `,${this.idOf(b)}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = [...inputs, ...outputs].map((resource, binding) => ({
        binding,
        resource: isBuffer(resource) ? { buffer: resource } : resource,
      }));
      entries.push({
        binding: entries.length,
        resource: { buffer: this.arena, offset: paramsOffset, size: kernel.paramsSize },
      });
      group = this.device.createBindGroup({ label: kernel.name, layout: kernel.layout, entries });
      this.bindGroupsCreated++;
      if (this.bindGroups.size >= BIND_GROUP_CACHE_LIMIT) this.bindGroups.delete(this.bindGroups.keys().next().value!);
      this.bindGroups.set(key, group);
    }
    return group;
  }

  dispatch<K extends KernelName>(dispatch: Dispatch<K>): void {
    const { kernel: name, inputs, outputs, params, overrides = {}, grid } = dispatch as UntypedDispatch;
    const kernel = this.registry.get(name);
    if (inputs.length !== kernel.inputs.length || outputs.length !== kernel.outputs.length) {
      throw new Error(
        `kernel ${name}: expects inputs (${kernel.inputs.join(', ')}) and outputs (${kernel.outputs.join(', ')}), ` +
          `got ${inputs.length} inputs and ${outputs.length} outputs`,
      );
    }
    if (grid.some((n) => n === 0)) return;
    const pipeline = this.registry.compiled(name, overrides);
    if (this.compileAsync && (this.held.length > 0 || !pipeline)) {
      this.hold(kernel, inputs, outputs, params, overrides, grid);
      return;
    }
    const slotBytes = this.reserveSlot(kernel);
    this.registry.packParams(kernel, params, this.arenaView, this.arenaUsed);
    this.encode(kernel, pipeline ?? this.registry.pipeline(name, overrides), inputs, outputs, grid, slotBytes);
  }

  /**
   * Records a copy of `bytes` from src to dst (byte offsets, multiples of 4) in order with the
   * dispatches, ending the compute pass (a buffer copy is no pass command): on CPU adapters a memcpy,
   * where the `copy` kernel pays index arithmetic and a bounds check per element. Records nothing and
   * returns false while dispatches are held for a compile (it would run before them): the caller then
   * copies with a kernel. Under the profiler it runs untimed, so it drops out of the profile.
   */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): boolean {
    if (this.held.length > 0) return false;
    if (this.dispatches >= Math.min(this.submitEvery, MAX_DISPATCHES_PER_SUBMIT)) this.flush();
    this.pass?.end();
    this.pass = null;
    this.passPipeline = null;
    this.encoder ??= this.device.createCommandEncoder();
    if (bytes > 0) this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.dispatches++;
    this.flushAtEndOfTask();
    return true;
  }

  /** Makes room in this batch's params arena for one dispatch of `kernel`; returns its slot size. */
  private reserveSlot(kernel: Kernel): number {
    const slotBytes = Math.ceil(kernel.paramsSize / this.slot) * this.slot;
    if (
      this.arenaUsed + slotBytes > ARENA_BYTES ||
      this.dispatches >= Math.min(this.submitEvery, MAX_DISPATCHES_PER_SUBMIT) ||
      this.profiler?.full
    ) {
      this.flush();
    }
    return slotBytes;
  }

  /** Records one dispatch whose params are already packed at the arena's next free slot. */
  private encode(
    kernel: Kernel,
    pipeline: GPUComputePipeline,
    inputs: readonly Resource[],
    outputs: readonly Resource[],
    grid: readonly [number, number, number],
    slotBytes: number,
  ): void {
    const offset = this.arenaUsed;
    this.arenaUsed += slotBytes;
    const group = this.bindGroup(kernel, inputs, outputs, offset);
    if (this.profiler) {
      this.pass?.end();
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass({ timestampWrites: this.profiler.next(kernel.name) });
      this.passPipeline = null;
    } else if (!this.pass) {
      // the encoder may hold buffer copies (copyBuffer) recorded since the last pass
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
      this.passPipeline = null;
    }
    // a run of one op (a chain of adds, the optimizer's steps) binds its pipeline once
    if (pipeline !== this.passPipeline) this.pass.setPipeline(pipeline);
    this.passPipeline = pipeline;
    this.pass.setBindGroup(0, group);
    this.pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.dispatches++;
    this.flushAtEndOfTask();
  }

  /**
   * Submits at the end of the current task. Held work is marked there instead, and the drain submits
   * at the marks: held or not, each task's work runs in the same batches at the same params slots, so
   * its bind groups come from the cache (a drain of many tasks in one run of batches would shift every
   * task's dispatches across slots, and each shift costs a new set of bind groups).
   */
  private flushAtEndOfTask(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const last = this.held[this.held.length - 1];
      if (last) last.endsTask = true;
      this.flush();
    });
  }

  private hold(
    kernel: Kernel,
    inputs: readonly Resource[],
    outputs: readonly Resource[],
    params: ParamValues,
    overrides: Overrides,
    grid: readonly [number, number, number],
  ): void {
    // packed now, so a bad param throws at the op that passed it, not later in the drain
    const packed = new Uint8Array(kernel.paramsSize);
    this.registry.packParams(kernel, params, new DataView(packed.buffer), 0);
    if (this.held.length === 0) this.flush(); // what was recorded before runs first
    this.held.push({
      kernel,
      overrides,
      inputs,
      outputs,
      params: packed,
      grid,
      compiled: this.registry.compileAsync(kernel.name, overrides),
      endsTask: false,
    });
    this.flushAtEndOfTask();
    this.draining ??= this.drain();
  }

  /** Waits for the held dispatches' pipelines, then encodes and submits them in order. */
  private async drain(): Promise<void> {
    try {
      for (;;) {
        await Promise.all(this.held.map((h) => h.compiled));
        // more work may have been held during the wait, some of it needing other pipelines
        if (!this.held.every((h) => (h.pipeline ??= this.registry.compiled(h.kernel.name, h.overrides)))) continue;
        const batch = this.held;
        this.held = [];
        for (const h of batch) {
          const slotBytes = this.reserveSlot(h.kernel);
          new Uint8Array(this.arenaData, this.arenaUsed, h.params.length).set(h.params);
          this.encode(h.kernel, h.pipeline!, h.inputs, h.outputs, h.grid, slotBytes);
          if (h.endsTask) this.flush();
        }
        this.flush();
        return;
      }
    } catch (error) {
      this.held = []; // the work is lost; the next readback reports why
      this.compileFailure ??= error as Error;
    } finally {
      this.draining = null;
    }
  }

  /** Submits everything recorded so far, with the copies `after` adds once the pass has ended. */
  flush(after?: (encoder: GPUCommandEncoder) => void): void {
    if (!this.encoder && !after) return;
    const encoder = this.encoder ?? this.device.createCommandEncoder();
    this.pass?.end();
    after?.(encoder);
    const readTimes = this.profiler?.resolve(encoder);
    if (this.arenaUsed) this.device.queue.writeBuffer(this.arena, 0, this.arenaData, 0, this.arenaUsed);
    this.device.queue.submit([encoder.finish()]);
    readTimes?.();
    this.submits++;
    this.encoder = null;
    this.pass = null;
    this.arenaUsed = 0;
    this.dispatches = 0;
    if (this.held.length === 0) {
      // held work still reads buffers freed since, and retired textures
      this.pool.submitted();
      if (this.retired.length) this.retired.splice(0).forEach((texture) => texture.destroy());
    }
  }

  /** Destroys `texture` once the work recorded or held so far, which may bind it, is submitted. */
  retire(texture: GPUTexture): void {
    this.retired.push(texture);
  }

  /** Counters for tests and benchmarks: after warm-up, a training step must not create bind groups. */
  stats(): {
    bindGroupsCreated: number;
    bindGroupsCached: number;
    submits: number;
    held: number;
    compiles: { sync: number; async: number };
  } {
    return {
      bindGroupsCreated: this.bindGroupsCreated,
      bindGroupsCached: this.bindGroups.size,
      submits: this.submits,
      held: this.held.length,
      compiles: { ...this.registry.compiles },
    };
  }

  /** Resolves once no dispatch is held for a compile; throws (once) if a held kernel failed to compile. */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
    this.throwCompileFailure();
  }

  private throwCompileFailure(): void {
    const failure = this.compileFailure;
    this.compileFailure = null;
    if (failure) {
      throw new Error(
        `webgpu backend: a kernel failed to compile, and the work that needed it was dropped: ${failure.message}`,
        { cause: failure },
      );
    }
  }

  /** Copies each (buffer, bytes) to the host in one submit, after all work recorded so far. */
  async read(...requests: readonly (readonly [GPUBuffer, number])[]): Promise<ArrayBuffer[]> {
    const offsets: number[] = [];
    let size = 0;
    // the copies go after the held work; checked again after each wait, as more may be held meanwhile
    while (this.draining) await this.draining;
    this.throwCompileFailure();
    for (const [, bytes] of requests) {
      offsets.push(size);
      size += Math.max(4, Math.ceil(bytes / 4) * 4);
    }
    const staging = this.takeStaging(size);
    this.flush((encoder) =>
      requests.forEach(([buffer, bytes], i) => {
        if (bytes > 0) encoder.copyBufferToBuffer(buffer, 0, staging, offsets[i], Math.ceil(bytes / 4) * 4);
      }),
    );
    let mapped = false;
    try {
      await paced(() => staging.mapAsync(MapMode.READ, 0, size));
      mapped = true;
      const all = staging.getMappedRange(0, size);
      return requests.map(([, bytes], i) => all.slice(offsets[i], offsets[i] + bytes));
    } finally {
      if (mapped) this.returnStaging(staging);
      else staging.destroy(); // a failed map (a lost device): not worth keeping
    }
  }

  /** A MAP_READ buffer of at least `size` bytes: the smallest kept one that fits, or a new one. */
  private takeStaging(size: number): GPUBuffer {
    let best = -1;
    this.freeStaging.forEach((b, i) => {
      if (b.size >= size && (best < 0 || b.size < this.freeStaging[best].size)) best = i;
    });
    if (best >= 0) return this.freeStaging.splice(best, 1)[0];
    return this.device.createBuffer({
      label: 'readback',
      size: bucketSize(size),
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
  }

  private returnStaging(staging: GPUBuffer): void {
    staging.unmap();
    this.freeStaging.push(staging);
    let kept = this.freeStaging.reduce((n, b) => n + b.size, 0);
    while (kept > STAGING_KEEP_BYTES) {
      // the oldest go first
      const dropped = this.freeStaging.shift()!;
      kept -= dropped.size;
      dropped.destroy();
    }
  }
}

/** Workgroup grid for `count` workgroups: along x up to the 65535 limit, the rest wrapped into y. */
export function gridFor(count: number): [number, number, number] {
  if (count === 0) return [0, 1, 1];
  const x = Math.min(count, 65535);
  return [x, Math.ceil(count / x), 1];
}

/**
 * Invocations per row for the row kernels of workgroups of 64 (softmax-CE, argmax, strided reduce):
 * about 16 elements each, a power of two from 1 to 64. On CPU adapters every workgroup has a fixed
 * cost, so a workgroup per ten-class row costs 64× what one workgroup of 64 such rows does.
 */
export function lanesFor(rowLength: number): number {
  return Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(rowLength / 16)))));
}

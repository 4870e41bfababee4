// The kernel registry: loads each shader from the generated bundle of shaders/, prepends the
// prelude (below the shader's `enable` directives), builds explicit bind-group layouts from the
// kernel's layout (its bindings and params offsets, reflected from the shader at build time by
// scripts/bundle-shaders.mjs into generated/kernels.ts, so no WGSL is parsed here), packs params by
// member name at those offsets, and caches pipelines per override-constant set. A user's own kernel
// joins through `define` with a layout reflected at run time (custom-kernel.ts). Pipelines compile
// either synchronously on first use or asynchronously (compileAsync, which the command recorder uses
// so that no thread waits on a compile); `compiles` counts each kind. The checks here are the
// backstop at run time, including that the build's op-code tables still match the shader's constants.
import { paced } from './dawn-pacing.js';
import { ACTIVATION_CODES, KERNEL_LAYOUTS, KERNEL_OPS, type KernelName, type KernelOp } from './generated/kernels.js';
import { shaderSources } from './generated/shaders.js';
import { ShaderStage } from './gpu-flags.js';
import type { BindingKind, KernelLayout, ParamMember } from './kernel-layout.js';

const ENABLE_DIRECTIVE = /^\s*enable\s+[^;]+;[^\n]*\n?/gm;

/** The prelude prepended to a kernel's source, with the kernel's `enable ...;` directives hoisted
 *  above it: WGSL requires every directive before the first declaration. */
export function withPrelude(prelude: string, source: string): string {
  const enables = source.match(ENABLE_DIRECTIVE) ?? [];
  if (!enables.length) return `${prelude}\n${source}`;
  return `${enables.map((e) => e.trim()).join('\n')}\n${prelude}\n${source.replace(ENABLE_DIRECTIVE, '')}`;
}

export interface Kernel {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly paramsSize: number;
  readonly layout: GPUBindGroupLayout;
  readonly pipelineLayout: GPUPipelineLayout;
  /** The shader's and the prelude's `const NAME: u32 = Nu;` codes by name (OP_*, ACT_*), for its override constants. */
  readonly constants: ReadonlyMap<string, number>;
  readonly params: ReadonlyMap<string, ParamMember>;
  readonly module: GPUShaderModule;
}

export type ParamValues = Readonly<Record<string, number | readonly number[]>>;
export type Overrides = Readonly<Record<string, number>>;

/** A pipeline's cache key: the kernel and its override values (cheaper than JSON on the hot path). */
function pipelineKey(name: string, overrides: Overrides): string {
  let key = name;
  for (const k in overrides) key += ` ${k}=${overrides[k]}`;
  return key;
}

const constantName = (prefix: string, op: string) => `${prefix}${op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
const opConstant = (op: string) => constantName('OP_', op);

/** `table` (camelCase name → code) against the `prefix` constants the shader declares; throws on any difference. */
function checkCodes(
  kernel: string,
  prefix: string,
  table: Readonly<Record<string, number>>,
  constants: ReadonlyMap<string, number>,
): void {
  const generated = Object.entries(table)
    .map(([op, code]) => `${constantName(prefix, op)}=${code}`)
    .sort();
  const reflected = [...constants]
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, code]) => `${key}=${code}`)
    .sort();
  if (generated.join() !== reflected.join()) {
    throw new Error(
      `kernel ${kernel}: generated/kernels.ts has ${generated.join(', ') || `no ${prefix}* codes`} ` +
        `but the shaders declare ${reflected.join(', ') || 'none'}; run scripts/bundle-shaders.mjs`,
    );
  }
}

/**
 * The ops read their OP_* and ACT_* codes from the build's tables (generated/kernels.ts); a bundle
 * built from other shaders than the ones loaded would dispatch wrong ops silently, so any difference
 * throws when the kernel loads.
 */
function checkCodeTables(name: string, constants: ReadonlyMap<string, number>): void {
  checkCodes(
    name,
    'OP_',
    (KERNEL_OPS as Readonly<Record<string, Readonly<Record<string, number>>>>)[name] ?? {},
    constants,
  );
  checkCodes(name, 'ACT_', ACTIVATION_CODES, constants);
}

/** The bind-group layout entry of each kind of binding, less its index and visibility. */
const BINDING_ENTRIES: { readonly [K in BindingKind]: Omit<GPUBindGroupLayoutEntry, 'binding' | 'visibility'> } = {
  read: { buffer: { type: 'read-only-storage' } },
  read_write: { buffer: { type: 'storage' } },
  texture: { texture: { sampleType: 'unfilterable-float', viewDimension: '2d' } },
  storage_texture: { storageTexture: { access: 'write-only', format: 'rgba32float', viewDimension: '2d' } },
};

export class KernelRegistry {
  private readonly kernels = new Map<string, Kernel>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly compiling = new Map<string, Promise<void>>();
  /** Pipelines compiled so far, on first use (`sync`) or by compileAsync (`async`). */
  readonly compiles = { sync: 0, async: 0 };
  private readonly opCodes = new Map<string, number>();
  private readonly custom = new Map<string, { source: string; layout: KernelLayout }>();

  constructor(private readonly device: GPUDevice) {}

  get(name: string): Kernel {
    let kernel = this.kernels.get(name);
    if (!kernel) {
      kernel = this.load(name);
      this.kernels.set(name, kernel);
    }
    return kernel;
  }

  /**
   * Adds a kernel that is not one of the shaders/ files (a user's own, custom-kernel.ts): its source
   * (the prelude is prepended, as for every kernel) and its layout, reflected from that source.
   */
  define(name: string, source: string, layout: KernelLayout): void {
    if (Object.hasOwn(shaderSources, name) || this.custom.has(name)) {
      throw new Error(`kernel ${name}: a kernel of this name exists already; give the custom kernel another name`);
    }
    this.custom.set(name, { source, layout });
  }

  private load(name: string): Kernel {
    const custom = this.custom.get(name);
    const source = custom?.source ?? shaderSources[name];
    const layout = custom?.layout ?? (KERNEL_LAYOUTS as Readonly<Record<string, KernelLayout>>)[name];
    if (source === undefined || layout === undefined || name === 'prelude') {
      throw new Error(`kernel ${name}: no shader shaders/**/${name}.wgsl`);
    }
    const code = withPrelude(shaderSources.prelude, source);
    const entries: GPUBindGroupLayoutEntry[] = layout.bindings.map((kind, binding) => ({
      binding,
      visibility: ShaderStage.COMPUTE,
      ...BINDING_ENTRIES[kind],
    }));
    entries.push({ binding: entries.length, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    const bindGroupLayout = this.device.createBindGroupLayout({ label: name, entries });
    // the prelude's codes too: the ACT_* of the fused epilogues live there
    const constants = new Map(
      [...`${shaderSources.prelude}\n${source}`.matchAll(/^const ([A-Z][A-Z0-9_]*): u32 = (\d+)u;/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    if (!custom) checkCodeTables(name, constants);
    return {
      name,
      inputs: layout.inputs,
      outputs: layout.outputs,
      paramsSize: layout.paramsSize,
      layout: bindGroupLayout,
      constants,
      params: new Map(layout.params.map((m) => [m.name, m])),
      pipelineLayout: this.device.createPipelineLayout({ label: name, bindGroupLayouts: [bindGroupLayout] }),
      module: this.device.createShaderModule({ label: name, code }),
    };
  }

  /** The value of `const <key>: u32` in kernel `name`; throws naming the kernel when the shader lacks it. */
  constant(name: string, key: string): number {
    const code = this.get(name).constants.get(key);
    if (code === undefined) throw new Error(`kernel ${name}: no ${key} constant`);
    return code;
  }

  /** The code of OP_<NAME> for a camelCase op name (leakyRelu → OP_LEAKY_RELU), read from the shader. */
  opCode<K extends KernelName>(name: K, op: KernelOp<K>): number {
    const key = `${name}:${op}`;
    let code = this.opCodes.get(key); // memoized: callers may ask per dispatch
    if (code === undefined) {
      code = this.constant(name, opConstant(op));
      this.opCodes.set(key, code);
    }
    return code;
  }

  private pipelineDescriptor(kernel: Kernel, overrides: Overrides): GPUComputePipelineDescriptor {
    return {
      label: kernel.name,
      layout: kernel.pipelineLayout,
      compute: { module: kernel.module, entryPoint: 'main', constants: { ...overrides } },
    };
  }

  pipeline(name: string, overrides: Overrides = {}): GPUComputePipeline {
    const key = pipelineKey(name, overrides);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline(this.pipelineDescriptor(this.get(name), overrides));
      this.compiles.sync++;
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** The pipeline if it is compiled already; never compiles. */
  compiled(name: string, overrides: Overrides = {}): GPUComputePipeline | undefined {
    return this.pipelines.get(pipelineKey(name, overrides));
  }

  /**
   * Compiles a pipeline without blocking the caller's thread; resolves once `pipeline()` has it. A
   * compile already in flight is shared, and a failed one is forgotten so a later call retries.
   */
  compileAsync(name: string, overrides: Overrides = {}): Promise<void> {
    const key = pipelineKey(name, overrides);
    if (this.pipelines.has(key)) return Promise.resolve();
    let compiling = this.compiling.get(key);
    if (!compiling) {
      const kernel = this.get(name),
        descriptor = this.pipelineDescriptor(kernel, overrides);
      compiling = paced(() => this.device.createComputePipelineAsync(descriptor))
        .then(
          (pipeline) => {
            this.pipelines.set(key, pipeline);
            this.compiles.async++;
          },
          async (error: Error) => {
            // the pipeline error only says the module is invalid; the WGSL compiler's own words are here
            const { messages } = await kernel.module.getCompilationInfo();
            const errors = messages
              .filter((m) => m.type === 'error')
              .map((m) => `${m.message} (line ${m.lineNum} of the prelude + shader)`);
            throw new Error(
              `kernel ${name}${key === name ? '' : ` (${key})`}: does not compile: ${errors.join('; ') || error.message}`,
              { cause: error },
            );
          },
        )
        .finally(() => this.compiling.delete(key));
      this.compiling.set(key, compiling);
    }
    return compiling;
  }

  /** Compiles pipelines ahead of their first use, in parallel, without blocking the caller's thread. */
  async precompile(list: readonly { name: KernelName; overrides?: Overrides }[]): Promise<void> {
    await Promise.all(list.map(({ name, overrides }) => this.compileAsync(name, overrides)));
  }

  /**
   * Writes `values` into `view` at the reflected offsets; every member must be given, no others.
   * It runs once per dispatch, so it allocates nothing (a small op's garbage was mostly made here).
   */
  packParams(kernel: Kernel, values: ParamValues, view: DataView, base: number): void {
    for (const key in values) {
      if (!kernel.params.has(key)) {
        throw new Error(
          `kernel ${kernel.name}: params has no member '${key}'; members: ${[...kernel.params.keys()].join(', ')}`,
        );
      }
    }
    for (const { name, offset, scalar, count } of kernel.params.values()) {
      const value = values[name];
      if (value === undefined) throw new Error(`kernel ${kernel.name}: params.${name} was not given`);
      const scalarGiven = typeof value === 'number';
      if (!scalarGiven && value.length > count) {
        throw new Error(`kernel ${kernel.name}: params.${name} holds ${count} values, got ${value.length}`);
      }
      for (let j = 0; j < count; j++) {
        const at = base + offset + 4 * j,
          v = scalarGiven ? (j === 0 ? value : 0) : (value[j] ?? 0);
        if (scalar === 'f32') view.setFloat32(at, v, true);
        else if (scalar === 'i32') view.setInt32(at, v, true);
        else view.setUint32(at, v, true);
      }
    }
  }
}

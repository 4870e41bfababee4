// Custom ops: a user's own WGSL kernel as an op of the engine. `customOp` reflects the kernel once
// (wgsl_reflect, imported here on first use only, so the library's bundle does without it) into the
// same layout the built-in kernels get at build time, and returns a function of tensors: on a WebGPU
// backend it dispatches the kernel through that backend's registry (explicit bind-group layout,
// params packed by member name, poisoned outputs in tests), on any other backend it runs the
// `reference`, composed of existing ops, which is also what @webgrad/webgpu/testing checks the
// kernel against in float64. Its gradient is the `grad` given: composed ops, or other custom ops.
import {
  runOp,
  sizeOf,
  type DType,
  type GradRule,
  type OpDef,
  type Shape,
  type Tensor,
  type TensorInfo,
} from '@webgrad/core';
import { WebGPUBackend } from './backend.js';
import { gridFor, type Dispatch } from './commands.js';
import { layoutFromReflection, type KernelLayout } from './kernel-layout.js';
import { withPrelude, type ParamValues } from './kernels.js';
import { shaderSources } from './generated/shaders.js';

/**
 * The layout of a kernel from its WGSL source (the prelude is prepended, as the registry does): its
 * bindings and params, checked against the binding convention. Loads wgsl_reflect on first use.
 */
export async function reflectKernelLayout(name: string, source: string): Promise<KernelLayout> {
  const { WgslReflect } = await import('wgsl_reflect/wgsl_reflect.module.js');
  let reflect;
  try {
    reflect = new WgslReflect(withPrelude(shaderSources.prelude, source));
  } catch (error) {
    throw new Error(`kernel ${name}: wgsl_reflect cannot parse it: ${(error as Error).message}`, { cause: error });
  }
  return layoutFromReflection(name, reflect);
}

export interface CustomOpDefinition {
  /** The op's and its kernel's name, in errors and in profiles; not a built-in kernel's name. */
  readonly name: string;
  /**
   * The forward kernel in WGSL: entry point `main`; bindings in the convention (each input
   * `var<storage, read>` in the op's argument order, then the output `var<storage, read_write>`,
   * then `var<uniform> params`); the prelude (flat_index, …) is prepended.
   */
  readonly forward: string;
  /** The op in existing ops: what runs on any other backend, and what the kernel is tested against. */
  readonly reference: (...xs: Tensor[]) => Tensor;
  /**
   * dL/dx per input from dy = dL/d(output), the inputs and the output, written with ops (custom ones
   * included), or 'nonDifferentiable'.
   */
  readonly grad: ((dy: Tensor, inputs: readonly Tensor[], output: Tensor) => Tensor[]) | 'nonDifferentiable';
  /** The output's shape from the inputs' (default: the first input's, as for an elementwise op). */
  readonly outputShape?: (inputs: readonly Shape[]) => Shape;
  /** The output's dtype (default: the first input's). */
  readonly outputDtype?: DType;
  /** The params uniform's values (default: `{ size }`, the output's element count). */
  readonly params?: (inputs: readonly Shape[], output: Shape) => ParamValues;
  /** Workgroups along x, y, z (default: one per 256 output elements, wrapped into y for flat_index). */
  readonly grid?: (inputs: readonly Shape[], output: Shape) => readonly [number, number, number];
}

/** Each backend's registry learns a custom kernel on the kernel's first use there. */
const defined = new WeakMap<WebGPUBackend, Set<string>>();

function dispatchOn(
  backend: WebGPUBackend,
  def: CustomOpDefinition,
  layout: KernelLayout,
  inputs: readonly TensorInfo[],
  output: Shape,
) {
  let names = defined.get(backend);
  if (!names) defined.set(backend, (names = new Set()));
  if (!names.has(def.name)) {
    backend.registry.define(def.name, def.forward, layout);
    names.add(def.name);
  }
  const shapes = inputs.map((x) => x.shape);
  const ctx = backend.context;
  const out = ctx.allocate(output);
  const dispatch = {
    kernel: def.name,
    inputs: inputs.map((x) => ctx.buffer(x)),
    outputs: [out.buffer],
    params: def.params?.(shapes, output) ?? { size: sizeOf(output) },
    grid: def.grid?.(shapes, output) ?? gridFor(Math.ceil(sizeOf(output) / 256)),
  };
  // the registry checks a custom kernel's bindings and params at run time: tsc knows only the built-in ones
  ctx.commands.dispatch(dispatch as unknown as Dispatch);
  return out;
}

/** The op `def` describes, as a function of tensors (see the module comment). */
export async function customOp(def: CustomOpDefinition): Promise<(...xs: Tensor[]) => Tensor> {
  const layout = await reflectKernelLayout(def.name, def.forward);
  if (layout.outputs.length !== 1) {
    throw new Error(`customOp ${def.name}: the kernel has outputs (${layout.outputs.join(', ')}); expected one`);
  }
  const userGrad = def.grad;
  const grad: GradRule<undefined> | 'nonDifferentiable' =
    userGrad === 'nonDifferentiable'
      ? userGrad
      : (dy, inputs, output) => {
          let grads: Tensor[] | undefined;
          return inputs.map((_, i) => () => (grads ??= userGrad(dy, inputs, output))[i]);
        };
  const op: OpDef<undefined> = {
    name: def.name,
    infer: (xs) => {
      if (xs.length !== layout.inputs.length) {
        throw new Error(
          `${def.name}: got ${xs.length} inputs; its kernel reads ${layout.inputs.length} (${layout.inputs.join(', ')})`,
        );
      }
      return {
        shape: def.outputShape?.(xs.map((x) => x.shape)) ?? xs[0].shape,
        dtype: def.outputDtype ?? xs[0].dtype,
      };
    },
    kernel: (backend, inputs, _, out) => {
      if (!(backend instanceof WebGPUBackend)) throw new Error(`${def.name}: its kernel runs on WebGPU only`);
      return dispatchOn(backend, def, layout, inputs, out.shape);
    },
    grad,
  };
  return (...xs: Tensor[]) => {
    const onGpu = xs.length > 0 && xs[0].backend instanceof WebGPUBackend;
    return onGpu ? runOp(op, xs, undefined) : def.reference(...xs);
  };
}

// A kernel's interface as plain data: its bindings by name and kind, and its `params` members at
// their offsets, read from a wgsl_reflect reflection and checked against the binding convention
// (inputs read, then outputs read_write, then one `params` uniform; a texture_2d<f32> is an input, a
// write-only rgba32float storage texture an output). scripts/bundle-shaders.mjs runs it on every
// shader at build time and emits the results (generated/kernels.ts), so the library itself never
// parses WGSL; the registry reflects at run time only a user's own kernel (custom-kernel.ts). It
// takes the reflection as an argument and imports nothing at run time, so the build script can load it.

/** A resource variable as wgsl_reflect describes it: what of it a layout reads. */
interface ReflectedResource {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  readonly access: string;
  readonly size: number;
  readonly type: { readonly name: string; readonly format?: { readonly name: string } | null };
  readonly members?:
    | readonly {
        readonly name: string;
        readonly offset: number;
        readonly size: number;
        readonly type: { getTypeName(): string };
      }[]
    | null;
}

/**
 * What a layout reads of wgsl_reflect's WgslReflect, declared here so that the published types name
 * no type of wgsl_reflect (its module path has no typings of its own).
 */
export interface ReflectedShader {
  readonly storage: readonly ReflectedResource[];
  readonly textures: readonly ReflectedResource[];
  readonly uniforms: readonly ReflectedResource[];
}

export type ParamScalar = 'u32' | 'i32' | 'f32';

/** A member of the `params` uniform: where it sits, its scalar type, and how many 4-byte values it holds. */
export interface ParamMember {
  readonly name: string;
  readonly offset: number;
  readonly scalar: ParamScalar;
  readonly count: number;
}

/** How a binding is bound: a read-only or read-write storage buffer, a sampled or a storage texture. */
export type BindingKind = 'read' | 'read_write' | 'texture' | 'storage_texture';

export interface KernelLayout {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** One per input and output, in binding order; `params` is the binding after them. */
  readonly bindings: readonly BindingKind[];
  /** The uniform's size rounded up to 16 bytes. */
  readonly paramsSize: number;
  readonly params: readonly ParamMember[];
}

function scalarOf(typeName: string, kernel: string, member: string): ParamScalar {
  const match = typeName.match(/\b(u32|i32|f32)\b|vec\du|vec\di|vec\df/);
  if (!match) {
    throw new Error(
      `kernel ${kernel}: params.${member} has type ${typeName}; only u32/i32/f32 and arrays of them are packed`,
    );
  }
  const m = match[0];
  return m.startsWith('vec')
    ? ({ u: 'u32', i: 'i32', f: 'f32' } as const)[m[4] as 'u' | 'i' | 'f']
    : (m as ParamScalar);
}

type Resource = ReflectedResource;

function bindingKind(r: Resource, fail: (why: string) => never): BindingKind {
  const type = r.type.name;
  const format = r.type.format?.name;
  if (type === 'texture_2d' && format === 'f32') return 'texture';
  if (type === 'texture_storage_2d' && r.access === 'write' && format === 'rgba32float') return 'storage_texture';
  if (type.startsWith('texture')) {
    fail(
      `binding '${r.name}' is a ${type}<${format}>; ` +
        `only texture_2d<f32> inputs and texture_storage_2d<rgba32float, write> outputs are supported`,
    );
  }
  return r.access === 'read_write' ? 'read_write' : 'read';
}

/** The layout of kernel `name` from its reflection (prelude included); throws naming the kernel where the convention is broken. */
export function layoutFromReflection(name: string, reflect: ReflectedShader): KernelLayout {
  const resources = [...reflect.storage, ...reflect.textures, ...reflect.uniforms].sort(
    (a, b) => a.binding - b.binding,
  );
  const fail = (why: string): never => {
    throw new Error(
      `kernel ${name}: ${why} (binding convention: inputs read, outputs read_write, then one 'params' uniform)`,
    );
  };
  resources.forEach((r, i) => {
    if (r.group !== 0 || r.binding !== i) {
      fail(`binding '${r.name}' is @group(${r.group}) @binding(${r.binding}); expected group 0, binding ${i}`);
    }
  });
  const params = resources.at(-1);
  if (!params || params.name !== 'params' || reflect.uniforms.length !== 1) {
    return fail("the last binding must be the uniform 'params'");
  }
  const storage = resources.slice(0, -1);
  const writes = (r: Resource) => r.access === 'read_write' || r.access === 'write';
  const inputs = storage.filter((r) => !writes(r)).map((r) => r.name);
  const outputs = storage.filter(writes).map((r) => r.name);
  if (storage.findIndex(writes) !== inputs.length) fail('a read binding follows a read_write one');
  return {
    inputs,
    outputs,
    bindings: storage.map((r) => bindingKind(r, fail)),
    paramsSize: Math.ceil(params.size / 16) * 16,
    params: (params.members ?? []).map((m) => ({
      name: m.name,
      offset: m.offset,
      scalar: scalarOf(m.type.getTypeName(), name, m.name),
      count: m.size / 4,
    })),
  };
}

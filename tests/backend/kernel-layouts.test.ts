// The build's kernel tables against the shaders as they are on disk: every shaders/**/*.wgsl file is
// reflected here with wgsl_reflect (the prelude prepended, as the registry loads it) and its layout
// must equal the one scripts/bundle-shaders.mjs emitted into generated/kernels.ts, which the registry
// builds its bind-group layouts and params packing from. A shader edited without rerunning the
// script fails here, naming the kernel.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { KERNEL_LAYOUTS } from '../../packages/webgpu/src/generated/kernels.js';
import { shaderSources } from '../../packages/webgpu/src/generated/shaders.js';
import { reflectKernelLayout } from '@webgrad/webgpu';

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.wgsl') ? [join(dir, e.name)] : [],
  );
const onDisk = new Map(walk('shaders').map((file) => [basename(file, '.wgsl'), readFileSync(file, 'utf8')]));

describe('the kernel layouts emitted at build time', () => {
  it('bundle every shader on disk, as it is on disk', () => {
    expect(Object.keys(shaderSources).sort()).to.deep.equal([...onDisk.keys()].sort());
    for (const [name, source] of onDisk) {
      expect(shaderSources[name] === source, `${name}.wgsl bundled as on disk`).to.equal(true);
    }
    expect(Object.keys(KERNEL_LAYOUTS).sort()).to.deep.equal([...onDisk.keys()].filter((k) => k !== 'prelude').sort());
  });

  it("equal each shader's reflection now: bindings, params offsets, types and sizes", async () => {
    for (const [name, source] of onDisk) {
      if (name === 'prelude') continue;
      const reflected = await reflectKernelLayout(name, source);
      expect(
        KERNEL_LAYOUTS[name as keyof typeof KERNEL_LAYOUTS],
        `kernel ${name}: run scripts/bundle-shaders.mjs`,
      ).to.deep.equal(reflected);
    }
  });

  it('hold what the registry packs by: binary has inputs a, b and output out, and its params start with size', () => {
    const { inputs, outputs, bindings, params } = KERNEL_LAYOUTS.binary;
    expect({ inputs, outputs, bindings }).to.deep.equal({
      inputs: ['a', 'b'],
      outputs: ['out'],
      bindings: ['read', 'read', 'read_write'],
    });
    expect(params[0]).to.deep.equal({ name: 'size', offset: 0, scalar: 'u32', count: 1 });
  });
});

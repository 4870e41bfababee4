// Scratch rgba32float textures for kernels that read an operand packed into a texture (the texture
// GEMM's b, ops/matmul.ts). One texture per size, reused by every product of that size: a pack and the
// kernel that reads it are consecutive dispatches, and WebGPU orders dispatches that share a
// resource, so the next product may overwrite the texture as soon as this one is recorded. Textures
// of sizes unused the longest are dropped past KEEP_BYTES, and destroyed only once the work that
// binds them is submitted (commands.ts `retire`).
import type { CommandRecorder } from './commands.js';
import { TextureUsage } from './gpu-flags.js';

const KEEP_BYTES = 64 << 20;
const TEXEL_BYTES = 16;

export class ScratchTextures {
  // by size, the least recently used first (a Map keeps insertion order)
  private readonly kept = new Map<string, { texture: GPUTexture; view: GPUTextureView; bytes: number }>();
  private keptBytes = 0;
  /** Textures created so far (tests: after warm-up, training must not create any). */
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly commands: CommandRecorder,
  ) {}

  /** A view of a width × height texture that pack kernels write and GEMMs read. */
  view(width: number, height: number): GPUTextureView {
    const key = `${width}x${height}`;
    let entry = this.kept.get(key);
    if (entry) {
      this.kept.delete(key);
    } else {
      const texture = this.device.createTexture({
        label: `scratch ${key}`,
        size: [width, height],
        format: 'rgba32float',
        usage: TextureUsage.TEXTURE_BINDING | TextureUsage.STORAGE_BINDING,
      });
      entry = { texture, view: texture.createView(), bytes: width * height * TEXEL_BYTES };
      this.created++;
      this.keptBytes += entry.bytes;
      for (const [oldKey, old] of this.kept) {
        if (this.keptBytes <= KEEP_BYTES) break;
        this.kept.delete(oldKey);
        this.keptBytes -= old.bytes;
        this.commands.retire(old.texture);
      }
    }
    this.kept.set(key, entry);
    return entry.view;
  }
}

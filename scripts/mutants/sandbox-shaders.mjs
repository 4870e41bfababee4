// Stryker's build step (stryker.config.mjs), run inside its sandbox (.stryker-tmp/sandbox-*, two
// levels below the repository): writes the committed shaders/ there and bundles them, so the
// TypeScript mutants run against the committed kernels even while scripts/mutants/wgsl.mjs has a
// mutant planted in the working copy.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';

const repository = resolve(process.cwd(), '../..');
const archive = execFileSync('git', ['-C', repository, 'archive', 'HEAD', 'shaders'], { maxBuffer: 1 << 28 });
execSync('tar -x', { input: archive, stdio: ['pipe', 'inherit', 'inherit'] });
// Stryker links only the root node_modules into its sandbox; each package's own (wgsl_reflect for the
// shader bundler and the registry) is linked here.
for (const name of ['core', 'webgpu', 'layers']) {
  const modules = `packages/${name}/node_modules`;
  if (!existsSync(modules)) symlinkSync(resolve(repository, modules), modules, 'dir');
}
execFileSync(process.execPath, ['scripts/bundle-shaders.mjs'], { stdio: 'inherit' });

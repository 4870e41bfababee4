// Stryker's build step (stryker.config.mjs), run inside its sandbox (.stryker-tmp/sandbox-*, two
// levels below the repository): writes the committed shaders/ there and bundles them, so the
// TypeScript mutants run against the committed kernels even while scripts/mutants/wgsl.mjs has a
// mutant planted in the working copy.
import { execFileSync, execSync } from 'node:child_process';
import { resolve } from 'node:path';

const repository = resolve(process.cwd(), '../..');
const archive = execFileSync('git', ['-C', repository, 'archive', 'HEAD', 'shaders'], { maxBuffer: 1 << 28 });
execSync('tar -x', { input: archive, stdio: ['pipe', 'inherit', 'inherit'] });
execFileSync(process.execPath, ['scripts/bundle-shaders.mjs'], { stdio: 'inherit' });

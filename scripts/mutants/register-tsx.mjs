// Loaded first by Stryker's mocha runner (mochaOptions.require in stryker.config.mjs), inside a worker
// that has already moved into its sandbox: registers tsx with the path mapping of
// scripts/mutants/tsconfig.src.json resolved from that sandbox, so the tests load the sandbox's
// instrumented src. (`--import tsx` with TSX_TSCONFIG_PATH would read the mapping at process start,
// from the repository's own working copy, before the worker enters its sandbox.)
import { resolve } from 'node:path';
import { register } from 'tsx/esm/api';

register({ tsconfig: resolve(process.cwd(), 'scripts/mutants/tsconfig.src.json') });

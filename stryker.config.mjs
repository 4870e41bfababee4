// Stryker's mutation run over core's ops and layers' training (the TypeScript half of `npm run mutants`,
// run on demand, never in CI). The tests import the packages by name; tsx's path mapping
// (scripts/mutants/tsconfig.src.json, registered by scripts/mutants/register-tsx.mjs inside each
// worker's sandbox) points those names at each package's src/*.ts, so the sandbox's instrumented
// sources are what the tests load and no rebuild of dist is needed.
const mutants = process.env.WEBGRAD_MUTATE
  ? process.env.WEBGRAD_MUTATE.split(',')
  : ['packages/core/src/ops/*.ts', 'packages/layers/src/training.ts'];

export default {
  testRunner: 'mocha',
  plugins: ['@stryker-mutator/mocha-runner'],
  mutate: mutants,
  mochaOptions: {
    // the suites that exercise ops and fit; GEMM tuning, pacing, profiling and storage see none of them
    spec: process.env.WEBGRAD_MUTANT_TESTS
      ? process.env.WEBGRAD_MUTANT_TESTS.split(',')
      : [
          'tests/core/*.test.ts',
          ...[
            'kernels',
            'elementwise',
            'matmul',
            'binary-vec4',
            'reduce',
            'movement',
            'loss',
            'conv',
            'optim',
            'random',
            'train',
          ].map((name) => `tests/backend/${name}.test.ts`),
          ...['fit-reference', 'model', 'callbacks', 'conv'].map((name) => `tests/layers/${name}.test.ts`),
        ],
    require: ['scripts/mutants/register-tsx.mjs', 'tests/setup.ts'],
    // the large-shape cases compare the same op code on two backends at sizes that only test kernels
    grep: '/^(?!.*large: ).*$/',
  },
  coverageAnalysis: 'perTest',
  // a static mutant (one evaluated while a module loads: the op tables' literals) needs a fresh worker
  // each, since ESM cannot be reloaded; WEBGRAD_MUTANTS_STATIC=1 runs them too, at that cost
  ignoreStatic: process.env.WEBGRAD_MUTANTS_STATIC !== '1',
  concurrency: Number(process.env.WEBGRAD_MUTANT_WORKERS ?? 2),
  // a mutant that loops forever costs this plus a fresh worker (WebGPU set-up included)
  timeoutMS: Number(process.env.WEBGRAD_MUTANT_TIMEOUT_MS ?? 20_000),
  timeoutFactor: 1.5,
  dryRunTimeoutMinutes: 30,
  // the sandbox takes the committed shaders, re-bundled, so a WGSL mutant planted in the working copy
  // at the same time (scripts/mutants/wgsl.mjs) cannot leak in; git finds the repository above
  // .stryker-tmp/sandbox-*
  ignorePatterns: [
    '**/dist',
    'bench',
    'examples',
    'docs',
    'reports',
    'tests/browser',
    'tests/robustness',
    'shaders',
    'packages/webgpu/src/generated',
  ],
  buildCommand: 'node scripts/mutants/sandbox-shaders.mjs',
  incremental: process.env.WEBGRAD_MUTANTS_INCREMENTAL === '1',
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation/typescript.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
};

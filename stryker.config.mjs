// Stryker's mutation run over core's ops and layers' training (the TypeScript half of `npm run mutants`,
// run on demand, never in CI). The tests import the packages by name; tsx's path mapping
// (scripts/mutants/tsconfig.src.json, named by TSX_TSCONFIG_PATH, which scripts/mutants/run.mjs sets)
// points those names at each package's src/*.ts, so the sandbox's instrumented sources are what the
// tests load and no rebuild of dist is needed. Mocha runs in Stryker's worker, so tsx is loaded with
// testRunnerNodeArgs rather than the .mocharc's node-option.
const mutants = process.env.WEBGRAD_MUTATE ? process.env.WEBGRAD_MUTATE.split(',') : ['packages/core/src/ops/*.ts', 'packages/layers/src/training.ts'];

export default {
  testRunner: 'mocha',
  plugins: ['@stryker-mutator/mocha-runner'],
  mutate: mutants,
  mochaOptions: {
    // the suites that exercise ops and fit; GEMM tuning, pacing, profiling and storage see none of them
    spec: [
      'tests/core/*.test.ts',
      ...['kernels', 'elementwise', 'binary-vec4', 'reduce', 'movement', 'loss', 'conv', 'optim', 'train'].map((name) => `tests/backend/${name}.test.ts`),
      ...['fit-reference', 'model', 'callbacks', 'conv'].map((name) => `tests/layers/${name}.test.ts`),
    ],
    require: ['tests/setup.ts'],
    // the large-shape cases compare the same op code on two backends at sizes that only test kernels
    grep: '/^(?!.*large: ).*$/',
  },
  testRunnerNodeArgs: ['--import', 'tsx'],
  coverageAnalysis: 'perTest',
  // a static mutant (one evaluated while a module loads) needs a fresh worker each; ESM cannot be reloaded
  ignoreStatic: true,
  concurrency: Number(process.env.WEBGRAD_MUTANT_WORKERS ?? 2),
  timeoutMS: 60_000,
  dryRunTimeoutMinutes: 30,
  ignorePatterns: ['**/dist', 'bench', 'examples', 'docs', 'reports', 'tests/browser', 'tests/robustness'],
  incremental: process.env.WEBGRAD_MUTANTS_INCREMENTAL === '1',
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation/typescript.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
};

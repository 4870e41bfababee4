// The layering the codebase keeps, as data for tests/layering.test.ts: which package may import which,
// and within each package a rank table, bottom first. A file may import files of its own rank or
// lower, never higher; a file that matches no rank fails the test, so a new module is placed on
// purpose. Patterns are paths under the package's src/, where `*` stands for any name within one
// folder.

export type PackageName = 'core' | 'webgpu' | 'layers';

/** The packages each package may import: layers → core ← webgpu. */
export const packageImports: { [P in PackageName]: readonly PackageName[] } = {
  core: [],
  webgpu: ['core'],
  layers: ['core'],
};

/** Each package's ranks, bottom first; each rank lists the file patterns that belong to it. */
export const ranks: { [P in PackageName]: readonly (readonly string[])[] } = {
  core: [
    ['dtype.ts', 'rng.ts', 'graphviz.ts'],
    ['backend.ts'],
    ['cpu/*.ts'],
    ['tensor.ts'],
    ['engine.ts'],
    ['scope.ts'],
    ['ops/*.ts'],
    ['autodiff.ts'],
    ['optim.ts', 'debug.ts'],
    ['gradcheck.ts', 'trace.ts'],
    ['testing/*.ts'],
    ['index.ts'],
  ],
  // The backend split by op family: ops see only the narrow GpuContext; the autotune drives the GEMM ops;
  // backend.ts delegates to both and nothing imports it back.
  webgpu: [
    [
      'generated/*.ts',
      'wgsl-reflect.d.ts',
      'dawn-pacing.ts',
      'data-errors.ts',
      'device-loss.ts',
      'tuning-cache.ts',
      'gpu-flags.ts',
      'kernel-layout.ts',
    ],
    ['device.ts', 'profiler.ts'],
    ['kernels.ts', 'buffer-pool.ts', 'commands.ts', 'scratch-textures.ts'],
    ['context.ts'],
    ['ops/*.ts'],
    ['gemm-autotune.ts'],
    ['backend.ts'],
    ['custom-kernel.ts'],
    ['index.ts'],
    ['testing.ts'],
  ],
  // Persistence bottom-up: the ceilings a loaded file is held to, the file format, the stores that move it, the layers, the registry that
  // rebuilds them by class name, save, the model, and load on top.
  layers: [
    ['limits.ts'],
    ['format.ts'],
    ['storage-browser.ts'],
    ['storage.ts', 'keras-file.ts'],
    [
      'schedules.ts',
      'activations.ts',
      'initializers.ts',
      'regularizers.ts',
      'losses.ts',
      'gan-losses.ts',
      'graph.ts',
      'charts.ts',
      'sample-quality.ts',
    ],
    ['metrics.ts', 'optimizers.ts'],
    ['compile.ts'],
    ['layer.ts'],
    ['symbolic.ts', 'model-graph.ts'],
    ['layers/*.ts'],
    ['registry.ts'],
    ['tfjs-names.ts', 'tfjs-optimizers.ts'],
    ['tfjs-configs.ts', 'tfjs-training.ts'],
    ['tfjs-topology.ts', 'keras-layers.ts'],
    ['tfjs-format.ts', 'keras-config.ts', 'keras-training.ts'],
    ['keras-legacy.ts'],
    ['keras-format.ts'],
    ['save.ts'],
    ['callbacks.ts'],
    ['flow-summary.ts', 'flow-step.ts'],
    ['flow-charts.ts'],
    ['progress.ts', 'gradient-flow.ts', 'plot-model.ts', 'sample-weight.ts'],
    ['trace-model.ts'],
    ['training.ts'],
    ['plain-data.ts'],
    ['model.ts'],
    ['sequential.ts'],
    ['load.ts'],
    ['index.ts'],
  ],
};

import { defineConfig } from 'vitest/config';

// GPU tests share one software adapter (lavapipe) on 2 cores: running test files one at a
// time keeps shader compiles and kernels from fighting over the cores and keeps timings sane.
//
// Three projects, one run and one report (test names carry the project, e.g. `|tiled|`):
// - default: every test, on the kernels and limits this adapter gets (lavapipe: the
//   software kernels, its own limits and features);
// - tiled: the kernel suite again on the GPU-shaped tiled GEMM/convolution kernels
//   (ALEXNET_KERNELS=tiled), which a real GPU gets by default;
// - default-limits: the kernel suite on a device with WebGPU's default limits and no
//   optional features (no subgroups, shader-f16, timestamps), as a browser on a modest GPU
//   grants it (ALEXNET_GPU_LIMITS=default); the kernels are chosen for the adapter as usual.
// groupOrder runs the projects one after another rather than side by side.
const kernels = ['test/kernels/**/*.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'tiled', include: kernels, env: { ALEXNET_KERNELS: 'tiled' }, sequence: { groupOrder: 1 } } },
      {
        extends: true,
        test: { name: 'default-limits', include: kernels, env: { ALEXNET_GPU_LIMITS: 'default' }, sequence: { groupOrder: 2 } },
      },
    ],
  },
});

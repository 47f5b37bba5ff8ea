import { defineConfig } from 'vitest/config';

// GPU tests share one software adapter (lavapipe) on 2 cores: running test files one at a
// time keeps shader compiles and kernels from fighting over the cores and keeps timings sane.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

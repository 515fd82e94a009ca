// Lab tests: build network namespaces, capture on every hop, check the captures.
// Needs root (CI runs as root).  Namespaces are global state and the machine has few cores,
// so test files run one at a time; each lab run takes a few seconds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/lab/**/*.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});

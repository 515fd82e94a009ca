import { defineConfig } from 'vitest/config';

// Unit and conformance tests; the lab (network namespaces, root) has its own config.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/lab/**', 'node_modules/**'],
    testTimeout: 60_000,
  },
});

import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Files share one machine of 2 cores; PGlite is single-threaded and heavy to boot.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // Vite would load graphql's ESM build for our code while Pothos and Yoga (run by Node) load
    // the CommonJS one, and graphql refuses to mix the two; point ours at the same file Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
});

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

const TESTS = 'test/**/*.test.ts';
/** What a test file calls when it starts a jobgate child process (serve, node, migrate, or the
 * stalling node): each such spawn loads the whole app through tsx, seconds on an idle machine. */
const SPAWNS = /\bstartJobgate\(|\bstartSecureServer\(|stalling-node\.ts/;
/** The test files that spawn jobgate processes, found by what they call, so a new one joins them. */
const testDir = new URL('./test/', import.meta.url);
const processTests = readdirSync(testDir, { recursive: true, encoding: 'utf8' })
  .map((file) => file.replaceAll('\\', '/'))
  .filter((file) => file.endsWith('.test.ts') && SPAWNS.test(readFileSync(new URL(file, testDir), 'utf8')))
  .map((file) => `test/${file}`)
  .sort();

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Vite would load graphql's ESM build for our code while Pothos and Yoga (run by Node) load
    // the CommonJS one, and graphql refuses to mix the two; point ours at the same file Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit+runtime',
          include: [TESTS],
          exclude: processTests,
          // Files share one machine of 2 cores; PGlite is single-threaded and heavy to boot.
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'processes',
          include: processTests,
          // One file at a time (after the other project's files): spawns that load the app through
          // tsx side by side starve each other. A spawn is ready in ~6 s on an idle 2-core machine
          // and in ~30 s under a load of 16 (measured); a test or hook may start two or three, so
          // each gets 300 s (and each spawn 120 s to say it is ready: SPAWN_READY_MS).
          maxWorkers: 1,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});

// Bundles src/ into dist/bin/ (plain JavaScript ESM, with source maps) so `jobgate` runs without a
// TypeScript loader and without resolving and reading a thousand module files at every start: one
// entry (dist/bin/jobgate.js, enough for --help and version) and the chunks it imports when a command
// runs. Node resolving and loading jobgate and its packages file by file was most of a `serve`
// start-up: on PostgreSQL ~3.7 s of CPU before the ready line with tsc's file-per-module output,
// ~1.2 s bundled (same run, machine at a load of 19).
// Types are checked by `npm run typecheck`, not here. Run by `npm run build` and at install
// (`prepare`); bin/jobgate.mjs uses dist/ only while it is newer than every source file, else it
// runs the sources through tsx.
import { build } from 'esbuild';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bin');

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'bin', 'jobgate.ts')],
  outdir: out,
  // Every chunk sits in dist/bin/, one level under the package like src/<area>/, so the paths the
  // sources build from import.meta.url (../../package.json, ../../migrations, the worker file
  // beside its module) point at the same files from the bundle.
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Some packages compare constructor names; bundling may rename a class that shares its name.
  keepNames: true,
  external: [
    // PGlite finds its wasm and data files beside its own module, so it stays in node_modules.
    '@electric-sql/pglite',
    // pg's optional native binding, never installed.
    'pg-native',
  ],
  // Bundled CommonJS packages require Node's built-ins, which an ES module has no `require` for.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
// Plain JavaScript sources (the heartbeat worker) run as their own files, beside the chunk that
// starts them (it finds them from its import.meta.url).
for (const file of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
  if (file.endsWith('.mjs')) copyFileSync(join(root, 'src', file), join(out, basename(file)));
}
writeFileSync(join(root, 'dist', '.built'), `${new Date().toISOString()}\n`);

// PGlite's PostgreSQL as WebAssembly (~9 MB), compiled ahead of its first use. V8 compiles a module
// on background threads, so a compile started by the entry as soon as it knows the database is PGlite
// runs beside the main thread's own start-up work (loading the server, the runtime and the GraphQL
// schema, ~0.3 s) instead of after it, while PGlite would have read and compiled the file only once
// it was imported and constructed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let compiling: Promise<WebAssembly.Module | undefined> | undefined;

/**
 * Starts compiling PGlite's WebAssembly module (once per process) and resolves to it. Resolves to
 * undefined when the file cannot be read or compiled: PGlite then loads it itself, as without this,
 * and reports whatever is wrong in its own words. Never rejects, so a compile started early and never
 * awaited cannot become an unhandled rejection.
 */
export function compilePgliteWasm(): Promise<WebAssembly.Module | undefined> {
  // Read synchronously (a few ms from the page cache): an asynchronous read finishes only once the
  // main thread is free again, and then the modules it is loading are loaded and nothing is gained.
  compiling ??= new Promise<WebAssembly.Module>((resolve) => {
    const path = createRequire(import.meta.url).resolve('@electric-sql/pglite/pglite.wasm');
    resolve(WebAssembly.compile(readFileSync(path)));
  }).catch(() => undefined);
  return compiling;
}

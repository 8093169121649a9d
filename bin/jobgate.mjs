#!/usr/bin/env node
// Runs the compiled entry (dist/, built at install by `npm run build`) when it is up to date with
// every source file, else the TypeScript sources through tsx, so an edited checkout never runs
// stale code and a fresh install never pays for a TypeScript loader.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function builtIsFresh() {
  const built = statSync(new URL('dist/.built', root), { throwIfNoEntry: false });
  if (!built) return false;
  const src = new URL('src/', root);
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    if (statSync(`${entry.parentPath}/${entry.name}`).mtimeMs > built.mtimeMs) return false;
  }
  return true;
}

if (builtIsFresh()) {
  await import('../dist/bin/jobgate.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/bin/jobgate.ts');
}

// Compiles src/ to dist/ (plain JavaScript, same layout) so `jobgate` runs without a TypeScript
// loader. Types are checked by `npm run typecheck`, not here (--noCheck keeps the build to seconds).
// Run by `npm run build` and at install (`prepare`); bin/jobgate.mjs uses dist/ only while it is
// newer than every source file, else it runs the sources through tsx.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck'], {
  stdio: 'inherit',
});
// Plain JavaScript sources (the heartbeat worker) are copied as they are.
for (const file of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
  if (file.endsWith('.mjs')) cpSync(join(root, 'src', file), join(root, 'dist', file));
}
writeFileSync(join(root, 'dist', '.built'), `${new Date().toISOString()}\n`);

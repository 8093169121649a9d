// bin/jobgate.mjs runs the compiled dist/ only while it is newer than every source file; otherwise
// the TypeScript sources. Checked on a copy of the entry beside stand-in dist/ and src/ trees.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;

const run = () => execFileSync(process.execPath, [join(dir, 'bin/jobgate.mjs')], { encoding: 'utf8' }).trim();
const setTime = (path: string, seconds: number) => utimesSync(join(dir, path), seconds, seconds);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jobgate-bin-'));
  for (const sub of ['bin', 'dist/bin', 'src/bin', 'src/lib']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(join(repo, 'bin/jobgate.mjs'), join(dir, 'bin/jobgate.mjs'));
  copyFileSync(join(repo, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'dist/bin/jobgate.js'), "console.log('compiled');\n");
  writeFileSync(join(dir, 'src/bin/jobgate.ts'), "const from: string = 'sources';\nconsole.log(from);\n");
  writeFileSync(join(dir, 'src/lib/other.ts'), 'export {};\n');
  setTime('src/bin/jobgate.ts', 1_000);
  setTime('src/lib/other.ts', 1_000);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bin/jobgate.mjs', () => {
  it('runs the sources when nothing was built', () => {
    expect(run()).toBe('sources');
  });

  it('runs the compiled entry when the build is newer than every source file', () => {
    writeFileSync(join(dir, 'dist/.built'), 'now\n');
    setTime('dist/.built', 2_000);
    expect(run()).toBe('compiled');
  });

  it('runs the sources again once any source file is newer than the build', () => {
    setTime('src/lib/other.ts', 3_000);
    expect(run()).toBe('sources');
  });
});

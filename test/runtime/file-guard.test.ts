// The file guard (paths only inside the file roots, after symlinks) and the LocalFile listing it
// feeds (asynchronous and bounded), against a real file system.
import { mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileGuard, FileAccessError, type FileGuard } from '../../src/runtime/files/file-guard.ts';
import { listSplitFiles } from '../../src/runtime/plugins/local-file-source.ts';

let base: string;
let root: string;
let outside: string;
let guard: FileGuard;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'jobgate-guard-'));
  root = join(base, 'files');
  outside = join(base, 'files2'); // shares the root's name as a prefix: must still be outside
  await mkdir(join(root, 'in'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, 'in', 'ok.txt'), 'inside\n');
  await writeFile(join(outside, 'secret.txt'), 'SECRET\n');
  guard = await createFileGuard([root]);
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FileAccessError);
    return (err as Error).message;
  }
  return 'not refused';
}

describe('file guard', () => {
  it('resolves paths inside the root, relative ones against it, and ones that do not exist yet', async () => {
    expect(await guard.resolve(join(root, 'in', 'ok.txt'), 'path')).toBe(join(root, 'in', 'ok.txt'));
    expect(await guard.resolve('in/ok.txt', 'path')).toBe(join(root, 'in', 'ok.txt'));
    expect(await guard.resolve('in/../in/./ok.txt', 'path')).toBe(join(root, 'in', 'ok.txt'));
    expect(await guard.resolve(join(root, 'new', 'deeper', 'x'), 'path')).toBe(
      join(root, 'new', 'deeper', 'x'),
    );
    expect(await guard.resolve(root, 'path')).toBe(root);
  });

  it('refuses .. escapes, absolute paths elsewhere, a sibling sharing the prefix, NUL bytes', async () => {
    const outsideMessage = new RegExp(`is outside the file roots \\(file roots: ${root}\\)$`);
    expect(await refusal(guard.resolve('/etc/shadow', 'source[0].path'))).toMatch(
      /^source\[0\]\.path: \/etc\/shadow is outside the file roots/,
    );
    expect(await refusal(guard.resolve('../../../../etc/passwd', 'path'))).toMatch(outsideMessage);
    expect(await refusal(guard.resolve(join(root, '..', 'files2', 'secret.txt'), 'path'))).toMatch(
      outsideMessage,
    );
    expect(await refusal(guard.resolve(join(outside, 'secret.txt'), 'path'))).toMatch(outsideMessage);
    expect(await refusal(guard.resolve('/no/such/place', 'path'))).toMatch(outsideMessage);
    expect(await refusal(guard.resolve('in/ok.txt\0.png', 'path'))).toBe('path: must not contain NUL bytes');
    expect(await refusal(guard.resolve('', 'path'))).toBe('path: is required');
    expect(await refusal(guard.resolve('x'.repeat(5000), 'path'))).toMatch(/at most 4096 characters/);
  });

  it('follows symlinks: one leading inside is fine, one leading outside (or nowhere) is refused', async () => {
    const links = join(root, 'links');
    await mkdir(links);
    await symlink(join(root, 'in', 'ok.txt'), join(links, 'good'));
    await symlink(join(outside, 'secret.txt'), join(links, 'file-out'));
    await symlink(outside, join(links, 'dir-out'));
    await symlink(join(outside, 'not-yet'), join(links, 'dangling'));
    expect(await guard.resolve(join(links, 'good'), 'path')).toBe(join(root, 'in', 'ok.txt'));
    for (const name of ['file-out', 'dir-out', 'dir-out/secret.txt', 'dir-out/new/x', 'dangling']) {
      expect(await refusal(guard.resolve(join(links, name), 'path'))).toMatch(/outside the file roots/);
    }
    // Nothing is created through a link: not the directory, not the file.
    expect(await refusal(guard.makeDirectory(join(links, 'dir-out', 'made'), 'path'))).toMatch(/outside/);
    expect(await refusal(guard.makeDirectory(join(links, 'dangling', 'made'), 'path'))).toMatch(/outside/);
    expect(await refusal(guard.openAppend(join(links, 'dangling'), 'path'))).toMatch(/outside|symbolic/);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('opens for reading and appending inside the root; creates directories level by level', async () => {
    const handle = await guard.openRead('in/ok.txt', 'path');
    expect((await handle.readFile('utf8')).trim()).toBe('inside');
    await handle.close();
    const made = await guard.makeDirectory('out/a/b', 'path');
    expect(made).toBe(join(root, 'out', 'a', 'b'));
    const out = await guard.openAppend(join(made, 'part-0.txt'), 'path');
    await out.appendFile('row\n');
    await out.close();
    expect(await readFile(join(made, 'part-0.txt'), 'utf8')).toBe('row\n');
  });

  it('refuses a file swapped for a symlink after the definition was checked', async () => {
    const file = join(root, 'swap.txt');
    await writeFile(file, 'inside\n');
    expect(await guard.resolve(file, 'path')).toBe(file); // the definition-time check passes
    await rm(file);
    await symlink(join(outside, 'secret.txt'), file);
    expect(await refusal(guard.openRead(file, 'path'))).toMatch(/outside the file roots/);
    expect(await refusal(guard.openAppend(file, 'path'))).toMatch(/outside the file roots/);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET\n');
  });

  it('never reads outside while a directory is swapped back and forth with a symlink', async () => {
    // A racing swapper: `race/d` is the real directory one moment and a link to the outside the
    // next. Every open either reads the inside file or is refused; the secret is never read.
    const race = join(root, 'race');
    await mkdir(join(race, 'd'), { recursive: true });
    await writeFile(join(race, 'd', 'secret.txt'), 'inside\n');
    await symlink(outside, join(race, 'link'));
    let swapping = true;
    const swapper = (async () => {
      while (swapping) {
        await rename(join(race, 'd'), join(race, 'real'));
        await rename(join(race, 'link'), join(race, 'd'));
        await rename(join(race, 'd'), join(race, 'link'));
        await rename(join(race, 'real'), join(race, 'd'));
        await new Promise((r) => setImmediate(r)); // hold the real state a moment too
      }
    })();
    const seen = { inside: 0, refused: 0, secret: 0 };
    let tries = 0;
    for (; tries < 1500 || (seen.inside < 20 && tries < 10_000); tries++) {
      try {
        const handle = await guard.openRead(join(race, 'd', 'secret.txt'), 'path');
        const text = await handle.readFile('utf8');
        await handle.close();
        if (text.startsWith('SECRET')) seen.secret++;
        else seen.inside++;
      } catch {
        seen.refused++;
      }
    }
    swapping = false;
    await swapper;
    expect(seen.secret).toBe(0);
    expect(seen.inside).toBeGreaterThan(0); // positive control: the same opens do read when allowed
    expect(seen.refused).toBeGreaterThan(0); // and the swapper did get in their way
    expect(seen.inside + seen.refused).toBe(tries);
  });

  it('with several roots accepts each; with none refuses everything', async () => {
    const both = await createFileGuard([root, outside]);
    expect(await both.resolve(join(outside, 'secret.txt'), 'path')).toBe(join(outside, 'secret.txt'));
    const none = await createFileGuard([]);
    expect(await refusal(none.resolve(join(root, 'in', 'ok.txt'), 'path'))).toMatch(
      /no file roots are configured/,
    );
    await expect(createFileGuard([join(base, 'missing')])).rejects.toThrow(/does not exist/);
  });
});

describe('LocalFile listing', () => {
  it('lists a large tree without blocking the event loop', async () => {
    const tree = join(root, 'tree');
    for (let d = 0; d < 20; d++) {
      const dir = join(tree, `d${d}`);
      await mkdir(dir, { recursive: true });
      await Promise.all(Array.from({ length: 1000 }, (_, f) => writeFile(join(dir, `f${f}.txt`), '')));
    }
    let ticks = 0;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const started = performance.now();
    last = started;
    const found = await listSplitFiles({ path: tree }, guard);
    const took = performance.now() - started;
    clearInterval(timer);
    expect(found).toHaveLength(20_000);
    expect(found[0]).toBe(join(tree, 'd0', 'f0.txt'));
    // Relative, not a wall-time bound: timers kept firing all through the listing. A listing that
    // blocked would give one gap as long as the listing itself; the margin leaves room for a busy
    // machine's own pauses.
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(maxGap).toBeLessThan(took * 0.9);
  });

  it('refuses a tree past its bounds with a clear error, and skips symlinks inside it', async () => {
    const tree = join(root, 'bounded');
    await mkdir(join(tree, 'a', 'b', 'c'), { recursive: true });
    for (let i = 0; i < 12; i++) await writeFile(join(tree, `f${i}`), 'x\n');
    await symlink(join(outside, 'secret.txt'), join(tree, 'link-to-secret'));
    await symlink(outside, join(tree, 'link-to-dir'));
    expect(await listSplitFiles({ path: tree }, guard)).toHaveLength(12);
    await expect(listSplitFiles({ path: tree }, guard, { maxFiles: 10 })).rejects.toThrow(
      /^path: .* holds more than 10 files/,
    );
    await expect(listSplitFiles({ path: tree }, guard, { maxDepth: 2 })).rejects.toThrow(
      /^path: .* is nested more than 2 directories deep/,
    );
    await expect(listSplitFiles({ path: join(outside, 'secret.txt') }, guard)).rejects.toThrow(
      /outside the file roots/,
    );
  });
});

/**
 * The one gate between a path someone wrote (a plugin option, later an upload's name) and the node's
 * file system: a path is usable only if, after resolving `..` and every symlink, it lies inside one of
 * the configured file roots. Every feature that takes a path asks this guard, at definition time (the
 * API's roots) and again when it opens the file (the node's roots), because the tree may change in
 * between: a symlink swapped in after the check is caught by checking what was actually opened.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** A path refused by the guard; `option` names the setting that held it (e.g. `source[0].path`). */
export class FileAccessError extends Error {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'FileAccessError';
    this.option = option;
  }
}

export interface FileGuard {
  /** The roots, as real paths (symlinks resolved). Relative paths resolve against the first. */
  readonly roots: readonly string[];
  /**
   * The real path `path` names, if it lies inside a root. A path that does not exist yet (a sink's
   * output) is checked through its nearest existing ancestor. Throws FileAccessError otherwise.
   */
  resolve(path: string, option: string): Promise<string>;
  /** Opens a file inside the roots for reading; a symlink in its place is refused. */
  openRead(path: string, option: string): Promise<FileHandle>;
  /** Opens (creating it) a file inside the roots for appending; a symlink in its place is refused. */
  openAppend(path: string, option: string): Promise<FileHandle>;
  /** Creates a directory and its missing parents, each one checked to be inside the roots. */
  makeDirectory(path: string, option: string): Promise<string>;
}

const MAX_PATH_LENGTH = 4096;

/** A guard over `roots` (each must exist and be a directory). With no roots every path is refused. */
export async function createFileGuard(roots: readonly string[]): Promise<FileGuard> {
  const real: string[] = [];
  for (const root of roots) {
    let resolved: string;
    try {
      resolved = await realpath(resolve(root));
    } catch (err) {
      throw new Error(`file root ${root} does not exist`, { cause: err });
    }
    if (!(await stat(resolved)).isDirectory()) throw new Error(`file root ${root} is not a directory`);
    if (!real.includes(resolved)) real.push(resolved);
  }
  return new RootedFileGuard(real);
}

/** True when `path` is `root` or below it (`/data/files2` is not below `/data/files`). */
export function isInsideRoot(path: string, root: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

class RootedFileGuard implements FileGuard {
  constructor(readonly roots: readonly string[]) {}

  private describeRoots(): string {
    return this.roots.length ? `file roots: ${this.roots.join(', ')}` : 'no file roots are configured';
  }

  private outside(path: string, option: string): FileAccessError {
    return new FileAccessError(option, `${path} is outside the file roots (${this.describeRoots()})`);
  }

  private inside(real: string): boolean {
    return this.roots.some((root) => isInsideRoot(real, root));
  }

  /** The absolute, normalized form of a written path; refuses what no file system would accept. */
  private absolute(path: string, option: string): string {
    if (typeof path !== 'string' || path === '') throw new FileAccessError(option, 'is required');
    if (path.includes('\0')) throw new FileAccessError(option, 'must not contain NUL bytes');
    if (path.length > MAX_PATH_LENGTH) {
      throw new FileAccessError(option, `must be at most ${MAX_PATH_LENGTH} characters`);
    }
    if (this.roots.length === 0) throw this.outside(path, option);
    return isAbsolute(path) ? resolve(path) : resolve(this.roots[0]!, path);
  }

  async resolve(path: string, option: string): Promise<string> {
    const absolute = this.absolute(path, option);
    // Walk up to the nearest ancestor that exists; what lies below it cannot hold a symlink yet.
    let existing = absolute;
    let rest = '';
    for (;;) {
      try {
        const real = await realpath(existing);
        const full = rest ? join(real, rest) : real;
        if (!this.inside(full)) throw this.outside(path, option);
        return full;
      } catch (err) {
        if (err instanceof FileAccessError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') {
          // EACCES, ELOOP, ...: decide on the lexical path alone, never reveal more than that.
          if (!this.inside(absolute)) throw this.outside(path, option);
          throw new FileAccessError(option, `${path} cannot be resolved (${code ?? 'error'})`);
        }
        // A dangling symlink: where it would lead is not known until something is created there.
        if (
          await lstat(existing).then(
            (s) => s.isSymbolicLink(),
            () => false,
          )
        ) {
          throw this.outside(path, option);
        }
        const parent = dirname(existing);
        if (parent === existing) throw this.outside(path, option);
        rest = rest ? join(basename(existing), rest) : basename(existing);
        existing = parent;
      }
    }
  }

  /** After an open: the file the descriptor really names must still be inside the roots. */
  private async verifyOpened(handle: FileHandle, checked: string, path: string, option: string) {
    let ok: boolean;
    try {
      if (process.platform === 'linux') {
        ok = this.inside(await readlink(`/proc/self/fd/${handle.fd}`));
      } else {
        // No descriptor-to-path lookup: the opened file must be the very file at the checked path.
        const [opened, there] = await Promise.all([handle.stat(), stat(checked)]);
        ok = opened.dev === there.dev && opened.ino === there.ino && this.inside(await realpath(checked));
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      await handle.close().catch(() => {});
      throw new FileAccessError(option, `${path} moved outside the file roots while it was opened`);
    }
  }

  async openRead(path: string, option: string): Promise<FileHandle> {
    const real = await this.resolve(path, option);
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: unknown) => {
      throw openError(err, path, option);
    });
    await this.verifyOpened(handle, real, path, option);
    return handle;
  }

  async openAppend(path: string, option: string): Promise<FileHandle> {
    const real = await this.resolve(path, option);
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
    const handle = await open(real, flags, 0o644).catch((err: unknown) => {
      throw openError(err, path, option);
    });
    await this.verifyOpened(handle, real, path, option);
    return handle;
  }

  async makeDirectory(path: string, option: string): Promise<string> {
    const real = await this.resolve(path, option);
    // One level at a time, each checked: mkdir never follows a symlink in the final component, and a
    // parent swapped for a symlink is caught before anything is created below it.
    const missing: string[] = [];
    for (let dir = real; ; dir = dirname(dir)) {
      const found = await lstat(dir).catch(() => undefined);
      if (found) {
        if (!found.isDirectory() && !found.isSymbolicLink()) {
          throw new FileAccessError(option, `${path} is not a directory`);
        }
        break;
      }
      missing.unshift(dir);
      if (dirname(dir) === dir) break;
    }
    for (const dir of missing) {
      const parent = await realpath(dirname(dir)).catch(() => undefined);
      if (!parent || !this.inside(parent)) throw this.outside(path, option);
      await mkdir(dir).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(err, path, option);
      });
    }
    const made = await realpath(real).catch(() => undefined);
    if (!made || !this.inside(made)) throw this.outside(path, option);
    if (!(await stat(made)).isDirectory()) throw new FileAccessError(option, `${path} is not a directory`);
    return made;
  }
}

function openError(err: unknown, path: string, option: string): FileAccessError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new FileAccessError(option, `${path} is a symbolic link (refused)`);
  if (code === 'ENOENT') return new FileAccessError(option, `no such file or directory: ${path}`);
  return new FileAccessError(option, `${path} cannot be opened (${code ?? (err as Error).message})`);
}

/** The guard of a process with no file roots: every path is refused. */
export const noFileAccess: FileGuard = new RootedFileGuard([]);

// Where the secret key comes from: JOBGATE_SECRET_KEY (base64), or a key file (--secret-key-file), or
// else a key generated on first start in the data directory (outside the database) and reused later.
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { parseSecretKey, SECRET_KEY_BYTES } from '../lib/secret-box.ts';

export interface SecretKeySettings {
  /** Base64 of 32 bytes (JOBGATE_SECRET_KEY). */
  secretKey?: string;
  /** A file holding the key as base64 or as 32 raw bytes (--secret-key-file / JOBGATE_SECRET_KEY_FILE). */
  secretKeyFile?: string;
  dataDir: string;
  /** Set when jobgate runs on PostgreSQL: other processes may need the same key. */
  databaseUrl?: string;
}

/** The 32-byte key. The key itself is never logged; only where it came from. */
export function loadSecretKey(settings: SecretKeySettings, logger: Logger): Buffer {
  if (settings.secretKey) {
    const key = parseSecretKey(settings.secretKey);
    if (!key) {
      throw new ConfigError(
        `invalid configuration:\n  JOBGATE_SECRET_KEY: must be the base64 of ${SECRET_KEY_BYTES} bytes (e.g. openssl rand -base64 32)`,
      );
    }
    return key;
  }
  if (settings.secretKeyFile) {
    const file = resolve(settings.secretKeyFile);
    const key = readKeyFile(file, '--secret-key-file / JOBGATE_SECRET_KEY_FILE');
    warnIfReadableByOthers(file, logger);
    return key;
  }
  const file = join(resolve(settings.dataDir), 'secret.key');
  const key = readOrCreateKeyFile(file, logger);
  if (settings.databaseUrl) {
    logger.warn(
      { secretKeyFile: file },
      'no secret key configured: using one generated in the data directory; every gateway and node of a scaled-out install must be given the same key (--secret-key-file or JOBGATE_SECRET_KEY)',
    );
  }
  return key;
}

function readKeyFile(file: string, source: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `invalid configuration:\n  ${source}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const key = parseSecretKey(data);
  if (!key) {
    throw new ConfigError(
      `invalid configuration:\n  ${source}: ${file} must hold ${SECRET_KEY_BYTES} bytes or their base64`,
    );
  }
  return key;
}

/** Creates the file exclusively (mode 0600) so two processes starting at once end up with one key. */
function readOrCreateKeyFile(file: string, logger: Logger): Buffer {
  mkdirSync(join(file, '..'), { recursive: true });
  let fd: number | undefined;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (fd === undefined) {
    warnIfReadableByOthers(file, logger);
    return readKeyFile(file, 'the generated secret key');
  }
  const key = randomBytes(SECRET_KEY_BYTES);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  logger.info({ secretKeyFile: file }, 'generated a secret key for connection secrets');
  return key;
}

function warnIfReadableByOthers(file: string, logger: Logger) {
  try {
    if ((statSync(file).mode & 0o077) !== 0) {
      logger.warn({ secretKeyFile: file }, 'the secret key file is readable by other users; chmod 600 it');
    }
  } catch {
    // it was just read, so it exists; a stat failure is not worth failing the start
  }
}

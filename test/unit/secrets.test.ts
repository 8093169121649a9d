// The secret box, the secret key's sources, the sealing of definitions and safe error logging.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSecretKey } from '../../src/bin/secret-key.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createSecretBox, SecretOpenError } from '../../src/lib/secret-box.ts';
import { redactSecrets, revealSecrets, sealSecrets } from '../../src/runtime/definition/secret-options.ts';
import { createTestDatabase } from '../support/db.ts';

const dir = mkdtempSync(join(tmpdir(), 'jobgate-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination: stream }), lines };
}

describe('secret box', () => {
  it('seals with a fresh IV, opens with the same key only', () => {
    const box = createSecretBox(Buffer.alloc(32, 1));
    const a = box.seal('pw');
    expect(a).toMatch(/^v1:/);
    expect(a).not.toBe(box.seal('pw'));
    expect(box.open(a)).toBe('pw');
    expect(() => createSecretBox(Buffer.alloc(32, 2)).open(a)).toThrow(SecretOpenError);
    expect(() => box.open(a.slice(0, -4) + 'AAAA')).toThrow(SecretOpenError);
  });
});

describe('secret key', () => {
  it('is generated once in the data directory (mode 0600) and reused', () => {
    const { logger, lines } = capture();
    const dataDir = join(dir, 'gen');
    const first = loadSecretKey({ dataDir }, logger);
    const file = join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ dataDir }, logger).equals(first)).toBe(true);
    expect(lines.join('\n')).not.toContain(first.toString('base64'));
    // With PostgreSQL, a generated key comes with a warning about scaled-out installs.
    loadSecretKey({ dataDir, databaseUrl: 'postgres://h/db' }, logger);
    expect(lines.join('\n')).toMatch(/every gateway and node .* must be given the same key/);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('base64'));
  });

  it('comes from JOBGATE_SECRET_KEY or a key file when configured, and refuses a wrong one', () => {
    const { logger } = capture();
    const key = Buffer.alloc(32, 9);
    expect(loadSecretKey({ dataDir: dir, secretKey: key.toString('base64') }, logger).equals(key)).toBe(true);
    expect(() => loadSecretKey({ dataDir: dir, secretKey: 'c2hvcnQ=' }, logger)).toThrow(
      /JOBGATE_SECRET_KEY/,
    );
    expect(() => loadSecretKey({ dataDir: dir, secretKeyFile: join(dir, 'missing') }, logger)).toThrow(
      /--secret-key-file/,
    );
  });
});

describe('secret options', () => {
  const box = createSecretBox(Buffer.alloc(32, 3));
  const doc = {
    sink: [
      { plugin_name: 'Jdbc', url: 'postgresql://h/db', PASSWORD: 'pass-word-1', nested: { api_key: 7 } },
    ],
    note: 'postgresql://u:p2@h/db',
  };

  it('seals every secret-looking value at any depth and opens it back', () => {
    const sealed = sealSecrets(doc, box);
    // '-' is not in base64's alphabet, so a ciphertext cannot spell the secret by chance.
    expect(JSON.stringify(sealed)).not.toContain('pass-word-1');
    expect(revealSecrets(sealed, box)).toEqual({
      ...doc,
      sink: [{ ...doc.sink[0], nested: { api_key: '7' } }],
    });
    // A client-sent sealed object opens to the client's own text, never to a secret.
    const forged = sealSecrets({ password: { $sealed: sealed.sink[0]!.PASSWORD } }, box);
    expect(JSON.stringify(revealSecrets(forged, box))).not.toContain('pass-word-1');
  });

  it('redacts secret keys, sealed values and URL passwords', () => {
    const shown = redactSecrets(sealSecrets(doc, box));
    expect(shown.sink[0]!.PASSWORD).toBe('[redacted]');
    expect(shown.sink[0]!.nested).toEqual({ api_key: '[redacted]' });
    expect(shown.note).toBe('postgresql://u:***@h/db');
  });
});

describe('error logs', () => {
  it('a failed statement is logged without its parameters, and a huge error stays a few KB', async () => {
    const testDb = await createTestDatabase();
    const { logger, lines } = capture();
    const marker = `marker-${Date.now()}`;
    try {
      await testDb.database.db.execute(
        sql`insert into connections (name, url, created_by) values ('not a valid name!', ${marker}, ${marker})`,
      );
      throw new Error('the insert should have failed');
    } catch (err) {
      logger.error({ err }, 'statement failed');
      logger.info({ err }, 'statement failed (info)');
    } finally {
      await testDb.close();
    }
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toContain('connections_name_check'); // positive control: the error is there
      expect(line).not.toContain(marker);
    }
    logger.error({ err: new Error(`boom ${'x'.repeat(1_000_000)}`), big: 'y'.repeat(1_000_000) }, 'huge');
    expect(lines[2]!.length).toBeLessThan(32_768);
  });
});

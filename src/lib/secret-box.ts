/**
 * Encryption of secrets at rest (connection passwords, passwords in stored job definitions):
 * AES-256-GCM with a 32-byte key from the configuration, never stored in the database. A sealed value
 * is `v1:` + base64(iv ‖ tag ‖ ciphertext); a fresh random IV per value, so equal secrets never look
 * alike, and the tag makes a tampered or foreign value fail to open instead of decrypting to garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SECRET_KEY_BYTES = 32;
const PREFIX = 'v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A value that cannot be opened: sealed with another key, or not a sealed value at all. */
export class SecretOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretOpenError';
  }
}

export interface SecretBox {
  seal(plain: string): string;
  /** Throws SecretOpenError when the value was sealed with another key or was altered. */
  open(sealed: string): string;
}

export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== SECRET_KEY_BYTES) {
    throw new Error(`a secret key must be ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
  }
  const k = Buffer.from(key); // a private copy: the caller's buffer may be reused
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new SecretOpenError('not a sealed secret');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretOpenError('a sealed secret is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', k, raw.subarray(0, IV_BYTES));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new SecretOpenError(
          'a secret cannot be decrypted with this secret key (every gateway and node must share one key)',
        );
      }
    },
  };
}

/** Parses a key given as base64 (44 characters) or as 32 raw bytes; undefined when it is neither. */
export function parseSecretKey(data: Uint8Array | string): Buffer | undefined {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  if (buf.length === SECRET_KEY_BYTES) return buf;
  const text = buf.toString('utf8').trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return undefined;
  const key = Buffer.from(text, 'base64');
  return key.length === SECRET_KEY_BYTES ? key : undefined;
}

// API tokens: created once (the secret is shown once), stored only as a SHA-256 hash.
import { randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { sha256Hex } from '../lib/ids.ts';
import type { Role } from '../lib/status.ts';
import type { Database } from './client.ts';
import { apiTokens } from './schema/index.ts';

const TOKEN_PREFIX = 'jg_';

export interface CreatedToken {
  id: string;
  name: string;
  role: Role;
  /** The secret; it is not stored and cannot be shown again. */
  token: string;
}

export async function createApiToken(database: Database, role: Role, name: string): Promise<CreatedToken> {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  const [row] = await database.db
    .insert(apiTokens)
    .values({ name, role, prefix: token.slice(0, 8), tokenHash: sha256Hex(token) })
    .returning({ id: apiTokens.id });
  if (!row) throw new Error('inserting the token returned no row');
  return { id: row.id, name, role, token };
}

/** The live token with this secret, or undefined. One indexed lookup by hash. */
export async function findApiToken(database: Database, token: string) {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = await database.db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, sha256Hex(token)), isNull(apiTokens.revokedAt)));
  return row;
}

export async function revokeApiToken(database: Database, id: string): Promise<boolean> {
  const rows = await database.db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

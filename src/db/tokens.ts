// API tokens: created once (the secret is shown once), stored only as a SHA-256 hash. Admins list
// and revoke them (GraphQL and the CLI); a revoked token is refused from the next request on, since
// every request looks its token up.
import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { sha256Hex } from '../lib/ids.ts';
import type { Role } from '../lib/status.ts';
import type { Database, Executor } from './client.ts';
import { apiTokens, auditEvents } from './schema/index.ts';

const TOKEN_PREFIX = 'jg_';

/** A token's last use is written at most this often (one write a minute per busy token, not one per
 * request). */
const LAST_USED_RESOLUTION_MS = 60_000;

/** A token as admins see it: never its secret or hash. */
export interface ApiTokenInfo {
  id: string;
  name: string;
  role: Role;
  /** The secret's first characters, to tell tokens apart. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedToken extends ApiTokenInfo {
  /** The secret; it is not stored and cannot be shown again. */
  token: string;
}

const INFO = {
  id: apiTokens.id,
  name: apiTokens.name,
  role: apiTokens.role,
  prefix: apiTokens.prefix,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

/** Records who did what to which token (never the secret). */
async function audit(executor: Executor, actor: string, action: string, token: { id: string; name: string }) {
  await executor
    .insert(auditEvents)
    .values({ actor, action, target: token.name, details: { tokenId: token.id } });
}

export async function createApiToken(
  database: Database,
  role: Role,
  name: string,
  actor = 'cli',
): Promise<CreatedToken> {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  return database.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({ name, role, prefix: token.slice(0, 8), tokenHash: sha256Hex(token) })
      .returning(INFO);
    if (!row) throw new Error('inserting the token returned no row');
    await audit(tx, actor, 'token:create', row);
    return { ...row, token };
  });
}

/** The live token with this secret, or undefined. One indexed lookup by hash; its last use is
 * stamped afterwards, without waiting, when the stamp is over a minute old. */
export async function findApiToken(database: Database, token: string) {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = await database.db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      role: apiTokens.role,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, sha256Hex(token)), isNull(apiTokens.revokedAt)));
  if (!row) return undefined;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Best effort: a lost stamp only makes "last used" older than it is.
    void database.db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(apiTokens.id, row.id))
      .catch(() => {});
  }
  return { id: row.id, name: row.name, role: row.role };
}

/** Every token, oldest first; revoked ones only when asked. */
export async function listApiTokens(
  database: Database,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiTokenInfo[]> {
  return database.db
    .select(INFO)
    .from(apiTokens)
    .where(options.includeRevoked ? undefined : isNull(apiTokens.revokedAt))
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
}

/**
 * Revokes a token: refused from the next request on. Revoking a revoked token changes nothing and
 * answers it as it is. Undefined when no token has this id.
 */
export async function revokeApiToken(
  database: Database,
  id: string,
  actor = 'cli',
): Promise<ApiTokenInfo | undefined> {
  return database.db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning(INFO);
    if (revoked) {
      await audit(tx, actor, 'token:revoke', revoked);
      return revoked;
    }
    const [existing] = await tx.select(INFO).from(apiTokens).where(eq(apiTokens.id, id));
    return existing;
  });
}

/** Which of these token ids are still live (not revoked): one statement for any number of them
 * (the WebSocket server re-checks the tokens of its open sockets with it). */
export async function liveApiTokenIds(database: Database, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await database.db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(inArray(apiTokens.id, [...ids]), isNull(apiTokens.revokedAt)));
  return new Set(rows.map((row) => row.id));
}

// Token verifications shared by the WebSocket connections of one token for a short while. A
// reconnect storm (a gateway restarting, a load balancer moving clients) opens thousands of sockets
// with a handful of tokens; each `connection_init` looking its token up in the database cost one
// statement per socket. A verification is kept, by the token's SHA-256 (never the token itself),
// for `ttlMs`, and lookups of one token while its statement is in flight share it.
//
// Revocation still takes effect: a token revoked now is refused to new sockets from `ttlMs` on at
// the latest, and the sockets it opened meanwhile are closed by the recheck of open sockets
// (socket-tokens.ts) within its period, so every socket of a revoked token is closed within
// ttlMs + recheckMs. Only valid tokens are kept: an unknown or revoked one is looked up every time.
// HTTP requests are not served from here (they verify their token each time).
import type { Database } from '../db/client.ts';
import { sha256Hex } from '../lib/ids.ts';
import { resolveViewer } from './auth.ts';

export interface TokenVerificationsOptions {
  database: Database;
  authEnabled: boolean;
  /** How long a valid token's verification is reused. */
  ttlMs: number;
  /** Most verifications kept (the oldest go first). */
  maxEntries: number;
}

type Verification = Awaited<ReturnType<typeof resolveViewer>>;

export interface TokenVerifications {
  /** Who the token names (resolveViewer's answer), from a verification at most ttlMs old. */
  resolve(token: string | undefined): Promise<Verification>;
}

export function createTokenVerifications(options: TokenVerificationsOptions): TokenVerifications {
  const { database, authEnabled, ttlMs, maxEntries } = options;
  /** By token hash, oldest first: when the lookup was sent, and its answer. */
  const verified = new Map<string, { at: number; answer: Promise<Verification> }>();

  return {
    resolve: (token) => {
      if (!authEnabled || !token) return resolveViewer(database, authEnabled, token);
      const key = sha256Hex(token);
      const now = Date.now();
      const known = verified.get(key);
      if (known && now - known.at < ttlMs) return known.answer;
      if (known) verified.delete(key);
      const answer = resolveViewer(database, authEnabled, token);
      const entry = { at: now, answer };
      verified.set(key, entry);
      const forget = () => {
        if (verified.get(key) === entry) verified.delete(key);
      };
      // Only a valid token is reused; a failed lookup is not kept either.
      answer.then((result) => result.viewer || forget(), forget);
      for (const [oldest, { at }] of verified) {
        if (verified.size <= maxEntries && now - at < ttlMs) break;
        verified.delete(oldest);
      }
      return answer;
    },
  };
}

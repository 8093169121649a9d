// The WebSocket sockets each token holds open. Two rules a socket's token is held to after it
// authenticated at `connection_init`:
// - at most `maxPerToken` sockets per token at once: one more is closed 4429 with a reason naming
//   the limit (graphql-ws clients treat 4429 as final and do not retry in a loop);
// - a token revoked while its sockets are open: they are closed 4403 within `recheckMs` (one
//   statement a tick re-reads every open socket's token; a request over HTTP is refused from the
//   next one on, a socket from the next tick on).
// Sockets without a token (auth off: the loopback administrator) are not counted.
import type { WebSocket } from 'ws';
import type { Database } from '../db/client.ts';
import { liveApiTokenIds } from '../db/tokens.ts';
import { coerceError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/** Too many open sockets for one token (a graphql-ws client does not retry it). */
export const TOO_MANY_SOCKETS = 4429;
/** The socket's token was revoked (graphql-ws's Forbidden). */
export const TOKEN_REVOKED = 4403;

export interface SocketTokensOptions {
  database: Database;
  maxPerToken: number;
  recheckMs: number;
  logger: Logger;
}

export interface SocketTokens {
  /** Counts the socket against its token until it closes; false (and the socket closed 4429)
   * when the token already holds maxPerToken sockets. */
  admit(tokenId: string, socket: WebSocket): boolean;
  /** Open sockets by token (tests and /metrics read it). */
  count(tokenId: string): number;
  stop(): void;
}

export function createSocketTokens(options: SocketTokensOptions): SocketTokens {
  const { database, maxPerToken, recheckMs, logger } = options;
  const byToken = new Map<string, Set<WebSocket>>();
  let timer: NodeJS.Timeout | undefined;
  let checking = false;

  const recheck = async () => {
    if (checking) return;
    checking = true;
    try {
      const live = await liveApiTokenIds(database, [...byToken.keys()]);
      for (const [tokenId, sockets] of byToken) {
        if (live.has(tokenId)) continue;
        logger.info({ tokenId, sockets: sockets.size }, 'closing the sockets of a revoked token');
        for (const socket of sockets) socket.close(TOKEN_REVOKED, 'the token was revoked');
      }
    } catch (err) {
      logger.warn({ err: coerceError(err) }, 'could not re-check the tokens of open sockets');
    } finally {
      checking = false;
    }
  };

  const release = (tokenId: string, socket: WebSocket) => {
    const sockets = byToken.get(tokenId);
    if (!sockets?.delete(socket) || sockets.size > 0) return;
    byToken.delete(tokenId);
    if (byToken.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    admit: (tokenId, socket) => {
      // Closed while its token was looked up: nothing to count (its 'close' has fired).
      if (socket.readyState !== socket.OPEN) return false;
      let sockets = byToken.get(tokenId);
      if (sockets && sockets.size >= maxPerToken) {
        socket.close(
          TOO_MANY_SOCKETS,
          `too many open sockets for this token (limit ${maxPerToken}): close one or use another token`,
        );
        return false;
      }
      if (!sockets) byToken.set(tokenId, (sockets = new Set()));
      sockets.add(socket);
      socket.once('close', () => release(tokenId, socket));
      if (!timer) {
        timer = setInterval(() => void recheck(), recheckMs);
        timer.unref();
      }
      return true;
    },
    count: (tokenId) => byToken.get(tokenId)?.size ?? 0,
    stop: () => {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

// `jobgate token create | list | revoke`: API tokens straight in the database, for the first admin
// token and for when the server is down. With the server up, admins use the GraphQL API
// (createApiToken, apiTokens, revokeApiToken); on PGlite the data directory is locked by a running
// server, so these commands need it stopped (on PostgreSQL they work beside it).
import type { Database } from '../db/client.ts';
import { createApiToken, listApiTokens, revokeApiToken, type ApiTokenInfo } from '../db/tokens.ts';
import { ConfigError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import { ROLES, type Role } from '../lib/status.ts';

export const TOKEN_USAGE = `usage: jobgate token create --role viewer|operator|admin [--name NAME]
       jobgate token list [--all]
       jobgate token revoke <id>`;

export interface TokenCommand {
  sub: string | undefined;
  /** Positional arguments after the subcommand. */
  args: string[];
  role?: string;
  name?: string;
  all?: boolean;
}

const when = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

/** One line per token, in columns: id, role, prefix, created, last used, revoked, name. */
export function tokenTable(tokens: ApiTokenInfo[]): string {
  const rows = [
    ['ID', 'ROLE', 'PREFIX', 'CREATED AT', 'LAST USED', 'REVOKED AT', 'NAME'],
    ...tokens.map((t) => [
      t.id,
      t.role,
      t.prefix,
      when(t.createdAt),
      when(t.lastUsedAt),
      when(t.revokedAt),
      t.name,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  '))
    .join('\n');
}

/** Checks the command before the database is opened: a typo costs nothing. */
export function checkTokenCommand(command: TokenCommand): void {
  switch (command.sub) {
    case 'create':
      if (!command.role || !ROLES.includes(command.role as Role)) {
        throw new ConfigError(`invalid configuration:\n  --role: must be one of ${ROLES.join(', ')}`);
      }
      return;
    case 'list':
      return;
    case 'revoke': {
      const id = command.args[0];
      if (!id || command.args.length > 1)
        throw new ConfigError(`name one token id to revoke\n${TOKEN_USAGE}`);
      if (!isUuid(id))
        throw new ConfigError(`${JSON.stringify(id)} is not a token id (see jobgate token list)`);
      return;
    }
    default:
      throw new ConfigError(TOKEN_USAGE);
  }
}

/** Runs a checked command; what it prints goes to stdout (the secret, the table), notes to stderr. */
export async function runTokenCommand(database: Database, command: TokenCommand): Promise<void> {
  switch (command.sub) {
    case 'create': {
      const role = command.role as Role;
      const created = await createApiToken(database, role, command.name ?? `${role} token`);
      console.log(created.token);
      console.error(`created ${role} token ${created.id}; it is shown only once`);
      return;
    }
    case 'list':
      console.log(tokenTable(await listApiTokens(database, { includeRevoked: command.all ?? false })));
      return;
    case 'revoke': {
      const id = command.args[0]!;
      const revoked = await revokeApiToken(database, id);
      if (!revoked) throw new ConfigError(`no token has the id ${id} (see jobgate token list --all)`);
      console.error(`revoked token ${revoked.id} (${revoked.name}); requests with it are refused`);
      return;
    }
  }
}

// Token management: admins create tokens over GraphQL (the secret answered once), list them (never
// a secret or hash), and revoke them (refused from the next request on); the CLI lists and revokes
// too, in the same database. Operators and viewers can do none of it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, auditEvents } from '../../src/db/schema/index.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { until } from '../support/wait.ts';

const CREATE = `mutation ($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id name role prefix createdAt lastUsedAt revokedAt } }
}`;
const LIST = `query ($all: Boolean) { apiTokens(includeRevoked: $all) { id name role prefix lastUsedAt revokedAt } }`;
const REVOKE = `mutation ($id: ID!) { revokeApiToken(id: $id) { apiToken { id name revokedAt } } }`;

let t: TestApp;
let admin: string;
let operator: string;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  admin = await t.token('admin');
  operator = await t.token('operator');
});
afterAll(async () => {
  await t?.close();
});

describe('tokens over GraphQL', () => {
  it('an admin creates a token: the secret comes once, works at once, and is never listed', async () => {
    const created = await t.graphql(CREATE, { input: { name: 'grafana', role: 'VIEWER' } }, admin);
    expect(created.errors).toBeUndefined();
    const { token, apiToken } = created.data!.createApiToken;
    expect(token).toMatch(/^jg_/);
    expect(apiToken).toMatchObject({
      name: 'grafana',
      role: 'VIEWER',
      prefix: token.slice(0, 8),
      revokedAt: null,
    });

    const asIt = await t.graphql('{ clusters { name } }', {}, token);
    expect(asIt.errors).toBeUndefined();
    // Its first use is stamped (after the answer, without holding the request).
    const stamped = await until('the last use to be stamped', async () => {
      const list = await t.graphql(LIST, {}, admin);
      const mine = list.data!.apiTokens.find((x: { id: string }) => x.id === apiToken.id);
      return mine?.lastUsedAt ? mine : undefined;
    });
    expect(stamped).toMatchObject({ name: 'grafana', role: 'VIEWER' });
    const listed = JSON.stringify((await t.graphql(LIST, { all: true }, admin)).data);
    expect(listed).not.toContain(token);

    const [audit] = await t.database.db.select().from(auditEvents).where(eq(auditEvents.target, 'grafana'));
    expect(audit).toMatchObject({ target: 'grafana', details: { tokenId: apiToken.id } });
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('a revoked token is refused from the next request on, and is listed only when asked', async () => {
    const { token, apiToken } = (await t.graphql(CREATE, { input: { name: 'ci', role: 'OPERATOR' } }, admin))
      .data!.createApiToken;
    expect((await t.graphql('{ clusters { name } }', {}, token)).errors).toBeUndefined();

    const revoked = await t.graphql(REVOKE, { id: apiToken.id }, admin);
    expect(revoked.data!.revokeApiToken.apiToken.revokedAt).not.toBeNull();
    const refused = await t.graphql('{ clusters { name } }', {}, token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const live = (await t.graphql(LIST, {}, admin)).data!.apiTokens.map((x: { id: string }) => x.id);
    expect(live).not.toContain(apiToken.id);
    const all = (await t.graphql(LIST, { all: true }, admin)).data!.apiTokens.map(
      (x: { id: string }) => x.id,
    );
    expect(all).toContain(apiToken.id);
    // Again: nothing changes, the same revocation is answered.
    const again = await t.graphql(REVOKE, { id: apiToken.id }, admin);
    expect(again.data!.revokeApiToken.apiToken.revokedAt).toBe(
      revoked.data!.revokeApiToken.apiToken.revokedAt,
    );
  });

  it('operators can neither list, create nor revoke', async () => {
    const [someone] = await t.database.db.select({ id: apiTokens.id }).from(apiTokens).limit(1);
    for (const [query, variables] of [
      [LIST, {}],
      [CREATE, { input: { name: 'mine', role: 'ADMIN' } }],
      [REVOKE, { id: someone!.id }],
    ] as const) {
      const answer = await t.graphql(query, variables, operator);
      expect(answer.errors?.[0]).toMatchObject({
        message: expect.stringContaining('needs the admin role'),
        extensions: { code: 'FORBIDDEN' },
      });
    }
    const admins = await t.database.db.select().from(apiTokens).where(eq(apiTokens.name, 'mine'));
    expect(admins).toEqual([]);
  });

  it('bad input says what is wrong and where', async () => {
    const blank = await t.graphql(CREATE, { input: { name: '  ', role: 'VIEWER' } }, admin);
    expect(blank.errors?.[0]).toMatchObject({
      message: 'input.name: must be 1 to 100 characters',
      extensions: { code: 'BAD_USER_INPUT', inputPath: 'input.name' },
    });
    const notAnId = await t.graphql(REVOKE, { id: 'jg_secret' }, admin);
    expect(notAnId.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await t.graphql(REVOKE, { id: '00000000-0000-4000-8000-000000000000' }, admin);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('tokens from the command line (PGlite data directory)', () => {
  const run = promisify(execFile);
  const jobgate = (dir: string, ...args: string[]) =>
    run(process.execPath, ['bin/jobgate.mjs', ...args, '--data-dir', dir], { timeout: 120_000 });

  // Each command opens the data directory and applies migrations: seconds each on a busy machine.
  it('token create, list and revoke', { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jobgate-tokens-'));
    try {
      const created = await jobgate(dir, 'token', 'create', '--role', 'operator', '--name', 'deploys');
      const secret = created.stdout.trim();
      expect(secret).toMatch(/^jg_/);
      const id = /token ([0-9a-f-]{36})/.exec(created.stderr)![1]!;

      const listed = await jobgate(dir, 'token', 'list');
      expect(listed.stdout).toMatch(
        new RegExp(`${id}\\s+operator\\s+${secret.slice(0, 8)}\\s.*deploys$`, 'm'),
      );
      expect(listed.stdout).not.toContain(secret);

      const revoked = await jobgate(dir, 'token', 'revoke', id);
      expect(revoked.stderr).toContain(`revoked token ${id} (deploys)`);
      expect((await jobgate(dir, 'token', 'list')).stdout).not.toContain(id);
      expect((await jobgate(dir, 'token', 'list', '--all')).stdout).toContain(id);

      await expect(jobgate(dir, 'token', 'revoke', 'nope')).rejects.toMatchObject({
        stderr: expect.stringContaining('"nope" is not a token id'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

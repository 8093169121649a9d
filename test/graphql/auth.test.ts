import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiToken } from '../../src/db/tokens.ts';
import { apiTokens } from '../../src/db/schema/index.ts';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
});
afterAll(() => t.close());

describe('auth on', () => {
  it('refuses a caller without a token with UNAUTHENTICATED', async () => {
    const res = await t.graphql({ contract: 'Overview' });
    expect(res.data).toBeUndefined();
    expect(res.errors![0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(res.errors![0]!.message).toContain('Authorization: Bearer');
  });

  it('refuses an unknown token', async () => {
    const res = await t.graphql({ contract: 'Overview' }, {}, 'jg_not-a-real-token');
    expect(res.errors![0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: expect.stringContaining('not valid'),
    });
  });

  it('serves a viewer token and stores only its hash', async () => {
    const token = await t.token('viewer');
    const res = await t.graphql({ contract: 'Overview' }, {}, token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.overview.clusters).toBe(1);
    const rows = await t.database.db.select().from(apiTokens);
    expect(rows.some((r) => r.tokenHash === token || JSON.stringify(r).includes(token))).toBe(false);
  });

  it('refuses a revoked token', async () => {
    const token = await t.token('viewer');
    const [row] = await t.database.db
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.prefix, token.slice(0, 8)));
    expect((await revokeApiToken(t.database, row!.id))?.revokedAt).toBeInstanceOf(Date);
    const res = await t.graphql({ contract: 'Overview' }, {}, token);
    expect(res.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('accepts the token as Nomad X-Nomad-Token and as Keeper ?token=', async () => {
    const token = await t.token('viewer');
    const body = JSON.stringify({ query: '{ overview { clusters } }' });
    const viaHeader = await t.app.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nomad-token': token },
      body,
    });
    expect(((await viaHeader.json()) as any).data.overview.clusters).toBe(1);
    const viaQuery = await t.app.yoga.fetch(`http://localhost/graphql?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(((await viaQuery.json()) as any).data.overview.clusters).toBe(1);
  });
});

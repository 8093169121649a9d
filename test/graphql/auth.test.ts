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

  it('accepts the token as Nomad X-Nomad-Token, and refuses it in the URL with a 401 naming the header', async () => {
    const token = await t.token('viewer');
    const body = JSON.stringify({ query: '{ overview { clusters } }' });
    const viaHeader = await t.app.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nomad-token': token },
      body,
    });
    expect(((await viaHeader.json()) as any).data.overview.clusters).toBe(1);
    // A URL ends up in logs, proxies and browser history: a token there is refused, alone or
    // beside a good header, over POST and over GET.
    const inUrl = [
      { method: 'POST', headers: { 'content-type': 'application/json' }, body },
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      },
    ];
    for (const init of inUrl) {
      const res = await t.app.yoga.fetch(`http://localhost/graphql?token=${token}`, init);
      expect(res.status).toBe(401);
      const answer = (await res.json()) as any;
      expect(answer.data).toBeUndefined();
      expect(answer.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(answer.errors[0].message).toContain('Authorization header');
    }
    const query = encodeURIComponent('{ overview { clusters } }');
    const viaGet = await t.app.yoga.fetch(`http://localhost/graphql?query=${query}&token=${token}`, {
      headers: { accept: 'application/json' },
    });
    expect(viaGet.status).toBe(401);
    // Positive control: the same GET with the token in the header is served.
    const getWithHeader = await t.app.yoga.fetch(`http://localhost/graphql?query=${query}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
    });
    expect(((await getWithHeader.json()) as any).data.overview.clusters).toBe(1);
  });
});

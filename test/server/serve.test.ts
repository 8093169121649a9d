// `jobgate serve` as a real child process: it starts on an empty data directory, answers over real
// HTTP, refuses a second server on the same directory, and shuts down cleanly on SIGTERM.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { killLeftovers, startJobgate } from '../support/processes.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobgate-serve-'));
afterAll(async () => {
  expect(await killLeftovers()).toBe(0);
  rmSync(dataDir, { recursive: true, force: true });
});

it('serves GraphQL, GraphiQL, health and metrics, and stops cleanly', async () => {
  const server = startJobgate(['serve', '--port', '0', '--data-dir', dataDir, '--auth', 'off']);
  const [, base] = await server.waitFor(/ready: GraphQL and GraphiQL at (http:\/\/[^\s]+)\/graphql/);

  expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${base}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ status: 'ready', database: 'pglite' });

  const graphiql = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
  expect(graphiql.status).toBe(200);
  const html = await graphiql.text();
  expect(html).toContain('jobgate');
  expect(html).not.toContain('unpkg.com'); // served locally, no CDN needed

  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: '{ overview { clusters nodes slotsTotal } clusters { name nodes { status slots } } }',
    }),
  });
  const body = (await res.json()) as any;
  expect(body.errors).toBeUndefined();
  // embedded mode: the default cluster and one in-process node
  expect(body.data.overview).toEqual({ clusters: 1, nodes: 1, slotsTotal: 4 });
  expect(body.data.clusters).toEqual([{ name: 'default', nodes: [{ status: 'READY', slots: 4 }] }]);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toContain('jobgate_graphql_operations_total{operation="query",outcome="ok"} 1');
  expect(metrics).toContain('jobgate_process_resident_memory_bytes');

  // a second server on the same data directory fails, saying why
  const second = startJobgate(['serve', '--port', '0', '--data-dir', dataDir, '--auth', 'off']);
  expect(await second.exited).toBe(1);
  expect(second.output()).toMatch(/data directory .* is in use by another jobgate process \(pid \d+\)/);

  expect(await server.stop('SIGTERM')).toBe(0);
  expect(existsSync(join(dataDir, 'jobgate.lock'))).toBe(false);
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();

  // it starts again on the existing data directory, and the node is a new registration
  const again = startJobgate(['serve', '--port', '0', '--data-dir', dataDir, '--auth', 'off']);
  const [, base2] = await again.waitFor(/GraphiQL at (http:\/\/[^\s]+)\/graphql/);
  const res2 = (await (
    await fetch(`${base2}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ overview { nodes } }' }),
    })
  ).json()) as any;
  expect(res2.data.overview.nodes).toBe(1);
  expect(await again.stop('SIGINT')).toBe(0);
}); // three server start-ups: the processes project's timeout is sized for them

it("stops at start-up with PGlite's own error when the data directory cannot be opened, and unlocks it", async () => {
  // The database opens while the GraphQL schema is built; a failed open still ends the start-up.
  const broken = mkdtempSync(join(tmpdir(), 'jobgate-serve-broken-'));
  try {
    mkdirSync(join(broken, 'pgdata'));
    writeFileSync(join(broken, 'pgdata', 'PG_VERSION'), '99\n'); // no PostgreSQL PGlite runs
    const bad = startJobgate(['serve', '--port', '0', '--data-dir', broken, '--auth', 'off']);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('jobgate: failed to start: Error: PGlite failed to initialize properly');
    expect(existsSync(join(broken, 'jobgate.lock'))).toBe(false);
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

it('stops at start-up with a message naming a bad setting', async () => {
  const bad = startJobgate(['serve', '--port', '99999', '--data-dir', dataDir]);
  expect(await bad.exited).toBe(1);
  expect(bad.output()).toContain('--port / JOBGATE_PORT: must be from 0 to 65535');
});

it('refuses auth off on a public address', async () => {
  const bad = startJobgate(['serve', '--host', '0.0.0.0', '--auth', 'off', '--data-dir', dataDir]);
  expect(await bad.exited).toBe(1);
  expect(bad.output()).toContain('cannot be off when host is 0.0.0.0');
});

// The installed shape: `npm run build` bundles src/ into dist/, and bin/jobgate.mjs runs `serve` from
// it. Checked on a copy of the package whose node_modules has no tsx, so only the bundle can answer:
// its lazily loaded chunks (GraphiQL's page), the heartbeat worker beside them (on PostgreSQL) and
// PGlite's wasm in node_modules (on PGlite) all have to be found from dist/bin/.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { killLeftovers, startJobgate } from '../support/processes.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const copy = mkdtempSync(join(tmpdir(), 'jobgate-built-'));
const bin = join(copy, 'bin/jobgate.mjs');

beforeAll(() => {
  for (const entry of ['bin', 'scripts', 'src', 'migrations', 'package.json', 'tsconfig.json'])
    cpSync(join(repo, entry), join(copy, entry), { recursive: true });
  mkdirSync(join(copy, 'node_modules'));
  for (const pkg of readdirSync(join(repo, 'node_modules'))) {
    if (pkg === 'tsx' || pkg === '.bin') continue;
    symlinkSync(join(repo, 'node_modules', pkg), join(copy, 'node_modules', pkg));
  }
  execFileSync(process.execPath, [join(copy, 'scripts/build.mjs')], { stdio: 'inherit' });
});

afterAll(async () => {
  expect(await killLeftovers()).toBe(0);
  rmSync(copy, { recursive: true, force: true });
});

it('serves from dist/ on a copy without tsx: GraphQL, GraphiQL, a ready node, a clean stop', async () => {
  const database = usingPostgres
    ? ['--database-url', await createPostgresDatabase()]
    : ['--data-dir', join(copy, 'data')];
  const server = startJobgate(['serve', '--port', '0', '--auth', 'off', ...database], {}, bin);
  const [, base] = await server.waitFor(/ready: GraphQL and GraphiQL at (http:\/\/[^\s]+)\/graphql/);

  const ready = await fetch(`${base}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ database: usingPostgres ? 'postgres' : 'pglite' });
  const graphiql = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
  expect(graphiql.status).toBe(200);
  expect(await graphiql.text()).toContain('jobgate');
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ clusters { name nodes { status slots } } }' }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data).toEqual({ clusters: [{ name: 'default', nodes: [{ status: 'READY', slots: 4 }] }] });
  expect(await server.stop('SIGTERM')).toBe(0);
});

it('would have run the sources (and failed, with no tsx) once a source file is newer than the build', () => {
  const future = Date.now() / 1000 + 60;
  utimesSync(join(copy, 'src/config.ts'), future, future);
  const run = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8' });
  expect(run.status).not.toBe(0);
  expect(run.stderr).toMatch(/Cannot find (package|module) 'tsx'/);
});

// What the gateway's log says about errors: a request the client got wrong (an unknown job, a
// parallelism out of range, a field that does not exist, a role too low) is logged once at info with
// the operation's name and the error's code, and never at error level, which is kept for faults of
// the server.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventFeed, createLogFeed, createMetricFeed } from '../../src/runtime/index.ts';
import { buildApp, type App } from '../../src/server/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { testSecrets } from '../support/secrets.ts';
import { createApiToken } from '../../src/db/tokens.ts';

interface LogRecord {
  level: number;
  msg: string;
  operation?: string;
  errors?: { code?: string; path?: string; message: string }[];
}

const records: LogRecord[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as LogRecord);
    done();
  },
});

let testDb: TestDatabase;
let app: App;
let viewerToken: string;
beforeAll(async () => {
  testDb = await createTestDatabase();
  app = buildApp({
    database: testDb.database,
    logger: pino({ level: 'debug' }, sink),
    settings: {
      authEnabled: true,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: true,
      events: createEventFeed(testDb.database),
      logFeed: createLogFeed(testDb.database),
      metricFeed: createMetricFeed(testDb.database),
    },
    secrets: testSecrets,
    host: '127.0.0.1',
    port: 0,
  });
  viewerToken = (await createApiToken(testDb.database, 'viewer', 'dashboards')).token;
});
afterAll(async () => {
  await app?.stop();
  await testDb?.close();
});

async function post(query: string, token = viewerToken) {
  records.length = 0;
  const response = await app.yoga.fetch('http://127.0.0.1/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { errors?: { message: string; extensions: { code: string } }[] };
}

const errorLevel = () => records.filter((r) => r.level >= 50);
const clientErrors = () =>
  records.filter((r) => r.msg === 'a GraphQL operation was answered with client errors');

describe('errors the client caused', () => {
  it('an unknown job is logged at info with the operation name and NOT_FOUND, not at error level', async () => {
    const answer = await post('query JobPage { job(name: "nope") { name } }');
    expect(answer.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(errorLevel()).toEqual([]);
    expect(clientErrors()).toMatchObject([
      { level: 30, operation: 'JobPage', errors: [{ code: 'NOT_FOUND', path: 'job' }] },
    ]);
  });

  it('a mutation above the viewer role says which role it needs and which the token has', async () => {
    const answer = await post('mutation Go { startJob(input: { job: "x" }) { run { id } } }');
    expect(answer.errors?.[0]).toMatchObject({
      message: 'this needs the operator role; the token "dashboards" has the viewer role',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(errorLevel()).toEqual([]);
    expect(clientErrors()).toMatchObject([{ operation: 'Go', errors: [{ code: 'FORBIDDEN' }] }]);
  });

  it('an unnamed operation is named by its type', async () => {
    await post('{ job(name: "nope") { name } }');
    expect(clientErrors()).toMatchObject([{ operation: '(anonymous query)' }]);
  });

  it('a document that does not validate is not logged at error level either', async () => {
    const answer = await post('{ nope }');
    expect(answer.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(errorLevel()).toEqual([]);
  });
});

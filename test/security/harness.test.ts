// The attack suite's server: auth is on, each role is what its token says, and nothing works without one.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killLeftovers } from '../support/processes.ts';
import { startSecureServer, type SecureServer } from './serve.ts';

let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
  expect(await killLeftovers()).toBe(0);
});

it('answers each role as its token says, and nobody without one', async () => {
  const anonymous = await server.graphql('{ overview { nodes } }');
  expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const viewer = await server.graphql('{ overview { nodes } }', {}, 'viewer');
  expect(viewer.data).toEqual({ overview: { nodes: 1 } });
  const create = `mutation { createJob(input: { name: "x", command: { command: "true" } }) { job { id } } }`;
  expect((await server.graphql(create, {}, 'viewer')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect((await server.graphql(create, {}, 'operator')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect((await server.graphql(create, {}, 'admin')).data?.createJob.job.id).toBeTruthy();
  expect((await server.health()).ok).toBe(true);
});

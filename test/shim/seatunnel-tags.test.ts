// POST /update-tags over real HTTP: it replaces the tags of the node the gateway hosts (an empty map
// clears them) and overview's tag filters follow; only an admin may; bad bodies are refused in
// Zeta's fail shape with the tags untouched; a gateway that hosts no node answers a fail body.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/index.ts';
import { buildServedApp } from '../support/app.ts';
import { freePort } from '../support/dialect-harness.ts';
import { curl, curlPost, MAPS, startSeaTunnelHarness, type SeaTunnelHarness } from './seatunnel-harness.ts';

let h: SeaTunnelHarness;
beforeAll(async () => {
  h = await startSeaTunnelHarness();
});
afterAll(async () => {
  await h?.close();
});

const bearer = (role: 'viewer' | 'operator' | 'admin') => [`Authorization: Bearer ${h.tokens[role]}`];

/** The hosted node's tags as GraphQL reads them. */
async function nodeTags(): Promise<Record<string, string>> {
  const result = await h.t.graphql<{ nodes: { tags: { key: string; value: string }[] }[] }>(
    '{ nodes { tags { key value } } }',
  );
  expect(result.errors).toBeUndefined();
  expect(result.data!.nodes).toHaveLength(1);
  return Object.fromEntries(result.data!.nodes[0]!.tags.map((tag) => [tag.key, tag.value]));
}

/** The audit rows of tag updates, oldest first. */
const tagAudits = () => h.t.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'node:tags'));

const works = async (query: string) => (await curl([`${h.open}${MAPS}/overview${query}`])).body.works;

describe('POST /update-tags', () => {
  it('replaces the node’s tags, overview filters by the new ones, and an empty map clears them', async () => {
    expect(await nodeTags()).toEqual({ zone: 'a', disk: 'ssd' });
    const done = await curlPost(
      `${h.secured}${MAPS}/update-tags`,
      '{"tag1":"value1","tag2":"value2"}',
      bearer('admin'),
    );
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ status: 'success', message: 'update node tags done.' });
    expect(await nodeTags()).toEqual({ tag1: 'value1', tag2: 'value2' });
    expect(await works('?tag1=value1&tag2=value2')).toBe('1');
    expect(await works('?zone=a')).toBe('0');

    const cleared = await curlPost(`${h.secured}${MAPS}/update-tags`, '{}', bearer('admin'));
    expect(cleared.body).toEqual({ status: 'success', message: 'update node tags done.' });
    expect(await nodeTags()).toEqual({});
    expect(await works('?tag1=value1')).toBe('0');
    expect(await works('')).toBe('1');

    // The auth-off app on loopback (the seed's tokenless curl) acts as admin on the same node.
    const open = await curlPost(`${h.open}${MAPS}/update-tags`, '{"zone":"a","disk":"ssd"}');
    expect(open.status).toBe(200);
    expect(await nodeTags()).toEqual({ zone: 'a', disk: 'ssd' });
    expect(await works('?zone=a&disk=ssd')).toBe('1');

    const audits = await tagAudits();
    expect(audits).toHaveLength(3);
    expect(new Set(audits.map((a) => a.target))).toEqual(new Set([h.t.runtime.node!.id]));
    expect(audits.every((a) => a.actor.length > 0)).toBe(true);
  });

  it('refuses a viewer and an operator, and a request without a token, with the tags unchanged', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const refused = await curlPost(`${h.secured}${MAPS}/update-tags`, '{"zone":"b"}', bearer(role));
      expect(refused.status).toBe(403);
      expect(refused.body.status).toBe('fail');
      expect(typeof refused.body.message).toBe('string');
    }
    const anonymous = await curlPost(`${h.secured}${MAPS}/update-tags`, '{"zone":"b"}');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.status).toBe('fail');
    expect(await nodeTags()).toEqual({ zone: 'a', disk: 'ssd' });
    expect(await tagAudits()).toHaveLength(3);
  });

  it('refuses bad bodies with 400 in Zeta’s fail shape and changes nothing', async () => {
    const cases: [string, string | RegExp][] = [
      ['', 'Request body is empty.'],
      ['   ', 'Request body is empty.'],
      ['not json', 'Invalid JSON format in request body.'],
      ['["zone","b"]', 'Invalid JSON format in request body.'],
      ['"zone"', 'Invalid JSON format in request body.'],
      ['{"zone":1}', /must be a string/],
      ['{"":"x"}', /key must have 1 to 64 characters/],
      [JSON.stringify({ ['k'.repeat(65)]: 'x' }), /key must have 1 to 64 characters/],
      [JSON.stringify({ zone: 'v'.repeat(257) }), /at most 256 characters/],
      [
        JSON.stringify(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']))),
        /at most 32 tags/,
      ],
    ];
    for (const [body, message] of cases) {
      const refused = await curlPost(`${h.secured}${MAPS}/update-tags`, body, bearer('admin'));
      expect(refused.status, body.slice(0, 40)).toBe(400);
      expect(refused.body.status).toBe('fail');
      expect(refused.body.message).toMatch(message);
    }
    expect(await nodeTags()).toEqual({ zone: 'a', disk: 'ssd' });
    expect(await tagAudits()).toHaveLength(3);
  });

  it('answers a fail body on a gateway that hosts no node, and tags nothing', async () => {
    const bare = buildServedApp(h.t.database, {
      settings: {
        authEnabled: false,
        heartbeatTimeoutMs: 5_000,
        commandsEnabled: false,
        events: h.t.runtime.events,
        logFeed: h.t.runtime.logFeed,
        metricFeed: h.t.runtime.metricFeed,
      },
      dialectPorts: { seatunnel: await freePort() },
    });
    await bare.start();
    try {
      const answer = await curlPost(`${bare.dialectUrls().seatunnel}${MAPS}/update-tags`, '{"zone":"z"}');
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ status: 'fail', message: expect.stringMatching(/hosts no worker node/) });
    } finally {
      await bare.stop();
    }
    expect(await nodeTags()).toEqual({ zone: 'a', disk: 'ssd' });
  });
});

describe('updateNodeTags and gatewayNode in GraphQL', () => {
  const UPDATE = `mutation ($id: ID!, $tags: JSON!) { updateNodeTags(id: $id, tags: $tags) { node { id tags { key value } } } }`;

  it('refuses an unknown node, a malformed id and tags that are no object, changing nothing', async () => {
    const unknown = await h.t.graphql(UPDATE, { id: '00000000-0000-4000-8000-000000000000', tags: {} });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const malformed = await h.t.graphql(UPDATE, { id: 'node-1', tags: {} });
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const list = await h.t.graphql(UPDATE, { id: h.t.runtime.node!.id, tags: ['zone'] });
    expect(list.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await nodeTags()).toEqual({ zone: 'a', disk: 'ssd' });
  });

  it('answers the node an app hosts, and null for an app that hosts none', async () => {
    // h.t's own app was built without a node id; the dialect apps were given the runtime's node.
    const none = await h.t.graphql<{ gatewayNode: null }>('{ gatewayNode { id } }');
    expect(none.errors).toBeUndefined();
    expect(none.data!.gatewayNode).toBeNull();
    const hosted = await fetch(`${h.openMain}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ gatewayNode { id name } }' }),
    });
    const body = (await hosted.json()) as { data: { gatewayNode: { id: string } } };
    expect(body.data.gatewayNode.id).toBe(h.t.runtime.node!.id);
  });
});

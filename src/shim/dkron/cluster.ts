// The agent and cluster routes (ref/dkron/ENDPOINTS.md §1, §5): jobgate's worker nodes are Dkron's
// members. jobgate's coordinator is elected among its processes, not among nodes, so the leader
// named here is the first live node, and /isleader answers as the leader while there is one.
// There is no serf: /leave only answers the members and stops nothing.
import { randomUUID } from 'node:crypto';
import { serfStatus } from '../../lib/dkron-status.ts';
import type { NodeStatus } from '../../lib/status.ts';
import { VERSION as JOBGATE_VERSION } from '../../lib/version.ts';
import type { DialectContext, RouteCall } from '../core/index.ts';
import { query } from './query.ts';
import { DKRON_AGENT, DkronError, dkronJson } from './respond.ts';

/** Dkron's serf port, which members report as theirs. */
const SERF_PORT = 8946;

interface NodeData {
  name: string;
  host: string;
  status: NodeStatus;
  version: string;
  tags: { key: string; value: string }[];
  cluster: { name: string };
}

async function nodes(ctx: DialectContext): Promise<NodeData[]> {
  const data = await query<{ nodes: NodeData[] }>(
    ctx,
    `query DkronMembers { nodes { name host status version tags { key value } cluster { name } } }`,
  );
  return data.nodes;
}

/** A node as serf's Member. */
function member(node: NodeData) {
  return {
    Name: node.name,
    Addr: node.host,
    Port: SERF_PORT,
    Tags: {
      ...Object.fromEntries(node.tags.map((t) => [t.key, t.value])),
      dc: node.cluster.name,
      region: 'global',
      role: 'dkron',
      server: 'true',
      version: node.version,
    },
    Status: serfStatus(node.status).code,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

/** GET /v1/members: every member, with a fresh `id` each time as Dkron gives it. */
export async function members({ ctx, url }: RouteCall): Promise<Response> {
  const list = (await nodes(ctx)).map((node) => ({
    ...member(node),
    id: randomUUID(),
    statusText: serfStatus(node.status).text,
  }));
  return dkronJson(list, url, 200, { 'x-total-count': String(list.length) });
}

/** GET /v1/leader: the bare member, `null` (404) when no member is alive. */
export async function leader({ ctx, url }: RouteCall): Promise<Response> {
  const live = (await nodes(ctx)).find((n) => serfStatus(n.status).code === 1);
  return live ? dkronJson(member(live), url) : dkronJson(null, url, 404);
}

/** GET /v1/isleader: a leader while /v1/leader names one, else Dkron's follower 404. */
export async function isLeader({ ctx, url }: RouteCall): Promise<Response> {
  const live = (await nodes(ctx)).some((n) => serfStatus(n.status).code === 1);
  return live ? dkronJson('I am a leader', url) : dkronJson('I am a follower', url, 404);
}

/** POST /v1/leave: Dkron's agent leaves serf and answers its peers; jobgate has no serf, so this
 * only answers the members (as GET /v1/members) and stops nothing. */
export async function leave({ ctx, url }: RouteCall): Promise<Response> {
  const list = (await nodes(ctx)).map(member);
  return dkronJson(list, url);
}

/** GET /v1 and /v1/: the agent's status. */
export async function status({ ctx, url }: RouteCall): Promise<Response> {
  const list = await nodes(ctx);
  return dkronJson(
    {
      agent: { name: DKRON_AGENT, version: JOBGATE_VERSION },
      serf: {
        members: String(list.length),
        failed: String(list.filter((n) => serfStatus(n.status).code === 4).length),
        left: '0',
        health_score: '0',
        encrypted: 'false',
      },
      tags: { role: 'dkron', server: 'true', version: JOBGATE_VERSION },
    },
    url,
  );
}

/** GET /health. */
export function health({ url }: RouteCall): Response {
  return dkronJson({ status: 'healthy' }, url);
}

const PAUSED = `query DkronPaused { jobSubmissionsPaused }`;
const SET_PAUSED = `mutation DkronPause($paused: Boolean!) { setJobSubmissionsPaused(paused: $paused) }`;

/** Whether new job submissions are paused (shared by every gateway over the database). */
export async function submissionsPaused(ctx: DialectContext): Promise<boolean> {
  return (await query<{ jobSubmissionsPaused: boolean }>(ctx, PAUSED)).jobSubmissionsPaused;
}

/** Dkron's 503 while submissions are paused. */
export async function refuseWhilePaused(ctx: DialectContext): Promise<void> {
  if (await submissionsPaused(ctx)) throw new DkronError(503, 'New job submissions are currently paused');
}

/** GET /v1/pause. */
export async function pauseStatus({ ctx, url }: RouteCall): Promise<Response> {
  return dkronJson({ paused: await submissionsPaused(ctx) }, url);
}

/** POST /v1/pause (admin). */
export async function pause({ ctx, url }: RouteCall): Promise<Response> {
  await query(ctx, SET_PAUSED, { paused: true });
  return dkronJson({ paused: true }, url);
}

/** POST /v1/unpause (admin). */
export async function unpause({ ctx, url }: RouteCall): Promise<Response> {
  await query(ctx, SET_PAUSED, { paused: false });
  return dkronJson({ paused: false }, url);
}

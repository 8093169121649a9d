// POST /update-tags: Zeta replaces the tags of the member that receives the call; here, the tags of
// the worker node this gateway hosts (`gatewayNode`), through `updateNodeTags` (admin only). An empty
// object clears them. A gateway that hosts no node has no member to tag: 500 in Zeta's fail shape.
import type { RouteCall } from '../core/index.ts';
import { query } from './query.ts';
import { readJson } from './request-body.ts';
import { seatunnelFail, seatunnelJson } from './respond.ts';

const GATEWAY_NODE = `query SeaTunnelGatewayNode { gatewayNode { id } }`;
const UPDATE_TAGS = `mutation SeaTunnelUpdateTags($id: ID!, $tags: JSON!) {
  updateNodeTags(id: $id, tags: $tags) { node { id } }
}`;

export const NO_NODE = 'This gateway hosts no worker node: send update-tags to a gateway that runs one.';

export async function postUpdateTags({ ctx, request }: RouteCall): Promise<Response> {
  const tags = await readJson(request, 'object');
  const { gatewayNode } = await query<{ gatewayNode: { id: string } | null }>(ctx, GATEWAY_NODE);
  if (!gatewayNode) return seatunnelFail(500, NO_NODE);
  await query(ctx, UPDATE_TAGS, { id: gatewayNode.id, tags });
  return seatunnelJson({ status: 'success', message: 'update node tags done.' });
}

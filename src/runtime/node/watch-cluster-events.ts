// What happens to the nodes of a cluster (registered, draining, resumed, lost, deregistered), as a
// stream for dashboards. Events name the node, not its cluster; a node never changes cluster, so
// each node's cluster is read once per stream.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { nodes } from '../../db/schema/index.ts';
import { NODE_EVENT_TYPES } from '../events.ts';
import type { EventFeed, SubscribeOptions } from '../feed/event-feed.ts';
import type { FeedEvent } from '../feed/event-filter.ts';

/** Node events after `after` (undefined: from now on) of the cluster with id `clusterId` (undefined:
 * of every cluster), in order, none twice. Ends only when the feed closes or the signal fires. */
export async function* watchClusterEvents(
  database: Database,
  feed: EventFeed,
  clusterId: string | undefined,
  after: number | undefined,
  options: SubscribeOptions = {},
): AsyncGenerator<FeedEvent> {
  const clusterOf = new Map<string, string | null>();
  const inCluster = async (nodeId: string | null) => {
    if (clusterId === undefined) return true;
    if (nodeId === null) return false;
    if (!clusterOf.has(nodeId)) {
      const [row] = await database.db
        .select({ clusterId: nodes.clusterId })
        .from(nodes)
        .where(eq(nodes.id, nodeId));
      clusterOf.set(nodeId, row?.clusterId ?? null);
    }
    return clusterOf.get(nodeId) === clusterId;
  };
  for await (const event of feed.subscribe({ types: NODE_EVENT_TYPES }, after, options)) {
    if (await inCluster(event.nodeId)) yield event;
  }
}

// What happened to a node, as the clusterEvents subscription answers it (for dashboards). The
// event's `cursor` resumes a subscription right after it.
import type { FeedEvent } from '../../runtime/index.ts';
import { builder } from '../builder.ts';
import { WorkerNodeRef } from './refs.ts';
import { EventTypeEnum, textIn } from './run-event.ts';

export const ClusterEventRef = builder.objectRef<FeedEvent>('ClusterEvent').implement({
  description: 'Something that happened to a node: registered, draining, resumed, lost, deregistered.',
  fields: (t) => ({
    cursor: t.string({
      description: 'Pass it as `after` to resume right after this event (no event lost or repeated).',
      resolve: (e) => String(e.id),
    }),
    type: t.field({ type: EventTypeEnum, resolve: (e) => e.type }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    nodeName: t.string({
      nullable: true,
      description: 'The name the node had (kept when the node is gone).',
      resolve: (e) => textIn(e, 'name'),
    }),
    node: t.field({
      type: WorkerNodeRef,
      nullable: true,
      description: 'The node as it is now.',
      resolve: (e, _a, ctx) => (e.nodeId ? ctx.loaders.node.load(e.nodeId) : null),
    }),
  }),
});

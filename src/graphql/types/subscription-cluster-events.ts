// clusterEvents: nodes registered, draining, resumed, lost and deregistered, in one cluster or in
// all of them, for dashboards; it never completes on its own.
import { eq } from 'drizzle-orm';
import { clusters } from '../../db/schema/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { checkName, watchClusterEvents } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { abortableStream, freshLoaders, parseEventCursor } from '../event-stream.ts';
import { ClusterEventRef } from './cluster-event.ts';

builder.subscriptionFields((t) => ({
  clusterEvents: t.field({
    type: ClusterEventRef,
    description:
      'What happens to the nodes of the cluster with this name (of every cluster without one), in ' +
      'order. `after`: a cursor from an earlier event (what came after it is sent first), or none ' +
      'or "HEAD" (from now on).',
    args: {
      cluster: t.arg.string(),
      after: t.arg.string(),
    },
    subscribe: async (_root, args, ctx) => {
      requireRole(ctx, 'viewer');
      let clusterId: string | undefined;
      if (args.cluster !== null && args.cluster !== undefined) {
        checkName(args.cluster, 'cluster');
        const [row] = await ctx.database.db.select().from(clusters).where(eq(clusters.name, args.cluster));
        if (!row) throw new NotFoundError('cluster', args.cluster);
        clusterId = row.id;
      }
      const after = parseEventCursor(args.after, 'after', undefined);
      return abortableStream((signal) =>
        watchClusterEvents(ctx.database, ctx.settings.events, clusterId, after, { signal }),
      );
    },
    resolve: (event, _args, ctx) => {
      freshLoaders(ctx);
      return event;
    },
  }),
}));

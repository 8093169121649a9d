import { asc, eq } from 'drizzle-orm';
import { clusters } from '../../db/schema/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { checkName } from '../../runtime/index.ts';
import { builder } from '../builder.ts';
import { ClusterRef, WorkerNodeRef } from './refs.ts';

ClusterRef.implement({
  description: 'A named group of nodes with one scheduler; `default` always exists.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    nodes: t.field({
      type: [WorkerNodeRef],
      description: 'Registered nodes (deregistered ones are left out).',
      resolve: (c, _args, ctx) => ctx.loaders.nodesByCluster.load(c.id),
    }),
  }),
});

builder.queryFields((t) => ({
  clusters: t.field({
    type: [ClusterRef],
    resolve: (_root, _args, ctx) => ctx.database.db.select().from(clusters).orderBy(asc(clusters.name)),
  }),
  cluster: t.field({
    type: ClusterRef,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      checkName(name, 'name');
      const [row] = await ctx.database.db.select().from(clusters).where(eq(clusters.name, name));
      if (!row) throw new NotFoundError('cluster', name);
      return row;
    },
  }),
}));

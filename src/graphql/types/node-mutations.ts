import { BadInputError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { setNodeDraining, setNodeTags } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { mustExist } from '../must-exist.ts';
import { WorkerNodeRef } from './refs.ts';

const NodePayload = builder
  .objectRef<{ node: Awaited<ReturnType<typeof setNodeDraining>> }>('NodePayload')
  .implement({
    fields: (t) => ({
      node: t.field({
        type: WorkerNodeRef,
        // Read again for the heartbeat's age by the database clock (the node's effective status).
        resolve: async (p, _a, ctx) => mustExist(await ctx.loaders.node.load(p.node.id), 'node', p.node.id),
      }),
    }),
  });

const checkId = (id: string) => {
  if (!isUuid(id))
    throw new BadInputError(`id: ${JSON.stringify(id.slice(0, 60))} is not a node id`, { path: 'id' });
};

builder.mutationFields((t) => ({
  drainNode: t.field({
    type: NodePayload,
    description: 'The node finishes what it runs and takes nothing new (DRAINING).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      checkId(id);
      return { node: await setNodeDraining(ctx.database, id, true, viewer.name) };
    },
  }),
  resumeNode: t.field({
    type: NodePayload,
    description: 'A DRAINING node takes work again (READY).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const viewer = requireRole(ctx, 'operator');
      checkId(id);
      return { node: await setNodeDraining(ctx.database, id, false, viewer.name) };
    },
  }),
  updateNodeTags: t.field({
    type: NodePayload,
    description:
      "Replaces a node's tags (an empty object clears them); placement honours them from the next round. " +
      'At most 32 tags, keys of 1 to 64 characters, string values of at most 256. Admin only.',
    args: { id: t.arg.id({ required: true }), tags: t.arg({ type: 'JSON', required: true }) },
    resolve: async (_root, { id, tags }, ctx) => {
      const viewer = requireRole(ctx, 'admin');
      checkId(id);
      return { node: await setNodeTags(ctx.database, id, tags, viewer.name) };
    },
  }),
}));

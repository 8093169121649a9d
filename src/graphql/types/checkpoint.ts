import { resolveCheckpointLocation } from '../../runtime/index.ts';
import { builder } from '../builder.ts';
import { CheckpointKindEnum, CheckpointStatusEnum } from './enums.ts';
import { mustExist } from '../must-exist.ts';
import { CheckpointAckRef } from './checkpoint-ack.ts';
import { CheckpointRef, RunRef } from './refs.ts';

CheckpointRef.implement({
  description: 'A consistent snapshot of a run: a periodic checkpoint or a requested savepoint.',
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.exposeInt('number', {
      description: 'The checkpoint number within the run (Flink checkpoint id).',
    }),
    kind: t.field({ type: CheckpointKindEnum, resolve: (c) => c.kind }),
    status: t.field({ type: CheckpointStatusEnum, resolve: (c) => c.status }),
    requestId: t.exposeString('requestId', { nullable: true }),
    triggeredAt: t.field({ type: 'DateTime', resolve: (c) => c.triggeredAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.completedAt }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
    stateSize: t.float({ description: 'Bytes of state acknowledged.', resolve: (c) => Number(c.stateSize) }),
    location: t.exposeString('location', { nullable: true }),
    expectedAcks: t.exposeInt('expectedAcks', {
      description: 'Acknowledgements it needs to complete (one per task group of the run).',
    }),
    acks: t.field({
      type: [CheckpointAckRef],
      description: 'The subtasks that acknowledged it so far, by vertex and index.',
      resolve: (c, _a, ctx) => ctx.loaders.acksByCheckpoint.load(c.id),
    }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    run: t.field({
      type: RunRef,
      resolve: async (c, _a, ctx) => mustExist(await ctx.loaders.run.load(c.runId), 'run', c.runId),
    }),
  }),
});

builder.queryFields((t) => ({
  checkpointByLocation: t.field({
    type: CheckpointRef,
    description:
      'The savepoint or checkpoint at a location (what Flink clients keep and pass back as savepointPath): jobgate://savepoints/<id>, jobgate://runs/<run>/checkpoints/<n>, or an id.',
    args: { location: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => resolveCheckpointLocation(ctx.database, args.location, 'location'),
  }),
}));

// One subtask's acknowledgement of a checkpoint (Flink's per-subtask checkpoint statistics).
import { builder } from '../builder.ts';
import type { CheckpointAckRow } from '../loaders.ts';

export const CheckpointAckRef = builder.objectRef<CheckpointAckRow>('CheckpointAck').implement({
  description: "A subtask's acknowledgement of a checkpoint, with the size of the state it snapshotted.",
  fields: (t) => ({
    vertexId: t.exposeID('vertexId'),
    subtaskIndex: t.exposeInt('subtaskIndex'),
    stateSize: t.float({ description: 'Bytes of state acknowledged.', resolve: (a) => Number(a.stateSize) }),
    ackedAt: t.field({ type: 'DateTime', resolve: (a) => a.ackedAt }),
  }),
});

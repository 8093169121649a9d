// What a run (or a job's runs) went through, one event at a time, as the runEvents and jobEvents
// subscriptions answer it. The event's `cursor` resumes a subscription right after it.
import { RUNTIME_EVENT_TYPES, type FeedEvent, type RuntimeEventType } from '../../runtime/index.ts';
import { RUN_STATUSES, type RunStatus } from '../../lib/status.ts';
import { builder } from '../builder.ts';
import { RunStatusEnum } from './enums.ts';
import { CheckpointRef, RunRef, WorkerNodeRef } from './refs.ts';

/** The GraphQL name of a runtime event type: `run:status` is RUN_STATUS. */
function enumName(type: RuntimeEventType): string {
  return type.replace(':', '_').toUpperCase();
}

export const EventTypeEnum = builder.enumType('EventType', {
  description: 'What an event says happened (the runtime names it noun:verb, e.g. run:status).',
  values: Object.fromEntries(
    RUNTIME_EVENT_TYPES.map((type) => [enumName(type), { value: type, description: type }]),
  ) as Record<string, { value: RuntimeEventType; description: string }>,
});

/** A payload field that holds a run status, or null. */
function statusIn(event: FeedEvent, key: 'from' | 'to'): RunStatus | null {
  const value = event.payload[key];
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value)
    ? (value as RunStatus)
    : null;
}

/** A payload field that holds text, or null. */
export function textIn(event: FeedEvent, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = event.payload[key];
    if (typeof value === 'string') return value;
  }
  return null;
}

export const RunEventRef = builder.objectRef<FeedEvent>('RunEvent').implement({
  description:
    'Something that happened to a run: a status change, a restart, an exception, a checkpoint or ' +
    'savepoint triggered, completed or failed.',
  fields: (t) => ({
    cursor: t.string({
      description: 'Pass it as `after` to resume right after this event (no event lost or repeated).',
      resolve: (e) => String(e.id),
    }),
    type: t.field({ type: EventTypeEnum, resolve: (e) => e.type }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    run: t.field({
      type: RunRef,
      nullable: true,
      description: 'The run as it is now (its status may have moved on since the event).',
      resolve: (e, _a, ctx) => (e.runId ? ctx.loaders.run.load(e.runId) : null),
    }),
    status: t.field({
      type: RunStatusEnum,
      nullable: true,
      description: 'RUN_STATUS: the status the run moved to at this event.',
      resolve: (e) => (e.type === 'run:status' ? statusIn(e, 'to') : null),
    }),
    previousStatus: t.field({
      type: RunStatusEnum,
      nullable: true,
      description: 'RUN_STATUS: the status the run moved from.',
      resolve: (e) => (e.type === 'run:status' ? statusIn(e, 'from') : null),
    }),
    attempt: t.int({
      nullable: true,
      description: 'RUN_RESTARTED: the attempt that begins.',
      resolve: (e) => (typeof e.payload.attempt === 'number' ? e.payload.attempt : null),
    }),
    message: t.string({
      nullable: true,
      description:
        'Why: the cause of a status change or restart, the failure of RUN_EXCEPTION, the reason a ' +
        'checkpoint failed.',
      resolve: (e) => textIn(e, 'cause', 'message', 'reason'),
    }),
    checkpoint: t.field({
      type: CheckpointRef,
      nullable: true,
      description: 'The checkpoint or savepoint of a CHECKPOINT_* event, as it is now (null once pruned).',
      resolve: (e, _a, ctx) => (e.checkpointId ? ctx.loaders.checkpoint.load(e.checkpointId) : null),
    }),
    node: t.field({
      type: WorkerNodeRef,
      nullable: true,
      description: 'The node an exception happened on, when known.',
      resolve: (e, _a, ctx) => (e.nodeId ? ctx.loaders.node.load(e.nodeId) : null),
    }),
  }),
});

import {
  CHECKPOINT_KINDS,
  CHECKPOINT_STATUSES,
  CONCURRENCY_POLICIES,
  JOB_KINDS,
  JOB_MODES,
  LOG_LEVELS,
  METRIC_SCOPES,
  NODE_STATUSES,
  ROLES,
  RUN_STATUSES,
  RUN_TRIGGERS,
  SUBTASK_STATUSES,
  VERTEX_KINDS,
} from '../../lib/status.ts';
import { builder } from '../builder.ts';

export const RunStatusEnum = builder.enumType('RunStatus', { values: RUN_STATUSES });
export const SubtaskStatusEnum = builder.enumType('SubtaskStatus', { values: SUBTASK_STATUSES });
export const NodeStatusEnum = builder.enumType('NodeStatus', { values: NODE_STATUSES });
export const JobModeEnum = builder.enumType('JobMode', { values: JOB_MODES });
export const JobKindEnum = builder.enumType('JobKind', { values: JOB_KINDS });
export const VertexKindEnum = builder.enumType('VertexKind', { values: VERTEX_KINDS });
export const ConcurrencyEnum = builder.enumType('Concurrency', { values: CONCURRENCY_POLICIES });
export const CheckpointKindEnum = builder.enumType('CheckpointKind', { values: CHECKPOINT_KINDS });
export const CheckpointStatusEnum = builder.enumType('CheckpointStatus', { values: CHECKPOINT_STATUSES });
export const LogLevelEnum = builder.enumType('LogLevel', { values: LOG_LEVELS });
export const MetricScopeEnum = builder.enumType('MetricScope', { values: METRIC_SCOPES });
export const RunTriggerEnum = builder.enumType('RunTrigger', { values: RUN_TRIGGERS });
/** The roles of API tokens (viewer, operator, admin; VIEWER... in the schema). */
export const RoleEnum = builder.enumType('Role', {
  values: Object.fromEntries(ROLES.map((r) => [r.toUpperCase(), { value: r }])) as Record<
    'VIEWER' | 'OPERATOR' | 'ADMIN',
    { value: (typeof ROLES)[number] }
  >,
});

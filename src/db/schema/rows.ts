// The row types of the tables, derived from them here once; everything else imports these.
import type { checkpoints } from './checkpoint.ts';
import type { clusters, nodes } from './cluster.ts';
import type { connections } from './connection.ts';
import type { artifacts, jobs, jobVersions, vertices } from './job.ts';
import type { runExceptions, runs, subtasks } from './run.ts';
import type { logLines, metricsCurrent } from './telemetry.ts';

export type ClusterRow = typeof clusters.$inferSelect;
export type NodeRow = typeof nodes.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type JobVersionRow = typeof jobVersions.$inferSelect;
export type VertexRow = typeof vertices.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type SubtaskRow = typeof subtasks.$inferSelect;
export type CheckpointRow = typeof checkpoints.$inferSelect;
export type ExceptionRow = typeof runExceptions.$inferSelect;
export type MetricRow = typeof metricsCurrent.$inferSelect;
export type LogLineRow = typeof logLines.$inferSelect;
export type ConnectionRow = typeof connections.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;

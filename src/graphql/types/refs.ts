// Object refs, declared apart from their implementations (one file each) so type files can point at
// each other without import cycles.
import { builder } from '../builder.ts';
import type {
  CheckpointRow,
  ClusterRow,
  ExceptionRow,
  JobRow,
  MetricRow,
  RunRow,
  SubtaskRow,
  VertexRow,
} from '../../db/schema/index.ts';
import type { NodeRowWithAge } from '../../db/node-liveness.ts';

export const ClusterRef = builder.objectRef<ClusterRow>('Cluster');
export const WorkerNodeRef = builder.objectRef<NodeRowWithAge>('WorkerNode');
export const JobRef = builder.objectRef<JobRow>('Job');
export const RunRef = builder.objectRef<RunRow>('Run');
/** A vertex as it takes part in one run. */
export const VertexRef = builder.objectRef<{ run: RunRow; vertex: VertexRow }>('Vertex');
export const SubtaskRef = builder.objectRef<SubtaskRow>('Subtask');
export const CheckpointRef = builder.objectRef<CheckpointRow>('Checkpoint');
export const RunExceptionRef = builder.objectRef<ExceptionRow>('RunException');
export const MetricRef = builder.objectRef<MetricRow>('Metric');

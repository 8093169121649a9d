// The `plan` object Flink answers for a jar (JobPlanInfo, ENDPOINTS.md row 12), made from the plan of
// the job a jobgate jar carries: one node per vertex, each pointing at the vertices feeding it. Flink
// lists the nodes sinks first; so does this. Node ids are 32 hex characters derived from the job and
// vertex names, so the same jar plans the same ids every time.
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../lib/ids.ts';

export interface PlanVertex {
  name: string;
  kind: string;
  plugin: string | null;
  parallelism: number;
  inputs: string[];
}

export interface ArtifactPlan {
  jobName: string;
  mode: string;
  vertices: PlanVertex[];
}

const KIND_LABEL: Record<string, string> = { SOURCE: 'Source', SINK: 'Sink', TRANSFORM: 'Transform' };

function nodeId(jobName: string, vertex: string): string {
  return sha256Hex(`${jobName}\u0000${vertex}`).slice(0, 32);
}

/** What a node's description says: Flink's `Source: <name>` style. */
function describe(vertex: PlanVertex): string {
  const label = KIND_LABEL[vertex.kind] ?? 'Command';
  return vertex.plugin ? `${label}: ${vertex.plugin} (${vertex.name})` : `${label}: ${vertex.name}`;
}

/** Flink's plan JSON for a jar's job; `jobId` is the client's (else a fresh one, as Flink makes). */
export function flinkPlanOf(plan: ArtifactPlan, jobId?: string): Record<string, unknown> {
  const nodes = [...plan.vertices].reverse().map((vertex) => {
    const node: Record<string, unknown> = {
      id: nodeId(plan.jobName, vertex.name),
      parallelism: vertex.parallelism,
      operator: '',
      operator_strategy: '',
      description: describe(vertex),
    };
    if (vertex.inputs.length > 0) {
      node.inputs = vertex.inputs.map((input, num) => ({
        num,
        id: nodeId(plan.jobName, input),
        ship_strategy: 'FORWARD',
        exchange: 'pipelined_bounded',
      }));
    }
    node.optimizer_properties = {};
    return node;
  });
  return { jid: jobId ?? randomBytes(16).toString('hex'), name: plan.jobName, type: plan.mode, nodes };
}

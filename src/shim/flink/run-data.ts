// The GraphQL reads behind Flink's job routes: one document per kind of answer, each costing a
// bounded number of statements whatever the size of the run (the schema's loaders batch every
// nesting level). Routes that show the same run share the RUN document.
import type { DialectContext } from '../core/index.ts';
import { parseHex32 } from './ids.ts';
import { query } from './query.ts';

export interface MetricValue {
  name: string;
  value: number;
}

export interface NodeData {
  id: string;
  name: string;
  host: string;
}

export interface SubtaskData {
  index: number;
  status: string;
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  node: NodeData | null;
  metrics: MetricValue[];
}

export interface VertexData {
  id: string;
  name: string;
  kind: string;
  plugin: string | null;
  parallelism: number;
  inputs: string[];
  status: string;
  metrics: MetricValue[];
  subtasks: SubtaskData[];
}

export interface RunData {
  id: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  parallelism: number;
  attempt: number;
  job: {
    name: string;
    mode: string;
    parallelism: number;
    checkpointIntervalMs: number | null;
    restartStrategy: Record<string, unknown>;
    tags: { key: string; value: string }[];
    metadata: { key: string; value: string }[];
  };
  statusHistory: { to: string; at: string }[];
  vertices: VertexData[];
}

/** A run with its vertices, their subtasks, and the current metrics of each. */
export const RUN = `query FlinkRun($id: ID!) {
  run(id: $id) {
    id status createdAt startedAt endedAt parallelism attempt
    job {
      name mode parallelism checkpointIntervalMs restartStrategy
      tags { key value }
      metadata { key value }
    }
    statusHistory { to at }
    vertices {
      id name kind plugin parallelism inputs status
      metrics { name value }
      subtasks {
        index status attempt startedAt endedAt
        node { id name host }
        metrics { name value }
      }
    }
  }
}`;

/** The 404 Flink's execution-graph handlers answer for an unknown job. */
export function jobNotFound(jobId: string): string {
  return `Job ${jobId} not found`;
}

/** The run `:jobid` names, or 400 (not 32 hex) / 404 (no such run). */
export async function loadRun(ctx: DialectContext, jobParam: string): Promise<RunData> {
  const id = parseHex32('jobid', jobParam);
  const data = await query<{ run: RunData }>(ctx, RUN, { id }, { notFound: jobNotFound(id) });
  return data.run;
}

/** Epoch milliseconds of an ISO time, or `fallback` when there is none. */
export function ms(iso: string | null | undefined, fallback = -1): number {
  return iso ? Date.parse(iso) : fallback;
}

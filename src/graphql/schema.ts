// The schema: imports every type file (each registers itself on the builder) and builds it.
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './types/scalars.ts';
import './types/enums.ts';
import './types/overview.ts';
import './types/cluster.ts';
import './types/worker-node.ts';
import './types/job.ts';
import './types/job-run-stats.ts';
import './types/run.ts';
import './types/vertex.ts';
import './types/subtask.ts';
import './types/checkpoint.ts';
import './types/metric.ts';
import './types/log-line.ts';
import './types/job-mutations.ts';
import './types/run-mutations.ts';
import './types/node-mutations.ts';
import './types/submissions.ts';
import './types/connection.ts';
import './types/subscription.ts';
import './types/subscription-run-events.ts';
import './types/subscription-job-events.ts';
import './types/subscription-cluster-events.ts';
import './types/api-token.ts';
import './types/artifact.ts';
import './types/artifact-mutations.ts';
import './types/subscription-logs.ts';
import './types/subscription-metrics.ts';

let built: GraphQLSchema | undefined;

export function getSchema(): GraphQLSchema {
  built ??= builder.toSchema({ sortSchema: false });
  return built;
}

/** The SDL committed at schema/schema.graphql. */
export function printJobgateSchema(): string {
  return `${printSchema(lexicographicSortSchema(getSchema()))}\n`;
}

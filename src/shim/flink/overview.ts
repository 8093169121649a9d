// GET /overview: the cluster's counts (ENDPOINTS.md row 2), from the GraphQL `overview` field.
import type { RouteCall } from '../core/index.ts';
import { query } from './query.ts';
import { flinkJson } from './respond.ts';
import { FLINK_REVISION, FLINK_VERSION } from './version.ts';

const OVERVIEW = `query FlinkOverview {
  overview { nodes slotsTotal slotsAvailable runsRunning runsFinished runsFailed runsCanceled }
}`;

interface OverviewData {
  overview: {
    nodes: number;
    slotsTotal: number;
    slotsAvailable: number;
    runsRunning: number;
    runsFinished: number;
    runsFailed: number;
    runsCanceled: number;
  };
}

/** `jobs-cancelled` is spelled with two l's although the status is CANCELED (as Flink spells it). */
export async function getOverview({ ctx }: RouteCall): Promise<Response> {
  const { overview } = await query<OverviewData>(ctx, OVERVIEW);
  return flinkJson(
    {
      taskmanagers: overview.nodes,
      'slots-total': overview.slotsTotal,
      'slots-available': overview.slotsAvailable,
      'slots-free-and-blocked': 0,
      'taskmanagers-blocked': 0,
      'jobs-running': overview.runsRunning,
      'jobs-finished': overview.runsFinished,
      'jobs-cancelled': overview.runsCanceled,
      'jobs-failed': overview.runsFailed,
      'flink-version': FLINK_VERSION,
      'flink-commit': FLINK_REVISION,
    },
    ctx,
  );
}

// Placement: each waiting run gets all the slots it needs at once (or waits, saying why), on READY
// nodes with free slots whose tags match, spreading over the nodes with the most free slots. Each
// node that got work is woken on its own channel; the others sleep on.
import { eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { nodeIsLiveSql } from '../../db/node-liveness.ts';
import { assignments, subtaskAttempts, subtasks } from '../../db/schema/index.ts';
import {
  isIn,
  PLACEABLE_NODE_STATUSES,
  PLACEABLE_RUN_STATUSES,
  RunStatus,
  SLOT_HOLDING_STATUSES,
  sqlLiteral,
  SubtaskStatus,
} from '../../lib/status.ts';
import { notifyNodes } from '../channels.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import { transitionAssignments, transitionSubtasks } from '../runs/transition-assignments.ts';
import { lockRun, transitionRun } from '../runs/transition-run.ts';
import { fenced, type LeaderFence } from './fence.ts';

interface Candidate {
  id: string;
  run_id: string;
  name: string;
  required_tags: Record<string, string> | string;
  waiting_reason: string | null;
}

interface FreeNode {
  id: string;
  name: string;
  tags: Record<string, string> | string;
  free: number;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export async function placeAssignments(
  database: Database,
  fence: LeaderFence,
  options: { heartbeatTimeoutMs: number; logs: LogAppender },
): Promise<number> {
  const waiting = await database.execute<Candidate>(sql`
    select a.id, a.run_id, a.name, a.required_tags, a.waiting_reason
    from assignments a join runs r on r.id = a.run_id join jobs j on j.id = r.job_id
    where a.status = ${sql.raw(sqlLiteral(SubtaskStatus.CREATED))} and j.cluster_id = ${fence.clusterId}::uuid
      and (a.not_before is null or a.not_before <= now())
      and r.status in ${sql.raw(sqlLiteral(PLACEABLE_RUN_STATUSES))}
    order by r.num, a.index
    limit 500`);
  if (waiting.length === 0) return 0;
  const nodes = (
    await database.execute<FreeNode>(sql`
      select n.id, n.name, n.tags,
        n.slots - (select count(*) from assignments x
                   where x.node_id = n.id and x.status in ${sql.raw(sqlLiteral(SLOT_HOLDING_STATUSES))})::int as free
      from nodes n
      where n.cluster_id = ${fence.clusterId}::uuid and n.status in ${sql.raw(sqlLiteral(PLACEABLE_NODE_STATUSES))}
        and ${sql.raw(nodeIsLiveSql('n', options.heartbeatTimeoutMs))}`)
  ).map((n) => ({ ...n, free: Number(n.free), tags: json<Record<string, string>>(n.tags) }));

  const byRun = new Map<string, Candidate[]>();
  for (const c of waiting) byRun.set(c.run_id, [...(byRun.get(c.run_id) ?? []), c]);
  let placed = 0;
  for (const [runId, list] of byRun) {
    const plan = new Map<string, FreeNode>();
    const free = new Map(nodes.map((n) => [n.id, n.free]));
    for (const assignment of list) {
      const required = json<Record<string, string>>(assignment.required_tags);
      const fits = nodes
        .filter(
          (n) => (free.get(n.id) ?? 0) > 0 && Object.entries(required).every(([k, v]) => n.tags[k] === v),
        )
        .sort((a, b) => (free.get(b.id) ?? 0) - (free.get(a.id) ?? 0));
      const node = fits[0];
      if (!node) break;
      plan.set(assignment.id, node);
      free.set(node.id, (free.get(node.id) ?? 0) - 1);
    }
    if (plan.size < list.length) {
      const total = nodes.reduce((s, n) => s + n.free, 0);
      const reason =
        nodes.length === 0
          ? 'no READY node in the cluster'
          : `needs ${list.length} free slot(s) on nodes with the required tags; ${total} free in the cluster`;
      // Written and logged when it changes, not on every tick the run goes on waiting.
      if (list.some((a) => a.waiting_reason !== reason)) {
        await fenced(database, fence, (tx) =>
          tx
            .update(assignments)
            .set({ waitingReason: reason })
            .where(
              inArray(
                assignments.id,
                list.map((a) => a.id),
              ),
            ),
        );
        options.logs.append(runId, 'WARN', `waiting for slots: ${reason}`);
      }
      continue;
    }
    // Fenced: a leader that lost its term places nothing, even with a tick already in flight.
    const ok = await fenced(database, fence, async (tx) => {
      const run = await lockRun(tx, runId);
      if (!run || !isIn(PLACEABLE_RUN_STATUSES, run.status)) return false;
      for (const [assignmentId, node] of plan) {
        const placed = { from: [SubtaskStatus.CREATED] };
        const updated = await transitionAssignments(
          tx,
          eq(assignments.id, assignmentId),
          SubtaskStatus.SCHEDULED,
          { nodeId: node.id, waitingReason: null },
          placed,
        );
        if (updated.length === 0) continue;
        const subs = await transitionSubtasks(
          tx,
          eq(subtasks.assignmentId, assignmentId),
          SubtaskStatus.SCHEDULED,
          { nodeId: node.id },
          { ...placed, attempt: false },
        );
        if (subs.length) {
          await tx
            .insert(subtaskAttempts)
            .values(
              subs.map((s) => ({
                subtaskId: s.id,
                attempt: s.attempt,
                nodeId: node.id,
                status: SubtaskStatus.SCHEDULED,
              })),
            )
            .onConflictDoUpdate({
              target: [subtaskAttempts.subtaskId, subtaskAttempts.attempt],
              set: {
                nodeId: node.id,
                status: SubtaskStatus.SCHEDULED,
                startedAt: null,
                endedAt: null,
                failure: null,
                exitCode: null,
              },
            });
        }
      }
      if (run.status === RunStatus.CREATED || run.status === RunStatus.RESTARTING) {
        await transitionRun(database, tx, run, RunStatus.INITIALIZING, `placed ${plan.size} assignment(s)`);
      }
      return true;
    });
    if (!ok) continue;
    placed += plan.size;
    // Now rather than at their next poll (startJob to RUNNING: see BENCHMARKS.md).
    await notifyNodes(
      database,
      [...plan.values()].map((n) => n.id),
    );
    for (const [assignmentId, node] of plan) {
      const name = list.find((a) => a.id === assignmentId)?.name;
      options.logs.append(runId, 'INFO', `${name} placed on node ${node.name}`);
    }
  }
  return placed;
}

// A run and what a query asks below it, read in one statement instead of one per level.
//
// The contract Run query reads a run, then its job, vertices, checkpoint page and exceptions, then
// the vertices' subtasks, their nodes and the vertices' metrics: three round trips, each a handful of
// statements. On a small machine a statement costs more in the write to PostgreSQL's socket and in
// reading its rows than in PostgreSQL itself (BENCHMARKS.md). So `Query.run` looks ahead at its
// selection (fragments included), builds one statement for the parts asked for, with PostgreSQL
// nesting each part's rows as JSON arrays, and primes the request's DataLoaders with them. Requests
// asking for the same run in the same turn share the statement (loaders.ts); different runs are read
// side by side, a statement each, so that PostgreSQL spreads them over its cores. The resolvers
// below stay as they are and read from those loaders; a part this does not read ahead (a checkpoint
// page after a cursor, what a job's fields read beyond its row) is loaded by its own loader as before.
// Reading ahead never changes an answer: at worst a part is read that a skipped field did not need.
import type {
  FieldNode,
  FragmentDefinitionNode,
  GraphQLResolveInfo,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import type {
  CheckpointRow,
  ExceptionRow,
  JobRow,
  MetricRow,
  RunRow,
  SubtaskRow,
  VertexRow,
} from '../db/schema/index.ts';
import type { NodeRowWithAge } from '../db/node-liveness.ts';
import { metricKey } from '../lib/metric-keys.ts';
import type { GraphQLContext } from './context.ts';
import { READERS, type KeyedStatement } from './loaders.ts';

/** The most checkpoints a read-ahead page holds; a bigger page is loaded by its own loader. */
const MAX_CHECKPOINT_PAGE = 100;
const DEFAULT_CHECKPOINT_PAGE = 20;

/** What a `run` selection reads below the run, decided from the document alone. */
interface Plan {
  job: boolean;
  vertices: boolean;
  subtasks: boolean;
  nodes: boolean;
  vertexMetrics: boolean;
  /** The vertices' inputs (the version's edges). */
  edges: boolean;
  subtaskMetrics: boolean;
  exceptions: boolean;
  statusHistory: boolean;
  /** The `first` argument of the first `checkpoints` page that starts at the top (no `after`,
   * `before` or `last`): null when it is not given; undefined when no such page is asked for. */
  checkpointsFirst?: ValueNode | null;
}

/** The parts to read for one request: the plan with the page size known. */
export interface RunParts extends Omit<Plan, 'checkpointsFirst'> {
  /** Rows of the checkpoint page to read (its size plus one), when read ahead. */
  checkpointRows?: number;
}

interface Tree {
  run: RunRow;
  job?: JobRow | null;
  vertices?: VertexRow[];
  subtasks?: SubtaskRow[];
  nodes?: NodeRowWithAge[];
  /** The vertices' metrics by metric key, each list in name order. */
  vertexMetrics?: Map<string, MetricRow[]>;
  edges?: EdgeRow[];
  /** The subtasks' metrics by metric key, each list in name order. */
  subtaskMetrics?: Map<string, MetricRow[]>;
  statusHistory?: StatusChangeRow[];
  exceptions?: ExceptionRow[];
  checkpoints?: CheckpointRow[];
}

type Fragments = GraphQLResolveInfo['fragments'];

/** The fields of selection sets by name (not alias), through fragments and inline fragments. */
function subfields(nodes: readonly FieldNode[], fragments: Fragments): Map<string, FieldNode[]> {
  const byName = new Map<string, FieldNode[]>();
  const seen = new Set<FragmentDefinitionNode>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === 'Field') {
        const list = byName.get(selection.name.value);
        if (list) list.push(selection);
        else byName.set(selection.name.value, [selection]);
      } else if (selection.kind === 'InlineFragment') {
        visit(selection.selectionSet);
      } else {
        const fragment = fragments[selection.name.value];
        if (fragment && !seen.has(fragment)) {
          seen.add(fragment);
          visit(fragment.selectionSet);
        }
      }
    }
  };
  for (const node of nodes) visit(node.selectionSet);
  return byName;
}

function planOf(fieldNodes: readonly FieldNode[], fragments: Fragments): Plan {
  const run = subfields(fieldNodes, fragments);
  const vertexNodes = run.get('vertices') ?? [];
  const vertex = subfields(vertexNodes, fragments);
  const subtaskNodes = vertex.get('subtasks') ?? [];
  const subtask = subfields(subtaskNodes, fragments);
  const page = run
    .get('checkpoints')
    ?.find((node) => !node.arguments?.some((arg) => ['after', 'before', 'last'].includes(arg.name.value)));
  return {
    job: run.has('job'),
    vertices: vertexNodes.length > 0,
    // A vertex's status is read from its subtasks too.
    subtasks: subtaskNodes.length > 0 || vertex.has('status'),
    nodes: subtask.has('node'),
    vertexMetrics: vertex.has('metrics'),
    edges: vertex.has('inputs'),
    subtaskMetrics: subtask.has('metrics'),
    exceptions: run.has('exceptions'),
    statusHistory: run.has('statusHistory'),
    checkpointsFirst: page
      ? (page.arguments?.find((arg) => arg.name.value === 'first')?.value ?? null)
      : undefined,
  };
}

/** Plans by the first field node of the selection: documents are cached, so their nodes recur. */
const plans = new WeakMap<FieldNode, Plan>();

/** The parts a request's `run` field reads ahead, or undefined when it asks for nothing below the run. */
export function runParts(info: GraphQLResolveInfo): RunParts | undefined {
  const first = info.fieldNodes[0];
  if (!first) return undefined;
  let plan = plans.get(first);
  if (!plan) plans.set(first, (plan = planOf(info.fieldNodes, info.fragments)));
  const { checkpointsFirst, ...parts } = plan;
  let checkpointRows: number | undefined;
  if (checkpointsFirst !== undefined) {
    const size =
      checkpointsFirst === null
        ? DEFAULT_CHECKPOINT_PAGE
        : checkpointsFirst.kind === 'IntValue'
          ? Number(checkpointsFirst.value)
          : checkpointsFirst.kind === 'Variable'
            ? (info.variableValues[checkpointsFirst.name.value] ?? DEFAULT_CHECKPOINT_PAGE)
            : undefined;
    // A size out of bounds is left to the field's own resolver, which says what is wrong.
    if (Number.isInteger(size) && (size as number) >= 0 && (size as number) <= MAX_CHECKPOINT_PAGE)
      checkpointRows = (size as number) + 1;
  }
  const any =
    parts.job ||
    parts.vertices ||
    parts.subtasks ||
    parts.exceptions ||
    parts.statusHistory ||
    checkpointRows !== undefined;
  return any ? { ...parts, checkpointRows } : undefined;
}

const { run: RUN, job: JOB, node: NODE, vertex: VERTEX, subtask: SUBTASK } = READERS;
const { exception: EXCEPTION, metric: METRIC, checkpoint: CHECKPOINT } = READERS;
const { edge: EDGE, statusChange: STATUS_CHANGE } = READERS;
type EdgeRow = ReturnType<typeof EDGE.read>[number];
type StatusChangeRow = ReturnType<typeof STATUS_CHANGE.read>[number];

/** Current metrics whose key is among `keys` (a select of keys written as lib/metric-keys.ts
 * writes them), in the order metricsByKey reads them. */
const metricsWithKeyIn = (keys: string) =>
  list(METRIC.tuple, `metrics_current m where m.key in (${keys})`, 'm.key, m.name');

const list = (tuple: string, from: string, order = '') =>
  `(select coalesce(json_agg(${tuple}${order ? ` order by ${order}` : ''}), '[]') from ${from})`;

/** The statement text for a set of parts (each text prepared once per connection). */
function treeText(parts: RunParts): string {
  const columns = [`${RUN.tuple} as "run"`];
  if (parts.job) columns.push(`(select ${JOB.tuple} from jobs j where j.id = r.job_id) as "job"`);
  if (parts.vertices)
    columns.push(
      `${list(VERTEX.tuple, 'vertices v where v.job_version_id = r.job_version_id', 'v.position')} as "vertices"`,
    );
  if (parts.subtasks)
    columns.push(`${list(SUBTASK.tuple, 'subtasks s where s.run_id = r.id', 's.index')} as "subtasks"`);
  if (parts.nodes)
    columns.push(
      `${list(NODE.tuple, 'nodes n where n.id in (select s.node_id from subtasks s where s.run_id = r.id)')} as "nodes"`,
    );
  if (parts.vertexMetrics)
    columns.push(
      `${metricsWithKeyIn(
        `select 'vertex:' || r.id || ':' || v.id from vertices v where v.job_version_id = r.job_version_id`,
      )} as "vertexMetrics"`,
    );
  if (parts.edges)
    columns.push(
      `${list(EDGE.tuple, 'vertex_edges e where e.job_version_id = r.job_version_id')} as "edges"`,
    );
  if (parts.subtaskMetrics)
    columns.push(
      `${metricsWithKeyIn(
        `select 'subtask:' || r.id || ':' || s.vertex_id || ':' || s.index from subtasks s where s.run_id = r.id`,
      )} as "subtaskMetrics"`,
    );
  if (parts.statusHistory)
    columns.push(
      `${list(STATUS_CHANGE.tuple, 'run_status_history h where h.run_id = r.id', 'h.id')} as "statusHistory"`,
    );
  if (parts.exceptions)
    columns.push(
      `${list(EXCEPTION.tuple, 'run_exceptions e where e.run_id = r.id', 'e.id')} as "exceptions"`,
    );
  if (parts.checkpointRows !== undefined)
    columns.push(
      `${list(
        CHECKPOINT.tuple,
        '(select * from checkpoints c where c.run_id = r.id order by c.number desc limit $2) c',
        'c.number desc',
      )} as "checkpoints"`,
    );
  return `select ${columns.join(',\n  ')}\nfrom runs r where r.id = $1::char(32)`;
}

type Tuples = readonly unknown[][];

/** Metric tuples as lists by metric key, each in the statement's order (by name). */
function metricLists(value: unknown): Map<string, MetricRow[]> | undefined {
  if (value === undefined) return undefined;
  const lists = new Map<string, MetricRow[]>();
  for (const metric of METRIC.readTuples(value as Tuples)) {
    const list = lists.get(metric.key);
    if (list) list.push(metric);
    else lists.set(metric.key, [metric]);
  }
  return lists;
}

function readTree(row: Record<string, unknown>): Tree {
  const all = <T>(reader: { readTuples(tuples: Tuples): T[] }, value: unknown) =>
    value === undefined ? undefined : reader.readTuples(value as Tuples);
  return {
    run: RUN.readTuples([row.run as unknown[]])[0]!,
    job:
      row.job === undefined ? undefined : row.job === null ? null : JOB.readTuples([row.job as unknown[]])[0],
    vertices: all(VERTEX, row.vertices),
    subtasks: all(SUBTASK, row.subtasks),
    nodes: all(NODE, row.nodes),
    vertexMetrics: metricLists(row.vertexMetrics),
    edges: all(EDGE, row.edges),
    subtaskMetrics: metricLists(row.subtaskMetrics),
    statusHistory: all(STATUS_CHANGE, row.statusHistory),
    exceptions: all(EXCEPTION, row.exceptions),
    checkpoints: all(CHECKPOINT, row.checkpoints),
  };
}

/** The parts that decide the statement's text, in a fixed order. */
const FLAGS = [
  'job',
  'vertices',
  'subtasks',
  'nodes',
  'vertexMetrics',
  'edges',
  'subtaskMetrics',
  'exceptions',
  'statusHistory',
] as const satisfies readonly (keyof RunParts)[];

/** Texts by flags (at most 2^10), and statements by flags and page size: the same object for the
 * same parts, so concurrent requests share one. Documents choose the page size, so the statements
 * kept are bounded; past the bound a statement is made for the request alone (nothing is shared). */
const texts = new Map<string, string>();
const statements = new Map<string, KeyedStatement<Tree>>();
const MAX_STATEMENTS = 256;

function statementFor(parts: RunParts): KeyedStatement<Tree> {
  // The text depends on whether a checkpoint page is read, not on its size ($2).
  const flags = `${FLAGS.map((flag) => Number(parts[flag])).join('')}${parts.checkpointRows === undefined ? '' : 'c'}`;
  const signature = `${flags}:${parts.checkpointRows ?? ''}`;
  let statement = statements.get(signature);
  if (!statement) {
    let text = texts.get(flags);
    if (text === undefined) texts.set(flags, (text = treeText(parts)));
    statement = {
      text,
      params: parts.checkpointRows === undefined ? undefined : [parts.checkpointRows],
      perKey: true,
      read: (rows) => rows.map(readTree),
      keyOf: (tree) => tree.run.id,
    };
    if (statements.size < MAX_STATEMENTS) statements.set(signature, statement);
  }
  return statement;
}

/** Reads a run with the parts below it and primes the request's loaders with them; null when there
 * is no such run. */
export async function loadRunTree(ctx: GraphQLContext, id: string, parts: RunParts): Promise<RunRow | null> {
  const tree = (await ctx.loaders.rows(statementFor(parts), [id])).get(id)?.[0];
  if (!tree) return null;
  const { run } = tree;
  const { loaders } = ctx;
  loaders.run.prime(run.id, run);
  if (tree.job !== undefined) loaders.job.prime(run.jobId, tree.job);
  if (tree.vertices) loaders.verticesByVersion.prime(run.jobVersionId, tree.vertices);
  if (tree.subtasks) loaders.subtasksByRun.prime(run.id, tree.subtasks);
  for (const node of tree.nodes ?? []) loaders.node.prime(node.id, node);
  // Every key asked for is primed, those without metrics with [] (so no loader reads them again).
  const primeMetrics = (keys: string[], lists: Map<string, MetricRow[]>) => {
    for (const key of keys) loaders.metricsByKey.prime(key, lists.get(key) ?? []);
  };
  if (tree.vertexMetrics && tree.vertices)
    primeMetrics(
      tree.vertices.map((v) => metricKey.vertex(run.id, v.id)),
      tree.vertexMetrics,
    );
  if (tree.edges) loaders.edgesByVersion.prime(run.jobVersionId, tree.edges);
  if (tree.subtaskMetrics && tree.subtasks)
    primeMetrics(
      tree.subtasks.map((st) => metricKey.subtask(run.id, st.vertexId, st.index)),
      tree.subtaskMetrics,
    );
  if (tree.statusHistory) loaders.statusHistoryByRun.prime(run.id, tree.statusHistory);
  if (tree.exceptions) loaders.exceptionsByRun.prime(run.id, tree.exceptions);
  if (tree.checkpoints && parts.checkpointRows !== undefined)
    loaders.checkpointPage.prime({ runId: run.id, limit: parts.checkpointRows }, tree.checkpoints);
  return run;
}

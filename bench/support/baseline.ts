// The baseline for the Run query: what a user could write by hand without jobgate. A plain node:http
// server answers POST /graphql (reading only `variables.id`) with ONE SQL statement that builds the
// whole response document in PostgreSQL (json_build_object / json_agg) and sends its text as is.
// It returns what the contract `Run` query returns, field for field, so the two can be compared.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';

/** ISO-8601 in UTC with milliseconds, as JavaScript's Date#toISOString prints it. */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A vertex's status from its subtasks (the Flink aggregation jobgate uses), over rows `s`. */
const VERTEX_STATUS = `case
    when count(s.id) = 0 then 'CREATED'
    when bool_or(s.status = 'FAILED') then 'FAILED'
    when bool_or(s.status = 'CANCELING') then 'CANCELING'
    when bool_and(s.status = 'FINISHED') then 'FINISHED'
    when bool_and(s.status = 'CANCELED') then 'CANCELED'
    when bool_or(s.status = 'RUNNING') then 'RUNNING'
    when bool_or(s.status = 'DEPLOYING') then 'DEPLOYING'
    when bool_or(s.status = 'SCHEDULED') then 'SCHEDULED'
    when bool_or(s.status = 'CANCELED') then 'CANCELED'
    when bool_or(s.status = 'FINISHED') then 'RUNNING'
    else 'CREATED' end`;

export const BASELINE_SQL = `
select json_build_object('data', json_build_object('run', (
  select json_build_object(
    'id', r.id,
    'status', r.status,
    'startedAt', ${iso('r.started_at')},
    'endedAt', ${iso('r.ended_at')},
    'job', json_build_object('name', j.name),
    'vertices', coalesce((
      select json_agg(json_build_object(
          'id', v.id, 'name', v.name, 'kind', v.kind, 'plugin', v.plugin, 'parallelism', v.parallelism,
          'status', st.status,
          'subtasks', st.list,
          'metrics', coalesce((
            select json_agg(json_build_object('name', m.name, 'value', m.value) order by m.name)
            from metrics_current m
            where m.key = 'vertex:' || r.id || ':' || v.id and m.name in ('numRecordsIn', 'numRecordsOut')
          ), '[]'::json)
        ) order by v.position)
      from vertices v
      cross join lateral (
        select ${VERTEX_STATUS} as status,
          coalesce(json_agg(json_build_object(
              'index', s.index, 'status', s.status, 'attempt', s.attempt,
              'node', case when n.id is null then null else json_build_object('id', n.id, 'name', n.name) end,
              'startedAt', ${iso('s.started_at')}, 'endedAt', ${iso('s.ended_at')}
            ) order by s.index) filter (where s.id is not null), '[]'::json) as list
        from subtasks s left join nodes n on n.id = s.node_id
        where s.run_id = r.id and s.vertex_id = v.id
      ) st
      where v.job_version_id = r.job_version_id
    ), '[]'::json),
    'checkpoints', json_build_object('nodes', coalesce((
      select json_agg(json_build_object(
          'id', c.id, 'kind', c.kind, 'status', c.status,
          'triggeredAt', ${iso('c.triggered_at')}, 'completedAt', ${iso('c.completed_at')},
          'durationMs', c.duration_ms, 'stateSize', c.state_size
        ) order by c.number desc)
      from (select * from checkpoints where run_id = r.id order by number desc limit 20) c
    ), '[]'::json)),
    'exceptions', coalesce((
      select json_agg(json_build_object(
          'at', ${iso('e.at')}, 'message', e.message, 'vertex', e.vertex_name, 'subtaskIndex', e.subtask_index
        ) order by e.id)
      from run_exceptions e where e.run_id = r.id
    ), '[]'::json)
  )
  from runs r join jobs j on j.id = r.job_id
  where r.id = $1
)))::text as body`;

export interface BaselineServer {
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** The hand-written server, on its own postgres.js pool of `maxConnections`. */
export function createBaselineServer(options: { url: string; maxConnections: number }): BaselineServer {
  const sql = postgres(options.url, { max: options.maxConnections, onnotice: () => {} });
  const fail = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message }] }));
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return fail(res, 404, 'not found');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let id: unknown;
      try {
        id = (JSON.parse(Buffer.concat(chunks).toString()) as { variables?: { id?: unknown } }).variables?.id;
      } catch {
        return fail(res, 400, 'invalid JSON');
      }
      if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) return fail(res, 400, 'id must be a run id');
      sql.unsafe<{ body: string }[]>(BASELINE_SQL, [id], { prepare: true }).then(
        ([row]) => {
          const body = row!.body;
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        },
        (err: Error) => fail(res, 500, err.message),
      );
    });
  });
  return {
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        });
      }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sql.end({ timeout: 5 });
    },
  };
}

// A SeaTunnel job as Zeta's job-info answers it (ENDPOINTS.md §3, BaseService / getJobInfoJson): a
// running job carries envOptions, pluginJarsUrls and isStartWithSavePoint; an ended one errorMsg and
// finishTime. Ids and metric values are strings; times `yyyy-MM-dd HH:mm:ss` in the server's zone.
// envOptions come from the definition jobgate shows, so secret-looking options read [redacted].
import {
  isSeaTunnelEndStatus,
  seatunnelJobStatus,
  type SeaTunnelJobStatus,
} from '../../lib/seatunnel-status.ts';
import { RunStatus } from '../../lib/status.ts';
import { jobIdOfName } from './ids.ts';
import { seatunnelJobNameOf, type SeaTunnelJob, type SeaTunnelRun } from './job-data.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm:ss` (Zeta's DateTimeUtils format), local time. */
export function zetaTime(iso: string | null): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const VERTEX_TYPE: Record<string, string> = { SOURCE: 'source', TRANSFORM: 'transform', SINK: 'sink' };
const VERTEX_LABEL: Record<string, string> = { SOURCE: 'Source', TRANSFORM: 'Transform', SINK: 'Sink' };

/** JobDAGInfo#toJsonObject: the vertices numbered from 1 in definition order, one pipeline of edges. */
function jobDagOf(jobId: string, run: SeaTunnelRun, envOptions: Record<string, unknown>) {
  const numbered = new Map(run.vertices.map((v, i) => [v.name, i + 1]));
  const perKind = new Map<string, number>();
  const vertexInfoMap = run.vertices.map((vertex, i) => {
    const index = perKind.get(vertex.kind) ?? 0;
    perKind.set(vertex.kind, index + 1);
    const label = VERTEX_LABEL[vertex.kind] ?? 'Action';
    return {
      vertexId: i + 1,
      type: VERTEX_TYPE[vertex.kind] ?? 'transform',
      vertexName: `${label}[${index}]-${vertex.plugin ?? vertex.name}`,
      tablePaths: [vertex.name],
    };
  });
  const edges = run.vertices.flatMap((vertex) =>
    vertex.inputs.map((input) => ({
      inputVertexId: String(numbered.get(input) ?? ''),
      targetVertexId: String(numbered.get(vertex.name)),
    })),
  );
  return { jobId, pipelineEdges: edges.length ? { '1': edges } : {}, envOptions, vertexInfoMap };
}

/** Zeta's job metrics from the run's: counts, bytes and rates, as strings. */
function metricsOf(run: SeaTunnelRun): Record<string, string> {
  const value = (name: string) => {
    const metric = run.metrics.find((m) => m.name === name);
    return String(metric ? Math.round(metric.value * 100) / 100 : 0);
  };
  return {
    SourceReceivedCount: value('numRecordsIn'),
    SourceReceivedQPS: value('numRecordsInPerSecond'),
    SourceReceivedBytes: value('numBytesIn'),
    SourceReceivedBytesPerSeconds: value('numBytesInPerSecond'),
    SinkWriteCount: value('numRecordsOut'),
    SinkWriteQPS: value('numRecordsOutPerSecond'),
    SinkWriteBytes: value('numBytesOut'),
    SinkWriteBytesPerSeconds: value('numBytesOutPerSecond'),
  };
}

function envOf(job: SeaTunnelJob): Record<string, unknown> {
  const env = job.definition.env;
  return typeof env === 'object' && env !== null && !Array.isArray(env)
    ? (env as Record<string, unknown>)
    : {};
}

/** The job's Zeta status (its newest run's). */
export function jobStatusOf(job: SeaTunnelJob): SeaTunnelJobStatus | undefined {
  return job.latestRun ? seatunnelJobStatus(job.latestRun.status) : undefined;
}

/** job-info's answer for a job that has a run. */
export function jobInfoOf(job: SeaTunnelJob): Record<string, unknown> {
  const run = job.latestRun!;
  const jobId = jobIdOfName(job.name)!;
  const jobStatus = seatunnelJobStatus(run.status);
  const envOptions = envOf(job);
  const common = { jobId, jobName: seatunnelJobNameOf(job), jobStatus };
  if (isSeaTunnelEndStatus(jobStatus)) {
    return {
      ...common,
      errorMsg: run.status === RunStatus.FAILED ? (run.statusCause ?? null) : null,
      createTime: zetaTime(run.createdAt),
      finishTime: zetaTime(run.endedAt),
      jobDag: jobDagOf(jobId, run, envOptions),
      pluginJarsUrls: [],
      metrics: metricsOf(run),
    };
  }
  return {
    ...common,
    envOptions,
    createTime: zetaTime(run.createdAt),
    jobDag: jobDagOf(jobId, run, envOptions),
    pluginJarsUrls: [],
    isStartWithSavePoint: run.restoredFrom !== null,
    metrics: metricsOf(run),
  };
}

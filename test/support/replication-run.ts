// Reading a replication run through GraphQL: its log lines, its vertices with their metrics.
import type { TestApp } from './app.ts';

export async function runLogs(t: TestApp, runId: string): Promise<string[]> {
  const lines: string[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await t.graphql({ contract: 'Logs' }, { runId, after });
    const page = res.data!.logLines;
    for (const n of page.nodes) lines.push(n.message as string);
    if (!page.pageInfo.hasNextPage) return lines;
    after = page.pageInfo.endCursor;
  }
}

export interface VertexView {
  name: string;
  status: string;
  metrics: Record<string, number>;
}

export async function runVertices(t: TestApp, runId: string): Promise<Record<string, VertexView>> {
  const res = await t.graphql(
    `query($id: ID!) { run(id: $id) { vertices { name status metrics { name value } } } }`,
    { id: runId },
  );
  const out: Record<string, VertexView> = {};
  for (const v of res.data!.run.vertices) {
    out[v.name] = {
      name: v.name,
      status: v.status,
      metrics: Object.fromEntries(v.metrics.map((m: { name: string; value: number }) => [m.name, m.value])),
    };
  }
  return out;
}

/** The key of a metric scope instance: how the runtime writes metrics and readers find them. */
export const metricKey = {
  cluster: (clusterId: string) => `cluster:${clusterId}`,
  node: (nodeId: string) => `node:${nodeId}`,
  run: (runId: string) => `run:${runId}`,
  vertex: (runId: string, vertexId: string) => `vertex:${runId}:${vertexId}`,
  subtask: (runId: string, vertexId: string, index: number) => `subtask:${runId}:${vertexId}:${index}`,
};

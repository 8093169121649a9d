// The TaskManager routes (ENDPOINTS.md rows 6-8): a jobgate node is a TaskManager, its ResourceID
// the node's uuid without dashes. Hardware and JVM-like figures come from the node's own heartbeat metrics; Flink's
// memory model (managed memory, network buffers) has no counterpart and reads 0.
import type { RouteCall } from '../core/index.ts';
import { taskManagerIdOf } from './ids.ts';
import { metricValue } from './mappers.ts';
import { metricsAnswer } from './metric-answers.ts';
import { query } from './query.ts';
import { FlinkException, FlinkRestError, flinkJson } from './respond.ts';
import { ms, type MetricValue } from './run-data.ts';

interface NodeData {
  id: string;
  name: string;
  host: string;
  status: string;
  slots: number;
  slotsFree: number;
  lastHeartbeatAt: string;
  metrics: MetricValue[];
}

const NODE_FIELDS = 'id name host status slots slotsFree lastHeartbeatAt metrics { name value }';
const NODES = `query FlinkTaskManagers { nodes { ${NODE_FIELDS} } }`;
const NODE_DETAIL = `query FlinkTaskManager { nodes { ${NODE_FIELDS} subtasks { runId index } } }`;

/** Flink's ResourceProfileInfo: jobgate slots carry no resource profile of their own. */
function resource(slots: number) {
  return {
    cpuCores: slots,
    taskHeapMemory: 0,
    taskOffHeapMemory: 0,
    managedMemory: 0,
    networkMemory: 0,
    extendedResources: {},
  };
}

/** TaskManagerInfo of a node. */
function taskManagerInfo(node: NodeData) {
  const m = (name: string) => Math.round(metricValue(node.metrics, name));
  return {
    id: taskManagerIdOf(node.id),
    path: `jobgate://${node.host}/${node.name}`,
    dataPort: -1,
    jmxPort: -1,
    timeSinceLastHeartbeat: ms(node.lastHeartbeatAt, 0),
    slotsNumber: node.slots,
    freeSlots: node.slotsFree,
    totalResource: resource(node.slots),
    freeResource: resource(node.slotsFree),
    hardware: {
      cpuCores: m('cpuCores'),
      physicalMemory: m('memoryTotalBytes'),
      // Flink's HardwareDescription writes the JVM heap size under this name (FIELD_NAME_SIZE_JVM_HEAP
      // = "freeMemory"); the dashboard shows it as "JVM Heap Size". The node's heap, as heapMax is.
      freeMemory: m('heapTotalBytes'),
      managedMemory: 0,
    },
    memoryConfiguration: {
      frameworkHeap: 0,
      taskHeap: m('heapTotalBytes'),
      frameworkOffHeap: 0,
      taskOffHeap: 0,
      networkMemory: 0,
      managedMemory: 0,
      jvmMetaspace: 0,
      jvmOverhead: 0,
      totalFlinkMemory: m('memoryRssBytes'),
      totalProcessMemory: m('memoryRssBytes'),
    },
    blocked: false,
  };
}

/** GET /taskmanagers. */
export async function getTaskManagers({ ctx }: RouteCall): Promise<Response> {
  const { nodes } = await query<{ nodes: NodeData[] }>(ctx, NODES);
  return flinkJson({ taskmanagers: nodes.map(taskManagerInfo) }, ctx);
}

/** The node `:taskmanagerid` names, or Flink's 404. */
export async function loadTaskManager(call: RouteCall) {
  const id = call.params.taskmanagerid!;
  const { nodes } = await query<{ nodes: (NodeData & { subtasks: { runId: string; index: number }[] })[] }>(
    call.ctx,
    NODE_DETAIL,
  );
  const node = nodes.find((n) => taskManagerIdOf(n.id) === id);
  if (!node) throw new FlinkRestError(404, `Could not find TaskExecutor ${id}.`, FlinkException.notFound);
  return node;
}

/** The slots a node's subtasks hold, one per run and parallel index (a chain runs in one slot). */
function allocatedSlots(subtasks: readonly { runId: string; index: number }[]) {
  const held = new Map(subtasks.map((s) => [`${s.runId}:${s.index}`, s.runId]));
  return [...held.values()].map((jobId) => ({ jobId, resource: resource(1) }));
}

/** GET /taskmanagers/:taskmanagerid: the info plus allocated slots and memory metrics. */
export async function getTaskManager(call: RouteCall): Promise<Response> {
  const node = await loadTaskManager(call);
  const m = (name: string) => Math.round(metricValue(node.metrics, name));
  return flinkJson(
    {
      ...taskManagerInfo(node),
      allocatedSlots: allocatedSlots(node.subtasks),
      metrics: {
        heapUsed: m('heapUsedBytes'),
        heapCommitted: m('heapTotalBytes'),
        heapMax: m('heapTotalBytes'),
        nonHeapUsed: 0,
        nonHeapCommitted: 0,
        nonHeapMax: -1,
        directCount: 0,
        directUsed: 0,
        directMax: 0,
        mappedCount: 0,
        mappedUsed: 0,
        mappedMax: 0,
        memorySegmentsAvailable: 0,
        memorySegmentsTotal: 0,
        nettyShuffleMemorySegmentsAvailable: 0,
        nettyShuffleMemorySegmentsUsed: 0,
        nettyShuffleMemorySegmentsTotal: 0,
        nettyShuffleMemoryAvailable: 0,
        nettyShuffleMemoryUsed: 0,
        nettyShuffleMemoryTotal: 0,
        garbageCollectors: [],
      },
    },
    call.ctx,
  );
}

/** GET /taskmanagers/:taskmanagerid/metrics: the node's metrics under Flink's names. */
export async function getTaskManagerMetrics(call: RouteCall): Promise<Response> {
  const node = await loadTaskManager(call);
  const m = (name: string) => metricValue(node.metrics, name);
  return metricsAnswer(
    call,
    new Map<string, number>([
      ['Status.JVM.Memory.Heap.Used', Math.round(m('heapUsedBytes'))],
      ['Status.JVM.Memory.Heap.Committed', Math.round(m('heapTotalBytes'))],
      ['Status.JVM.Memory.Heap.Max', Math.round(m('heapTotalBytes'))],
      ['Status.JVM.CPU.Load', m('cpuPercent') / 100],
      ['Status.ProcessTree.Memory.RSS', Math.round(m('memoryRssBytes'))],
      ['Status.Flink.Memory.Managed.Used', 0],
      ['Status.Flink.Memory.Managed.Total', 0],
      ['taskSlotsTotal', node.slots],
      ['taskSlotsAvailable', node.slotsFree],
    ]),
  );
}

// Nomad's node routes (ENDPOINTS.md §7, §8): jobgate's worker nodes as Nomad clients, each with the
// dtle driver detected and healthy (its attributes as dtle's plugin reports them, the version being
// jobgate's). A node's datacenter is its `datacenter` tag, else dc1. Indexes are the registration
// time: heartbeats do not change a Nomad node's index either.
import { nomadNodeStatus } from '../../lib/nomad-status.ts';
import type { NodeStatus } from '../../lib/node-status.ts';
import { VERSION } from '../../lib/version.ts';
import type { RouteCall } from '../core/index.ts';
import { blocking } from './blocking.ts';
import { DTLE_DRIVER } from './dtle-replication.ts';
import { goTime, indexOf } from './ids.ts';
import { query } from './query.ts';
import { NomadError, NomadMessage } from './respond.ts';

/** The Nomad version whose shapes this dialect answers with (dtle pins 1.1.2). */
export const NOMAD_VERSION = '1.1.2';

interface NodeData {
  id: string;
  name: string;
  host: string;
  status: NodeStatus;
  registeredAt: string;
  version: string;
  slots: number;
  tags: { key: string; value: string }[];
}

const NODES = `query NomadNodes { nodes { id name host status registeredAt version slots tags { key value } } }`;

async function loadNodes(call: RouteCall): Promise<NodeData[]> {
  const data = await query<{ nodes: NodeData[] }>(call.ctx, NODES);
  return [...data.nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
}

function datacenterOf(node: NodeData): string {
  return node.tags.find((tag) => tag.key === 'datacenter')?.value ?? 'dc1';
}

function driversOf(node: NodeData) {
  return {
    [DTLE_DRIVER]: {
      Attributes: {
        'driver.dtle': 'true',
        'driver.dtle.version': VERSION,
        'driver.dtle.full_version': `${VERSION}-jobgate-${node.version}`,
      },
      Detected: true,
      Healthy: true,
      HealthDescription: 'Healthy',
      UpdateTime: goTime(node.registeredAt),
    },
  };
}

function stubOf(node: NodeData) {
  const status = nomadNodeStatus(node.status);
  return {
    Address: node.host,
    ID: node.id,
    Datacenter: datacenterOf(node),
    Name: node.name,
    NodeClass: '',
    Version: NOMAD_VERSION,
    Drain: status.drain,
    SchedulingEligibility: status.eligibility,
    Status: status.status,
    StatusDescription: '',
    Drivers: driversOf(node),
    HostVolumes: null,
    CreateIndex: indexOf(node.registeredAt),
    ModifyIndex: indexOf(node.registeredAt),
  };
}

function listIndex(nodes: readonly NodeData[]): number {
  return Math.max(1, ...nodes.map((node) => indexOf(node.registeredAt)));
}

/** GET /v1/nodes (?prefix on the node ID). */
export function listNodes(call: RouteCall): Promise<Response> {
  const prefix = call.url.searchParams.get('prefix') ?? '';
  return blocking(call, async () => {
    const nodes = (await loadNodes(call)).filter((node) => node.id.startsWith(prefix));
    return { body: nodes.map(stubOf), index: listIndex(nodes) };
  });
}

/** GET /v1/node/:node_id (the full UUID). */
export function readNode(call: RouteCall): Promise<Response> {
  const id = call.params.id!;
  return blocking(call, async () => {
    const node = (await loadNodes(call)).find((candidate) => candidate.id === id);
    if (!node) throw new NomadError(404, NomadMessage.nodeNotFound);
    const stub = stubOf(node);
    const meta = Object.fromEntries(node.tags.map(({ key, value }) => [key, value]));
    return {
      index: stub.ModifyIndex,
      body: {
        ID: node.id,
        SecretID: '',
        Datacenter: stub.Datacenter,
        Name: node.name,
        HTTPAddr: `${node.host}:4646`,
        TLSEnabled: false,
        Attributes: {
          'driver.dtle': 'true',
          'nomad.version': NOMAD_VERSION,
          'unique.hostname': node.host,
          'unique.network.ip-address': node.host,
        },
        NodeResources: {
          Cpu: { CpuShares: 0 },
          Memory: { MemoryMB: 0 },
          Disk: { DiskMB: 0 },
          Networks: null,
          Devices: null,
        },
        ReservedResources: null,
        Resources: null,
        Reserved: null,
        Links: null,
        Meta: meta,
        NodeClass: '',
        ComputedClass: '',
        Drain: stub.Drain,
        DrainStrategy: null,
        SchedulingEligibility: stub.SchedulingEligibility,
        Status: stub.Status,
        StatusDescription: '',
        StatusUpdatedAt: Math.floor(indexOf(node.registeredAt) / 1000),
        Events: [
          {
            Message: 'Node registered',
            Subsystem: 'Cluster',
            Details: null,
            Timestamp: goTime(node.registeredAt),
            CreateIndex: stub.CreateIndex,
          },
        ],
        Drivers: stub.Drivers,
        CSIControllerPlugins: null,
        CSINodePlugins: null,
        HostVolumes: null,
        CreateIndex: stub.CreateIndex,
        ModifyIndex: stub.ModifyIndex,
      },
    };
  });
}

// The node's state machine. Written to only by runtime/node/transition-node.ts and the heartbeat
// statements (a beat revives a node declared DOWN). Whether a node is live also depends on its
// heartbeat: db/node-liveness.ts says that once, on the database clock.
import { named, type Transitions } from './state-machine.ts';

export const NODE_STATUSES = ['READY', 'DRAINING', 'DOWN'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];
export const NodeStatus = named(NODE_STATUSES);

/** READY ⇄ DRAINING; either → DOWN (lost or deregistered); DOWN → READY when a lost node beats
 * again, DOWN → DRAINING when a node drains itself while declared lost (it comes back draining). */
export const NODE_TRANSITIONS: Transitions<NodeStatus> = {
  READY: ['DRAINING', 'DOWN'],
  DRAINING: ['READY', 'DOWN'],
  DOWN: ['READY', 'DRAINING'],
};

/** Up by status (live when its heartbeat is also fresh): it keeps what it runs. */
export const UP_NODE_STATUSES = ['READY', 'DRAINING'] as const;

/** Takes new work (when live). */
export const PLACEABLE_NODE_STATUSES = ['READY'] as const;

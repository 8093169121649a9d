// Who changes or starts a job, and what the installation allows: the one object the job rules read.
import { BadInputError, ForbiddenError } from '../../lib/errors.ts';
import type { JobKind, Role } from '../../lib/status.ts';

/** The caller of a job write (or start), threaded from the API into the runtime's rules. */
export interface JobActor {
  /** A token's name, or `scheduler` for the coordinator. */
  name: string;
  role: Role;
  /** Whether this installation runs shell commands (config `commandsEnabled`). Required, so that no
   * way in can define a shell job by leaving it out. */
  commandsEnabled: boolean;
}

/** A job only admins define and `--no-commands` turns off: a command or a steps DAG runs shell
 * commands on the nodes, an HTTP job sends a request from a node to any address it names (a pipeline
 * or a replication runs only jobgate's own connectors). */
export function isShellKind(kind: JobKind | string): boolean {
  return kind === 'COMMAND' || kind === 'STEPS' || kind === 'HTTP';
}

/**
 * Shell jobs run as the node's user, so defining, changing or deleting one is an admin's act, and
 * none may be defined where commands are off. Starting, stopping and restarting one stay operator
 * verbs: they run only what an admin wrote.
 */
export function checkShellWrite(
  actor: JobActor,
  what: { job: string; newShell: boolean; existingShell: boolean; path: string },
): void {
  if (what.newShell && actor.commandsEnabled === false) {
    throw new BadInputError(
      `${what.path}: shell commands are disabled on this installation (--no-commands)`,
      { path: what.path },
    );
  }
  if ((what.newShell || what.existingShell) && actor.role !== 'admin') {
    throw new ForbiddenError(
      what.existingShell
        ? `job ${JSON.stringify(what.job)} runs shell commands: only admins may change or delete it`
        : 'only admins may define jobs that run shell commands or send HTTP requests',
    );
  }
}

/** Where commands are off, no shell job starts, however it is asked to (API, schedule, restart). */
export function checkShellStart(kind: JobKind | string, commandsEnabled: boolean, job: string) {
  if (isShellKind(kind) && commandsEnabled === false) {
    throw new ForbiddenError(
      `job ${JSON.stringify(job)} runs shell commands, which are disabled on this installation (--no-commands)`,
    );
  }
}

export const COMMANDS_DISABLED_REASON = 'shell commands are disabled on this installation (--no-commands)';

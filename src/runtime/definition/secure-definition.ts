/**
 * What a definition may hold depends on who stores it, and what is stored holds no plaintext secret:
 * - options that pick an external target or carry its credentials (a plugin's `adminOnlyOptions`,
 *   e.g. Jdbc's url, user, password) only an admin may set; everyone else names a connection;
 * - a named connection must exist;
 * - a password inside a URL is refused (it would be stored and shown as text);
 * - every secret-looking option is sealed with the secret key before it is written.
 */
import type { Executor } from '../../db/client.ts';
import { BadInputError, ForbiddenError } from '../../lib/errors.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { Role } from '../../lib/status.ts';
import { missingConnections } from '../connections/save-connection.ts';
import { findSink, findSource, findTransform } from '../plugins/index.ts';
import { hasOption, readString } from '../plugins/options.ts';
import type { NormalizedDefinition } from './job-definition.ts';
import { sealSecrets, sealValuesUnder, urlPassword } from './secret-options.ts';
import { REPLICATION_ADMIN_ONLY_OPTIONS } from '../replication/replication-spec.ts';

/** Who stores a definition and the key its secrets are sealed with. */
export interface DefinitionAccess {
  role: Role;
  secrets: SecretBox;
}

const STAGES = ['source', 'transform', 'sink'] as const;

interface Block {
  path: string;
  options: Record<string, unknown>;
  adminOnly: readonly string[];
}

function pipelineBlocks(def: NormalizedDefinition, base: string): Block[] {
  if (def.kind !== 'PIPELINE') return [];
  const blocks: Block[] = [];
  for (const stage of STAGES) {
    const list = def.document[stage];
    if (!Array.isArray(list)) continue;
    list.forEach((block: Record<string, unknown>, i) => {
      const name = String(block.plugin_name);
      const plugin =
        stage === 'source' ? findSource(name) : stage === 'sink' ? findSink(name) : findTransform(name);
      const adminOnly =
        (plugin as { adminOnlyOptions?: readonly string[] } | undefined)?.adminOnlyOptions ?? [];
      blocks.push({ path: `${base}.pipeline.${stage}[${i}]`, options: block, adminOnly });
    });
  }
  return blocks;
}

/** A replication's source and destination, as blocks: raw server options are an admin's. */
function replicationBlocks(def: NormalizedDefinition, base: string): Block[] {
  if (def.kind !== 'REPLICATION') return [];
  return (['source', 'destination'] as const).map((side) => ({
    path: `${base}.replication.${side}`,
    options: (def.document[side] ?? {}) as Record<string, unknown>,
    adminOnly: REPLICATION_ADMIN_ONLY_OPTIONS,
  }));
}

function refuseUrlPasswords(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (urlPassword(value) !== undefined) {
      throw new BadInputError(
        `${path}: must not carry a password inside the URL; set the password option or name a connection`,
        { path },
      );
    }
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => refuseUrlPasswords(v, `${path}[${i}]`));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) refuseUrlPasswords(v, `${path}.${k}`);
  }
}

function refuseAdminOnlyOptions(blocks: Block[], role: Role): void {
  for (const block of blocks) {
    if (role === 'admin') continue;
    const option = block.adminOnly.find((o) => hasOption(block.options, o));
    if (option) {
      throw new ForbiddenError(
        `${block.path}.${option}: only admins may set ${option} in a job; name a connection an admin defined (connection: "<name>")`,
        { path: `${block.path}.${option}` },
      );
    }
  }
}

/** Refuses what the role may not set, before anything reaches out to a server the definition
 * names (a check that connects must not let an operator probe hosts). */
export function checkDefinitionRole(def: NormalizedDefinition, role: Role, base = 'input'): void {
  refuseAdminOnlyOptions([...pipelineBlocks(def, base), ...replicationBlocks(def, base)], role);
}

/** Checks the definition against the storer's role and the connections, and seals its secrets.
 * Call it inside the transaction that stores the definition. */
export async function secureDefinition(
  executor: Executor,
  def: NormalizedDefinition,
  access: DefinitionAccess,
  base = 'input',
): Promise<NormalizedDefinition> {
  const blocks = [...pipelineBlocks(def, base), ...replicationBlocks(def, base)];
  refuseAdminOnlyOptions(blocks, access.role);
  refuseUrlPasswords(def.document, def.kind === 'PIPELINE' ? `${base}.pipeline` : base);
  const named = blocks
    .filter((b) => b.adminOnly.length > 0)
    .map((b) => ({ path: `${b.path}.connection`, name: readString(b.options, 'connection') }))
    .filter((b): b is { path: string; name: string } => b.name !== undefined);
  const missing = new Set(await missingConnections(executor, [...new Set(named.map((n) => n.name))]));
  const first = named.find((n) => missing.has(n.name));
  if (first) {
    throw new BadInputError(`${first.path}: no connection named ${JSON.stringify(first.name)}`, {
      path: first.path,
    });
  }
  const box = access.secrets;
  const document = sealSecrets(def.document, box);
  return {
    ...def,
    document:
      def.kind === 'COMMAND'
        ? { ...document, command: sealValuesUnder(document.command, 'env', box) }
        : def.kind === 'HTTP'
          ? { ...document, http: sealValuesUnder(document.http, 'headers', box) }
          : document,
    vertices: def.vertices.map((v) => {
      const config = sealSecrets(v.config, box);
      if (v.kind === 'COMMAND') return { ...v, config: sealValuesUnder(config, 'env', box) };
      if (v.kind === 'HTTP') return { ...v, config: sealValuesUnder(config, 'headers', box) };
      return { ...v, config };
    }),
  };
}

// The job an artifact's definition describes. A jar's `jobgate/job.json` holds either a
// SeaTunnel-style pipeline `{env, source[], transform[], sink[]}` (the document SeaTunnel's
// submit-job takes; the job is named by env `job.name`) or a jobgate job
// `{name?, pipeline | command | steps, mode?, parallelism?, checkpointIntervalMs?, restartStrategy?}`.
// Without a name the job is named after the jar. Every run of the jar is a run of that one job, so a
// savepoint of one run restores the next (as a Flink savepoint restores a later submit of the jar).
import type { ArtifactRow } from '../../db/schema/index.ts';
import { BadInputError } from '../../lib/errors.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { revealSecrets } from '../definition/secret-options.ts';
import {
  normalizeDefinition,
  type DefinitionInput,
  type NormalizedDefinition,
} from '../definition/job-definition.ts';
import { optionValue } from '../plugins/options.ts';
import type { JobSettingsInput } from '../jobs/save-job.ts';
import { JAR_DEFINITION_PATH } from './read-jar.ts';

const JOB_KEYS = [
  'name',
  'pipeline',
  'command',
  'steps',
  'mode',
  'parallelism',
  'checkpointIntervalMs',
  'restartStrategy',
];
const PIPELINE_KEYS = ['env', 'source', 'transform', 'sink'];

/** What of an artifact its job is read from. */
export type ArtifactDefinition = Pick<ArtifactRow, 'name' | 'definition' | 'definitionProblem'>;

/** Error paths inside the jar start here. */
export const ARTIFACT_DEFINITION_BASE = JAR_DEFINITION_PATH;

/** What jobgate needs from a jar, said whenever one cannot run. */
export const JAR_DEFINITION_NEEDED =
  `jobgate runs a jar that carries a job definition at ${JAR_DEFINITION_PATH} inside it: ` +
  'a SeaTunnel-style pipeline {"env": {...}, "source": [...], "transform": [...], "sink": [...]} ' +
  '(named by env "job.name") or {"name", "pipeline" | "command" | "steps"}';

/** The job name a jar gets when its definition names none: the file name without `.jar`, made a
 * valid name. */
function nameFromFile(fileName: string): string {
  const stem = fileName.replace(/\.jar$/, '').replace(/[^A-Za-z0-9_.:-]+/g, '-');
  const trimmed = stem.replace(/^[^A-Za-z0-9]+/, '').slice(0, 200);
  return trimmed || 'jar';
}

/** The artifact's job: its name and its definition as createJob takes them; BAD_USER_INPUT (naming
 * `path`) when the artifact carries no usable definition. */
export function artifactJobInput(
  artifact: ArtifactDefinition,
  path: string,
  secrets: SecretBox,
): JobSettingsInput {
  // Stored with its secrets sealed; opened here, and sealed again when the job version is written.
  const doc = artifact.definition ? revealSecrets(artifact.definition, secrets) : artifact.definition;
  if (!doc) {
    const why = artifact.definitionProblem
      ? `${artifact.definitionProblem}. `
      : `${JSON.stringify(artifact.name)} has no ${JAR_DEFINITION_PATH}. `;
    throw new BadInputError(`${path}: ${why}${JAR_DEFINITION_NEEDED}`, { path });
  }
  const keys = Object.keys(doc);
  if (!('pipeline' in doc) && keys.some((k) => PIPELINE_KEYS.includes(k))) {
    const jobName = optionValue((doc.env as Record<string, unknown> | undefined) ?? {}, 'job.name');
    const name = typeof jobName === 'string' && jobName ? jobName : nameFromFile(artifact.name);
    return { name, pipeline: doc };
  }
  const unknown = keys.find((k) => !JOB_KEYS.includes(k));
  if (unknown !== undefined) {
    const at = `${ARTIFACT_DEFINITION_BASE}.${unknown.slice(0, 60)}`;
    throw new BadInputError(`${at}: is not a job field (${JOB_KEYS.join(', ')}); ${JAR_DEFINITION_NEEDED}`, {
      path: at,
    });
  }
  const name = typeof doc.name === 'string' && doc.name ? doc.name : nameFromFile(artifact.name);
  return { ...(doc as Partial<JobSettingsInput>), name } as JobSettingsInput;
}

/** The definition part of a job input (what createJob and updateJob version). */
export function definitionPart(
  input: JobSettingsInput,
): DefinitionInput & Pick<JobSettingsInput, 'restartStrategy'> {
  const { pipeline, command, steps, mode, parallelism, checkpointIntervalMs, restartStrategy } = input;
  return { pipeline, command, steps, mode, parallelism, checkpointIntervalMs, restartStrategy };
}

/** The artifact's job as it would run (vertices, parallelism), checked like createJob checks it;
 * `parallelism` overrides the definition's. */
export function artifactPlan(
  artifact: ArtifactDefinition,
  secrets: SecretBox,
  parallelism?: number | null,
): NormalizedDefinition & { name: string } {
  const input = artifactJobInput(artifact, 'id', secrets);
  const definition = definitionPart(input);
  const normalized = normalizeDefinition(
    parallelism == null ? definition : { ...definition, parallelism },
    ARTIFACT_DEFINITION_BASE,
  );
  return { ...normalized, name: input.name };
}

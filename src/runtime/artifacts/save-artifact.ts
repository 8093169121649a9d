// Uploading and deleting artifacts (Flink's jars): a jar is checked to be a zip and read for the job
// definition it carries before it is stored; one without a definition is stored too (Flink accepts
// any jar) and refused when it is run. Secrets stay sealed at rest here as in every job definition
// (definition/secret-options.ts): the definition's secret-looking options are sealed, and a jar whose
// definition carries any keeps its bytes sealed whole (they are never served back; runs read the
// definition).
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { artifacts, auditEvents, type ArtifactRow } from '../../db/schema/index.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';
import { MAX_ARTIFACT_BYTES } from '../../lib/artifact-size.ts';
import { isUuid } from '../../lib/ids.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { sealSecrets } from '../definition/secret-options.ts';
import { readJar } from './read-jar.ts';

export { MAX_ARTIFACT_BYTES };
const JAR_CONTENT_TYPE = 'application/java-archive';
/** The content type of a jar stored sealed: the bytes are the SecretBox text of its base64. */
export const SEALED_JAR_CONTENT_TYPE = 'application/vnd.jobgate.sealed+java-archive';

export interface UploadArtifactInput {
  /** The file name, e.g. `wordcount.jar`. */
  name: string;
  content: Uint8Array;
}

/** The name a client gave, checked: a plain file name ending in `.jar`. */
function checkArtifactName(name: string, path: string): string {
  if (name.length < 5 || name.length > 200) {
    throw new BadInputError(`${path}: must be a file name of 5 to 200 characters ending in .jar`, { path });
  }
  const control = [...name].some((c) => c.charCodeAt(0) < 0x20);
  if (control || name.includes('/') || name.includes('\\')) {
    throw new BadInputError(`${path}: must be a plain file name (no slashes or control characters)`, {
      path,
    });
  }
  if (!name.endsWith('.jar'))
    throw new BadInputError(`${path}: only jar files (*.jar) are accepted`, { path });
  return name;
}

/** Stores a jar; BAD_USER_INPUT (naming `base`.name or `base`.content) when it is not one. */
export async function uploadArtifact(
  database: Database,
  input: UploadArtifactInput,
  actor: string,
  secrets: SecretBox,
  base = 'input',
): Promise<ArtifactRow> {
  const name = checkArtifactName(input.name, `${base}.name`);
  if (input.content.length > MAX_ARTIFACT_BYTES) {
    throw new BadInputError(
      `${base}.content: the artifact is ${input.content.length} bytes; at most ${MAX_ARTIFACT_BYTES} are accepted`,
      { path: `${base}.content` },
    );
  }
  const jar = readJar(input.content, `${base}.content`);
  const plain = Buffer.from(input.content.buffer, input.content.byteOffset, input.content.length);
  const definition = jar.definition ? sealSecrets(jar.definition, secrets) : jar.definition;
  const carriesSecrets = JSON.stringify(definition) !== JSON.stringify(jar.definition);
  const content = carriesSecrets ? Buffer.from(secrets.seal(plain.toString('base64'))) : plain;
  return database.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(artifacts)
      .values({
        name,
        sha256: createHash('sha256').update(plain).digest('hex'),
        size: plain.length,
        content,
        contentType: carriesSecrets ? SEALED_JAR_CONTENT_TYPE : JAR_CONTENT_TYPE,
        definition,
        definitionProblem: jar.definitionProblem,
        entryClass: jar.entryClass,
        uploadedBy: actor,
      })
      .returning();
    await tx
      .insert(auditEvents)
      .values({ actor, action: 'artifact:upload', target: row!.id, details: { name, size: plain.length } });
    return row!;
  });
}

/** Deletes an artifact; the job versions made from it keep their definitions. */
export async function deleteArtifact(
  database: Database,
  id: string,
  actor: string,
  path = 'id',
): Promise<ArtifactRow> {
  if (!isUuid(id))
    throw new BadInputError(`${path}: ${JSON.stringify(id.slice(0, 60))} is not an artifact id`, { path });
  return database.db.transaction(async (tx) => {
    const [row] = await tx.delete(artifacts).where(eq(artifacts.id, id)).returning();
    if (!row) throw new NotFoundError('artifact', id);
    await tx
      .insert(auditEvents)
      .values({ actor, action: 'artifact:delete', target: id, details: { name: row.name } });
    return row;
  });
}

// Uploading, deleting and running artifacts (Flink's jars): operator verbs. Running one that defines
// shell commands needs an admin, by the same rules createJob and updateJob apply.
import {
  deleteArtifact,
  MAX_ARTIFACT_BYTES,
  runArtifact,
  uploadArtifact,
  type JobActor,
} from '../../runtime/index.ts';
import { BadInputError } from '../../lib/errors.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { ArtifactRef, requireArtifactInfo, type ArtifactInfo } from './artifact.ts';
import { RunRef } from './refs.ts';
import type { RunRow } from '../../db/schema/index.ts';

/** The longest base64 text an upload may carry (the input guard lets this one argument be long). */
const MAX_ARTIFACT_BASE64 = Math.ceil(MAX_ARTIFACT_BYTES / 3) * 4;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const UploadArtifactInput = builder.inputType('UploadArtifactInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'The file name, ending in .jar.' }),
    contentBase64: t.string({
      required: true,
      description: `The file, base64-encoded (at most ${MAX_ARTIFACT_BYTES} bytes decoded).`,
    }),
  }),
});

const RunArtifactInput = builder.inputType('RunArtifactInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: 'The artifact.' }),
    parallelism: t.int({ description: "Instead of the definition's parallelism." }),
    fromSavepoint: t.id({ description: 'Restore from this savepoint or checkpoint id.' }),
    fromSavepointPath: t.string({
      description: 'Restore from the savepoint at this location (a Flink savepointPath).',
    }),
    allowNonRestoredState: t.boolean({
      description: 'Start even if some saved state has no vertex to go to.',
    }),
  }),
});

const ArtifactPayload = builder.objectRef<{ artifact: ArtifactInfo }>('ArtifactPayload').implement({
  fields: (t) => ({ artifact: t.field({ type: ArtifactRef, resolve: (p) => p.artifact }) }),
});
const RunArtifactPayload = builder.objectRef<{ run: RunRow }>('RunArtifactPayload').implement({
  fields: (t) => ({ run: t.field({ type: RunRef, resolve: (p) => p.run }) }),
});

/** The bytes of a base64 text, checked before decoding (Buffer.from would skip bad characters). */
function decodeBase64(text: string, path: string): Buffer {
  if (text.length > MAX_ARTIFACT_BASE64) {
    throw new BadInputError(`${path}: the artifact is over ${MAX_ARTIFACT_BYTES} bytes`, { path });
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new BadInputError(`${path}: is not base64 (A-Z a-z 0-9 + /, padded with =)`, { path });
  }
  return Buffer.from(text, 'base64');
}

function actorOf(ctx: GraphQLContext): JobActor {
  const viewer = requireRole(ctx, 'operator');
  return { name: viewer.name, role: viewer.role, commandsEnabled: ctx.settings.commandsEnabled };
}

/** An artifact as the API shows it (the content stays behind). */
function info({ content: _content, ...rest }: ArtifactInfo & { content?: unknown }): ArtifactInfo {
  return rest;
}

builder.mutationFields((t) => ({
  uploadArtifact: t.field({
    type: ArtifactPayload,
    description:
      'Stores a jar. One without a job definition is stored too; running it is refused, saying what it needs.',
    args: { input: t.arg({ type: UploadArtifactInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const actor = actorOf(ctx);
      const content = decodeBase64(input.contentBase64, 'input.contentBase64');
      return {
        artifact: info(
          await uploadArtifact(ctx.database, { name: input.name, content }, actor.name, ctx.secrets),
        ),
      };
    },
  }),
  deleteArtifact: t.field({
    type: ArtifactPayload,
    description: 'Deletes an artifact; job versions made from it keep their definitions.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const actor = actorOf(ctx);
      await requireArtifactInfo(id, ctx);
      return { artifact: info(await deleteArtifact(ctx.database, id, actor.name)) };
    },
  }),
  runArtifact: t.field({
    type: RunArtifactPayload,
    description:
      "Runs the job an artifact's definition describes (created, or given a new version, as createJob and updateJob would); the run is returned at once.",
    args: { input: t.arg({ type: RunArtifactInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const actor = actorOf(ctx);
      const options = { secrets: ctx.secrets, files: ctx.settings.files };
      return { run: await runArtifact(ctx.database, input, actor, options) };
    },
  }),
}));

// Artifacts: uploaded files that hold a job definition (Flink's jars), with the plan their
// definition makes. Listed and read by any viewer; the content itself is never served back.
import { desc, eq, getTableColumns } from 'drizzle-orm';
import { artifacts, type ArtifactRow } from '../../db/schema/index.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { artifactPlan, JAR_DEFINITION_PATH, redactSecrets } from '../../runtime/index.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { pageSize } from '../pagination.ts';
import { JobKindEnum, JobModeEnum, VertexKindEnum } from './enums.ts';

/** An artifact without its content (which no field serves). */
export type ArtifactInfo = Omit<ArtifactRow, 'content'>;

const { content: _content, ...infoColumns } = getTableColumns(artifacts);

export const ArtifactRef = builder.objectRef<ArtifactInfo>('Artifact');

type Plan = ReturnType<typeof artifactPlan>;

const ArtifactPlanVertexRef = builder.objectRef<Plan['vertices'][number]>('ArtifactPlanVertex').implement({
  description: 'One vertex of the job an artifact would run.',
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.field({ type: VertexKindEnum, resolve: (v) => v.kind }),
    plugin: t.exposeString('plugin', { nullable: true }),
    parallelism: t.exposeInt('parallelism'),
    inputs: t.exposeStringList('inputs', { description: 'Names of the vertices feeding this one.' }),
  }),
});

const ArtifactPlanRef = builder.objectRef<Plan>('ArtifactPlan').implement({
  description: 'The job an artifact would run, checked as createJob checks a definition.',
  fields: (t) => ({
    jobName: t.exposeString('name', { description: 'The job its runs belong to.' }),
    kind: t.field({ type: JobKindEnum, resolve: (p) => p.kind }),
    mode: t.field({ type: JobModeEnum, resolve: (p) => p.mode }),
    parallelism: t.exposeInt('parallelism'),
    vertices: t.field({ type: [ArtifactPlanVertexRef], resolve: (p) => p.vertices }),
  }),
});

ArtifactRef.implement({
  description: `An uploaded file that holds a job definition (a Flink jar, with it at ${JAR_DEFINITION_PATH}).`,
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'The file name it was uploaded as.' }),
    size: t.exposeInt('size', { description: 'Bytes.' }),
    sha256: t.exposeString('sha256'),
    uploadedAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
    uploadedBy: t.exposeString('uploadedBy', { nullable: true }),
    entryClass: t.exposeString('entryClass', {
      nullable: true,
      description: "The jar manifest's Main-Class.",
    }),
    definition: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The job definition inside, secrets redacted; null when there is none.',
      resolve: (a) => (a.definition ? redactSecrets(a.definition) : null),
    }),
    definitionProblem: t.exposeString('definitionProblem', {
      nullable: true,
      description: 'Why the definition inside cannot be read, when it cannot.',
    }),
    plan: t.field({
      type: ArtifactPlanRef,
      description:
        'The job it would run; BAD_USER_INPUT saying what is missing when it carries no usable definition.',
      args: { parallelism: t.arg.int({ description: "Instead of the definition's parallelism." }) },
      resolve: (a, args, ctx) => artifactPlan(a, ctx.secrets, args.parallelism),
    }),
  }),
});

/** An artifact by id, or NOT_FOUND; a malformed id is BAD_USER_INPUT naming `path`. */
export async function requireArtifactInfo(
  id: string,
  ctx: GraphQLContext,
  path = 'id',
): Promise<ArtifactInfo> {
  if (!isUuid(id))
    throw new BadInputError(`${path}: ${JSON.stringify(id.slice(0, 60))} is not an artifact id`, { path });
  const [row] = await ctx.database.db.select(infoColumns).from(artifacts).where(eq(artifacts.id, id));
  if (!row) throw new NotFoundError('artifact', id);
  return row;
}

builder.queryFields((t) => ({
  artifact: t.field({
    type: ArtifactRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => requireArtifactInfo(id, ctx),
  }),
  artifacts: t.field({
    type: [ArtifactRef],
    description: 'Uploaded artifacts, newest first.',
    args: { first: t.arg.int({ description: 'At most this many (default 100, at most 1000).' }) },
    resolve: async (_root, args, ctx) =>
      ctx.database.db
        .select(infoColumns)
        .from(artifacts)
        .orderBy(desc(artifacts.createdAt), desc(artifacts.id))
        .limit(pageSize(args.first, 100)),
  }),
}));

// Artifacts through GraphQL: uploads as base64 (the one argument the input guard lets run past its
// string limit, bounded on its own), what viewers may read (the definition with secrets redacted,
// the plan), what operators may do, and how runs of artifacts map onto jobs and versions.
import { eq } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs, jobVersions } from '../../src/db/schema/index.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
const tokens = {} as Record<'viewer' | 'operator' | 'admin', string>;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = await t.token(role);
});
afterAll(async () => {
  await t?.close();
});

const UPLOAD = `mutation($input: UploadArtifactInput!) {
  uploadArtifact(input: $input) { artifact { id name size sha256 uploadedBy entryClass definitionProblem } }
}`;
const RUN = `mutation($input: RunArtifactInput!) { runArtifact(input: $input) { run { id status job { name } jobVersion } } }`;

function jar(definition: unknown, extra: Record<string, Uint8Array> = {}): string {
  const files: Record<string, Uint8Array> = { ...extra };
  if (definition !== undefined) files['jobgate/job.json'] = strToU8(JSON.stringify(definition));
  return Buffer.from(zipSync(files)).toString('base64');
}

const pipeline = (name: string, extra: Record<string, unknown> = {}) => ({
  env: { 'job.name': name },
  source: [{ plugin_name: 'FakeSource', 'row.num': 10, ...extra }],
  sink: [{ plugin_name: 'Console' }],
});

async function upload(name: string, contentBase64: string, token = tokens.operator) {
  return t.graphql(UPLOAD, { input: { name, contentBase64 } }, token);
}

describe('uploadArtifact', () => {
  it('takes a jar whose base64 is longer than any other argument may be', async () => {
    // Stored, not deflated: random bytes keep the base64 over the guard's 65,536 characters.
    const filler = new Uint8Array(randomBytes(80_000));
    const content = jar(pipeline('long-upload'), { 'lib/filler.bin': filler });
    expect(content.length).toBeGreaterThan(65_536);
    const res = await upload('long.jar', content);
    expect(res.errors).toBeUndefined();
    expect(res.data!.uploadArtifact.artifact).toMatchObject({
      name: 'long.jar',
      size: Buffer.from(content, 'base64').length,
      uploadedBy: 'test operator',
      definitionProblem: null,
    });
    // The exemption is that one argument's: a long string anywhere else is still refused.
    const other = await t.graphql(
      `mutation($input: CreateJobInput!) { createJob(input: $input) { job { name } } }`,
      { input: { name: 'x'.repeat(70_000), pipeline: pipeline('x') } },
      tokens.operator,
    );
    expect(other.errors![0]!.message).toContain('at most 65536 are accepted');
  });

  it('refuses what is not base64, not a jar name or not a zip, naming the field', async () => {
    const cases: [string, string, string][] = [
      ['a.jar', 'not base64!', 'input.contentBase64: is not base64'],
      ['a.txt', jar(pipeline('a')), 'input.name: only jar files (*.jar) are accepted'],
      ['dir/a.jar', jar(pipeline('a')), 'input.name: must be a plain file name'],
      ['a.jar', Buffer.from('plain text').toString('base64'), 'input.content: not a jar (a zip archive)'],
    ];
    for (const [name, content, message] of cases) {
      const res = await upload(name, content);
      expect(res.errors?.[0]?.extensions?.code, message).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.message).toContain(message);
    }
  });

  it('is an operator verb; viewers read artifacts, with secrets in the definition redacted', async () => {
    const denied = await upload('viewer.jar', jar(pipeline('v')), tokens.viewer);
    expect(denied.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const up = await upload('secret.jar', jar(pipeline('secretive', { password: 'hunter2' })));
    const id = up.data!.uploadArtifact.artifact.id;
    const read = await t.graphql(
      `query($id: ID!) { artifact(id: $id) { definition plan { jobName kind mode parallelism vertices { name kind plugin inputs } } } artifacts { id } }`,
      { id },
      tokens.viewer,
    );
    expect(read.errors).toBeUndefined();
    expect(JSON.stringify(read.data!.artifact.definition)).not.toContain('hunter2');
    expect(read.data!.artifact.definition.source[0].password).toBe('[redacted]');
    expect(read.data!.artifact.plan).toMatchObject({
      jobName: 'secretive',
      kind: 'PIPELINE',
      parallelism: 1,
    });
    expect(read.data!.artifacts.map((a: any) => a.id)).toContain(id);
  });
});

describe('runArtifact', () => {
  it('runs of one jar are runs of one job version; another jar of the same job makes a new version', async () => {
    const first = await upload('versions.jar', jar(pipeline('jar-versions')));
    const id = first.data!.uploadArtifact.artifact.id;
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.graphql(RUN, { input: { id } }, tokens.operator);
      expect(res.errors).toBeUndefined();
      runs.push(res.data!.runArtifact.run);
    }
    expect(runs.map((r) => [r.job.name, r.jobVersion])).toEqual([
      ['jar-versions', 1],
      ['jar-versions', 1],
    ]);
    const second = await upload('versions-2.jar', jar(pipeline('jar-versions', { 'row.num': 20 })));
    const next = await t.graphql(
      RUN,
      { input: { id: second.data!.uploadArtifact.artifact.id } },
      tokens.operator,
    );
    expect(next.data!.runArtifact.run.jobVersion).toBe(2);

    // Deleting the artifact keeps the versions made from it.
    const del = await t.graphql(
      `mutation($id: ID!) { deleteArtifact(id: $id) { artifact { id } } }`,
      { id },
      tokens.operator,
    );
    expect(del.errors).toBeUndefined();
    const [job] = await t.database.db.select().from(jobs).where(eq(jobs.name, 'jar-versions'));
    const versions = await t.database.db.select().from(jobVersions).where(eq(jobVersions.jobId, job!.id));
    expect(versions.map((v) => [v.version, v.artifactId]).sort()).toEqual([
      [1, null],
      [2, second.data!.uploadArtifact.artifact.id],
    ]);
    const gone = await t.graphql(RUN, { input: { id } }, tokens.operator);
    expect(gone.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('refuses two restore points at once, an unknown location, and a savepoint of a job not yet made', async () => {
    const up = await upload('restore.jar', jar(pipeline('jar-restore')));
    const id = up.data!.uploadArtifact.artifact.id;
    const sp = '00000000-0000-4000-8000-000000000000';
    const both = await t.graphql(
      RUN,
      { input: { id, fromSavepoint: sp, fromSavepointPath: `jobgate://savepoints/${sp}` } },
      tokens.operator,
    );
    expect(both.errors![0]!.message).toContain('give fromSavepoint or fromSavepointPath, not both');
    const missing = await t.graphql(
      RUN,
      { input: { id, fromSavepointPath: `jobgate://savepoints/${sp}` } },
      tokens.operator,
    );
    expect(missing.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    const before = await t.graphql(RUN, { input: { id, fromSavepoint: sp } }, tokens.operator);
    expect(before.errors![0]!.message).toContain('belongs to another job');
    const made = await t.database.db.select().from(jobs).where(eq(jobs.name, 'jar-restore'));
    expect(made).toEqual([]);
  });
});

// A jar's definition is a job definition too: its secrets are sealed at rest like those of a job
// submitted any other way (GraphQL, SeaTunnel's submit-job, Flink's jar upload). The stored
// definition holds them sealed, the stored bytes are sealed whole, the plan still reads, and a run of
// the jar gets a job whose version opens to the secret with the key.
import { sql } from 'drizzle-orm';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revealSecrets } from '../../src/runtime/definition/secret-options.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testSecrets } from '../support/secrets.ts';

let t: TestApp;
let operator: string;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  operator = await t.token('operator');
});
afterAll(async () => {
  await t?.close();
});

const UPLOAD = `mutation($input: UploadArtifactInput!) { uploadArtifact(input: $input) { artifact { id size sha256 } } }`;
const RUN = `mutation($input: RunArtifactInput!) { runArtifact(input: $input) { run { id job { name } } } }`;

const jarOf = (definition: unknown) => zipSync({ 'jobgate/job.json': strToU8(JSON.stringify(definition)) });

const definition = (name: string, extra: Record<string, unknown>) => ({
  env: { 'job.name': name },
  source: [{ plugin_name: 'FakeSource', 'row.num': 5, ...extra }],
  sink: [{ plugin_name: 'Console' }],
});

async function stored(id: string) {
  const [row] = await t.database.execute<{ definition: any; content: string; content_type: string }>(
    sql`select definition, encode(content, 'escape') as content, content_type from artifacts where id = ${id}`,
  );
  return row!;
}

describe('a jar’s secrets', () => {
  it('are sealed at rest, and a run of the jar opens them', async () => {
    const secret = 'jar-Secret-9123';
    const bytes = jarOf(definition('jar-secrets', { password: secret }));
    const up = await t.graphql(
      UPLOAD,
      { input: { name: 'secret.jar', contentBase64: Buffer.from(bytes).toString('base64') } },
      operator,
    );
    expect(up.errors).toBeUndefined();
    const { id, size } = up.data!.uploadArtifact.artifact;
    expect(size).toBe(bytes.length);

    const row = await stored(id);
    expect(JSON.stringify(row.definition)).not.toContain(secret);
    expect(row.content).not.toContain(secret);
    expect(row.content_type).toContain('sealed');
    // The sealed bytes open to the jar as uploaded.
    const opened = Buffer.from(testSecrets.open(row.content), 'base64');
    const inside = JSON.parse(Buffer.from(unzipSync(opened)['jobgate/job.json']!).toString());
    expect(inside.source[0].password).toBe(secret);

    const plan = await t.graphql(
      `query($id: ID!) { artifact(id: $id) { definition plan { jobName } } }`,
      { id },
      operator,
    );
    expect(plan.errors).toBeUndefined();
    expect(plan.data!.artifact.plan.jobName).toBe('jar-secrets');
    expect(plan.data!.artifact.definition.source[0].password).toBe('[redacted]');

    const run = await t.graphql(RUN, { input: { id } }, operator);
    expect(run.errors).toBeUndefined();
    const [version] = await t.database.execute<{ definition: any }>(
      sql`select v.definition from job_versions v join jobs j on j.id = v.job_id where j.name = 'jar-secrets'`,
    );
    expect(JSON.stringify(version!.definition)).not.toContain(secret);
    expect(revealSecrets(version!.definition, testSecrets).source[0].password).toBe(secret);
  });

  it('a jar without secrets is stored as it came (the control of the check above)', async () => {
    const bytes = jarOf(definition('jar-plain', { 'string.length': 4 }));
    const up = await t.graphql(
      UPLOAD,
      { input: { name: 'plain.jar', contentBase64: Buffer.from(bytes).toString('base64') } },
      operator,
    );
    const row = await stored(up.data!.uploadArtifact.artifact.id);
    expect(row.content_type).toBe('application/java-archive');
    expect(row.definition.source[0]['string.length']).toBe(4);
  });
});

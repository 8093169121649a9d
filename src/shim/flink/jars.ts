// Flink's jar routes (ENDPOINTS.md rows 9-13) over jobgate's artifacts: an upload is stored as an
// artifact, its jar id is `<artifact id>_<file name>` (Flink's `<uuid>_<name>.jar` basename), and a
// run runs the job the jar's definition (`jobgate/job.json`) describes. Flink's program arguments,
// entry class and job id select code inside a Java jar; a jobgate jar has one definition, so they are
// accepted and not used.
import type { Route, RouteCall } from '../core/index.ts';
import { MAX_ARTIFACT_BYTES } from '../../lib/artifact-size.ts';
import { flinkPlanOf, type ArtifactPlan } from './jar-plan.ts';
import { query } from './query.ts';
import {
  bodyBoolean,
  bodyInt,
  bodyString,
  bodyStringList,
  formatError,
  queryBoolean,
  queryInt,
  queryValue,
  readJsonBody,
  type JsonBody,
} from './request-body.ts';
import { flinkJson, FlinkRestError } from './respond.ts';

/** Where Flink would keep uploads (`<web.upload.dir>/flink-web-upload`); jobgate keeps them in its
 * database, and names them as Flink would. */
export const JAR_DIR = '/tmp/flink-web-jobgate/flink-web-upload';
/** The upload route's body limit: the largest artifact plus room for the multipart framing. */
const JAR_UPLOAD_MAX_BODY = MAX_ARTIFACT_BYTES + 65_536;
const UPLOAD_PATH = /^(\/v1)?\/jars\/upload$/;

/** The upload route may carry a jar; every other route keeps the server's limit. */
export function jarUploadBodyLimit(method: string, path: string): number | undefined {
  return method.toUpperCase() === 'POST' && UPLOAD_PATH.test(path) ? JAR_UPLOAD_MAX_BODY : undefined;
}

const UPLOAD = `mutation FlinkJarUpload($input: UploadArtifactInput!) {
  uploadArtifact(input: $input) { artifact { id name } }
}`;
const LIST = `query FlinkJars { artifacts(first: 1000) { id name uploadedAt entryClass } }`;
const FIND = `query FlinkJar($id: ID!) { artifact(id: $id) { id name } }`;
const PLAN = `query FlinkJarPlan($id: ID!, $parallelism: Int) {
  artifact(id: $id) {
    name
    plan(parallelism: $parallelism) { jobName mode vertices { name kind plugin parallelism inputs } }
  }
}`;
const DELETE = `mutation FlinkJarDelete($id: ID!) { deleteArtifact(id: $id) { artifact { id } } }`;
const RUN = `mutation FlinkJarRun($input: RunArtifactInput!) { runArtifact(input: $input) { run { id } } }`;

interface ArtifactSummary {
  id: string;
  name: string;
}

/** The jar id Flink shows: the basename of the stored file. */
const jarIdOf = (artifact: ArtifactSummary) => `${artifact.id}_${artifact.name}`;

/** The artifact a jar id names, or null when it names none (a malformed id names none). */
async function findJar(call: RouteCall): Promise<ArtifactSummary | null> {
  const jarId = call.params.jarid ?? '';
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_(.+)$/.exec(jarId);
  if (!match) return null;
  try {
    const { artifact } = await query<{ artifact: ArtifactSummary }>(call.ctx, FIND, { id: match[1] });
    return artifact.name === match[2] ? artifact : null;
  } catch (err) {
    if (err instanceof FlinkRestError && err.status === 404) return null;
    throw err;
  }
}

/** JarHandlerUtils' 400 for a jar that is not there (plan and run). */
const jarMissing = (call: RouteCall) =>
  new FlinkRestError(400, `Jar file ${JAR_DIR}/${call.params.jarid} does not exist`);

/** The one file of a multipart upload; Flink's 400s when there is not exactly one, or no jar. */
async function uploadedFile(request: Request): Promise<File> {
  const type = request.headers.get('content-type') ?? '';
  // Read first: a body over the route's limit rejects here, and the server answers 413.
  const bytes = await request.arrayBuffer();
  let files: File[] = [];
  if (type.toLowerCase().startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { 'content-type': type } }).formData();
    } catch {
      throw new FlinkRestError(400, 'File upload failed.');
    }
    files = [...form.values()].filter((value): value is File => typeof value !== 'string');
  }
  if (files.length !== 1) {
    throw new FlinkRestError(400, `Exactly 1 file must be sent, received ${files.length}.`);
  }
  return files[0]!;
}

/** POST /jars/upload (row 9). */
async function uploadJar({ request, ctx }: RouteCall): Promise<Response> {
  const file = await uploadedFile(request);
  const name = file.name.split(/[/\\]/).pop() ?? '';
  if (!name.endsWith('.jar')) throw new FlinkRestError(400, 'Only Jar files are allowed.');
  const contentBase64 = Buffer.from(await file.arrayBuffer()).toString('base64');
  let artifact: ArtifactSummary;
  try {
    ({
      uploadArtifact: { artifact },
    } = await query<{ uploadArtifact: { artifact: ArtifactSummary } }>(ctx, UPLOAD, {
      input: { name, contentBase64 },
    }));
  } catch (err) {
    // Flink takes any *.jar; jobgate reads the jar at once, so a file that is no zip is refused here.
    if (err instanceof FlinkRestError && err.status === 400) {
      throw new FlinkRestError(400, `Only Jar files are allowed. ${err.message}`);
    }
    throw err;
  }
  return flinkJson({ filename: `${JAR_DIR}/${jarIdOf(artifact)}`, status: 'success' }, ctx);
}

/** GET /jars (row 10): newest first, as Flink sorts them. */
async function listJars({ request, ctx }: RouteCall): Promise<Response> {
  const { artifacts } = await query<{
    artifacts: (ArtifactSummary & { uploadedAt: string; entryClass: string | null })[];
  }>(ctx, LIST);
  const files = artifacts.map((artifact) => ({
    id: jarIdOf(artifact),
    name: artifact.name,
    uploaded: new Date(artifact.uploadedAt).getTime(),
    entry: artifact.entryClass ? [{ name: artifact.entryClass, description: null }] : [],
  }));
  return flinkJson({ address: new URL(request.url).origin, files }, ctx);
}

/** DELETE /jars/:jarid (row 11): a missing jar is a 400, as Flink answers it. */
async function deleteJar(call: RouteCall): Promise<Response> {
  const jar = await findJar(call);
  if (!jar) throw new FlinkRestError(400, `File ${call.params.jarid} does not exist in ${JAR_DIR}.`);
  await query(call.ctx, DELETE, { id: jar.id });
  return flinkJson({}, call.ctx);
}

/** What plan and run share of a request: the body (POST) or the query, the body winning. */
interface JarRequest {
  body: JsonBody;
  parallelism: number | undefined;
}

async function readJarRequest(call: RouteCall, requestClass: string): Promise<JarRequest> {
  const body = call.request.method === 'GET' ? {} : await readJsonBody(call.request, requestClass);
  // Read for their types (Flink refuses a body that does not map) and not used further.
  bodyString(body, 'entryClass', requestClass);
  bodyString(body, 'jobId', requestClass);
  bodyStringList(body, 'programArgsList', requestClass);
  if (bodyString(body, 'programArgs', requestClass) !== undefined && body.programArgsList != null) {
    throw new FlinkRestError(
      400,
      'Confusing request: programArgs and programArgsList are specified, please, use only programArgsList.',
    );
  }
  const parallelism = bodyInt(body, 'parallelism', requestClass) ?? queryInt(call.url, 'parallelism');
  return { body, parallelism };
}

/** Flink's default parallelism (-1 or 0 mean "the job's own"). */
const parallelismOf = (value: number | undefined) => (value !== undefined && value > 0 ? value : null);

/** GET and POST /jars/:jarid/plan (row 12). */
async function planJar(call: RouteCall): Promise<Response> {
  const { body, parallelism } = await readJarRequest(call, 'JarPlanRequestBody');
  const jar = await findJar(call);
  if (!jar) throw jarMissing(call);
  const { artifact } = await query<{ artifact: { plan: ArtifactPlan } }>(call.ctx, PLAN, {
    id: jar.id,
    parallelism: parallelismOf(parallelism),
  });
  const jobId = bodyString(body, 'jobId', 'JarPlanRequestBody');
  return flinkJson({ plan: flinkPlanOf(artifact.plan, jobId) }, call.ctx);
}

/** POST /jars/:jarid/run (row 13): 200 with the new run's id as the JobID. */
async function runJar(call: RouteCall): Promise<Response> {
  const requestClass = 'JarRunRequestBody';
  const { body, parallelism } = await readJarRequest(call, requestClass);
  const savepointPath =
    bodyString(body, 'savepointPath', requestClass) ?? queryValue(call.url, 'savepointPath');
  const allowNonRestoredState =
    bodyBoolean(body, 'allowNonRestoredState', requestClass) ??
    queryBoolean(call.url, 'allowNonRestoredState') ??
    false;
  for (const mode of ['claimMode', 'restoreMode']) {
    const value = bodyString(body, mode, requestClass);
    if (value !== undefined && !['CLAIM', 'NO_CLAIM', 'LEGACY'].includes(value))
      throw formatError(requestClass);
  }
  const jar = await findJar(call);
  if (!jar) throw jarMissing(call);
  const input = {
    id: jar.id,
    parallelism: parallelismOf(parallelism),
    // Flink reads an empty savepointPath as none.
    fromSavepointPath: savepointPath?.trim() ? savepointPath : null,
    allowNonRestoredState,
  };
  try {
    const { runArtifact } = await query<{ runArtifact: { run: { id: string } } }>(call.ctx, RUN, { input });
    return flinkJson({ jobid: runArtifact.run.id }, call.ctx);
  } catch (err) {
    // The jar was there a moment ago; what is missing now is the savepoint named.
    if (err instanceof FlinkRestError && err.status === 404) throw new FlinkRestError(400, err.message);
    throw err;
  }
}

export const JAR_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/jars/upload', handler: uploadJar, doc: 'row 9: store a jar' },
  { method: 'GET', path: '/jars', handler: listJars, doc: 'row 10: the uploaded jars' },
  { method: 'DELETE', path: '/jars/:jarid', handler: deleteJar, doc: 'row 11: delete a jar' },
  { method: 'GET', path: '/jars/:jarid/plan', handler: planJar, doc: 'row 12: the plan (dashboard)' },
  { method: 'POST', path: '/jars/:jarid/plan', handler: planJar, doc: 'row 12: the plan' },
  { method: 'POST', path: '/jars/:jarid/run', handler: runJar, doc: 'row 13: run the jar' },
];

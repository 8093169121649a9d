// POST /v1/restore (ref/dkron/ENDPOINTS.md §1): multipart field `file` holds a JSON array of Dkron
// jobs; each is upserted as POST /v1/jobs upserts it (so as the request's viewer, with the same role
// rules), parents before their children, and the answer is a JSON *string* holding the serialized
// array of Dkron's per-job results ("success create <name>" / "fail create <name>"). A file that is
// not a JSON array, or any job in it that fails validation, refuses the whole file, storing nothing.
import type { RouteCall } from '../core/index.ts';
import { refuseWhilePaused } from './cluster.ts';
import { jobInputOf, type JobInput } from './job-body.ts';
import { save } from './jobs.ts';
import { DkronError, dkronJson } from './respond.ts';

/** The most jobs one restore file may hold. */
export const MAX_RESTORE_JOBS = 1000;

/** gin's AbortWithError(422): the status alone. */
const unprocessable = () => new DkronError(422, '');

async function restoreFile(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  // Read first: a body over the server's limit rejects here, and the server answers 413.
  const bytes = await request.arrayBuffer();
  if (!type.toLowerCase().startsWith('multipart/form-data')) throw unprocessable();
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { 'content-type': type } }).formData();
  } catch {
    throw unprocessable();
  }
  const file = form.get('file');
  if (file === null) throw unprocessable();
  const text = typeof file === 'string' ? file : await file.text();
  try {
    return JSON.parse(text);
  } catch {
    throw unprocessable();
  }
}

/** Parents first: a job comes after the file's job it names as parent (others keep file order). */
function parentsFirst(inputs: JobInput[]): JobInput[] {
  const names = new Set(inputs.map((i) => i.name));
  const done = new Set<string>();
  const ordered: JobInput[] = [];
  let left = inputs;
  while (left.length) {
    const ready = left.filter((i) => !i.parentJob || !names.has(i.parentJob) || done.has(i.parentJob));
    // A cycle among the file's jobs: save the rest in file order (the parent check refuses them).
    const batch = ready.length ? ready : left;
    for (const input of batch) {
      ordered.push(input);
      done.add(input.name);
    }
    left = left.filter((i) => !batch.includes(i));
  }
  return ordered;
}

export async function restore({ ctx, request, url }: RouteCall): Promise<Response> {
  await refuseWhilePaused(ctx);
  const parsed = await restoreFile(request);
  if (!Array.isArray(parsed) || parsed.length > MAX_RESTORE_JOBS) throw unprocessable();
  const inputs = parsed.map((body) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw unprocessable();
    return jobInputOf(body as Record<string, unknown>);
  });
  const result: string[] = [];
  for (const input of parentsFirst(inputs)) {
    try {
      await save(ctx, input);
      result.push(`success create ${input.name}`);
    } catch (err) {
      if (!(err instanceof DkronError)) throw err;
      result.push(`fail create ${input.name}`);
    }
  }
  return dkronJson(JSON.stringify(result), url);
}

// What the Flink write-side tests share: a runtime with a node over a test database, the real app on
// real sockets (the Flink dialect on its own port, auth on and, for the seed's curl commands, a second
// app with auth off on loopback), jars built with fflate, and curl run as a child process.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Ajv } from 'ajv';
import { strToU8, zipSync } from 'fflate';
import { parse } from 'yaml';
import { expect } from 'vitest';
import type { Role } from '../../src/lib/status.ts';
import { openApiAjv } from '../support/openapi.ts';
import { startDialectHarness } from '../support/dialect-harness.ts';
import type { TestRuntime } from '../support/runtime.ts';

const run = promisify(execFile);

/** A port that was free a moment ago. */
export { freePort } from '../support/dialect-harness.ts';

/** A jar: a zip with a manifest and, when given, the jobgate definition at jobgate/job.json. */
export function makeJar(definition?: unknown, extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, Uint8Array> = {
    'META-INF/MANIFEST.MF': strToU8('Manifest-Version: 1.0\r\nMain-Class: com.example.Pipeline\r\n'),
    ...extra,
  };
  if (definition !== undefined) files['jobgate/job.json'] = strToU8(JSON.stringify(definition));
  return zipSync(files);
}

export interface FlinkHarness {
  t: TestRuntime;
  /** The Flink dialect's own port, auth on. */
  flink: string;
  /** The Flink dialect's own port on a second app over the same database, auth off (loopback). */
  open: string;
  tokens: Record<Role, string>;
  /** A scratch directory inside the runtime's file roots. */
  dir: string;
  close(): Promise<void>;
}

export async function startFlinkHarness(): Promise<FlinkHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-flink-write-'));
  const h = await startDialectHarness('flink', { fileRoots: [dir] });
  return {
    t: h.t,
    flink: h.secured,
    open: h.open,
    tokens: h.tokens,
    dir,
    close: async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs curl with `args` (as a shell script would) and parses its JSON answer, with the status. */
export async function curl(args: string[]): Promise<{ status: number; body: any }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  return { status: Number(stdout.slice(cut + 1)), body: text ? JSON.parse(text) : null };
}

/** Writes `bytes` to a file in `dir` and returns its path (for curl's `-F jarfile=@path`). */
export function writeJarFile(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Uploads a jar as Node's fetch sends a FormData; returns the jar id. */
export async function uploadJar(base: string, token: string | undefined, name: string, bytes: Uint8Array) {
  const form = new FormData();
  form.append('jarfile', new Blob([Buffer.from(bytes)], { type: 'application/x-java-archive' }), name);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${base}/v1/jars/upload`, { method: 'POST', body: form, headers });
  const body = (await res.json()) as any;
  return { status: res.status, body, jarId: body.filename?.split('/').pop() as string | undefined };
}

/** A Flink error body: `{"errors": [one string]}` whose string ends with `message`. */
export function expectFlinkError(body: any, message: string | RegExp): void {
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toHaveLength(1);
  if (typeof message === 'string') expect(body.errors[0]).toContain(message);
  else expect(body.errors[0]).toMatch(message);
}

/** Flink 1.20's REST spec (../shared/ref/flink, beside the repository). */
const FLINK_SPEC = new URL('../../../shared/ref/flink/rest_v1_dispatcher.yml', import.meta.url);

/**
 * OpenAPI 3.0 → what ajv checks, in a copy: every value may be null (Jackson writes absent values as
 * null, which the spec does not mark) and `oneOf` is `anyOf` (the spec's async `operation` lists
 * three schemas without required fields, so one body matches all of them and oneOf always fails).
 * Until test/support/openapi.ts lands on main, this is the check the write routes use.
 */
function adapt(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(adapt);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'discriminator' || key === 'nullable' || key === 'example') continue;
    if (key === '$ref') out.$ref = String(value).replace('#/components/', 'flink#/components/');
    else if (key === 'oneOf') out.anyOf = adapt(value);
    else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, schema]) => [
          name,
          { anyOf: [{ type: 'null' }, adapt(schema)] },
        ]),
      );
    } else out[key] = adapt(value);
  }
  return out;
}

let flinkSpec: { ajv: Ajv; paths: Record<string, any> } | undefined;

/** Problems of a response body against the spec's schema of `method path` (spec syntax,
 * `/jobs/{jobid}`) for `status`; [] when it validates. */
export function flinkSpecProblems(method: string, path: string, status: number, body: unknown): string[] {
  if (!flinkSpec) {
    const doc = parse(readFileSync(FLINK_SPEC, 'utf8')) as { paths: any; components: unknown };
    const ajv = openApiAjv();
    ajv.addSchema({ $id: 'flink', components: adapt(doc.components) } as object);
    flinkSpec = { ajv, paths: doc.paths };
  }
  const schema =
    flinkSpec.paths[path]?.[method.toLowerCase()]?.responses?.[String(status)]?.content?.['application/json']
      ?.schema;
  if (!schema) throw new Error(`the spec has no JSON ${status} answer for ${method} ${path}`);
  const check = flinkSpec.ajv.compile(adapt(schema) as object);
  return check(body) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

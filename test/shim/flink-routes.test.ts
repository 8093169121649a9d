// Flink's route table as data: every route names where Flink documents it (a row of ENDPOINTS.md's
// endpoint table, a route the dashboard calls per DASHBOARD.md, or one of the spec's other
// endpoints), and that source really names the route. flink-read.test.ts hits every read route;
// this file checks that none is registered without a source, and that the table is well formed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FLINK_READ_ROUTES,
  FLINK_REFUSING_ROUTES,
  FLINK_ROUTES,
  flinkRouteTable,
} from '../../src/shim/flink/routes.ts';
import { loadOpenApi } from '../support/openapi.ts';

const REF = new URL('../../../shared/ref/flink/', import.meta.url);
const endpoints = readFileSync(new URL('ENDPOINTS.md', REF), 'utf8');
const dashboard = readFileSync(new URL('DASHBOARD.md', REF), 'utf8');
const spec = loadOpenApi(new URL('rest_v1_dispatcher.yml', REF).pathname);

/** Path parameters written any way (`:jobid`, `:id`, `:vid`, `{jobid}`) as one placeholder. */
const normal = (path: string) => path.replace(/:\w+|\{\w+\}/g, ':p').replace(/…/g, '...');

/** The rows of ENDPOINTS.md's endpoint table by number, each as its whole line. */
const rows = new Map(
  endpoints
    .split('\n')
    .map((line) => line.match(/^\| (\d+) \| (.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => [Number(m[1]), m[2]!]),
);

/** Every backticked path a row mentions, normalized; `.../x` stands for any prefix. */
function pathsOf(text: string): string[] {
  return [...text.matchAll(/`(?:[A-Z]+ )?((?:\/|\.\.\.|…)[^`\s?]*)[^`]*`/g)].map((m) => normal(m[1]!));
}

function mentions(text: string, routePath: string): boolean {
  const route = normal(routePath);
  return pathsOf(text).some((p) => (p.startsWith('...') ? route.endsWith(p.slice(3)) : p === route));
}

describe('the Flink route table', () => {
  it('holds each method and path once, every read route a GET', () => {
    const keys = FLINK_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of FLINK_READ_ROUTES) expect(route.method).toBe('GET');
    expect(flinkRouteTable.prefixes).toEqual(['', '/v1']);
  });

  it.each([...FLINK_READ_ROUTES, ...FLINK_REFUSING_ROUTES].map((r) => [r.path, r.doc ?? '']))(
    '%s is documented: %s',
    (path, doc) => {
      const row = doc.match(/^row (\d+)/);
      if (row) {
        const text = rows.get(Number(row[1]));
        expect(text, `ENDPOINTS.md row ${row[1]}`).toBeDefined();
        expect(mentions(text!, path), `row ${row[1]} names ${path}`).toBe(true);
      } else if (doc === 'dashboard') {
        // DASHBOARD.md names these relative to the job, vertex or TaskManager (`…/taskmanagers`).
        const tail = normal(path).split('/').slice(-1)[0]!;
        expect(dashboard, `DASHBOARD.md names …/${tail}`).toMatch(new RegExp(`/${tail}\\b`));
      } else {
        expect(doc).toMatch(/^other: /);
        expect(spec.operations()).toContain(`GET ${path.replace(/:(\w+)/g, '{$1}')}`);
      }
    },
  );

  it('claims every GET row of ENDPOINTS.md but the write side (jars, savepoints) and rescaling', () => {
    const claimed = new Set(
      [...FLINK_READ_ROUTES, ...FLINK_REFUSING_ROUTES].flatMap((r) =>
        r.doc?.match(/^row (\d+)/) ? [Number(r.doc.match(/^row (\d+)/)![1])] : [],
      ),
    );
    const getRows = [...rows].filter(([, text]) => /`GET /.test(text) || /^`GET/.test(text)).map(([n]) => n);
    // GET /jars, GET /jars/:jarid/plan, the dashboard's GET .../yarn-cancel (row 17) and the GET of
    // a savepoint's status belong to the write side.
    const writeSide = [10, 12, 17, 25];
    const notServed: number[] = [];
    expect(
      getRows.filter((n) => !claimed.has(n) && !writeSide.includes(n) && !notServed.includes(n)),
    ).toEqual([]);
  });
});

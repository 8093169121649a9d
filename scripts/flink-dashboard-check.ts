// Renders Flink's own web dashboard (a production build of flink-runtime-web/web-dashboard, which
// jobgate does not ship) against a jobgate gateway in headless Chromium, and reports per page what
// rendered, the console errors, the failed requests and the error pop-ups, with a screenshot each.
//
//   node --import tsx scripts/flink-dashboard-check.ts <built-dashboard-dir> [--out DIR]
//        [--chromium /usr/bin/chromium] [--only overview,job-overview,...]
//
// It spawns `jobgate serve --auth off` over a fresh PGlite directory with the Flink port on a free
// port, defines and starts a streaming pipeline that checkpoints (and a finished batch run), serves
// the dashboard's files on one origin and forwards every other request to the Flink port (the
// dashboard calls relative URLs, as it does when Flink's JobManager serves it), and walks the pages.
// Exit status 0 when every page showed its facts with no console error, failed request or pop-up.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type BrowserContext, type Page, type Request, type Response } from 'playwright-core';

const BIN = fileURLToPath(new URL('../bin/jobgate.mjs', import.meta.url));
/** Generous limits for facts to appear on a shared 2-core machine; limits, not expectations. */
const READY_MS = 180_000;
const FACT_MS = 30_000;
/** The dashboard re-polls every 3 s (refresh-interval); a page is watched over two rounds. */
const WATCH_MS = 7_000;

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'scratch/flink-dashboard' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    only: { type: 'string' },
  },
});
const dashboardDir = positionals[0] ? resolve(positionals[0]) : '';
if (!dashboardDir || !existsSync(join(dashboardDir, 'index.html'))) {
  console.error('usage: flink-dashboard-check.ts <built-dashboard-dir containing index.html> [--out DIR]');
  process.exit(2);
}
const outDir = resolve(values.out!);
mkdirSync(outDir, { recursive: true });

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createNetServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Gateway {
  child: ChildProcess;
  graphqlUrl: string;
  flinkPort: number;
  output(): string;
}

async function startGateway(dataDir: string): Promise<Gateway> {
  const flinkPort = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--auth', 'off', '--slots', '8'],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        JOBGATE_LOG_LEVEL: 'warn',
        JOBGATE_FLINK_PORT: String(flinkPort),
        JOBGATE_SEATUNNEL_PORT: '0',
        JOBGATE_DKRON_PORT: '0',
        JOBGATE_NOMAD_PORT: '0',
        JOBGATE_KEEPER_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await until(
    'jobgate to say it is ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`jobgate exited:\n${out}`);
      return out.match(/ready: GraphQL and GraphiQL at (http:\/\/\S+)\/graphql/)?.[1];
    },
    READY_MS,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${out}`);
  });
  return { child, graphqlUrl: `${url}/graphql`, flinkPort, output: () => out };
}

async function graphql(
  gateway: Gateway,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<any> {
  const res = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function defineAndStart(gateway: Gateway): Promise<{ runId: string; batchRunId: string }> {
  const create = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
  const start = `mutation($job: String!) { startJob(input: { job: $job }) { run { id } } }`;
  const status = `query($id: ID!) { run(id: $id) { status checkpoints(first: 5) { nodes { status } } } }`;
  await graphql(gateway, create, {
    input: {
      name: 'dashboard-batch',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 1 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 100 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    },
  });
  await graphql(gateway, create, {
    input: {
      name: 'dashboard-stream',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2, 'checkpoint.interval': 2000 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 100_000_000, 'rows.per.second': 500 }],
        transform: [{ plugin_name: 'FieldMapper', field_mapper: { id: 'key', name: 'label' } }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    },
  });
  const batchRunId = (await graphql(gateway, start, { job: 'dashboard-batch' })).startJob.run.id as string;
  await until(
    'the batch run to finish',
    async () =>
      (await graphql(gateway, status, { id: batchRunId })).run.status === 'FINISHED' ? true : undefined,
    READY_MS,
  );
  const runId = (await graphql(gateway, start, { job: 'dashboard-stream' })).startJob.run.id as string;
  await until(
    'the streaming run to complete a checkpoint',
    async () => {
      const { run } = await graphql(gateway, status, { id: runId });
      const done = run.checkpoints.nodes.some((c: { status: string }) => c.status === 'COMPLETED');
      return run.status === 'RUNNING' && done ? true : undefined;
    },
    READY_MS,
  );
  return { runId, batchRunId };
}

/** Serves the dashboard's files and forwards everything else to the Flink port, as one origin. */
function startFront(flinkPort: number): Promise<{ url: string; close(): Promise<void> }> {
  const root = dashboardDir.endsWith(sep) ? dashboardDir : dashboardDir + sep;
  const serveFile = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(root, '.' + (pathname === '/' ? '/index.html' : pathname));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return false;
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
    return true;
  };
  const server = createServer((req, res) => {
    if (serveFile(req, res)) return;
    const headers = { ...req.headers, host: `127.0.0.1:${flinkPort}` };
    // The page is same-origin with the API when Flink serves it; so it is here, through the front.
    if (headers.origin) headers.origin = `http://127.0.0.1:${flinkPort}`;
    delete headers.referer;
    const upstream = httpRequest(
      { host: '127.0.0.1', port: flinkPort, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`front: ${error.message}`);
    });
    req.pipe(upstream);
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      ok({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    }),
  );
}

interface Check {
  name: string;
  hash: string;
  /** CSS selector that must match at least `min` elements once the page has rendered. */
  selector: string;
  min: number;
  /** Text that must appear in the page once rendered (e.g. a job name). */
  text?: string;
}

interface PageReport {
  name: string;
  hash: string;
  rendered: boolean;
  found: number;
  textFound: boolean | null;
  consoleErrors: string[];
  failedRequests: string[];
  popups: string[];
  requests: string[];
  screenshot: string;
}

async function visit(page: Page, base: string, check: Check): Promise<PageReport> {
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const requests = new Set<string>();
  const onConsole = (msg: { type(): string; text(): string }) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  };
  const onPageError = (error: Error) => consoleErrors.push(`pageerror: ${error.message}`);
  const onResponse = async (res: Response) => {
    const url = new URL(res.url());
    if (!url.href.startsWith(base)) return;
    const path = url.pathname + url.search;
    if (res.request().resourceType() === 'xhr' || res.request().resourceType() === 'fetch') {
      requests.add(`${res.request().method()} ${path}`);
    }
    if (res.status() >= 400) {
      const body = await res.text().catch(() => '');
      failedRequests.push(`${res.status()} ${res.request().method()} ${path} ${body.slice(0, 300)}`);
    }
  };
  const onRequestFailed = (req: Request) =>
    failedRequests.push(`failed ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`);
  // Each page is loaded fresh (as a deep link): requests the previous page's components still had in
  // flight are aborted by the unload, not counted here, and every page starts with GET /config.
  await page.goto('about:blank');
  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  page.on('response', onResponse);
  page.on('requestfailed', onRequestFailed);
  await page.goto(`${base}/#${check.hash}`);
  let found = 0;
  let rendered = false;
  try {
    await page.waitForFunction(
      ({ selector, min }) => document.querySelectorAll(selector).length >= min,
      { selector: check.selector, min: check.min },
      { timeout: FACT_MS },
    );
    rendered = true;
  } catch {
    rendered = false;
  }
  await page.waitForTimeout(WATCH_MS);
  found = await page.locator(check.selector).count();
  const bodyText = await page.locator('body').innerText();
  const textFound = check.text === undefined ? null : bodyText.includes(check.text);
  const popups = await page.locator('.ant-notification-notice').allInnerTexts();
  const screenshot = join(outDir, `${check.name}.png`);
  await page.screenshot({ path: screenshot, fullPage: true });
  page.off('console', onConsole);
  page.off('pageerror', onPageError);
  page.off('response', onResponse);
  page.off('requestfailed', onRequestFailed);
  return {
    name: check.name,
    hash: check.hash,
    rendered,
    found,
    textFound,
    consoleErrors,
    failedRequests,
    popups,
    requests: [...requests].sort(),
    screenshot,
  };
}

function checks(ids: { runId: string; batchRunId: string; vertexId: string; tmId: string }): Check[] {
  const job = `/job/running/${ids.runId}`;
  const done = `/job/completed/${ids.batchRunId}`;
  const vertex = `${job}/overview/${ids.vertexId}`;
  const tm = `/task-manager/${ids.tmId}`;
  const row = '.ant-table-tbody tr.ant-table-row';
  return [
    {
      name: 'overview',
      hash: '/overview',
      selector: 'flink-job-list .ant-table-row',
      min: 1,
      text: 'dashboard-stream',
    },
    { name: 'completed-jobs', hash: '/job/completed', selector: row, min: 1, text: 'dashboard-batch' },
    { name: 'running-jobs', hash: '/job/running', selector: row, min: 1, text: 'dashboard-stream' },
    { name: 'job-overview', hash: `${job}/overview`, selector: 'flink-dagre g.node-group', min: 3 },
    { name: 'job-vertex-list', hash: `${job}/overview`, selector: `flink-job-overview-list ${row}`, min: 3 },
    {
      name: 'vertex-detail',
      hash: `${vertex}/detail`,
      selector: 'flink-job-overview-drawer-detail dd',
      min: 6,
    },
    { name: 'vertex-subtasks', hash: `${vertex}/subtasks`, selector: row, min: 2 },
    { name: 'vertex-taskmanagers', hash: `${vertex}/taskmanagers`, selector: row, min: 1 },
    {
      name: 'vertex-watermarks',
      hash: `${vertex}/watermarks`,
      selector: 'flink-job-overview-drawer-watermarks',
      min: 1,
    },
    {
      name: 'vertex-accumulators',
      hash: `${vertex}/accumulators`,
      selector: 'flink-job-overview-drawer-accumulators',
      min: 1,
    },
    {
      name: 'vertex-metrics',
      hash: `${vertex}/metrics`,
      selector: 'flink-job-overview-drawer-chart, nz-select',
      min: 1,
    },
    { name: 'vertex-backpressure', hash: `${vertex}/backpressure`, selector: row, min: 2 },
    {
      name: 'vertex-flamegraph',
      hash: `${vertex}/flamegraph`,
      selector: 'flink-job-overview-drawer-flamegraph',
      min: 1,
    },
    { name: 'job-exceptions', hash: `${job}/exceptions`, selector: 'flink-job-exceptions', min: 1 },
    {
      name: 'job-timeline',
      hash: `${job}/timeline`,
      selector: 'flink-job-timeline svg, flink-job-timeline canvas',
      min: 1,
    },
    { name: 'job-dataskew', hash: `${job}/dataskew`, selector: `flink-data-skew ${row}`, min: 3 },
    {
      name: 'job-checkpoints',
      hash: `${job}/checkpoints`,
      selector: 'flink-job-checkpoints td',
      min: 4,
      text: 'Completed',
    },
    {
      name: 'job-configuration',
      hash: `${job}/configuration`,
      selector: 'flink-job-configuration td',
      min: 2,
    },
    {
      name: 'completed-job-overview',
      hash: `${done}/overview`,
      selector: 'flink-dagre g.node-group',
      min: 2,
    },
    { name: 'completed-cluster-config', hash: `${done}/cluster_configuration`, selector: 'td', min: 2 },
    { name: 'task-managers', hash: '/task-manager', selector: row, min: 1 },
    {
      name: 'task-manager-metrics',
      hash: `${tm}/metrics`,
      selector: 'flink-task-manager-metrics td',
      min: 2,
    },
    { name: 'task-manager-logs', hash: `${tm}/logs`, selector: 'flink-task-manager-logs', min: 1 },
    { name: 'task-manager-stdout', hash: `${tm}/stdout`, selector: 'flink-task-manager-stdout', min: 1 },
    { name: 'task-manager-log-list', hash: `${tm}/log-list`, selector: row, min: 1 },
    {
      name: 'task-manager-thread-dump',
      hash: `${tm}/thread-dump`,
      selector: 'flink-task-manager-thread-dump',
      min: 1,
    },
    {
      name: 'job-manager-metrics',
      hash: '/job-manager/metrics',
      selector: 'flink-job-manager-metrics td',
      min: 2,
    },
    {
      name: 'job-manager-config',
      hash: '/job-manager/config',
      selector: `flink-job-manager-configuration ${row}`,
      min: 2,
    },
    { name: 'job-manager-logs', hash: '/job-manager/logs', selector: 'flink-job-manager-logs', min: 1 },
    { name: 'job-manager-stdout', hash: '/job-manager/stdout', selector: 'flink-job-manager-stdout', min: 1 },
    { name: 'job-manager-log-list', hash: '/job-manager/log', selector: row, min: 1 },
    {
      name: 'job-manager-thread-dump',
      hash: '/job-manager/thread-dump',
      selector: 'flink-job-manager-thread-dump',
      min: 1,
    },
    { name: 'submit', hash: '/submit', selector: 'flink-submit', min: 1 },
  ];
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobgate-dashboard-'));
  let gateway: Gateway | undefined;
  let front: Awaited<ReturnType<typeof startFront>> | undefined;
  let browser: BrowserContext | undefined;
  let userDataDir: string | undefined;
  try {
    gateway = await startGateway(dataDir);
    console.log(`jobgate up; Flink port ${gateway.flinkPort}`);
    const { runId, batchRunId } = await defineAndStart(gateway);
    const flink = `http://127.0.0.1:${gateway.flinkPort}`;
    const job = (await (await fetch(`${flink}/jobs/${runId}`)).json()) as { vertices: { id: string }[] };
    const tms = (await (await fetch(`${flink}/taskmanagers`)).json()) as { taskmanagers: { id: string }[] };
    const ids = { runId, batchRunId, vertexId: job.vertices[0]!.id, tmId: tms.taskmanagers[0]!.id };
    console.log(`running job ${runId}, finished job ${batchRunId}`);
    front = await startFront(gateway.flinkPort);
    userDataDir = mkdtempSync(join(tmpdir(), 'jobgate-dashboard-chromium-'));
    // A fresh profile each run; Playwright takes it as the persistent context's directory.
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: values.chromium,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1440, height: 900 },
    });
    const page = await browser.newPage();
    const reports: PageReport[] = [];
    const only = values.only?.split(',');
    for (const check of checks(ids).filter((c) => !only || only.includes(c.name))) {
      const report = await visit(page, front.url, check);
      reports.push(report);
      const ok =
        report.rendered &&
        report.textFound !== false &&
        !report.consoleErrors.length &&
        !report.failedRequests.length &&
        !report.popups.length;
      console.log(
        `${ok ? 'ok  ' : 'FAIL'} ${check.name}: ${report.found} × ${check.selector}` +
          (report.textFound === false ? `, no "${check.text}"` : '') +
          (report.consoleErrors.length ? `, ${report.consoleErrors.length} console errors` : '') +
          (report.failedRequests.length ? `, ${report.failedRequests.length} failed requests` : '') +
          (report.popups.length ? `, ${report.popups.length} pop-ups` : ''),
      );
      for (const line of [...report.consoleErrors, ...report.failedRequests, ...report.popups]) {
        console.log(`       ${line.replace(/\s+/g, ' ').slice(0, 400)}`);
      }
    }
    writeFileSync(join(outDir, 'report.json'), JSON.stringify({ ids, reports }, null, 2));
    console.log(`screenshots and report.json in ${outDir}`);
    const bad = reports.filter(
      (r) =>
        !r.rendered ||
        r.textFound === false ||
        r.consoleErrors.length ||
        r.failedRequests.length ||
        r.popups.length,
    );
    console.log(`${reports.length - bad.length}/${reports.length} pages clean`);
    return bad.length ? 1 : 0;
  } finally {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await front?.close();
    if (gateway) {
      gateway.child.kill('SIGTERM');
      await new Promise((r) => (gateway!.child.exitCode !== null ? r(null) : gateway!.child.on('exit', r)));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  return 2;
});

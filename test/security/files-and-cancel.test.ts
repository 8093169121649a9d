// Attacks on the file system through LocalFile, and cancels of runs that hang, against a real
// `jobgate serve` with auth on, one slot, and a file root of its own.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftovers } from '../support/processes.ts';
import { until } from '../support/wait.ts';
import { startSecureServer, type SecureServer } from './serve.ts';

let server: SecureServer;
let base: string;
let root: string;
const sockets = new Set<Socket>();
const tcpServers: Server[] = [];

interface FakeServer {
  port: number;
  /** Connections still open to it. */
  open(): number;
}

/** A TCP port that accepts connections and never says a word. */
async function silentPort(): Promise<FakeServer> {
  return listen((socket) => void socket);
}

/** A "PostgreSQL" that completes the startup handshake (and postgres.js's type query, with no rows),
 * then never answers a statement: the connection is up, so no connect timeout ever fires. */
async function halfOpenPostgres(): Promise<FakeServer> {
  const message = (type: string, body: Buffer = Buffer.alloc(0)) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const ready = message('Z', Buffer.from('I'));
  return listen((socket) => {
    let received = 0;
    socket.on('data', () => {
      received++;
      // AuthenticationOk, then ready.
      if (received === 1) socket.write(Buffer.concat([message('R', Buffer.alloc(4)), ready]));
      // The catalog query: parsed, bound, no rows.
      if (received === 2) {
        socket.write(
          Buffer.concat([
            message('1'),
            message('2'),
            message('n'),
            message('C', Buffer.from('SELECT 0\0')),
            ready,
          ]),
        );
      }
    });
  });
}

/** A PostgreSQL look-alike that lets a client in, then ends the connection the way
 * pg_terminate_backend does (FATAL 57P01) when the driver sends its first, internal query. */
async function terminatingPostgres(): Promise<FakeServer> {
  const message = (type: string, body: Buffer = Buffer.alloc(0)) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const fatal = message(
    'E',
    Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0'),
  );
  return listen((socket) => {
    let received = 0;
    socket.on('data', () => {
      received++;
      if (received === 1)
        socket.write(Buffer.concat([message('R', Buffer.alloc(4)), message('Z', Buffer.from('I'))]));
      if (received === 2) socket.end(fatal);
    });
  });
}

function listen(onSocket: (socket: Socket) => void): Promise<FakeServer> {
  const mine = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    mine.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      mine.delete(socket);
    });
    socket.on('error', () => {});
    onSocket(socket);
  });
  tcpServers.push(tcp);
  return new Promise((resolve) =>
    tcp.listen(0, '127.0.0.1', () =>
      resolve({ port: (tcp.address() as { port: number }).port, open: () => mine.size }),
    ),
  );
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'jobgate-sec-files-'));
  root = join(base, 'root');
  await mkdir(join(root, 'in'), { recursive: true });
  await writeFile(join(root, 'in', 'data.json'), '{"id":1,"word":"alpha"}\n{"id":2,"word":"beta"}\n');
  await symlink('/etc/passwd', join(root, 'passwd-link'));
  await symlink('/etc', join(root, 'etc-link'));
  server = await startSecureServer({
    args: ['--file-root', root, '--slots', '1'],
    env: { JOBGATE_CANCEL_GRACE_MS: '2000' },
  });
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  for (const socket of sockets) socket.destroy();
  await Promise.all(tcpServers.map((tcp) => new Promise((r) => tcp.close(r))));
  await rm(base, { recursive: true, force: true });
  expect(await killLeftovers()).toBe(0);
});

const CREATE = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { name version } } }`;
const UPDATE = `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { name version } } }`;

function fileJob(name: string, source: Record<string, unknown>, sink?: Record<string, unknown>) {
  return {
    name,
    pipeline: {
      env: { 'job.mode': 'BATCH' },
      source: [{ plugin_name: 'LocalFile', file_format_type: 'text', ...source }],
      sink: [sink ?? { plugin_name: 'Console' }],
    },
  };
}

async function startJob(name: string, role: 'operator' | 'admin' = 'operator'): Promise<string> {
  const res = await server.graphql(
    `mutation($job: String!) { startJob(input: { job: $job }) { run { id } } }`,
    { job: name },
    role,
  );
  expect(res.errors).toBeUndefined();
  return res.data.startJob.run.id as string;
}

async function runStatus(id: string): Promise<string> {
  const res = await server.graphql(`query($id: ID!) { run(id: $id) { status } }`, { id }, 'viewer');
  return res.data.run.status as string;
}

/** The server is another process, so its runs are read over GraphQL (not the runtime's waitForRun). */
async function waitForRun(id: string, statuses: string[], timeoutMs = 60_000): Promise<string> {
  let status = '';
  await until(
    `run ${id} to reach ${statuses.join('/')}`,
    async () => statuses.includes((status = await runStatus(id))),
    { timeoutMs, intervalMs: 100, explain: () => `it is ${status}` },
  );
  return status;
}

/** Every log line and exception message of every run, as a viewer reads them. */
async function everythingViewersRead(): Promise<string> {
  const runs = await server.graphql(
    `{ runs(first: 100) { nodes { id statusCause exceptions { message } } } }`,
    {},
    'viewer',
  );
  let text = JSON.stringify(runs.data);
  for (const run of runs.data.runs.nodes as { id: string }[]) {
    const lines = await server.graphql(
      `query($id: ID!) { logLines(runId: $id, first: 1000) { nodes { message } } }`,
      { id: run.id },
      'viewer',
    );
    text += JSON.stringify(lines.data);
  }
  return text;
}

async function jobExists(name: string): Promise<boolean> {
  const res = await server.graphql(`query($n: String!) { job(name: $n) { name } }`, { n: name }, 'viewer');
  if (res.data?.job) return true;
  expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  return false;
}

describe('LocalFile stays inside the file roots', () => {
  it('refuses sources outside the roots at definition time, naming the option; nothing is stored', async () => {
    const attempts = [
      '/etc/shadow',
      '../../../../etc/passwd',
      join(root, 'passwd-link'),
      join(root, 'etc-link', 'passwd'),
      `${root}2/x`,
    ];
    for (const [i, path] of attempts.entries()) {
      const res = await server.graphql(CREATE, { input: fileJob(`steal-${i}`, { path }) }, 'operator');
      expect(res.errors?.[0]?.extensions?.code, path).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toBe(
        `input.pipeline.source[0].path: ${path} is outside the file roots (file roots: ${root})`,
      );
      expect(await jobExists(`steal-${i}`)).toBe(false);
    }
    const nul = await server.graphql(
      CREATE,
      { input: fileJob('nul', { path: 'in/data.json\u0000' }) },
      'operator',
    );
    expect(nul.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await jobExists('nul')).toBe(false);
    // Admins are held to the same roots.
    const admin = await server.graphql(
      CREATE,
      { input: fileJob('admin-steal', { path: '/etc/passwd' }) },
      'admin',
    );
    expect(admin.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses an update that points a stored job outside; the stored version stays', async () => {
    const made = await server.graphql(
      CREATE,
      { input: fileJob('reader', { path: 'in/data.json' }) },
      'operator',
    );
    expect(made.data?.createJob.job).toEqual({ name: 'reader', version: 1 });
    const { name: _name, ...changed } = fileJob('reader', { path: '/etc/shadow' });
    const res = await server.graphql(UPDATE, { input: { name: 'reader', ...changed } }, 'operator');
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/^input\.pipeline\.source\[0\]\.path: \/etc\/shadow is outside/);
    const job = await server.graphql(`{ job(name: "reader") { version } }`, {}, 'viewer');
    expect(job.data.job.version).toBe(1);
  });

  it('refuses sinks outside the roots and creates no directory there', async () => {
    const outsideDir = join(base, 'outside', 'x');
    for (const [i, path] of [outsideDir, '../escape', join(root, 'etc-link', 'jobgate')].entries()) {
      const res = await server.graphql(
        CREATE,
        {
          input: fileJob(
            `write-${i}`,
            { path: 'in/data.json' },
            { plugin_name: 'LocalFile', path, file_format_type: 'text' },
          ),
        },
        'operator',
      );
      expect(res.errors?.[0]?.extensions?.code, path).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(
        /^input\.pipeline\.sink\[0\]\.path: .* is outside the file roots/,
      );
      expect(await jobExists(`write-${i}`)).toBe(false);
    }
    expect(existsSync(join(base, 'outside'))).toBe(false);
    expect(existsSync(join(base, 'escape'))).toBe(false);
    expect(existsSync('/etc/jobgate')).toBe(false);
  });

  it('runs a job inside the root end to end; a file swapped for a symlink before the run is refused by the node', async () => {
    const copy = fileJob(
      'copy',
      { path: 'in/data.json', file_format_type: 'json' },
      { plugin_name: 'LocalFile', path: 'out/copy', file_format_type: 'json' },
    );
    expect((await server.graphql(CREATE, { input: copy }, 'operator')).errors).toBeUndefined();
    const runId = await startJob('copy');
    expect(await waitForRun(runId, ['FINISHED', 'FAILED', 'CANCELED'])).toBe('FINISHED');
    expect(await readFile(join(root, 'out', 'copy', 'part-0.json'), 'utf8')).toBe(
      '{"id":1,"word":"alpha"}\n{"id":2,"word":"beta"}\n',
    );

    // Checked and stored while the file was inside; then it becomes a link to /etc/passwd.
    await writeFile(join(root, 'in', 'later.txt'), 'harmless\n');
    const later = fileJob('later', { path: 'in/later.txt' });
    expect((await server.graphql(CREATE, { input: later }, 'operator')).errors).toBeUndefined();
    await rm(join(root, 'in', 'later.txt'));
    await symlink('/etc/passwd', join(root, 'in', 'later.txt'));
    const swapped = await startJob('later');
    expect(await waitForRun(swapped, ['FINISHED', 'FAILED', 'CANCELED'])).toBe('FAILED');
    const run = await server.graphql(
      `query($id: ID!) { run(id: $id) { exceptions { message } } }`,
      { id: swapped },
      'viewer',
    );
    expect(run.data.run.exceptions[0].message).toMatch(/path: .*later\.txt is outside the file roots/);

    // No line of /etc/passwd reached anything a viewer can read; the legitimate file's did (the
    // same reads would have shown it).
    const seen = await everythingViewersRead();
    expect(seen).not.toMatch(/root:x?:0:0/);
    const passwdLine = (await readFile('/etc/passwd', 'utf8')).split('\n')[0]!;
    expect(seen).not.toContain(passwdLine);
  });

  it('the positive control: a Console sink shows what a LocalFile source in the root reads', async () => {
    const show = fileJob('show', { path: 'in/data.json' });
    expect((await server.graphql(CREATE, { input: show }, 'operator')).errors).toBeUndefined();
    const runId = await startJob('show');
    expect(await waitForRun(runId, ['FINISHED', 'FAILED', 'CANCELED'])).toBe('FINISHED');
    await until(
      'the rows in what viewers read',
      async () => (await everythingViewersRead()).includes('alpha'),
      { intervalMs: 200 },
    );
  });
});

describe('cancel ends a hung run in bounded time and frees its slot', () => {
  const jdbcJob = (name: string, port: number) => ({
    name,
    pipeline: {
      env: { 'job.mode': 'BATCH' },
      source: [
        { plugin_name: 'Jdbc', url: `jdbc:postgresql://127.0.0.1:${port}/db`, user: 'x', query: 'select 1' },
      ],
      sink: [{ plugin_name: 'Console' }],
    },
  });

  async function cancelAndCheckSlot(hungRun: string) {
    // One slot, held by the hung run: a second run waits (the positive control for "free again",
    // since it runs once the cancel frees the slot).
    const quick = `quick-${hungRun.slice(0, 8)}`;
    const made = await server.graphql(
      CREATE,
      {
        input: {
          name: quick,
          pipeline: {
            source: [{ plugin_name: 'FakeSource', 'row.num': 3 }],
            sink: [{ plugin_name: 'Blackhole' }],
          },
        },
      },
      'operator',
    );
    expect(made.errors).toBeUndefined();
    const waiting = await startJob(quick);
    // That it waits is read from the slot accounting placement uses, not from a pause: the only slot
    // is taken (by the hung run, the only other live one), so nothing can place the second run.
    const slots = await server.graphql(
      `{ overview { slotsTotal slotsAvailable runsRunning } }`,
      {},
      'viewer',
    );
    expect(slots.data.overview).toEqual({ slotsTotal: 1, slotsAvailable: 0, runsRunning: 2 });
    expect(await runStatus(hungRun)).toBe('RUNNING');
    expect(await runStatus(waiting)).toBe('CREATED');

    const cancel = await server.graphql(
      `mutation($id: ID!) { cancelJob(input: { runId: $id }) { run { status } } }`,
      { id: hungRun },
      'operator',
    );
    expect(cancel.errors).toBeUndefined();
    expect(await waitForRun(hungRun, ['CANCELED', 'FAILED', 'FINISHED'], 60_000)).toBe('CANCELED');
    expect(await waitForRun(waiting, ['FINISHED', 'FAILED', 'CANCELED'], 60_000)).toBe('FINISHED');
    expect((await server.health()).ok).toBe(true);
  }

  it('a Jdbc source on a server that never answers a statement', async () => {
    const fake = await halfOpenPostgres();
    const made = await server.graphql(CREATE, { input: jdbcJob('hangs', fake.port) }, 'admin');
    expect(made.errors).toBeUndefined();
    const runId = await startJob('hangs', 'admin');
    await waitForRun(runId, ['RUNNING']);
    // The run is RUNNING before its Jdbc source connects, so the connection is waited for on its own.
    await until('the Jdbc source to connect', () => fake.open() === 1, { timeoutMs: 60_000, intervalMs: 50 });
    await cancelAndCheckSlot(runId);
    // What the abandoned attempt held is closed behind it, and the server lives on.
    await until('the hung connection to close', () => fake.open() === 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect((await server.health()).ok).toBe(true);
    const lines = await server.graphql(
      `query($id: ID!) { logLines(runId: $id, first: 100) { nodes { message } } }`,
      { id: runId },
      'viewer',
    );
    // The Jdbc source closes its connection when the cancel fires; were it to hang anyway, the node
    // abandons the attempt after the grace and says so. Either way the run's log says nothing else.
    expect(JSON.stringify(lines.data)).not.toMatch(/Unexpected|INTERNAL/);
  });

  it('a Jdbc source on a TCP port that accepts and stays silent', async () => {
    const fake = await silentPort();
    const made = await server.graphql(CREATE, { input: jdbcJob('silent', fake.port) }, 'admin');
    expect(made.errors).toBeUndefined();
    const runId = await startJob('silent', 'admin');
    await waitForRun(runId, ['RUNNING']);
    await cancelAndCheckSlot(runId);
  });

  it('a Jdbc source on a server that ends the connection during its start-up fails alone', async () => {
    // The driver's start-up query is the one whose failure used to escape as an unhandled
    // rejection and end the whole server.
    const fake = await terminatingPostgres();
    const made = await server.graphql(CREATE, { input: jdbcJob('terminated', fake.port) }, 'admin');
    expect(made.errors).toBeUndefined();
    const runId = await startJob('terminated', 'admin');
    expect(await waitForRun(runId, ['FINISHED', 'FAILED', 'CANCELED'], 60_000)).toBe('FAILED');
    expect(server.process.child.exitCode).toBeNull();
    expect((await server.health()).ok).toBe(true);
    expect(server.process.output()).toMatch(/failed during its start-up/);
  });

  it('a shell command that ignores SIGTERM', async () => {
    const made = await server.graphql(
      CREATE,
      {
        input: {
          name: 'stubborn',
          command: { command: `trap '' TERM; echo started; while true; do sleep 1; done` },
        },
      },
      'admin',
    );
    expect(made.errors).toBeUndefined();
    const runId = await startJob('stubborn', 'admin');
    await waitForRun(runId, ['RUNNING']);
    await cancelAndCheckSlot(runId);
  });
});

// The two servers the fan-out benchmark compares, behind one shape: a `jobgate serve` gateway, and
// the bare `ws` broadcast (ws-broadcast.ts) that the writer feeds each committed statement over IPC.
import { fileURLToPath } from 'node:url';
import { startGateway, type WrittenBatch } from '../subscriptions-support.ts';
import { progress } from './main.ts';
import { running } from './processes.ts';
import { spawnWithOpenFiles } from './subscribers.ts';
import type { BroadcastLines } from './ws-broadcast.ts';

const BROADCAST = fileURLToPath(new URL('./ws-broadcast.ts', import.meta.url));

export type ServerKind = 'jobgate' | 'ws';

export interface FanoutServer {
  pid: number;
  wsUrl: string;
  /** Called after each statement committed (the baseline's feed; jobgate reads PostgreSQL itself). */
  onBatch(batch: WrittenBatch): void;
  stop(): Promise<void>;
}

async function startBroadcast(): Promise<FanoutServer> {
  const child = spawnWithOpenFiles(process.execPath, ['--import', 'tsx', BROADCAST], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`ws broadcast exited (${code}) before listening`)));
  });
  return {
    pid: child.pid!,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    onBatch(batch) {
      const message: BroadcastLines = { type: 'lines', cursor: String(batch.last), lines: batch.lines };
      child.send(message);
    },
    async stop() {
      if (!running(child)) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** `jobgate serve --no-node` on the bench database, or the bare broadcast. */
export async function startFanoutServer(
  kind: ServerKind,
  databaseUrl: string,
  dataDir: string,
): Promise<FanoutServer> {
  if (kind === 'ws') return startBroadcast();
  const gateway = await startGateway({ databaseUrl, dataDir });
  return {
    pid: gateway.pid,
    wsUrl: gateway.wsUrl,
    onBatch: () => {},
    stop: async () => {
      const code = await gateway.stop();
      if (code !== 0 && code !== null)
        progress(`gateway exited with ${code}:\n${gateway.output().slice(-2000)}`);
    },
  };
}

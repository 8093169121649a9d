/**
 * Pull-based line reading of a local file: the LocalFile source asks for up to n lines per batch, so
 * memory stays at one read chunk however large the file is.
 */
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK = 256 * 1024;

export class LineReader {
  private handle?: FileHandle;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  private pending: string[] = [];
  private pendingAt = 0;
  private partial = '';
  private eof = false;

  /** `openFile` opens the file (the LocalFile source passes its file guard's checked open). */
  constructor(
    private readonly path: string,
    private readonly openFile: (path: string) => Promise<FileHandle> = (p) => open(p, 'r'),
  ) {}

  /** Up to `max` lines (without their line ending); an empty array means the file is exhausted. */
  async next(max: number): Promise<string[]> {
    while (this.pendingAt >= this.pending.length && !this.eof) await this.fill();
    const from = this.pendingAt;
    const to = Math.min(this.pending.length, from + max);
    this.pendingAt = to;
    return this.pending.slice(from, to);
  }

  private async fill(): Promise<void> {
    this.handle ??= await this.openFile(this.path);
    const { bytesRead } = await this.handle.read(this.chunk, 0, CHUNK, null);
    let text: string;
    if (bytesRead === 0) {
      this.eof = true;
      text = this.partial + this.decoder.decode();
      this.pending = text === '' ? [] : [stripCr(text)];
      this.partial = '';
    } else {
      text = this.partial + this.decoder.decode(this.chunk.subarray(0, bytesRead), { stream: true });
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      this.pending = lines.map(stripCr);
    }
    this.pendingAt = 0;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Console sink: writes rows to the job's log (at-least-once). Per batch it logs one summary line and,
 * when `log.print.data` is true (default), the first `log.print.rows` rows (default 5) at info, so a
 * fast pipeline does not drown its log. `log.print.delay.ms` (default 0) pauses after each batch,
 * for demos. The row totals are logged at finish.
 */
import type { Row, SinkPlugin, SinkWriter } from './types.ts';
import { readBoolean, readInt, sleep, type Options } from './options.ts';

function parseConsole(options: Options) {
  return {
    printData: readBoolean(options, 'log.print.data') ?? true,
    printRows: readInt(options, 'log.print.rows', { min: 0 }) ?? 5,
    delayMs: readInt(options, 'log.print.delay.ms', { min: 0 }) ?? 0,
  };
}

export const consoleSink: SinkPlugin = {
  name: 'Console',
  exactlyOnce: false,
  validate(options) {
    parseConsole(options);
  },
  async open(options, ctx) {
    const config = parseConsole(options);
    const log = ctx.logger.child({ vertex: ctx.vertex, subtaskIndex: ctx.subtaskIndex });
    let total = 0;
    let batches = 0;
    const writer: SinkWriter = {
      async write(rows: Row[]) {
        if (rows.length === 0) return;
        const first = total;
        total += rows.length;
        batches++;
        log.info({ rows: rows.length, total }, 'console sink batch');
        if (config.printData) {
          const shown = Math.min(rows.length, config.printRows);
          for (let i = 0; i < shown; i++) log.info({ rowIndex: first + i + 1, row: rows[i] }, 'row');
        }
        await sleep(config.delayMs, ctx.signal);
      },
      async flush() {},
      async finish() {
        log.info({ total, batches }, 'console sink finished');
      },
      async close() {},
    };
    return writer;
  },
};

/**
 * Blackhole sink (Flink's `blackhole` connector): accepts and discards every row. For measuring a
 * pipeline without a sink's cost, and for dry runs.
 */
import type { SinkPlugin } from './types.ts';

export const blackholeSink: SinkPlugin = {
  name: 'Blackhole',
  exactlyOnce: true, // nothing lands, so nothing can land twice
  validate() {},
  async open() {
    return { write: async () => {}, flush: async () => {}, close: async () => {} };
  },
};

// Subtask metrics of running pipelines, with per-second record rates computed between two reports
// (the runner keeps only totals; the rate needs the previous report's totals).
import type { Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { writeMetrics, type SubtaskMetricSample } from '../sql/write-metrics.ts';

const RATED = new Set(['numRecordsIn', 'numRecordsOut']);

/** One running pipeline's metrics: its totals, plus a rate for each record counter. */
export class MetricRates {
  private previous = new Map<string, number>();

  /**
   * @param read the runner's current totals
   * @param intervalMs the time between two reports, which the rates are per second of
   */
  constructor(
    private readonly read: () => SubtaskMetricSample[],
    private readonly intervalMs: number,
  ) {}

  /** The totals and their rates since the previous call. */
  sample(): SubtaskMetricSample[] {
    const seconds = this.intervalMs / 1000;
    const previous = this.previous;
    this.previous = new Map();
    const samples: SubtaskMetricSample[] = [];
    for (const s of this.read()) {
      samples.push(s);
      const key = `${s.vertexId}:${s.name}`;
      this.previous.set(key, s.value);
      if (RATED.has(s.name)) {
        samples.push({
          ...s,
          name: `${s.name}PerSecond`,
          value: Math.max(0, (s.value - (previous.get(key) ?? 0)) / seconds),
        });
      }
    }
    return samples;
  }
}

/** Each database's writes of metrics from this process, chained: see reportMetricRates. */
const pending = new WeakMap<Database, Promise<void>>();

/**
 * Writes the metrics of these pipelines in one flush; a failed write is logged, not thrown (the
 * next report carries newer totals). The totals are sampled at the call and the writes go out in
 * the order of the calls: a write is an upsert of the latest totals, so a timer's report still in
 * flight when a pipeline's final report is sampled must not commit after it (the final totals would
 * be overwritten by older ones, with no report left to correct them).
 */
export function reportMetricRates(
  database: Database,
  log: Logger,
  entries: Iterable<{ metrics?: MetricRates }>,
): Promise<void> {
  const samples: SubtaskMetricSample[] = [];
  for (const entry of entries) for (const s of entry.metrics?.sample() ?? []) samples.push(s);
  const previous = pending.get(database) ?? Promise.resolve();
  const written = previous.then(async () => {
    if (samples.length === 0) return;
    await writeMetrics(database, samples).catch((err: unknown) =>
      log.warn({ err: coerceError(err) }, 'metrics write failed'),
    );
  });
  pending.set(database, written);
  return written;
}

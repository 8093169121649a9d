// Flink's metric answers (MetricCollectionResponseBody, AggregatedMetricsResponseBody): a bare JSON
// array, not the `{"metrics": [...]}` the spec shows. Without `get` it lists the available ids;
// with `get=a,b` it answers the named ones that exist, values as strings, unknown names dropped.
import type { RouteCall } from '../core/index.ts';
import { flinkJson } from './respond.ts';

/** The names of `get` (repeated parameters are joined with `,`, as Flink does), or undefined. */
function requested(url: URL): string[] | undefined {
  const values = url.searchParams.getAll('get');
  if (values.length === 0) return undefined;
  return values
    .join(',')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The answer to a metrics route from what the component has (name → value). */
export function metricsAnswer(call: RouteCall, available: ReadonlyMap<string, number | string>): Response {
  const names = requested(call.url);
  if (!names)
    return flinkJson(
      [...available.keys()].map((id) => ({ id })),
      call.ctx,
    );
  const answer = names.flatMap((id) => {
    const value = available.get(id);
    return value === undefined ? [] : [{ id, value: String(value) }];
  });
  return flinkJson(answer, call.ctx);
}

const AGGREGATIONS = ['min', 'max', 'avg', 'sum', 'skew'] as const;
type Aggregation = (typeof AGGREGATIONS)[number];

function aggregate(values: readonly number[]): Record<Aggregation, number> {
  const sum = values.reduce((a, b) => a + b, 0);
  const avg = values.length ? sum / values.length : 0;
  const max = values.length ? Math.max(...values) : 0;
  const min = values.length ? Math.min(...values) : 0;
  // How far the busiest subtask is above the average, in percent (0 when all are idle).
  const skew = avg === 0 ? 0 : ((max - avg) / avg) * 100;
  return { min, max, avg, sum, skew };
}

/** A double as Flink's Jackson writes it: NaN and the infinities quoted ("NaN"), which JSON has no
 * numbers for (JSON.stringify would write null). */
function jacksonDouble(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** The aggregated answer over components (`/subtasks/metrics`, `/taskmanagers/metrics`): per named
 * metric `{id, min, max, avg, sum, skew}`, only the aggregations `agg=` names (all by default). */
export function aggregatedAnswer(
  call: RouteCall,
  components: readonly ReadonlyMap<string, number>[],
): Response {
  const names = requested(call.url);
  const ids = [...new Set(components.flatMap((c) => [...c.keys()]))];
  if (!names)
    return flinkJson(
      ids.map((id) => ({ id })),
      call.ctx,
    );
  const aggParam = call.url.searchParams.getAll('agg').join(',');
  const wanted = aggParam
    ? AGGREGATIONS.filter((a) => aggParam.toLowerCase().split(',').includes(a))
    : AGGREGATIONS;
  const answer = names.flatMap((id) => {
    const values = components.flatMap((c) => (c.has(id) ? [c.get(id)!] : []));
    if (values.length === 0) return [];
    const all = aggregate(values);
    return [{ id, ...Object.fromEntries(wanted.map((a) => [a, jacksonDouble(all[a])])) }];
  });
  return flinkJson(answer, call.ctx);
}

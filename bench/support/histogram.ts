// A latency histogram that merges across processes: 0.1 ms buckets up to 100 ms, 1 ms buckets up to
// 10 s, 10 ms buckets beyond (the largest value is kept exactly). Client processes fill one each and
// send it as JSON; percentiles come from the merged counts, to the resolution of the bucket.

const FINE_LIMIT_MS = 100;
const MID_LIMIT_MS = 10_000;
const FINE_BUCKETS = FINE_LIMIT_MS * 10;
const MID_BUCKETS = MID_LIMIT_MS - FINE_LIMIT_MS;

function bucketOf(ms: number): number {
  const v = Math.max(0, ms);
  if (v < FINE_LIMIT_MS) return Math.floor(v * 10);
  if (v < MID_LIMIT_MS) return FINE_BUCKETS + Math.floor(v - FINE_LIMIT_MS);
  return FINE_BUCKETS + MID_BUCKETS + Math.floor((v - MID_LIMIT_MS) / 10);
}

/** The upper edge of a bucket, in ms (what a percentile in it is reported as). */
function upperEdgeOf(bucket: number): number {
  if (bucket < FINE_BUCKETS) return (bucket + 1) / 10;
  if (bucket < FINE_BUCKETS + MID_BUCKETS) return FINE_LIMIT_MS + (bucket - FINE_BUCKETS) + 1;
  return MID_LIMIT_MS + (bucket - FINE_BUCKETS - MID_BUCKETS + 1) * 10;
}

/** The JSON form: sparse counts by bucket, the count, the sum and the largest value. */
export interface HistogramData {
  counts: Record<string, number>;
  n: number;
  sum: number;
  max: number;
}

export interface Histogram {
  /** Adds a value; one that is not finite (an unknown start) is not recorded. */
  record(ms: number): void;
  merge(data: HistogramData): void;
  /** Nearest-rank percentile, as the upper edge of its bucket (never above the largest value). */
  percentile(p: number): number;
  readonly n: number;
  mean(): number;
  max(): number;
  toJSON(): HistogramData;
}

export function createHistogram(): Histogram {
  const counts = new Map<number, number>();
  let n = 0;
  let sum = 0;
  let max = -Infinity;
  return {
    record(ms) {
      if (!Number.isFinite(ms)) return;
      const b = bucketOf(ms);
      counts.set(b, (counts.get(b) ?? 0) + 1);
      n++;
      sum += ms;
      if (ms > max) max = ms;
    },
    merge(data) {
      for (const [b, c] of Object.entries(data.counts))
        counts.set(Number(b), (counts.get(Number(b)) ?? 0) + c);
      n += data.n;
      sum += data.sum;
      if (data.max > max) max = data.max;
    },
    percentile(p) {
      if (n === 0) return NaN;
      const rank = Math.max(1, Math.ceil((p / 100) * n));
      let seen = 0;
      for (const b of [...counts.keys()].sort((x, y) => x - y)) {
        seen += counts.get(b)!;
        if (seen >= rank) return Math.min(upperEdgeOf(b), max);
      }
      return max;
    },
    get n() {
      return n;
    },
    mean: () => (n ? sum / n : NaN),
    max: () => (n ? max : NaN),
    toJSON: () => ({ counts: Object.fromEntries(counts), n, sum, max: n ? max : 0 }),
  };
}

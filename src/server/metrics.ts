import { sql } from 'drizzle-orm';
import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/client.ts';

export interface Prometheus {
  /** Counts and times GraphQL operations (every way in: HTTP, WebSocket, in-process). */
  plugin: Plugin;
  /** The answer to GET /metrics. */
  scrape(): Promise<Response>;
}

/** Prometheus metrics on /metrics: process defaults, GraphQL operations, and jobgate's own gauges
 * (read from the database on each scrape, one statement). */
export function createPrometheus(
  database: Database,
  options: {
    documentCache?: () => { entries: number; chars: number };
    /** Open WebSocket sockets (subscriptions.ts). */
    sockets?: () => number;
    /** Who holds the realtime event feed (subscriptions and waits); 0 when idle. */
    eventFeed?: () => { subscribers: number; waiters: number };
    /** Results of shared subscription events: executed, or reused for another subscriber. */
    sharedResults?: () => { executed: number; reused: number };
    /** POST /graphql requests the direct path took (graphql-post.ts): answered there, or handed to yoga. */
    graphqlPost?: () => { direct: number; handedToYoga: number };
  } = {},
): Prometheus {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'jobgate_' });
  const operations = new Counter({
    name: 'jobgate_graphql_operations_total',
    help: 'GraphQL operations executed, by type and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'jobgate_graphql_operation_seconds',
    help: 'GraphQL operation execution time',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'jobgate_runs',
    help: 'Runs by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await database.execute<{ status: string; n: number }>(
        sql`select status, count(*)::int as n from runs group by status`,
      );
      this.reset();
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });

  const documentCache = options.documentCache;
  if (documentCache) {
    new Gauge({
      name: 'jobgate_graphql_document_cache_entries',
      help: 'Documents in the parse/validate cache (only those that passed auth and every limit)',
      registers: [registry],
      collect() {
        this.set(documentCache().entries);
      },
    });
  }

  const { sockets, eventFeed, sharedResults, graphqlPost } = options;
  if (graphqlPost) {
    new Gauge({
      name: 'jobgate_graphql_post_direct',
      help:
        "POST /graphql requests taken without yoga's HTTP layer since start: answered directly " +
        '(answered), or handed to yoga after the body was read (handed_to_yoga)',
      labelNames: ['outcome'] as const,
      registers: [registry],
      collect() {
        const stats = graphqlPost();
        this.set({ outcome: 'answered' }, stats.direct);
        this.set({ outcome: 'handed_to_yoga' }, stats.handedToYoga);
      },
    });
  }
  if (sharedResults) {
    new Gauge({
      name: 'jobgate_subscription_shared_results',
      help:
        'Results of events many subscribers share (log batches) since start: executed once per ' +
        'distinct operation (executed), or reused for another subscriber (reused)',
      labelNames: ['outcome'] as const,
      registers: [registry],
      collect() {
        const stats = sharedResults();
        this.set({ outcome: 'executed' }, stats.executed);
        this.set({ outcome: 'reused' }, stats.reused);
      },
    });
  }
  if (sockets) {
    new Gauge({
      name: 'jobgate_websocket_sockets',
      help: 'Open WebSocket sockets on /graphql',
      registers: [registry],
      collect() {
        this.set(sockets());
      },
    });
  }
  if (eventFeed) {
    new Gauge({
      name: 'jobgate_event_feed_readers',
      help: 'Readers of the realtime event feed: subscriptions (subscriber) and waits (waiter)',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        const stats = eventFeed();
        this.set({ kind: 'subscriber' }, stats.subscribers);
        this.set({ kind: 'waiter' }, stats.waiters);
      },
    });
  }

  const plugin: Plugin = {
    onExecute({ args }) {
      const op = (args.document as DocumentNode).definitions.find((d) => d.kind === 'OperationDefinition');
      const operation = op && 'operation' in op ? op.operation : 'unknown';
      const stop = duration.startTimer({ operation });
      return {
        onExecuteDone({ result }) {
          stop();
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          operations.inc({ operation, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
  const scrape = async () =>
    new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
  return { plugin, scrape };
}

/**
 * Prometheus metrics at /metrics: request counts and latencies per route, process metrics, and
 * the job queue's figures (due, age of the oldest due job, running, failed), read at each scrape.
 */
import type { FastifyInstance } from 'fastify';
import type { Histogram, Registry } from 'prom-client';

export interface QueueFigures {
  due: number;
  oldestDueSeconds: number;
  running: number;
  failed: number;
}

export interface Metrics {
  registry: Registry;
  requests: Histogram<'method' | 'route' | 'status'>;
  /** where the queue gauges read their figures (set by registerMetrics) */
  queue: { source: (() => Promise<QueueFigures>) | null };
}

export async function createMetrics(): Promise<Metrics> {
  const { default: client } = await import('prom-client');
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Histogram({
    name: 'orderdesk_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const queue: Metrics['queue'] = { source: null };
  const gauges = {
    due: new client.Gauge({
      name: 'orderdesk_jobs_due',
      help: 'jobs due now and not running',
      registers: [registry],
    }),
    oldestDueSeconds: new client.Gauge({
      name: 'orderdesk_jobs_oldest_due_age_seconds',
      help: 'seconds the oldest due job has waited (0 when none)',
      registers: [registry],
    }),
    running: new client.Gauge({
      name: 'orderdesk_jobs_running',
      help: 'jobs held by a worker',
      registers: [registry],
    }),
    failed: new client.Gauge({
      name: 'orderdesk_jobs_failed',
      help: 'jobs failed for good, waiting for an operator (GET /admin/v1/jobs)',
      registers: [registry],
    }),
  };
  // one query per scrape, before the registry renders (a collect callback per gauge would be four)
  const render = registry.metrics.bind(registry);
  registry.metrics = async () => {
    if (queue.source) {
      const f = await queue.source();
      for (const k of Object.keys(gauges) as (keyof QueueFigures)[]) gauges[k].set(f[k]);
    }
    return render();
  };
  return { registry, requests, queue };
}

type Labels = { method: string; route: string; status: string };

/**
 * prom-client is loaded after the first answer (or at the first scrape), not at start
 * (bench/startup); the requests answered before it is there are counted when it is.
 */
export function registerMetrics(app: FastifyInstance, given?: Metrics, queue?: () => Promise<QueueFigures>) {
  let m: Metrics | undefined = given;
  let loading: Promise<Metrics> | undefined;
  const early: [Labels, number][] = [];
  const load = () =>
    (loading ??= (given ? Promise.resolve(given) : createMetrics()).then((made) => {
      if (queue) made.queue.source = queue;
      for (const [labels, seconds] of early.splice(0)) made.requests.observe(labels, seconds);
      m = made;
      return made;
    }));
  if (given) void load();
  app.addHook('onResponse', async (req, reply) => {
    const labels = {
      method: req.method,
      route: req.routeOptions.url ?? 'unknown',
      status: String(reply.statusCode),
    };
    if (m) {
      m.requests.observe(labels, reply.elapsedTime / 1000);
      return;
    }
    early.push([labels, reply.elapsedTime / 1000]);
    void load();
  });
  return {
    /** Prometheus' text format, version 0.0.4 (prom-client's Registry.PROMETHEUS_CONTENT_TYPE) */
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    render: async () => (await load()).registry.metrics(),
  };
}

/**
 * Prometheus metrics at /metrics: request counts and latencies per route, process metrics, and
 * the job queue's figures (due, age of the oldest due job, running, failed), read at each scrape.
 */
import type { FastifyInstance } from 'fastify';
import client from 'prom-client';

export interface QueueFigures {
  due: number;
  oldestDueSeconds: number;
  running: number;
  failed: number;
}

export interface Metrics {
  registry: client.Registry;
  requests: client.Histogram<'method' | 'route' | 'status'>;
  /** where the queue gauges read their figures (set by registerMetrics) */
  queue: { source: (() => Promise<QueueFigures>) | null };
}

export function createMetrics(): Metrics {
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

export function registerMetrics(app: FastifyInstance, given?: Metrics, queue?: () => Promise<QueueFigures>) {
  const m = given ?? createMetrics();
  if (queue) m.queue.source = queue;
  app.addHook('onResponse', async (req, reply) => {
    m.requests.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  return { contentType: m.registry.contentType, render: () => m.registry.metrics() };
}

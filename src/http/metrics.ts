/** Prometheus metrics at /metrics: request counts and latencies per route, plus process metrics. */
import type { FastifyInstance } from 'fastify';
import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  requests: client.Histogram<'method' | 'route' | 'status'>;
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
  return { registry, requests };
}

export function registerMetrics(app: FastifyInstance, given?: Metrics) {
  const m = given ?? createMetrics();
  app.addHook('onResponse', async (req, reply) => {
    m.requests.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  return { contentType: m.registry.contentType, render: () => m.registry.metrics() };
}

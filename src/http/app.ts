/**
 * The Fastify app: error envelope, request ids, JSON logs, OpenAPI from the route schemas, auth
 * per API (customer /v1, operator /admin/v1), rate limits, idempotency, health and metrics.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Deps } from '../app/deps.ts';
import { findStockAlert } from '../app/inventory/create-stock-alert.ts';
import { jobQueueStats } from '../app/job-queue/queue-stats.ts';
import { findOrder } from '../app/orders/find-order.ts';
import { findSubuser } from '../app/subusers/find-subuser.ts';
import { findWebhookEndpoint } from '../app/webhooks/create-webhook-endpoint.ts';
import { stringify } from '../contract/json.ts';
import { presentOrder } from '../contract/order.ts';
import { presentAlert } from '../contract/stock-alert.ts';
import { presentSubuser } from '../contract/subuser.ts';
import { presentWebhookEndpoint } from '../contract/webhook-endpoint.ts';
import { adminAuth, customerAuth } from './auth.ts';
import { registerConsole } from './console.ts';
import { errorHandler, frameworkErrorHandler, notFoundHandler } from './errors.ts';
import { type ResourceRenderer, registerIdempotency } from './idempotency.ts';
import { type Metrics, registerMetrics } from './metrics.ts';
import { docsOptions, openapiOptions } from './openapi.ts';
import { rateLimitBackend } from './rate-limit.ts';
import { type ResponseMismatch, validateResponses } from './response-validation.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminClockRoutes, type ClockAdvancer } from './routes/admin-clock.ts';
import { adminContractDiscountRoutes } from './routes/admin-contract-discounts.ts';
import { adminInventoryRoutes } from './routes/admin-inventory.ts';
import { adminJobRoutes } from './routes/admin-jobs.ts';
import { adminKycVoucherRoutes } from './routes/admin-kyc-vouchers.ts';
import { adminOrderRoutes } from './routes/admin-orders.ts';
import { adminPriceBookRoutes } from './routes/admin-price-book.ts';
import { adminSettlementRoutes } from './routes/admin-settlement.ts';
import { adminSuspensionRoutes } from './routes/admin-suspension.ts';
import { adminTokenRoutes } from './routes/admin-tokens.ts';
import { adminUsageRoutes } from './routes/admin-usage.ts';
import { alertRoutes } from './routes/alerts.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { autoTopUpRoutes } from './routes/auto-top-ups.ts';
import { billingRoutes } from './routes/billing.ts';
import { customerRoutes } from './routes/customer.ts';
import { ispBatchRoutes } from './routes/isp-batches.ts';
import { ispInventoryRoutes } from './routes/isp-inventory.ts';
import { kycRoutes } from './routes/kyc.ts';
import { orderRoutes } from './routes/orders.ts';
import { paymentMethodRoutes } from './routes/payment-methods.ts';
import { priceRoutes } from './routes/prices.ts';
import { reportRoutes } from './routes/reports.ts';
import { reservedInstanceRoutes } from './routes/reserved-instances.ts';
import { serverRoutes } from './routes/servers.ts';
import { sessionRoutes } from './routes/session.ts';
import { statementRoutes } from './routes/statements.ts';
import { subuserRoutes } from './routes/subusers.ts';
import { voucherRoutes } from './routes/vouchers.ts';
import { adminWebhookEndpointRoutes, webhookEndpointRoutes } from './routes/webhook-endpoints.ts';
import { BODY_TYPES, bodyAsDeclared, jsonBodyParser, rejectUnstorableText } from './schemas.ts';
import { metricsGuard, registerSecurityHeaders } from './security.ts';

export interface AppOptions {
  /** Fastify logger options (tests) */
  logger?: boolean | object;
  /** a ready pino logger (the server) */
  loggerInstance?: import('fastify').FastifyBaseLogger;
  metrics?: Metrics;
  /** serve the web console from web/dist when it is built (default true) */
  console?: boolean;
  /** the console's built files (default web/dist) */
  consoleDir?: string;
  /** POST /admin/v1/clock/advance: moves the test clock and runs the jobs due (jobs/advance-clock.ts) */
  advanceClock?: ClockAdvancer;
  /** tests: check every response against the document, each mismatch reported here */
  validateResponses?: (mismatch: ResponseMismatch) => void;
}

const serializer = () => (data: unknown) => stringify(data);

export async function buildApp(deps: Deps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    genReqId: () => `req_${randomBytes(10).toString('hex')}`,
    requestIdHeader: false,
    bodyLimit: 2 * 1024 * 1024,
    frameworkErrors: frameworkErrorHandler,
    // zod validates and our serializer writes: given here, Fastify never loads Ajv and
    // fast-json-stringify's compilers (a fifth of a restart's CPU, bench/startup)
    schemaController: {
      // (typed for Ajv's compilers; Fastify calls them as it calls setValidatorCompiler's)
      compilersFactory: {
        buildValidator: (() => validatorCompiler) as never,
        buildSerializer: (() => serializer) as never,
      },
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  // response schemas document the API; the money-aware serializer writes the bodies
  app.setSerializerCompiler(serializer);
  app.setReplySerializer((data) => stringify(data));
  app.setErrorHandler(errorHandler);
  // security headers and no-store (security.ts); rate-limit counters in Redis or here (rate-limit.ts)
  await registerSecurityHeaders(app);
  const limits = await rateLimitBackend(deps.config, deps.log);
  app.decorate('authThrottle', limits.authThrottle);
  app.addHook('onClose', () => limits.close());
  // the console's own routes load index.html on a reload; everything else is the API's 404
  const consoleFallback = opts.console === false ? null : await registerConsole(app, opts.consoleDir);
  app.setNotFoundHandler((req, res) => {
    if (consoleFallback?.(req, res)) return;
    return notFoundHandler(req, res);
  });
  app.addContentTypeParser(BODY_TYPES, { parseAs: 'string' }, jsonBodyParser(app));
  app.addHook('preValidation', rejectUnstorableText);
  app.addHook('preValidation', bodyAsDeclared);
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('Request-Id', req.id);
    return payload;
  });

  if (opts.validateResponses) validateResponses(app, opts.validateResponses);
  // the console's session cookie (routes/session.ts sets it, auth.ts reads it)
  await app.register(cookie);
  await app.register(swagger, openapiOptions());
  await app.register(swaggerUi, docsOptions());
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const metrics = registerMetrics(app, opts.metrics, () => jobQueueStats(deps));
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, res) => {
    try {
      await deps.db.query('SELECT 1');
      return { status: 'ready' };
    } catch {
      return res.code(503).send({ status: 'unavailable' });
    }
  });
  app.get(
    '/metrics',
    { schema: { hide: true }, onRequest: metricsGuard(deps.config.metricsToken) },
    async (_req, res) =>
      res
        .type(metrics.contentType)
        .serializer((p: unknown) => p as string)
        .send(await metrics.render()),
  );

  // console sessions: sign-up and login need no credentials; their own limits (login: per address)
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false, hook: 'onRequest', ...limits.storeOptions('login') });
    sessionRoutes(scope, deps);
  });

  // customer API
  await app.register(async (scope) => {
    scope.addHook('onRequest', customerAuth(deps));
    await scope.register(rateLimit, {
      // before the Idempotency-Key is claimed (a preHandler): a 429 must leave the key free for the retry
      hook: 'onRequest',
      global: true,
      ...limits.storeOptions('account'),
      timeWindow: deps.config.rateLimit.windowMs,
      max: (req: FastifyRequest) =>
        req.method === 'GET' ? deps.config.rateLimit.readsPerSecond : deps.config.rateLimit.writesPerSecond,
      keyGenerator: (req: FastifyRequest) => `${req.accountId}:${req.method === 'GET' ? 'r' : 'w'}`,
    });
    registerIdempotency(scope, deps, (req) => req.accountId, {
      order: async (d, scopeId, id) => {
        const r = await findOrder(d, scopeId, id);
        return r.ok ? presentOrder(r.value.order) : null;
      },
      subuser: async (d, scopeId, id) => {
        const r = await findSubuser(d, scopeId, id);
        return r.ok ? presentSubuser(r.value) : null;
      },
      stock_alert: async (d, scopeId, id) => {
        const r = await findStockAlert(d, scopeId, id);
        return r.ok ? presentAlert(r.value) : null;
      },
      webhook_endpoint: renderEndpoint((scopeId) => scopeId),
    });
    orderRoutes(scope, deps);
    priceRoutes(scope, deps);
    reportRoutes(scope, deps);
    customerRoutes(scope, deps);
    paymentMethodRoutes(scope, deps);
    billingRoutes(scope, deps);
    statementRoutes(scope, deps);
    autoTopUpRoutes(scope, deps);
    subuserRoutes(scope, deps);
    kycRoutes(scope, deps);
    voucherRoutes(scope, deps);
    ispInventoryRoutes(scope, deps);
    ispBatchRoutes(scope, deps);
    serverRoutes(scope, deps);
    reservedInstanceRoutes(scope, deps);
    alertRoutes(scope, deps);
    apiKeyRoutes(scope, deps);
    webhookEndpointRoutes(scope, deps);
  });

  // operator API
  await app.register(async (scope) => {
    scope.addHook('onRequest', adminAuth(deps));
    // per operator token, before the Idempotency-Key is claimed (as for customers)
    await scope.register(rateLimit, {
      hook: 'onRequest',
      global: true,
      ...limits.storeOptions('admin'),
      timeWindow: deps.config.rateLimit.windowMs,
      max: deps.config.rateLimit.adminPerSecond,
      keyGenerator: (req: FastifyRequest) => req.adminId,
    });
    // operators' endpoints have no owner account
    registerIdempotency(scope, deps, () => 'admin', { webhook_endpoint: renderEndpoint(() => null) });
    adminRoutes(scope, deps);
    adminClockRoutes(scope, deps, opts.advanceClock);
    adminKycVoucherRoutes(scope, deps);
    adminContractDiscountRoutes(scope, deps);
    adminPriceBookRoutes(scope, deps);
    adminSuspensionRoutes(scope, deps);
    adminOrderRoutes(scope, deps);
    adminUsageRoutes(scope, deps);
    adminSettlementRoutes(scope, deps);
    adminInventoryRoutes(scope, deps);
    adminJobRoutes(scope, deps);
    adminWebhookEndpointRoutes(scope, deps);
    adminTokenRoutes(scope, deps);
  });

  return app;
}

/**
 * The takeover answer for a webhook endpoint whose creating request died before answering (its
 * secret was never shown, so it is shown now); `owner` maps the key's scope to the endpoint owner.
 */
function renderEndpoint(owner: (scopeId: string) => string | null): ResourceRenderer {
  return async (d, scopeId, id) => {
    const r = await findWebhookEndpoint(d, owner(scopeId), id);
    return r.ok ? presentWebhookEndpoint(r.value, { withSecret: true }) : null;
  };
}

/** Dedicated servers (SPEC §7): the order body for POST /v1/orders, list, retrieve, change, renew, unsubscribe. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps, IdempotencyLink } from '../../app/deps.ts';
import { changeServer } from '../../app/servers/change-server.ts';
import { convertServer } from '../../app/servers/convert-server.ts';
import { findServer, searchServers } from '../../app/servers/find-server.ts';
import type { PlaceServerOrderCommand } from '../../app/servers/place-server-order.ts';
import { renewServer } from '../../app/servers/renew-server.ts';
import { startServerTrial } from '../../app/servers/server-trial.ts';
import { TEMP_UPGRADE_MAX_HOURS } from '../../app/servers/temp-upgrade-pricing.ts';
import { tempUpgradeServer } from '../../app/servers/temp-upgrade-server.ts';
import { unsubscribeServer } from '../../app/servers/unsubscribe-server.ts';
import { listOf, page } from '../../contract/list.ts';
import { orderSchema, presentOrder } from '../../contract/order.ts';
import { presentServer, serverSchema } from '../../contract/server.ts';
import { SERVER_SPECS } from '../../domain/server-specs.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';

/** `POST /v1/orders` (and its quote) with `product: "server"`: one variant of the order body. */
export const serverOrderBody = z.strictObject({
  product: z.literal('server').describe('a dedicated server (ins_…), KYC required'),
  spec: z.enum(SERVER_SPECS).describe('s1.small, s1.medium, s1.large or s1.xlarge'),
  payment_mode: z
    .enum(['prepaid', 'postpaid'])
    .describe('prepaid: paid now for 1 or 12 months; postpaid: billed at the end of each hour'),
  months: z
    .union([z.literal(1), z.literal(12)])
    .optional()
    .describe('prepaid only: the term, 1 (default) or 12 months'),
  vouchers: z
    .array(z.string().min(1).max(64))
    .max(10)
    .optional()
    .describe('prepaid: vouchers (vch_…) to spend first, in this order'),
});

/** The use-case's input from a validated server body. */
export function serverOrderCommand(
  accountId: string,
  body: z.infer<typeof serverOrderBody>,
): Omit<PlaceServerOrderCommand, 'idem'> {
  return {
    accountId,
    input: {
      product: 'server',
      spec: body.spec,
      paymentMode: body.payment_mode,
      ...(body.months !== undefined ? { months: body.months } : {}),
    },
    vouchers: body.vouchers ?? [],
  };
}

const dryRunField = z
  .boolean()
  .optional()
  .describe('true: the order it would create, with every amount; nothing is charged or changed');

/** The body of an action that takes nothing but a dry run (unsubscribe). */
export const dryRunOnlyBody = z
  .strictObject({
    dry_run: z
      .boolean()
      .optional()
      .describe('true: the order it would create, with the refund; change nothing'),
  })
  .nullish();

/** What every action on one resource takes from its request: the account, the dry run, the key. */
export function actionOf(req: {
  accountId: string;
  body?: { dry_run?: boolean | undefined } | null;
  idem?: IdempotencyLink | undefined;
}): { accountId: string; dryRun: boolean; idem?: IdempotencyLink } {
  return {
    accountId: req.accountId,
    dryRun: req.body?.dry_run === true,
    ...(req.idem ? { idem: req.idem } : {}),
  };
}

/** What a paid server order can be refused with (SPEC §5, §7). */
const SERVER_ORDER_ERRORS = [
  'not_found',
  'invalid_state',
  'insufficient_balance',
  'account_suspended',
] as const;

export function serverRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/servers',
    {
      schema: {
        operationId: 'listServers',
        tags: ['servers'],
        summary: 'List servers, newest first',
        querystring: listQuery,
        response: { 200: listOf(serverSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchServers(deps, req.accountId, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentServer));
    },
  );
  r.get(
    '/v1/servers/:id',
    {
      schema: {
        operationId: 'getServer',
        tags: ['servers'],
        summary: 'Retrieve a server',
        params: idParam,
        response: { 200: serverSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findServer(deps, req.accountId, req.params.id), presentServer),
  );
  r.post(
    '/v1/servers/trial',
    {
      schema: {
        operationId: 'startServerTrial',
        tags: ['servers'],
        summary:
          'A free server for ORDERDESK_SERVER_TRIAL_HOURS (24 h by default), once per account, KYC required: a trial order; stopped at its end unless converted',
        body: z.strictObject({
          spec: z.enum(SERVER_SPECS).describe('s1.small, s1.medium, s1.large or s1.xlarge'),
          dry_run: dryRunField,
        }),
        response: { 200: orderSchema },
        errors: ['invalid_state', 'kyc_required', 'account_suspended', 'not_found'],
      },
    },
    async (req, res) => {
      const result = await startServerTrial(deps, {
        ...actionOf(req),
        spec: req.body.spec,
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/servers/:id/convert',
    {
      schema: {
        operationId: 'convertServer',
        tags: ['servers'],
        summary:
          'Turn a running trial into a prepaid server (1 or 12 months from now, paid like a new one) or a postpaid one (billed hourly; the balance rule applies): a convert order',
        params: idParam,
        body: z.strictObject({
          payment_mode: z.enum(['prepaid', 'postpaid']),
          months: z
            .union([z.literal(1), z.literal(12)])
            .optional()
            .describe('prepaid only: the term, 1 (default) or 12 months'),
          vouchers: z
            .array(z.string().min(1).max(64))
            .max(10)
            .optional()
            .describe('prepaid: vouchers (vch_…) to spend first, in this order'),
          dry_run: dryRunField,
        }),
        response: { 200: orderSchema },
        errors: [
          ...SERVER_ORDER_ERRORS,
          'kyc_required',
          'arrears_outstanding',
          'balance_below_threshold',
          'voucher_invalid',
          'voucher_not_applicable',
        ],
      },
    },
    async (req, res) => {
      const result = await convertServer(deps, {
        ...actionOf(req),
        serverId: req.params.id,
        paymentMode: req.body.payment_mode,
        ...(req.body.months !== undefined ? { months: req.body.months } : {}),
        vouchers: req.body.vouchers ?? [],
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/servers/:id/unsubscribe',
    {
      schema: {
        operationId: 'unsubscribeServer',
        tags: ['servers'],
        summary:
          'Stop a server now: an unsubscribe order with the old and the new configuration as two line items. A prepaid server’s remaining value (paid × unused / term, to the second) is refunded to where the money came from (card, vouchers, balance); a postpaid one is billed until the end of its last started hour; a trial stops',
        params: idParam,
        body: dryRunOnlyBody,
        response: { 200: orderSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const result = await unsubscribeServer(deps, {
        ...actionOf(req),
        serverId: req.params.id,
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/servers/:id/change',
    {
      schema: {
        operationId: 'changeServer',
        tags: ['servers'],
        summary:
          'Change a server’s spec (a change order with the old and the new configuration as two line items). Prepaid: for the rest of its term, pro-rated to the second, an upgrade charged and a downgrade refunded to its sources; postpaid: from now on, billed hourly at the new spec',
        params: idParam,
        body: z.strictObject({
          spec: z.enum(SERVER_SPECS).describe('the new spec'),
          dry_run: dryRunField,
        }),
        response: { 200: orderSchema },
        errors: SERVER_ORDER_ERRORS,
      },
    },
    async (req, res) => {
      const result = await changeServer(deps, {
        ...actionOf(req),
        serverId: req.params.id,
        spec: req.body.spec,
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/servers/:id/temp-upgrade',
    {
      schema: {
        operationId: 'tempUpgradeServer',
        tags: ['servers'],
        summary:
          'Run a higher spec for N hours, reverted automatically at the end: a prepaid server pays the monthly price difference × hours / 720, a postpaid one the higher hourly price (a temp_upgrade order with the old and the new configuration as two line items)',
        params: idParam,
        body: z.strictObject({
          spec: z.enum(SERVER_SPECS).describe('the higher spec'),
          hours: z
            .number()
            .int()
            .min(1)
            .max(TEMP_UPGRADE_MAX_HOURS)
            .describe(
              'how long: the same spec again extends the running window by this many hours; a higher one runs from now',
            ),
          dry_run: dryRunField,
        }),
        response: { 200: orderSchema },
        errors: SERVER_ORDER_ERRORS,
      },
    },
    async (req, res) => {
      const result = await tempUpgradeServer(deps, {
        ...actionOf(req),
        serverId: req.params.id,
        spec: req.body.spec,
        hours: req.body.hours,
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/servers/:id/renew',
    {
      schema: {
        operationId: 'renewServer',
        tags: ['servers'],
        summary: 'Extend a prepaid server’s term by 1 or 12 months at today’s price: a renew order',
        params: idParam,
        body: z.strictObject({
          months: z.union([z.literal(1), z.literal(12)]).describe('1 or 12 months'),
          dry_run: dryRunField,
        }),
        response: { 200: orderSchema },
        errors: SERVER_ORDER_ERRORS,
      },
    },
    async (req, res) => {
      const result = await renewServer(deps, {
        ...actionOf(req),
        serverId: req.params.id,
        months: req.body.months,
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
}

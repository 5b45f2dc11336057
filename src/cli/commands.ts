/**
 * The `orderdesk` commands (SPEC §11): each one parses its arguments and names the admin API call
 * that does it; the direct implementations (direct.ts) call the same use-cases and answer with
 * the same JSON. Argument mistakes are UsageErrors (exit 2); what a use-case refuses is a domain
 * error (exit 1). Nothing here imports the database or the use-cases.
 */
import fs from 'node:fs';
import { formatUsd } from '../domain/money.ts';
import { FULFILMENT_STATUSES, PAYMENT_STATUSES } from '../domain/order-states.ts';
import { PRODUCTS } from '../domain/products.ts';
import { UsageError } from './args.ts';
import {
  amountArg,
  type Column,
  type Command,
  type CommandInput,
  flag,
  LIST_FLAGS,
  listPage,
  oneOf,
  pageQuery,
  reasonArg,
  rows,
  seg,
  usd,
} from './command.ts';
import { accountCommands } from './commands/accounts.ts';
import { discountCommands } from './commands/discounts.ts';
import { operationCommands } from './commands/operations.ts';
import { settleCommands } from './commands/settle.ts';

export type { Command, CommandInput } from './command.ts';

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
type Json = any;

const VOUCHER_PRODUCTS = PRODUCTS;
const VOUCHER_STATUSES = ['active', 'expired', 'used_up'] as const;
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/;
const PRICE_USD = /^\d{1,9}(\.\d{1,4})?$/;

const one = (input: CommandInput) => input.positionals[0]!;

/** Cents as the API's JSON number (its decimal text, read back: 125.50 → 125.5). */
const jsonUsd = (cents: number) => Number(formatUsd(cents));

/** A refund (or its plan) in a few lines: the order's status and where the money goes. */
function refundText(j: Json): string {
  const p = j.refund ?? j;
  const vouchers = (p.to_vouchers as Json[]).map(
    (v) =>
      `  to voucher ${v.voucher_id}: ${usd(v.amount_usd)} USD${v.forfeited ? ' (expired: forfeited)' : ''}`,
  );
  return [
    j.refund
      ? `${j.id}  ${j.payment_status}  refunded ${usd(j.refunded_usd)} of ${usd(p.paid_total_usd)} USD  (${p.id} ${p.status})`
      : `${j.order}  dry run: would be ${p.resulting_payment_status}`,
    `  paid ${usd(p.paid_total_usd)} − already refunded ${usd(p.already_refunded_usd)} = refundable ${usd(p.refundable_usd)}; requested ${usd(p.requested_usd)}`,
    `  to card: ${usd(p.to_card_usd)} USD`,
    `  to balance: ${usd(p.to_balance_usd)} USD`,
    ...vouchers,
  ].join('\n');
}

const orderLine = (o: Json) =>
  `${o.id}  ${o.account}  ${o.product} ${o.type}  ${o.status}  ${o.payment_status}  total ${usd(o.total_usd)} USD  paid ${usd(o.paid_usd)} USD  ${o.created_at}`;

const ORDER_COLUMNS: Column[] = [
  { title: 'id', cell: (o) => o.id },
  { title: 'account', cell: (o) => o.account },
  { title: 'product', cell: (o) => o.product },
  { title: 'type', cell: (o) => o.type },
  { title: 'status', cell: (o) => o.status },
  { title: 'payment', cell: (o) => o.payment_status },
  { title: 'total USD', cell: (o) => usd(o.total_usd) },
  { title: 'paid USD', cell: (o) => usd(o.paid_usd) },
  { title: 'created', cell: (o) => o.created_at },
];

const priceLine = (p: Json) =>
  `${p.key.padEnd(32)} ${String(p.unit_price_usd).padStart(10)} USD/${p.unit}${p.changed_in_version === null ? '' : `  (v${p.changed_in_version})`}`;

const tokenState = (t: Json) => (t.revoked_at ? `revoked ${t.revoked_at}` : 'live');

function kycCommand(decision: 'approved' | 'rejected', verb: string): Command {
  return {
    path: ['kyc', verb],
    args: ['ACCOUNT_ID'],
    summary: `${decision === 'approved' ? 'Approve' : 'Reject'} an account's KYC`,
    flags: [{ name: 'reason', value: 'TEXT', description: 'shown to the customer with the decision' }],
    parse: (input) => ({ accountId: one(input), decision, reason: flag(input, 'reason') ?? null }),
    http: (p) => ({
      method: 'POST',
      path: `/admin/v1/accounts/${seg(p.accountId)}/kyc`,
      body: { decision, ...(p.reason !== null ? { reason: p.reason } : {}) },
    }),
    text: (a) => `${a.id}  kyc ${a.kyc_status}`,
  };
}

export interface InventoryImportArgs {
  file: string;
  text: string;
}

export interface OrderListArgs {
  limit: number;
  startingAfter?: string;
  account?: string;
  status?: string;
  paymentStatus?: string;
  product?: string;
}

export const commands: Command[] = [
  {
    path: ['serve'],
    args: [],
    summary: 'Start the server (API, console, workers), as npm start',
    flags: [],
    parse: () => null,
    serve: true,
    creates: true,
    text: () => '',
  },
  {
    path: ['migrate'],
    args: [],
    summary: 'Apply pending database migrations (creates the database in an empty DATA_DIR)',
    flags: [],
    parse: () => null,
    creates: true,
    text: (j) =>
      j.applied.length ? `applied migrations ${j.applied.join(', ')}` : 'database schema is up to date',
  },
  {
    path: ['demo', 'load'],
    args: [],
    summary: 'Load the demo account and ISP stock (as ORDERDESK_DEMO does at start); idempotent',
    flags: [],
    parse: () => null,
    creates: true,
    text: (j) =>
      `${j.email ? `demo account ${j.email} (password ${j.password}), API key ${j.api_key}` : 'demo account already there (its DATA_DIR/demo.json is gone)'}; ISP stock: ${j.stock_imported} IPs imported`,
  },
  ...accountCommands,
  {
    path: ['api-keys', 'create'],
    args: ['ACCOUNT_ID'],
    summary: 'Create an API key for an account (the key is shown this once)',
    flags: [{ name: 'name', value: 'NAME', description: 'a label for the key' }],
    parse: (input) => ({ accountId: one(input), name: flag(input, 'name') ?? null }),
    http: (p) => ({
      method: 'POST',
      path: `/admin/v1/accounts/${seg(p.accountId)}/api-keys`,
      body: p.name !== null ? { name: p.name } : {},
    }),
    text: (k) => `${k.id}  ${k.key}`,
  },
  {
    path: ['api-keys', 'list'],
    args: ['ACCOUNT_ID'],
    summary: "List an account's API keys (prefix only; revoked ones too)",
    flags: [],
    parse: one,
    http: (accountId: string) => ({ method: 'GET', path: `/admin/v1/accounts/${seg(accountId)}/api-keys` }),
    text: (j) =>
      rows(j)
        .map((k) => `${k.id}  ${k.key_prefix}…  ${tokenState(k)}`)
        .join('\n'),
    columns: [
      { title: 'id', cell: (k) => k.id },
      { title: 'name', cell: (k) => k.name ?? '-' },
      { title: 'prefix', cell: (k) => `${k.key_prefix}…` },
      { title: 'state', cell: tokenState },
      { title: 'created', cell: (k) => k.created_at },
    ],
  },
  {
    path: ['api-keys', 'revoke'],
    args: ['ACCOUNT_ID', 'KEY_ID'],
    summary: 'Revoke an API key: every request with it is refused from now on',
    flags: [],
    parse: (input) => input.positionals as [string, string],
    http: ([accountId, keyId]: [string, string]) => ({
      method: 'DELETE',
      path: `/admin/v1/accounts/${seg(accountId)}/api-keys/${seg(keyId)}`,
    }),
    text: (k) => `${k.id} revoked at ${k.revoked_at}`,
  },
  {
    path: ['admin-tokens', 'create'],
    args: [],
    summary: 'Create an operator token for the admin API (the token is shown this once)',
    flags: [{ name: 'name', value: 'NAME', description: 'who or what uses it' }],
    parse: (input) => flag(input, 'name') ?? null,
    http: (name: string | null) => ({
      method: 'POST',
      path: '/admin/v1/admin-tokens',
      body: name !== null ? { name } : {},
    }),
    text: (t) => `${t.id}  ${t.token}`,
  },
  {
    path: ['admin-tokens', 'list'],
    args: [],
    summary: 'List the operator tokens (never the tokens themselves)',
    flags: [],
    parse: () => null,
    http: () => ({ method: 'GET', path: '/admin/v1/admin-tokens' }),
    text: (j) =>
      rows(j)
        .map((t) => `${t.id}  ${t.name ?? '-'}  ${tokenState(t)}`)
        .join('\n'),
    columns: [
      { title: 'id', cell: (t) => t.id },
      { title: 'name', cell: (t) => t.name ?? '-' },
      { title: 'state', cell: tokenState },
      { title: 'created', cell: (t) => t.created_at },
    ],
  },
  {
    path: ['admin-tokens', 'revoke'],
    args: ['TOKEN_ID'],
    summary: 'Revoke an operator token: every request with it is refused from now on',
    flags: [],
    parse: one,
    http: (id: string) => ({ method: 'DELETE', path: `/admin/v1/admin-tokens/${seg(id)}` }),
    text: (t) => `${t.id} revoked at ${t.revoked_at}`,
  },
  kycCommand('approved', 'approve'),
  kycCommand('rejected', 'reject'),
  ...discountCommands,
  ...settleCommands,
  ...operationCommands,
  {
    path: ['credit'],
    args: ['ACCOUNT_ID', 'AMOUNT_USD'],
    summary: 'Adjust a balance by AMOUNT_USD (negative to debit, at most the balance), as a ledger entry',
    flags: [{ name: 'reason', value: 'TEXT', required: true, description: 'why, kept in the ledger' }],
    parse: (input) => {
      const [accountId, amount] = input.positionals as [string, string];
      return { accountId, amountCents: amountArg(amount, 'AMOUNT_USD'), reason: reasonArg(input) };
    },
    http: (p) => ({
      method: 'POST',
      path: `/admin/v1/accounts/${seg(p.accountId)}/balance-adjustments`,
      body: { amount_usd: jsonUsd(p.amountCents), reason: p.reason },
    }),
    text: (e) => `${e.id}  ${usd(e.amount_usd)} USD  balance ${usd(e.balance_after_usd)} USD`,
  },
  {
    path: ['vouchers', 'issue'],
    args: ['ACCOUNT_ID', 'AMOUNT_USD'],
    summary: 'Issue a voucher to an account',
    flags: [
      {
        name: 'expires',
        value: 'TIME',
        required: true,
        description: 'ISO 8601 time with a zone, in the future (2026-12-31T23:59:59Z)',
      },
      {
        name: 'products',
        value: 'LIST',
        description: `comma-separated: ${VOUCHER_PRODUCTS.join(',')} (default any)`,
      },
    ],
    parse: (input) => {
      const [accountId, amount] = input.positionals as [string, string];
      const amountCents = amountArg(amount, 'AMOUNT_USD');
      const expires = flag(input, 'expires')!;
      if (!ISO_INSTANT.test(expires) || Number.isNaN(Date.parse(expires))) {
        throw new UsageError(
          `--expires: "${expires}" is not an ISO 8601 time with a zone (2026-12-31T23:59:59Z)`,
        );
      }
      const list = flag(input, 'products');
      let products: string[] | undefined;
      if (list !== undefined) {
        products = list.split(',').map((p) => p.trim());
        const bad = products.find((p) => !(VOUCHER_PRODUCTS as readonly string[]).includes(p));
        if (bad !== undefined) {
          throw new UsageError(`--products: unknown product "${bad}" (${VOUCHER_PRODUCTS.join(', ')})`);
        }
      }
      return { accountId, amountCents, expires, ...(products ? { products } : {}) };
    },
    http: (p) => ({
      method: 'POST',
      path: `/admin/v1/accounts/${seg(p.accountId)}/vouchers`,
      body: {
        amount_usd: jsonUsd(p.amountCents),
        expires_at: p.expires,
        ...(p.products ? { products: p.products } : {}),
      },
    }),
    text: (v) =>
      `${v.id}  ${usd(v.amount_usd)} USD  expires ${v.expires_at}  ${v.products ? v.products.join(',') : 'any product'}`,
  },
  {
    path: ['vouchers', 'list'],
    args: ['ACCOUNT_ID'],
    summary: "List an account's vouchers, newest first",
    flags: [{ name: 'status', value: 'STATUS', description: VOUCHER_STATUSES.join('|') }, ...LIST_FLAGS],
    parse: (input) => {
      const status = oneOf(input, 'status', VOUCHER_STATUSES);
      return { accountId: one(input), ...listPage(input), ...(status ? { status } : {}) };
    },
    http: (p) => ({
      method: 'GET',
      path: `/admin/v1/accounts/${seg(p.accountId)}/vouchers`,
      query: { ...pageQuery(p), status: p.status },
    }),
    text: (j) =>
      rows(j)
        .map(
          (v) =>
            `${v.id}  ${usd(v.remaining_usd)}/${usd(v.amount_usd)} USD  ${v.status}  expires ${v.expires_at}`,
        )
        .join('\n'),
    columns: [
      { title: 'id', cell: (v) => v.id },
      { title: 'remaining USD', cell: (v) => usd(v.remaining_usd) },
      { title: 'amount USD', cell: (v) => usd(v.amount_usd) },
      { title: 'status', cell: (v) => v.status },
      { title: 'products', cell: (v) => (v.products ? v.products.join(',') : 'any') },
      { title: 'expires', cell: (v) => v.expires_at },
    ],
  },
  {
    path: ['inventory', 'import'],
    args: ['FILE'],
    summary:
      'Import ISP IPs from a CSV file (header ip,port,country,city,asn[,lat,lon]); bad rows are skipped',
    flags: [],
    parse: (input): InventoryImportArgs => {
      const file = one(input);
      try {
        return { file, text: fs.readFileSync(file, 'utf8') };
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    http: (p: InventoryImportArgs) => ({
      method: 'POST',
      path: '/admin/v1/inventory/import',
      raw: { contentType: 'text/csv', text: p.text },
    }),
    text: (s) => {
      const reasons = Object.entries(s.skipped_by_reason as Record<string, number>).map(
        ([k, n]) => `${k} ${n}`,
      );
      const skipped = s.skipped as Json[];
      return [
        `imported ${s.imported} of ${s.rows} rows; skipped ${s.skipped_count}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
        ...skipped.slice(0, 20).map((x) => `  line ${x.line}  ${x.ip ?? '-'}  ${x.reason}: ${x.message}`),
        ...(s.skipped_count > 20 ? [`  … and ${s.skipped_count - 20} more (--json lists them)`] : []),
      ].join('\n');
    },
  },
  {
    path: ['inventory', 'show'],
    args: [],
    summary: 'ISP stock by country, city and ASN: available, held, allocated',
    flags: [
      { name: 'country', value: 'CC', description: 'only this country (ISO alpha-2, like us)' },
      { name: 'city', value: 'CITY', description: 'only this city (slug, like newyork)' },
      { name: 'asn', value: 'ASN', description: 'only this carrier ASN' },
    ],
    parse: (input) => {
      const country = flag(input, 'country');
      const city = flag(input, 'city');
      const asn = flag(input, 'asn');
      if (asn !== undefined && !/^\d{1,10}$/.test(asn)) throw new UsageError('--asn must be an integer');
      return {
        ...(country !== undefined ? { country } : {}),
        ...(city !== undefined ? { city } : {}),
        ...(asn !== undefined ? { asn: Number(asn) } : {}),
      };
    },
    http: (q) => ({ method: 'GET', path: '/admin/v1/inventory', query: q }),
    text: (v) =>
      [
        ...(v.data as Json[]).map(
          (p) =>
            `${p.country}  ${p.city.padEnd(14)}  AS${String(p.asn).padEnd(10)}  available ${p.available}  held ${p.held}  allocated ${p.allocated}${p.retired ? `  retired ${p.retired}` : ''}`,
        ),
        `total  available ${v.totals.available}  held ${v.totals.held}  allocated ${v.totals.allocated}`,
      ].join('\n'),
  },
  {
    path: ['orders', 'get'],
    args: ['ORDER_ID'],
    summary: 'Look up any order: its lines, amounts and events',
    flags: [],
    parse: one,
    http: (id: string) => ({ method: 'GET', path: `/admin/v1/orders/${seg(id)}` }),
    text: (o) =>
      [
        orderLine(o),
        ...(o.line_items as Json[]).map(
          (l) =>
            `  ${l.id}  ${l.product} × ${l.quantity}  ${l.status}  payable ${usd(l.payable_usd)} USD  paid ${usd(l.paid_usd)} USD`,
        ),
        ...((o.events ?? []) as Json[]).map(
          (e) => `  ${e.at}  ${e.field} ${e.from ?? '-'} → ${e.to}  (${e.cause})`,
        ),
      ].join('\n'),
  },
  {
    path: ['orders', 'list'],
    args: [],
    summary: "List every account's orders, newest first",
    flags: [
      { name: 'account', value: 'ACCOUNT_ID', description: "only this account's orders" },
      { name: 'status', value: 'STATUS', description: FULFILMENT_STATUSES.join('|') },
      { name: 'payment-status', value: 'STATUS', description: PAYMENT_STATUSES.join('|') },
      { name: 'product', value: 'PRODUCT', description: VOUCHER_PRODUCTS.join('|') },
      ...LIST_FLAGS,
    ],
    parse: (input): OrderListArgs => {
      const status = oneOf(input, 'status', FULFILMENT_STATUSES);
      const paymentStatus = oneOf(input, 'payment-status', PAYMENT_STATUSES);
      const product = oneOf(input, 'product', VOUCHER_PRODUCTS);
      const account = flag(input, 'account');
      return {
        ...listPage(input),
        ...(account ? { account } : {}),
        ...(status ? { status } : {}),
        ...(paymentStatus ? { paymentStatus } : {}),
        ...(product ? { product } : {}),
      };
    },
    http: (p: OrderListArgs) => ({
      method: 'GET',
      path: '/admin/v1/orders',
      query: {
        ...pageQuery(p),
        account: p.account,
        status: p.status,
        payment_status: p.paymentStatus,
        product: p.product,
      },
    }),
    text: (j) => rows(j).map(orderLine).join('\n'),
    columns: ORDER_COLUMNS,
  },
  {
    path: ['orders', 'refund'],
    args: ['ORDER_ID'],
    summary: 'Refund an order to its sources (card, balance, vouchers); --dry-run shows the plan',
    flags: [
      {
        name: 'reason',
        value: 'TEXT',
        required: true,
        description: 'why, kept with the refund (1–500 chars)',
      },
      { name: 'amount', value: 'USD', description: 'how much (default: everything left to refund)' },
      { name: 'dry-run', boolean: true, description: 'show the plan with every term, change nothing' },
    ],
    parse: (input) => {
      const amount = flag(input, 'amount');
      const amountCents = amount === undefined ? undefined : amountArg(amount, '--amount');
      if (amountCents !== undefined && amountCents <= 0)
        throw new UsageError('--amount must be greater than 0');
      return {
        orderId: one(input),
        ...(amountCents !== undefined ? { amountCents } : {}),
        reason: reasonArg(input),
        dryRun: input.flags.has('dry-run'),
      };
    },
    http: (p) => ({
      method: 'POST',
      path: `/admin/v1/orders/${seg(p.orderId)}/refund`,
      body: {
        reason: p.reason,
        ...(p.amountCents !== undefined ? { amount_usd: jsonUsd(p.amountCents) } : {}),
        ...(p.dryRun ? { dry_run: true } : {}),
      },
    }),
    text: refundText,
  },
  {
    path: ['orders', 'retry-refund'],
    args: ['ORDER_ID'],
    summary: 'Retry the failed card part of a refund (refund_failed → refunding → refunded)',
    flags: [
      {
        name: 'to-balance',
        boolean: true,
        description: 'the card cannot take it (closed): credit it to the balance and close the refund',
      },
    ],
    parse: (input) => ({ orderId: one(input), to: input.flags.has('to-balance') ? 'balance' : 'card' }),
    http: (p) => ({
      method: 'POST',
      path: `/admin/v1/orders/${seg(p.orderId)}/refund/retry`,
      body: { to: p.to },
    }),
    text: refundText,
  },
  {
    path: ['prices', 'list'],
    args: [],
    summary: 'Every price with its key (residential.payg, isp.country.us, isp.asn.7922, …)',
    flags: [],
    parse: () => null,
    http: () => ({ method: 'GET', path: '/admin/v1/price-book' }),
    text: (j) => rows(j).map(priceLine).join('\n'),
    columns: [
      { title: 'key', cell: (p) => p.key },
      { title: 'product', cell: (p) => p.product },
      { title: 'USD per unit', cell: (p) => String(p.unit_price_usd) },
      { title: 'unit', cell: (p) => p.unit },
      { title: 'min qty', cell: (p) => String(p.min_quantity) },
      {
        title: 'version',
        cell: (p) => (p.changed_in_version === null ? 'default' : String(p.changed_in_version)),
      },
    ],
  },
  {
    path: ['prices', 'set'],
    args: ['KEY', 'USD'],
    summary: 'Set one price (USD per unit, at most 4 decimals); later quotes and orders use it',
    flags: [{ name: 'reason', value: 'TEXT', description: 'why, kept with the change' }],
    parse: (input) => {
      const [key, price] = input.positionals as [string, string];
      if (!PRICE_USD.test(price)) {
        throw new UsageError(`USD: "${price}" is not a price in USD with at most 4 decimals`);
      }
      const reason = flag(input, 'reason')?.trim();
      if (reason === '') throw new UsageError('--reason must not be blank');
      return { key, price: Number(price), ...(reason ? { reason } : {}) };
    },
    http: (p) => ({
      method: 'PATCH',
      path: '/admin/v1/price-book',
      body: { prices: { [p.key]: p.price }, ...(p.reason ? { reason: p.reason } : {}) },
    }),
    text: (v) =>
      [
        `price book version ${v.version}`,
        ...(v.changed as Json[]).map(
          (c) => `  ${c.key}: ${c.before_usd === null ? 'new' : c.before_usd} → ${c.unit_price_usd} USD`,
        ),
        ...(v.changed.length ? [] : ['  nothing changed']),
      ].join('\n'),
  },
  {
    path: ['gateway', 'authorize'],
    args: ['USERNAME'],
    summary: 'May this proxy username use traffic of this product now? (as the gateway asks)',
    flags: [{ name: 'product', value: 'PRODUCT', required: true, description: 'residential|mobile' }],
    parse: (input) => ({
      username: one(input),
      product: oneOf(input, 'product', ['residential', 'mobile'] as const)!,
    }),
    http: (q) => ({ method: 'GET', path: '/admin/v1/gateway/authorize', query: q }),
    text: (a) =>
      `${a.allowed ? 'allowed' : `refused: ${a.reason}`}  subuser ${a.subuser_id ?? '-'}  account ${a.account_id ?? '-'}  remaining ${a.remaining_bytes} bytes`,
  },
  {
    path: ['clock', 'get'],
    args: [],
    summary: 'The current time (and whether it is the test clock)',
    flags: [],
    parse: () => null,
    http: () => ({ method: 'GET', path: '/admin/v1/clock' }),
    text: (c) => `${c.now}${c.frozen ? '  (test clock)' : ''}`,
  },
  {
    path: ['clock', 'advance'],
    args: ['SECONDS'],
    summary: 'Move the test clock forward and run the jobs that became due (ORDERDESK_TEST_CLOCK=1)',
    flags: [],
    parse: (input) => {
      const s = one(input);
      const n = Number(s);
      if (!/^\d+$/.test(s) || n < 1 || n > 10 * 366 * 24 * 3600)
        throw new UsageError('SECONDS must be a whole number from 1 to 316224000');
      return n;
    },
    http: (seconds: number) => ({ method: 'POST', path: '/admin/v1/clock/advance', body: { seconds } }),
    text: (c) => `${c.now}  (${c.jobs_run ?? 0} jobs run)`,
  },
];

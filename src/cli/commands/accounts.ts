/**
 * `orderdesk accounts …` (SPEC §11): create, look up, list, suspend and resume accounts, as the
 * admin API does them (/admin/v1/accounts…), with its JSON.
 */
import {
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
} from '../command.ts';

// biome-ignore lint/suspicious/noExplicitAny: the API's account JSON
type AccountJson = any;

export const accountLine = (a: AccountJson) =>
  `${a.id}  ${a.email}  balance ${usd(a.balance_usd)} USD  kyc ${a.kyc_status}  ${a.status}`;

/** One line for a suspension or a resumption: the state now. */
const statusLine = (a: AccountJson) =>
  `${a.id}  ${a.status === 'suspended' ? `suspended since ${a.suspended_at}: ${a.suspended_reason}` : 'active'}`;

export const KYC_STATUSES = ['not_submitted', 'pending', 'approved', 'rejected'] as const;

export const ACCOUNT_COLUMNS = [
  { title: 'id', cell: (a: AccountJson) => a.id },
  { title: 'email', cell: (a: AccountJson) => a.email },
  { title: 'name', cell: (a: AccountJson) => a.name },
  { title: 'balance USD', cell: (a: AccountJson) => usd(a.balance_usd) },
  { title: 'kyc', cell: (a: AccountJson) => a.kyc_status },
  { title: 'status', cell: (a: AccountJson) => a.status },
  { title: 'created', cell: (a: AccountJson) => a.created_at },
];

export interface AccountListArgs {
  limit: number;
  startingAfter?: string;
  email?: string;
  kycStatus?: (typeof KYC_STATUSES)[number];
}

const id = (input: CommandInput) => input.positionals[0]!;

export const accountCommands: Command[] = [
  {
    path: ['accounts', 'create'],
    args: [],
    summary: 'Create an account (with its main subuser)',
    flags: [
      { name: 'email', value: 'EMAIL', required: true, description: 'login and contact email' },
      { name: 'name', value: 'NAME', required: true, description: 'customer name' },
      { name: 'password', value: 'PASSWORD', description: 'console password, at least 8 characters' },
    ],
    parse: (input) => {
      const password = flag(input, 'password');
      return {
        email: flag(input, 'email')!,
        name: flag(input, 'name')!,
        ...(password !== undefined ? { password } : {}),
      };
    },
    http: (body) => ({ method: 'POST', path: '/admin/v1/accounts', body }),
    text: accountLine,
  },
  {
    path: ['accounts', 'get'],
    args: ['ACCOUNT_ID|EMAIL'],
    summary: 'Look up an account by id or email: balance, KYC status, suspension',
    flags: [],
    parse: id,
    http: (key: string) =>
      key.includes('@')
        ? {
            method: 'GET',
            path: '/admin/v1/accounts',
            query: { email: key, limit: 1 },
            first: { param: 'email', message: `No account with email ${key}` },
          }
        : { method: 'GET', path: `/admin/v1/accounts/${seg(key)}` },
    text: accountLine,
  },
  {
    path: ['accounts', 'list'],
    args: [],
    summary: 'List accounts, newest first',
    flags: [
      { name: 'email', value: 'EMAIL', description: 'only the account with this email' },
      { name: 'kyc-status', value: 'STATUS', description: KYC_STATUSES.join('|') },
      ...LIST_FLAGS,
    ],
    parse: (input): AccountListArgs => {
      const kyc = oneOf(input, 'kyc-status', KYC_STATUSES);
      const email = flag(input, 'email');
      return {
        ...listPage(input),
        ...(email ? { email } : {}),
        ...(kyc ? { kycStatus: kyc } : {}),
      };
    },
    http: (p: AccountListArgs) => ({
      method: 'GET',
      path: '/admin/v1/accounts',
      query: { ...pageQuery(p), email: p.email, kyc_status: p.kycStatus },
    }),
    text: (json) => rows(json).map(accountLine).join('\n'),
    columns: ACCOUNT_COLUMNS,
  },
  {
    path: ['accounts', 'suspend'],
    args: ['ACCOUNT_ID'],
    summary: 'Suspend an account: it reads and pays arrears but cannot order; mails the customer',
    flags: [
      {
        name: 'reason',
        value: 'TEXT',
        required: true,
        description: 'why (1–500 chars), shown to the customer and kept for audit',
      },
    ],
    parse: (input) => ({ accountId: id(input), reason: reasonArg(input) }),
    http: (p) => ({
      method: 'POST',
      path: `/admin/v1/accounts/${seg(p.accountId)}/suspend`,
      body: { reason: p.reason },
    }),
    text: statusLine,
  },
  {
    path: ['accounts', 'resume'],
    args: ['ACCOUNT_ID'],
    summary: 'Resume a suspended account: it may order again; mails the customer',
    flags: [],
    parse: id,
    http: (accountId: string) => ({ method: 'POST', path: `/admin/v1/accounts/${seg(accountId)}/resume` }),
    text: statusLine,
  },
  {
    path: ['kyc', 'get'],
    args: ['ACCOUNT_ID'],
    summary: "An account's KYC status and latest submission",
    flags: [],
    parse: id,
    http: (accountId: string) => ({ method: 'GET', path: `/admin/v1/accounts/${seg(accountId)}/kyc` }),
    text: (k) => `${k.status}${k.submission ? `  submitted ${k.submission.submitted_at ?? ''}` : ''}`,
  },
];

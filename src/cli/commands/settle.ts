/**
 * `orderdesk settle` (SPEC §7, §11): settle postpaid servers now — every hour ended by now, each
 * once — as POST /admin/v1/settlement/runs does, with the run's summary; directly on the database
 * it shows a progress bar over the accounts on a terminal.
 */
import type { Command } from '../command.ts';
import { usd } from '../command.ts';

export const settleCommands: Command[] = [
  {
    path: ['settle'],
    args: [],
    summary: 'Settle postpaid servers now: every hour ended by now, each once; prints the run',
    flags: [],
    parse: () => null,
    http: () => ({ method: 'POST', path: '/admin/v1/settlement/runs' }),
    text: (r) =>
      `run ${r.id}: ${r.servers_billed} servers, ${r.hours} hours (${r.covered_hours} covered by coupons), ` +
      `${usd(r.charged_usd)} USD charged, ${r.suspended_accounts} accounts suspended, ${r.resumed_accounts} resumed`,
  },
];

/**
 * Operators' commands for the running system (SPEC §11, issue 13): the worker process, the job
 * queue (failed jobs listed and retried), settlement runs, and a postpaid server's traffic.
 */
import { UsageError } from '../args.ts';
import { type Command, flag, LIST_FLAGS, listPage, oneOf, pageQuery, rows, seg, usd } from '../command.ts';

const JOB_STATES = ['failed', 'due', 'running', 'scheduled', 'done'] as const;

export interface JobListArgs {
  limit: number;
  startingAfter?: string;
  state?: (typeof JOB_STATES)[number];
  kind?: string;
}

export interface TrafficArgs {
  serverId: string;
  reportId: string;
  bytes: number;
  at: string;
}

function jobId(input: { positionals: string[] }): number {
  const raw = input.positionals[0] ?? '';
  if (!/^[1-9]\d{0,15}$/.test(raw))
    throw new UsageError(`JOB_ID: "${raw}" is not a job id (a positive number)`);
  return Number(raw);
}

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
const jobLine = (j: any) =>
  `${j.id}  ${j.kind}  ${j.state}  attempts ${j.attempts}/${j.max_attempts}${j.last_error ? `  ${j.last_error}` : ''}`;

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
const runLine = (r: any) =>
  `run ${r.id}: ${r.servers_billed} servers, ${r.hours} hours (${r.covered_hours} covered), ${usd(r.charged_usd)} USD, ${r.suspended_accounts} suspended, ${r.resumed_accounts} resumed`;

export const operationCommands: Command[] = [
  {
    path: ['worker'],
    args: [],
    summary: 'Run the workers only (ORDERDESK_ROLE=worker: jobs, no HTTP); needs DATABASE_URL',
    flags: [],
    parse: () => null,
    serve: true,
    text: () => '',
  },
  {
    path: ['jobs', 'list'],
    args: [],
    summary: 'Jobs of the queue in a state (failed by default), newest first',
    flags: [
      ...LIST_FLAGS,
      { name: 'state', value: 'STATE', description: JOB_STATES.join('|') },
      { name: 'kind', value: 'KIND', description: 'only jobs of this kind' },
    ],
    parse: (input): JobListArgs => {
      const state = oneOf(input, 'state', JOB_STATES);
      const kind = flag(input, 'kind');
      return { ...listPage(input), ...(state ? { state } : {}), ...(kind ? { kind } : {}) };
    },
    http: (p: JobListArgs) => ({
      method: 'GET',
      path: '/admin/v1/jobs',
      query: { ...pageQuery(p), state: p.state, kind: p.kind },
    }),
    text: (j) => rows(j).map(jobLine).join('\n') || 'no jobs',
    columns: [
      { title: 'id', cell: (j) => String(j.id) },
      { title: 'kind', cell: (j) => j.kind },
      { title: 'state', cell: (j) => j.state },
      { title: 'attempts', cell: (j) => `${j.attempts}/${j.max_attempts}` },
      { title: 'run at', cell: (j) => j.run_at },
      { title: 'last error', cell: (j) => j.last_error ?? '' },
    ],
  },
  {
    path: ['jobs', 'retry'],
    args: ['JOB_ID'],
    summary: 'Run a failed job again, due now with fresh attempts',
    flags: [],
    parse: (input) => jobId(input),
    http: (id: number) => ({ method: 'POST', path: `/admin/v1/jobs/${id}/retry` }),
    text: jobLine,
  },
  {
    path: ['settlement', 'runs'],
    args: [],
    summary: 'The settlement runs, newest first, with what each billed',
    flags: [...LIST_FLAGS],
    parse: (input) => listPage(input),
    http: (p) => ({ method: 'GET', path: '/admin/v1/settlement/runs', query: pageQuery(p) }),
    text: (j) => rows(j).map(runLine).join('\n') || 'no runs',
    columns: [
      { title: 'run', cell: (r) => String(r.id) },
      { title: 'at', cell: (r) => r.at },
      { title: 'servers', cell: (r) => String(r.servers_billed) },
      { title: 'hours', cell: (r) => String(r.hours) },
      { title: 'covered', cell: (r) => String(r.covered_hours) },
      { title: 'charged USD', cell: (r) => usd(r.charged_usd) },
      { title: 'suspended', cell: (r) => String(r.suspended_accounts) },
    ],
  },
  {
    path: ['servers', 'traffic'],
    args: ['SERVER_ID'],
    summary: "Record a postpaid server's traffic (idempotent per --report-id); charged daily",
    flags: [
      { name: 'bytes', value: 'N', required: true, description: 'bytes used' },
      {
        name: 'report-id',
        value: 'ID',
        required: true,
        description: "the report's id (a repeat counts once)",
      },
      {
        name: 'at',
        value: 'ISO',
        required: true,
        description: 'when it was used (its UTC day is the day charged)',
      },
    ],
    parse: (input): TrafficArgs => {
      const bytes = flag(input, 'bytes')!;
      if (!/^\d{1,15}$/.test(bytes))
        throw new UsageError(`--bytes: "${bytes}" is not a whole number of bytes`);
      const at = flag(input, 'at')!;
      if (Number.isNaN(Date.parse(at))) throw new UsageError(`--at: "${at}" is not a time`);
      return {
        serverId: input.positionals[0]!,
        reportId: flag(input, 'report-id')!,
        bytes: Number(bytes),
        at: new Date(at).toISOString(),
      };
    },
    http: (p: TrafficArgs) => ({
      method: 'POST',
      path: `/admin/v1/servers/${seg(p.serverId)}/traffic`,
      body: { reports: [{ id: p.reportId, bytes: p.bytes, at: p.at }] },
    }),
    text: (j) => JSON.stringify(j),
  },
];

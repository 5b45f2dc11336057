/**
 * bench:mail — how fast the mail outbox empties over SMTP (SPEC §9; the send_mail job).
 *
 *   npm run bench:mail                       # run, print the table
 *   npm run bench:mail -- --write            # … and record it in bench/BENCHMARKS.md
 *
 * Options: --mails 2000, --note "<what changed>" (history row), --wait-quiet <s>.
 *
 * An in-memory PGlite database, migrated; --mails receipts queued at once (one INSERT, as the
 * receipts job queues them); then `sendDueMail` — what one run of the send_mail job does — called
 * back to back until the outbox is empty, through the SMTP transport to a real SMTP server
 * (smtp-server, in a child process on 127.0.0.1, counting the connections and the messages it
 * accepts). Printed: mails per run, runs, wall time, mails/s, SMTP connections opened, and what
 * that makes of the job's capacity — the job runs every 10 s, so it sends at most
 * (mails per run) / 10 s however fast one run is. Every mail must arrive once and every row must
 * end `sent`, or the run fails. A local server answers in microseconds: against a real one each
 * new connection (TCP, greeting, EHLO, often TLS and AUTH) costs a round trip or several, so the
 * connection count matters more than the figures here show.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import type { Deps } from '../../src/app/deps.ts';
import { sendDueMail } from '../../src/app/notifications/send-due-mail.ts';
import { systemClock } from '../../src/clock.ts';
import { openPglite } from '../../src/db/client.ts';
import { enqueueMails, type NewMail } from '../../src/db/mail-outbox.ts';
import { migrate } from '../../src/db/migrate.ts';
import { smtpMailTransport } from '../../src/gateways/smtp-mail.ts';
import { appendBenchHistory, cliArg, commitOf, ROOT, waitQuiet, writeBenchSection } from '../support.ts';

const mails = Number(cliArg('mails') ?? 2000);
const note = cliArg('note') ?? '';
const write = process.argv.includes('--write');
/** the send_mail job's period (jobs/send-mail.ts) */
const JOB_PERIOD_S = 10;

/** The SMTP server in a child process: it prints its port, then answers "count" on stdin. */
const SINK = `
const { SMTPServer } = require('smtp-server');
let connections = 0, messages = 0;
const server = new SMTPServer({
  authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
  onConnect(_s, cb) { connections += 1; cb(); },
  onData(stream, _s, cb) { stream.on('data', () => {}); stream.on('end', () => { messages += 1; cb(); }); },
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.server.address().port })));
process.stdin.on('data', () => console.log(JSON.stringify({ connections, messages })));
`;

async function startSink(): Promise<{
  child: ChildProcess;
  port: number;
  counts(): Promise<{ connections: number; messages: number }>;
}> {
  const child = spawn(process.execPath, ['-e', SINK], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiting: ((l: string) => void) | null = null;
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(line);
      } else lines.push(line);
    }
  });
  const next = () =>
    new Promise<string>((resolve) => {
      const l = lines.shift();
      if (l !== undefined) resolve(l);
      else waiting = resolve;
    });
  const { port } = JSON.parse(await next()) as { port: number };
  return {
    child,
    port,
    async counts() {
      child.stdin!.write('count\n');
      return JSON.parse(await next());
    },
  };
}

async function main() {
  const busyBefore = await waitQuiet(Number(cliArg('wait-quiet') ?? 0), (l) =>
    process.stderr.write(`${l}\n`),
  );
  const db = await openPglite();
  await migrate(db);
  const sink = await startSink();
  const from = 'orderdesk <no-reply@orderdesk.local>';
  const transport = smtpMailTransport(`smtp://127.0.0.1:${sink.port}`, from);
  const silent = { info() {}, warn() {}, error() {} };
  const deps = { db, clock: systemClock, mail: transport, log: silent } as unknown as Deps;
  try {
    const at = new Date();
    const queued: NewMail[] = Array.from({ length: mails }, (_, i) => ({
      id: `mail_bench${String(i).padStart(6, '0')}`,
      accountId: null,
      to: `customer${i}@example.com`,
      kind: 'order_receipt',
      subject: `Receipt ${i}`,
      bodyText: `Thank you for your order ${i}.\nTotal: 225.00 USD\n`,
      at,
    }));
    await enqueueMails(db, queued);

    const perRun: number[] = [];
    const t0 = performance.now();
    for (;;) {
      const r = await sendDueMail(deps);
      if (r.retried + r.failed > 0) throw new Error(`a run did not send everything: ${JSON.stringify(r)}`);
      if (r.sent === 0) break;
      perRun.push(r.sent);
    }
    const ms = performance.now() - t0;
    const { connections, messages } = await sink.counts();
    const [row] = await db.query<{ sent: number; other: number }>(
      `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*) FILTER (WHERE status <> 'sent')::int AS other FROM mail_outbox`,
    );
    if (messages !== mails || row!.sent !== mails || row!.other !== 0) {
      throw new Error(
        `lost or doubled: ${mails} queued, ${messages} received, ${row!.sent} rows sent, ${row!.other} not`,
      );
    }
    const rate = mails / (ms / 1000);
    const firstRun = perRun[0] ?? 0;
    const capacity = Math.min(firstRun, mails) / JOB_PERIOD_S;
    const table = [
      '| mails | runs | mails in the first run | wall time | mails/s (runs back to back) | SMTP connections | the job’s capacity (first run ÷ 10 s) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${mails.toLocaleString('en-US')} | ${perRun.length} | ${firstRun.toLocaleString('en-US')} | ${Math.round(ms).toLocaleString('en-US')} ms | ${Math.round(rate).toLocaleString('en-US')} | ${connections} | ≥ ${Math.round(capacity).toLocaleString('en-US')} mails/s${firstRun >= mails ? ' (all in one run)' : ''} |`,
    ].join('\n');
    process.stdout.write(`${table}\n\nevery mail received once, every row sent.\n`);
    if (write) {
      const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
      const commit = commitOf();
      writeBenchSection(
        'mail:latest',
        `<!-- bench:mail:latest:start -->
### Latest run

Run ${when} UTC, \`npm run bench:mail -- --write${mails !== 2000 ? ` --mails ${mails}` : ''}\`. Machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim()}), Node ${process.version}; commit ${commit}; other processes used ${busyBefore.toFixed(0)}% of the CPUs when it started.

${table}
<!-- bench:mail:latest:end -->`,
      );
      appendBenchHistory(
        'mail',
        `| ${when.slice(0, 10)} | \`${commit}\` | ${mails} | ${perRun.length} | ${firstRun} | ${Math.round(rate)} | ${connections} | ${note} |`,
      );
    }
  } finally {
    await transport.close?.();
    sink.child.kill();
    await once(sink.child, 'exit');
    await db.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

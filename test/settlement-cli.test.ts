/** `orderdesk settle` (issue 11 item 7): a settlement run from the command line, with its summary. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, cliEnv, runCli } from './support/cli-env.ts';

let cli: CliEnv;
beforeAll(async () => {
  cli = await cliEnv('od-settle-');
});
afterAll(async () => {
  await cli?.close();
});

describe('orderdesk settle', () => {
  it('runs a settlement and prints the run as the API answers it, or as a line with --text', async () => {
    const json = await runCli(cli.env, ['settle']);
    expect(json.code, json.stderr).toBe(0);
    const run = JSON.parse(json.stdout);
    expect(run).toMatchObject({ object: 'settlement_run', kind: 'server_hours', hours: 0, charged_usd: 0 });
    expect(json.stdout).toContain('"charged_usd":0.00');
    expect(run.finished_at).not.toBeNull();

    const text = await runCli(cli.env, ['settle', '--text']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim()).toBe(
      `run ${run.id + 1}: 0 servers, 0 hours (0 covered by coupons), 0.00 USD charged, 0 accounts suspended, 0 resumed`,
    );
  });

  it('takes no arguments', async () => {
    const r = await runCli(cli.env, ['settle', 'now']);
    expect(r.code).toBe(2);
  });
});

#!/usr/bin/env node
// `npx orderdesk …`: runs src/cli/main.ts under tsx (TypeScript, no build step), passing the
// arguments, the terminal and the exit code through.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tsx = import.meta.resolve('tsx');
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], {
  stdio: 'inherit',
});

// Ctrl-C reaches the whole process group, the child included: let it shut down on its own.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

child.on('error', (e) => {
  process.stderr.write(`orderdesk: could not start node: ${e.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) process.exit(128 + ({ SIGINT: 2, SIGHUP: 1, SIGTERM: 15, SIGKILL: 9 }[signal] ?? 1));
  process.exit(code ?? 1);
});

#!/usr/bin/env node
/**
 * Builds the console (web/ → web/dist): writes the server's OpenAPI document, generates the typed
 * client from it (openapi-typescript), type-checks the console, bundles it with Vite, and prints
 * the initial JavaScript's gzipped size (the budget is 400 KB).
 *   node scripts/build-web.mjs            build
 *   node scripts/build-web.mjs --if-needed  build only when web/dist is missing or older than web/
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const dist = path.join(web, 'dist');
const BUDGET = 400 * 1024;

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

if (process.argv.includes('--if-needed')) {
  const index = path.join(dist, 'index.html');
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= newest(web)) process.exit(0);
  console.log('building the console (web/dist is missing or older than web/)…');
}

const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
run(process.execPath, ['--import', 'tsx', 'scripts/write-openapi.ts', 'web/src/api/openapi.json']);
run(bin('openapi-typescript'), ['web/src/api/openapi.json', '-o', 'web/src/api/schema.d.ts', '--silent']);
run(bin('tsc'), ['-p', 'web/tsconfig.json']);
run(bin('vite'), ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']);

// the initial JavaScript: the entry and the chunks index.html preloads
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const size = initial.reduce((n, f) => n + gzipSync(fs.readFileSync(path.join(dist, f))).length, 0);
console.log(
  `console built: initial JavaScript ${(size / 1024).toFixed(1)} KB gzipped (${initial.length} files; budget 400 KB)`,
);
if (size > BUDGET) {
  console.error('the initial JavaScript is over its 400 KB budget');
  process.exit(1);
}

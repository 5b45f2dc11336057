#!/usr/bin/env node
/**
 * Compiles the server ahead of time (src/main.ts → node_modules/.cache/orderdesk/server/main.mjs,
 * and scripts/build-pglite-template.ts beside it,
 * one esbuild bundle of our TypeScript, packages left to node_modules) so that `npm start` loads
 * JavaScript instead of transpiling a few hundred files through tsx at every start
 * (bench/startup: about 0.5 s against 1.5–2.5 s for the modules).
 *   node scripts/build-server.mjs            build
 *   node scripts/build-server.mjs --if-needed  build only when the bundle is missing or older than src/
 *   node scripts/build-server.mjs --print-path  print where the bundle is
 *
 * Files that find their neighbours through import.meta (the migrations folder, web/dist) keep
 * their source location: `import.meta.url` and `import.meta.dirname` are replaced by the source
 * file's own, except in the entries, whose `import.meta.url` must stay the bundle's (main.ts
 * checks that it is the program being run).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const entries = [path.join(src, 'main.ts'), path.join(root, 'scripts', 'build-pglite-template.ts')];
const outdir = path.join(root, 'node_modules', '.cache', 'orderdesk', 'server');
const out = path.join(outdir, 'main.mjs');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

if (process.argv.includes('--print-path')) {
  console.log(out);
  process.exit(0);
}
if (process.argv.includes('--if-needed')) {
  const inputs = Math.max(
    newest(src),
    ...[...entries, path.join(root, 'package.json'), import.meta.filename].map((f) => fs.statSync(f).mtimeMs),
  );
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= inputs) process.exit(0);
}

/** import.meta.url / dirname → the source file's, so relative paths stay the source tree's. */
const sourceLocation = {
  name: 'source-location',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      let code = await fs.promises.readFile(args.path, 'utf8');
      code = code.replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)));
      if (!entries.includes(args.path))
        code = code.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents: code, loader: 'ts' };
    });
  },
};

const tmp = `${outdir}.${process.pid}.tmp`;
await build({
  entryPoints: entries.map((f) => ({ in: f, out: path.basename(f, '.ts') })),
  outdir: tmp,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  plugins: [sourceLocation],
});
fs.mkdirSync(outdir, { recursive: true });
for (const f of fs.readdirSync(tmp)) fs.renameSync(path.join(tmp, f), path.join(outdir, f));
fs.rmSync(tmp, { recursive: true, force: true });

#!/usr/bin/env node
/**
 * Compiles the server ahead of time so that `npm start` loads JavaScript instead of transpiling a
 * few hundred files through tsx at every start (bench/startup), into node_modules/.cache/orderdesk/server:
 *   - server.cjs: src/main.ts and everything it imports, the packages included (one file, none of
 *     Node's module resolution), as one CommonJS script, so that V8 can keep its compiled code;
 *   - main.mjs: what `npm start` runs: it compiles server.cjs with V8's code cache
 *     (server.cjs.v8cache, written by the first run at its exit, when the functions the start and
 *     the requests used are compiled; rejected by V8 and written again when server.cjs changes);
 *   - build-pglite-template.mjs: scripts/build-pglite-template.ts (prestart), an ES module.
 *
 *   node scripts/build-server.mjs            build
 *   node scripts/build-server.mjs --if-needed  build only when the bundle is missing or older than src/
 *   node scripts/build-server.mjs --print-path  print where the bundle is
 *
 * Files that find their neighbours through import.meta (the migrations folder, web/dist) keep
 * their source location: `import.meta.url` and `import.meta.dirname` are replaced by the source
 * file's own, except in the entries, whose `import.meta.url` must be the program's (main.ts
 * checks that it is the program being run): main.mjs's for main.ts.
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
const server = path.join(outdir, 'server.cjs');

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
  if ([out, server].every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= inputs)) process.exit(0);
}

/**
 * import.meta.url / dirname → the source file's, so relative paths stay the source tree's; in the
 * CommonJS server, main.ts's import.meta.url is main.mjs's and import.meta.resolve is require's.
 */
const sourceLocation = (cjs) => ({
  name: 'source-location',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      let code = await fs.promises.readFile(args.path, 'utf8');
      code = code.replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)));
      if (cjs && args.path === entries[0])
        code = code.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(out).href));
      else if (!entries.includes(args.path))
        code = code.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      if (cjs) code = code.replaceAll('import.meta.resolve(', '__orderdeskResolve(');
      return { contents: code, loader: 'ts' };
    });
  },
});

const EXTERNAL = [
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  '@node-rs/argon2',
  'pg-native',
  // loaded at first use (REDIS_URL, the first mail, the first answer)
  'ioredis',
  'nodemailer',
  'prom-client',
  'esbuild',
  'tsx',
  'tsx/*',
  // Fastify's Ajv and fast-json-stringify compilers: never used (app.ts gives zod's and ours), so
  // not parsed at every start either
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
];

/**
 * A bundled package that finds its own files (`__dirname`, `__filename`, `import.meta.url`:
 * swagger-ui's assets, pino's transports) keeps finding them in node_modules: each is replaced
 * by the file's own location, as sourceLocation does for ours.
 */
/**
 * A package's own dynamic `import()` of a bundled module would become a chunk read from disk in
 * the middle of buildApp (@fastify/cookie loads `cookie` so, at registration): inlined instead.
 */
const INLINE_DYNAMIC_IMPORTS = [
  [/@fastify[\\/]cookie[\\/]index\.js$/, "await import('cookie')", "require('cookie')"],
];

const packageLocation = {
  name: 'package-location',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.(c?js|mjs)$/ }, async (args) => {
      let code = await fs.promises.readFile(args.path, 'utf8');
      let changed = false;
      for (const [file, from, to] of INLINE_DYNAMIC_IMPORTS) {
        if (!file.test(args.path)) continue;
        if (!code.includes(from)) throw new Error(`${args.path}: no ${from} to inline (package changed?)`);
        code = code.replace(from, to);
        changed = true;
      }
      if (!changed && !/__dirname|__filename|import\.meta\.url/.test(code)) return undefined;
      return {
        contents: code
          .replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path)))
          .replace(/\b__filename\b/g, JSON.stringify(args.path))
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'js',
      };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // less to parse at start (names are kept: stack traces and Fastify's plugin names stay readable)
  minifyWhitespace: true,
  minifySyntax: true,
  // the packages go into the bundle too: one file to read, none of Node's module resolution
  // (bench/startup: resolving and loading a few hundred package files cost about half of the
  // start's own CPU). Left outside: PGlite (its wasm and data files), a native addon, and the
  // packages loaded only when used; a bundled package that reads its own files (swagger-ui's
  // assets, pino's transports) still finds them in node_modules (packageLocation).
  external: EXTERNAL,
  logLevel: 'warning',
};

/**
 * main.mjs: compiles server.cjs with V8's code cache and runs it as a CommonJS module (its
 * `require` finds the external packages in node_modules).
 */
const LOADER = `// generated by scripts/build-server.mjs: runs server.cjs, compiled with V8's code cache
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const file = fileURLToPath(new URL('./server.cjs', import.meta.url));
const cacheFile = \`\${file}.v8cache\`;
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
});
if (!cachedData || script.cachedDataRejected) {
  // at exit the functions this run used are compiled: the cache the next start reads
  process.once('exit', () => {
    try {
      const tmp = \`\${cacheFile}.\${process.pid}\`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {}
  });
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
`;

const tmp = `${outdir}.${process.pid}.tmp`;
await build({
  ...common,
  entryPoints: [{ in: entries[1], out: path.basename(entries[1], '.ts') }],
  outdir: tmp,
  outExtension: { '.js': '.mjs' },
  format: 'esm',
  banner: {
    // the bundled CommonJS packages require Node's built-ins
    js: "import { createRequire as __orderdeskCreateRequire } from 'node:module'; const require = __orderdeskCreateRequire(import.meta.url);",
  },
  plugins: [sourceLocation(false), packageLocation],
});
await build({
  ...common,
  entryPoints: [entries[0]],
  outfile: path.join(tmp, 'server.cjs'),
  format: 'cjs',
  // import() of a package loaded at first use becomes require(): no module loader in the script
  supported: { 'dynamic-import': false },
  banner: {
    js: "const __orderdeskResolve = (s) => require('node:url').pathToFileURL(require.resolve(s)).href;",
  },
  plugins: [sourceLocation(true), packageLocation],
});
fs.writeFileSync(path.join(tmp, 'main.mjs'), LOADER);
fs.mkdirSync(outdir, { recursive: true });
// server.cjs before main.mjs (which reads it); the code cache of the old one goes with it
fs.rmSync(path.join(outdir, 'server.cjs.v8cache'), { force: true });
for (const f of ['build-pglite-template.mjs', 'server.cjs', 'main.mjs'])
  fs.renameSync(path.join(tmp, f), path.join(outdir, f));
// what earlier builds left (the chunks of a split build)
fs.rmSync(path.join(outdir, 'chunks'), { recursive: true, force: true });
fs.rmSync(tmp, { recursive: true, force: true });

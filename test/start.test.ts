import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { start } from '../src/main.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('npm start on a fresh machine (SPEC §12)', () => {
  it('starts on embedded PGlite, prints the admin token and a demo key that places an order; a restart keeps them', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-start-'));
    dirs.push(dataDir);
    const env = { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let printed = '';
    try {
      const s = await start(env);
      printed = out.mock.calls.map((c) => String(c[0])).join('');
      try {
        const key = /demo API key: (\S+)/.exec(printed)?.[1];
        const token = /admin token.*: (\S+)/.exec(printed)?.[1];
        expect(key).toMatch(/^od_live_/);
        expect(token).toBe(fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());
        expect(printed).toContain(s.url);
        const res = await fetch(`${s.url}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ product: 'residential', gb: 50 }),
        });
        expect(res.status).toBe(200);
        const text = await res.text();
        expect(text).toContain('"total_usd":225.00');
        const admin = await fetch(`${s.url}/readyz`);
        expect(admin.status).toBe(200);
      } finally {
        await s.shutdown();
      }
      out.mockClear();
      const again = await start(env);
      const second = out.mock.calls.map((c) => String(c[0])).join('');
      await again.shutdown();
      expect(/demo API key: (\S+)/.exec(second)?.[1]).toBe(/demo API key: (\S+)/.exec(printed)?.[1]);
    } finally {
      out.mockRestore();
    }
  });

  it('a bad variable stops the process with a message naming it', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PORT');
  });
});

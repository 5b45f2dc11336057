/**
 * Remote mode (SPEC §11: the CLI "works beside a running server"): with ORDERDESK_URL set, or a
 * live server recorded in DATA_DIR/server.json (written by the server at start, removed at
 * shutdown; a file whose pid is gone is ignored), a command is the admin API call it names, sent
 * with Node's fetch. The answer's body is printed as the server sent it, so it is the same JSON
 * as the direct mode's. Nothing here loads the database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { alive } from '../db/data-dir-lock.ts';
import type { HttpCall } from './command.ts';

export interface Server {
  url: string;
  token: string | undefined;
  /** how it was found, for messages */
  via: 'ORDERDESK_URL' | 'server.json';
}

export interface ServerFile {
  url: string;
  pid: number;
}

/** DATA_DIR as the server resolves it (config.ts: DATA_DIR or ./data). */
export function dataDirOf(env: Record<string, string | undefined>): string {
  return path.resolve(env.DATA_DIR || './data');
}

export const serverFilePath = (dataDir: string) => path.join(dataDir, 'server.json');

/** The server recorded for this DATA_DIR, when its process is alive. */
export function recordedServer(dataDir: string): ServerFile | null {
  try {
    const f = JSON.parse(fs.readFileSync(serverFilePath(dataDir), 'utf8')) as Partial<ServerFile>;
    if (typeof f.url !== 'string' || !Number.isSafeInteger(f.pid)) return null;
    return alive(f.pid!) ? { url: f.url, pid: f.pid! } : null;
  } catch {
    return null;
  }
}

/** The server to talk to, or null: work directly on the database. */
export function findServer(env: Record<string, string | undefined>): Server | null {
  const dataDir = dataDirOf(env);
  const token = () => {
    if (env.ORDERDESK_ADMIN_TOKEN) return env.ORDERDESK_ADMIN_TOKEN;
    try {
      return fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  };
  if (env.ORDERDESK_URL)
    return { url: env.ORDERDESK_URL.replace(/\/+$/, ''), token: token(), via: 'ORDERDESK_URL' };
  if (env.DATABASE_URL) return null;
  const f = recordedServer(dataDir);
  return f ? { url: f.url.replace(/\/+$/, ''), token: token(), via: 'server.json' } : null;
}

export type RemoteAnswer = { ok: true; json: string } | { ok: false; status: number; body: string };

export class ServerUnreachable extends Error {
  override name = 'ServerUnreachable';
}

async function send(server: Server, call: HttpCall, signal: AbortSignal): Promise<RemoteAnswer> {
  const url = new URL(server.url + call.path);
  for (const [k, v] of Object.entries(call.query ?? {}))
    if (v !== undefined) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (server.token) headers.authorization = `Bearer ${server.token}`;
  let body: string | undefined;
  if (call.raw) {
    headers['content-type'] = call.raw.contentType;
    body = call.raw.text;
  } else if (call.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.body);
  }
  let res: Response;
  try {
    res = await fetch(url, { method: call.method, headers, body, signal });
  } catch (e) {
    if (signal.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new ServerUnreachable(
      `cannot reach the server at ${server.url} (from ${server.via}): ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    );
  }
  const text = await res.text();
  return res.ok ? { ok: true, json: text } : { ok: false, status: res.status, body: text };
}

/** Sends the command's call; `first` lists, then fetches the first element by its id. */
export async function callServer(server: Server, call: HttpCall, signal: AbortSignal): Promise<RemoteAnswer> {
  const answer = await send(server, call, signal);
  if (!answer.ok || !call.first) return answer;
  const first = (JSON.parse(answer.json) as { data?: { id: string }[] }).data?.[0];
  if (!first) {
    return {
      ok: false,
      status: 404,
      body: JSON.stringify({
        error: { code: 'not_found', message: call.first.message, param: call.first.param },
      }),
    };
  }
  return send(server, { method: 'GET', path: `${call.path}/${encodeURIComponent(first.id)}` }, signal);
}

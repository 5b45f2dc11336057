/**
 * Operators import ISP stock (SPEC §6, §11): rows of ip, port, country, city, asn (and optionally
 * lat, lon), from CSV or JSON. Each bad row is skipped with its reason; the good ones are inserted
 * in chunks of one statement each, in one transaction with the wait-queue run and the stock alerts
 * they may trigger. An IP already in the table (in any status) is skipped as already_in_stock, so
 * importing a file again changes nothing.
 */
import { isIP } from 'node:net';
import { insertIps, type NewIp } from '../../db/isp-inventory.ts';
import { normalizeCountry } from '../../domain/country.ts';
import { isBlankRecord, parseCsv } from '../../domain/csv.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { isCitySlug, isLatLon, lookupCity } from '../../domain/gazetteer.ts';
import { isAsn } from '../../domain/isp-pricing.ts';
import type { Deps } from '../deps.ts';
import { enqueueWaitQueueRun } from '../isp/serve-wait-queue.ts';
import { evaluateStockAlerts } from './evaluate-stock-alerts.ts';

/** Rows per import: beyond this, split the file. */
export const MAX_IMPORT_ROWS = 1_000_000;
/** Rows per INSERT statement. */
const IMPORT_CHUNK = 5_000;

const SKIP_REASONS = [
  'malformed_row',
  'invalid_ip',
  'invalid_port',
  'invalid_country',
  'invalid_city',
  'unknown_city',
  'invalid_asn',
  'invalid_coordinates',
  'duplicate_in_file',
  'already_in_stock',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** One row as it came in: CSV cells (strings) or JSON values (strings or numbers). */
export interface ImportRowInput {
  /** the CSV line, or the 1-based position in a JSON list */
  line: number;
  ip?: unknown;
  port?: unknown;
  country?: unknown;
  city?: unknown;
  asn?: unknown;
  lat?: unknown;
  lon?: unknown;
  /** set when the row could not even be split into its columns */
  malformed?: string;
}

export interface SkippedRow {
  line: number;
  /** the row's ip as written (trimmed, at most 64 characters), null when empty */
  ip: string | null;
  reason: SkipReason;
  message: string;
}

export interface ImportSummary {
  /** data rows read (blank lines not counted) */
  rows: number;
  imported: number;
  /** every skipped row, by line */
  skipped: SkippedRow[];
  skippedByReason: Partial<Record<SkipReason, number>>;
  /** CSV columns that are not ip, port, country, city, asn, lat or lon: not read */
  ignoredColumns: string[];
  /** countries that received stock */
  countries: string[];
}

export type CheckedRow =
  | { ok: true; ip: Omit<NewIp, 'id'> }
  | { ok: false; reason: SkipReason; message: string };

function cell(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

/** A value as messages quote it: at most 64 characters. */
function q(t: string): string {
  return `"${t.length > 64 ? `${t.slice(0, 61)}...` : t}"`;
}

const PORT = /^\d{1,5}$/;
const ASN_TEXT = /^(?:as)?(\d{1,10})$/i;
const COORD = /^[-+]?\d{1,3}(?:\.\d{1,15})?$/;

/** An IP in one spelling per address: IPv4 dotted quad as node accepts it, IPv6 compressed in lower case. */
function canonicalIp(text: string): string | null {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return null; // no zone ids: not an address of the internet
  try {
    return new URL(`http://[${text}]`).hostname.slice(1, -1);
  } catch {
    return text.toLowerCase();
  }
}

/** Checks one row; pure. The order of the checks decides which reason a row with several faults gets. */
function checkImportRow(row: ImportRowInput): CheckedRow {
  const bad = (reason: SkipReason, message: string): CheckedRow => ({ ok: false, reason, message });
  if (row.malformed) return bad('malformed_row', row.malformed);
  const ipText = cell(row.ip);
  const address = ipText ? canonicalIp(ipText) : null;
  if (!address)
    return bad('invalid_ip', ipText ? `${q(ipText)} is not an IPv4 or IPv6 address` : 'ip is empty');
  const portText = cell(row.port);
  const port = PORT.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) return bad('invalid_port', `port ${q(portText)} is not 1 to 65535`);
  const countryText = cell(row.country);
  const country = normalizeCountry(countryText);
  if (!country) {
    return bad('invalid_country', `country ${q(countryText)} is not an ISO 3166 alpha-2 code`);
  }
  const city = cell(row.city).toLowerCase();
  if (!isCitySlug(city)) {
    return bad(
      'invalid_city',
      `city ${q(cell(row.city))} is not a lower-case slug without spaces, like newyork`,
    );
  }
  const asnText = cell(row.asn);
  const asnMatch = ASN_TEXT.exec(asnText);
  const asn = asnMatch ? Number(asnMatch[1]) : Number.NaN;
  if (!isAsn(asn)) return bad('invalid_asn', `asn ${q(asnText)} is not an integer from 1 to 4294967295`);
  const latText = cell(row.lat);
  const lonText = cell(row.lon);
  let lat: number | null = null;
  let lon: number | null = null;
  if (latText !== '' || lonText !== '') {
    lat = COORD.test(latText) ? Number(latText) : Number.NaN;
    lon = COORD.test(lonText) ? Number(lonText) : Number.NaN;
    if (!isLatLon(lat, lon)) {
      return bad(
        'invalid_coordinates',
        `lat ${q(latText)}, lon ${q(lonText)} are not a latitude −90..90 and a longitude −180..180`,
      );
    }
  } else if (!lookupCity(country, city)) {
    return bad(
      'unknown_city',
      `the gazetteer does not know ${country}/${city}; give its lat and lon on the row`,
    );
  }
  return { ok: true, ip: { address, port, country, city, asn, lat, lon } };
}

const REQUIRED = ['ip', 'port', 'country', 'city', 'asn'] as const;
const OPTIONAL = ['lat', 'lon'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

/**
 * Reads an import CSV: a header naming the columns (any order, any case), then one IP a line.
 * Unknown columns are ignored (and reported). A file that is not CSV, or lacks a required
 * column, is invalid_request.
 */
export function rowsFromCsv(text: string): Result<{ rows: ImportRowInput[]; ignoredColumns: string[] }> {
  const parsed = parseCsv(text);
  if (!parsed.ok)
    return err('invalid_request', `CSV line ${parsed.line}: ${parsed.message}`, { param: 'csv' });
  const records = parsed.records.filter((r) => !isBlankRecord(r));
  const header = records[0];
  if (!header) {
    return err('invalid_request', `the CSV is empty; it needs a header line: ${REQUIRED.join(',')}`, {
      param: 'csv',
    });
  }
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const index = new Map<Column, number>();
  const ignoredColumns: string[] = [];
  for (const [i, name] of names.entries()) {
    if ((REQUIRED as readonly string[]).includes(name) || (OPTIONAL as readonly string[]).includes(name)) {
      if (index.has(name as Column)) {
        return err('invalid_request', `the CSV header names the column ${name} twice`, { param: 'csv' });
      }
      index.set(name as Column, i);
    } else {
      ignoredColumns.push(header.fields[i]!.trim());
    }
  }
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length > 0) {
    return err(
      'invalid_request',
      `the CSV header (line ${header.line}) must name the columns ${REQUIRED.join(',')} (optionally lat,lon); missing: ${missing.join(',')}`,
      { param: 'csv' },
    );
  }
  if (records.length - 1 > MAX_IMPORT_ROWS) {
    return err('invalid_request', `at most ${MAX_IMPORT_ROWS} rows per import; split the file`, {
      param: 'csv',
    });
  }
  const width = names.length;
  const rows: ImportRowInput[] = [];
  for (let r = 1; r < records.length; r++) {
    const { line, fields } = records[r]!;
    const at = (c: Column) => {
      const i = index.get(c);
      return i === undefined ? undefined : fields[i];
    };
    const row: ImportRowInput = {
      line,
      ip: at('ip'),
      port: at('port'),
      country: at('country'),
      city: at('city'),
      asn: at('asn'),
      lat: at('lat'),
      lon: at('lon'),
    };
    if (fields.length !== width) {
      row.malformed = `${fields.length} fields where the header has ${width}`;
    }
    rows.push(row);
  }
  return ok({ rows, ignoredColumns });
}

export interface ImportOptions {
  ignoredColumns?: string[];
  /** called after each chunk: valid rows written so far, of how many */
  onProgress?: (done: number, total: number) => void;
}

export async function importInventory(
  deps: Deps,
  rows: readonly ImportRowInput[],
  opts: ImportOptions = {},
): Promise<Result<ImportSummary>> {
  if (rows.length > MAX_IMPORT_ROWS) {
    return err('invalid_request', `at most ${MAX_IMPORT_ROWS} rows per import; split the file`);
  }
  const skipped: SkippedRow[] = [];
  const good: { line: number; shown: string | null; ip: NewIp }[] = [];
  const seen = new Set<string>();
  const shownIp = (row: ImportRowInput) => {
    const t = cell(row.ip);
    return t === '' ? null : t.slice(0, 64);
  };
  for (const row of rows) {
    const c = checkImportRow(row);
    if (!c.ok) {
      skipped.push({ line: row.line, ip: shownIp(row), reason: c.reason, message: c.message });
      continue;
    }
    if (seen.has(c.ip.address)) {
      skipped.push({
        line: row.line,
        ip: shownIp(row),
        reason: 'duplicate_in_file',
        message: `${c.ip.address} appears earlier in this import`,
      });
      continue;
    }
    seen.add(c.ip.address);
    good.push({ line: row.line, shown: shownIp(row), ip: { id: deps.ids.next('ip'), ...c.ip } });
  }
  const now = await deps.clock.now();
  const countries = new Set<string>();
  const added = new Map<string, { country: string; city: string; asn: number; available: number }>();
  let imported = 0;
  await deps.db.tx(async (q) => {
    for (let i = 0; i < good.length; i += IMPORT_CHUNK) {
      const chunk = good.slice(i, i + IMPORT_CHUNK);
      const inserted = await insertIps(
        q,
        chunk.map((g) => g.ip),
        now,
      );
      for (const g of chunk) {
        if (inserted.has(g.ip.address)) {
          imported += 1;
          countries.add(g.ip.country);
          const place = `${g.ip.country}/${g.ip.city}/${g.ip.asn}`;
          const at = added.get(place);
          if (at) at.available += 1;
          else added.set(place, { country: g.ip.country, city: g.ip.city, asn: g.ip.asn, available: 1 });
        } else {
          skipped.push({
            line: g.line,
            ip: g.shown,
            reason: 'already_in_stock',
            message: `${g.ip.address} is already in stock`,
          });
        }
      }
      opts.onProgress?.(i + chunk.length, good.length);
    }
    // stock arrived: orders waiting for it get a run of the queue, and alerts may fire
    for (const country of [...countries].sort()) await enqueueWaitQueueRun(q, now, country);
    if (countries.size > 0) await evaluateStockAlerts(q, deps, [...countries], now, [...added.values()]);
  });
  skipped.sort((a, b) => a.line - b.line);
  const skippedByReason: Partial<Record<SkipReason, number>> = {};
  for (const s of skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
  return ok({
    rows: rows.length,
    imported,
    skipped,
    skippedByReason,
    ignoredColumns: opts.ignoredColumns ?? [],
    countries: [...countries].sort(),
  });
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvField, formatIpList, type IpListRow, ipListContentType } from './ip-list.ts';

const RUNS = 1_000;
const CREDS = { username: 'team-a', password: 'Xy7.k~9_pQ' };
const ROWS: IpListRow[] = [
  { id: 'ip_01', ip: '203.0.113.10', port: 8000, country: 'us', city: 'newyork', asn: 7922 },
  { id: 'ip_02', ip: '203.0.113.11', port: 8001, country: 'us', city: 'newyork', asn: 7922 },
];

describe('formatIpList', () => {
  it('plain is ip:port:username:password a line, each ending in a newline', () => {
    expect(formatIpList(ROWS, CREDS, 'plain')).toBe(
      '203.0.113.10:8000:team-a:Xy7.k~9_pQ\n203.0.113.11:8001:team-a:Xy7.k~9_pQ\n',
    );
  });

  it('csv has the header and CRLF line ends (RFC 4180)', () => {
    expect(formatIpList(ROWS, CREDS, 'csv')).toBe(
      `${CSV_HEADER}\r\n` +
        '203.0.113.10,8000,team-a,Xy7.k~9_pQ,us,newyork,7922\r\n' +
        '203.0.113.11,8001,team-a,Xy7.k~9_pQ,us,newyork,7922\r\n',
    );
    expect(CSV_HEADER).toBe('ip,port,username,password,country,city,asn');
  });

  it('csv quotes a field holding a comma, a quote or a line break', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('a\rb')).toBe('"a\rb"');
    expect(csvField('plain')).toBe('plain');
    expect(csvField(7922)).toBe('7922');
    const out = formatIpList(ROWS.slice(0, 1), { username: 'u,1', password: 'p"w' }, 'csv');
    expect(out.split('\r\n')[1]).toBe('203.0.113.10,8000,"u,1","p""w",us,newyork,7922');
  });

  it('json is an array of objects with the credentials and the IP id', () => {
    expect(JSON.parse(formatIpList(ROWS, CREDS, 'json'))).toEqual([
      {
        id: 'ip_01',
        ip: '203.0.113.10',
        port: 8000,
        username: 'team-a',
        password: 'Xy7.k~9_pQ',
        country: 'us',
        city: 'newyork',
        asn: 7922,
      },
      {
        id: 'ip_02',
        ip: '203.0.113.11',
        port: 8001,
        username: 'team-a',
        password: 'Xy7.k~9_pQ',
        country: 'us',
        city: 'newyork',
        asn: 7922,
      },
    ]);
    const noId = JSON.parse(
      formatIpList([{ ip: '1.2.3.4', port: 1, country: 'br', city: 'saopaulo', asn: 1 }], CREDS, 'json'),
    );
    expect(Object.keys(noId[0])).toEqual(['ip', 'port', 'username', 'password', 'country', 'city', 'asn']);
  });

  it('an empty batch is an empty list in every format', () => {
    expect(formatIpList([], CREDS, 'plain')).toBe('');
    expect(formatIpList([], CREDS, 'csv')).toBe(`${CSV_HEADER}\r\n`);
    expect(formatIpList([], CREDS, 'json')).toBe('[]');
  });

  it('writes an IPv6 address in brackets in the plain format', () => {
    const row = { ip: '2001:db8::1', port: 8000, country: 'us', city: 'newyork', asn: 7922 };
    expect(formatIpList([row], CREDS, 'plain')).toBe('[2001:db8::1]:8000:team-a:Xy7.k~9_pQ\n');
  });

  it('formats 5,000 IPs fast in all three formats', () => {
    const rows: IpListRow[] = Array.from({ length: 5000 }, (_, i) => ({
      id: `ip_${String(i).padStart(26, '0')}`,
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      port: 10000 + (i % 50000),
      country: 'us',
      city: 'losangeles',
      asn: 7018,
    }));
    const t0 = performance.now();
    const plain = formatIpList(rows, CREDS, 'plain');
    const csv = formatIpList(rows, CREDS, 'csv');
    const json = formatIpList(rows, CREDS, 'json');
    const elapsed = performance.now() - t0;
    expect(plain.split('\n')).toHaveLength(5001);
    expect(csv.split('\r\n')).toHaveLength(5002);
    expect(JSON.parse(json)).toHaveLength(5000);
    // typically a few ms; the bound only catches accidental quadratic work
    expect(elapsed).toBeLessThan(500);
  });

  it('gives each format its content type', () => {
    expect(ipListContentType('plain')).toBe('text/plain; charset=utf-8');
    expect(ipListContentType('csv')).toBe('text/csv; charset=utf-8');
    expect(ipListContentType('json')).toBe('application/json; charset=utf-8');
  });
});

describe('formatIpList properties', () => {
  const rowArb: fc.Arbitrary<IpListRow> = fc.record({
    ip: fc.ipV4(),
    port: fc.integer({ min: 1, max: 65535 }),
    country: fc.constantFrom('us', 'gb', 'br'),
    city: fc.stringMatching(/^[a-z][a-z0-9]{0,39}$/),
    asn: fc.integer({ min: 1, max: 4_294_967_295 }),
  });
  const credsArb = fc.record({
    username: fc.stringMatching(/^[a-z0-9_-]{3,32}$/),
    password: fc.stringMatching(/^[A-Za-z0-9._~-]{8,64}$/),
  });

  it('plain has exactly N lines of 4 colon-separated fields, in row order', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 50 }), credsArb, (rows, creds) => {
        const out = formatIpList(rows, creds, 'plain');
        const lines = out === '' ? [] : out.slice(0, -1).split('\n');
        expect(lines).toHaveLength(rows.length);
        if (rows.length > 0) expect(out.endsWith('\n')).toBe(true);
        lines.forEach((line, i) => {
          const f = line.split(':');
          expect(f).toEqual([rows[i]!.ip, String(rows[i]!.port), creds.username, creds.password]);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('csv parses back to the rows (any text in the credentials)', () => {
    const anyCreds = fc.record({ username: fc.string(), password: fc.string() });
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 20 }), anyCreds, (rows, creds) => {
        const parsed = parseCsv(formatIpList(rows, creds, 'csv'));
        expect(parsed[0]).toEqual(CSV_HEADER.split(','));
        expect(parsed.slice(1)).toEqual(
          rows.map((r) => [
            r.ip,
            String(r.port),
            creds.username,
            creds.password,
            r.country,
            r.city,
            String(r.asn),
          ]),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('json parses back to the rows', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 20 }), credsArb, (rows, creds) => {
        expect(JSON.parse(formatIpList(rows, creds, 'json'))).toEqual(rows.map((r) => ({ ...r, ...creds })));
      }),
      { numRuns: RUNS },
    );
  });
});

/** A strict RFC 4180 reader for the test: records end in CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"') {
      quoted = true;
      i++;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('csv does not end in CRLF');
  return records;
}

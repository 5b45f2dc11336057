import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBlankRecord, parseCsv } from './csv.ts';

function fields(text: string): string[][] {
  const r = parseCsv(text);
  if (!r.ok) throw new Error(`line ${r.line}: ${r.message}`);
  return r.records.map((x) => x.fields);
}

describe('CSV (RFC 4180)', () => {
  it('records are separated by CRLF, LF or CR; the last line break is optional', () => {
    expect(fields('a,b\r\nc,d\r\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(fields('a,b\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(fields('a,b\rc,d\r')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('a quoted field keeps commas, line breaks and doubled quotes', () => {
    expect(fields('"a,1","say ""hi""","two\r\nlines",x\n')).toEqual([
      ['a,1', 'say "hi"', 'two\r\nlines', 'x'],
    ]);
  });

  it('empty fields, a trailing comma and an empty quoted field are empty strings', () => {
    expect(fields(',a,,""\nb,')).toEqual([
      ['', 'a', '', ''],
      ['b', ''],
    ]);
  });

  it('a byte-order mark at the start is ignored', () => {
    expect(fields('\ufeffip,port\n1.2.3.4,80')).toEqual([
      ['ip', 'port'],
      ['1.2.3.4', '80'],
    ]);
  });

  it('each record knows the line it starts on, counting quoted line breaks and blank lines', () => {
    const r = parseCsv('h1,h2\n"x\ny",1\n\nz,2\r\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.records.map((x) => x.line)).toEqual([1, 2, 4, 5]);
    expect(r.records.map(isBlankRecord)).toEqual([false, false, true, false]);
  });

  it('a quote inside an unquoted field is kept as a character', () => {
    expect(fields('ab"c,d')).toEqual([['ab"c', 'd']]);
  });

  it('an unclosed quote is an error naming the line it opened on', () => {
    expect(parseCsv('a,b\n"never closed,c\nd')).toEqual({
      ok: false,
      line: 2,
      message: 'a quoted field is never closed',
    });
  });

  it('text after a closing quote is an error', () => {
    const r = parseCsv('a\n"x"y,1');
    expect(r).toMatchObject({ ok: false, line: 2 });
  });

  it('empty input has no records', () => {
    expect(fields('')).toEqual([]);
  });

  it('round trip: any table written with RFC 4180 quoting parses back to itself', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é') });
    const row = fc.array(cell, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), (table) => {
        // a row of one empty field would write a blank line, which is a record of one empty field
        const text = table.map((r) => r.map((c) => `"${c.replaceAll('"', '""')}"`).join(',')).join('\r\n');
        expect(fields(text)).toEqual(table);
      }),
    );
  });
});

/**
 * CSV as RFC 4180 defines it: records separated by CRLF (a bare LF or CR is accepted too), fields
 * separated by commas, a field may be enclosed in double quotes, and inside quotes a comma, a line
 * break or a doubled quote ("") is part of the field. A UTF-8 byte-order mark at the start is
 * ignored, and so is the line break after the last record. Pure: text in, records out.
 */

export interface CsvRecord {
  /** the 1-based line of the text the record starts on (a quoted line break spans lines) */
  line: number;
  fields: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; line: number; message: string };

const QUOTE = 34; // "
const COMMA = 44; // ,
const LF = 10;
const CR = 13;

/**
 * Parses the whole text. Malformed quoting (a quote opened and never closed, or anything but a
 * comma or a line break right after a closing quote) is an error naming its line; a quote inside
 * an unquoted field is kept as a character, as most producers write it that way.
 */
export function parseCsv(input: string): CsvResult {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  const n = text.length;
  let line = 1;
  let i = 0;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    // one record
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        // quoted field
        const opened = line;
        i += 1;
        let value = '';
        let from = i;
        for (;;) {
          if (i >= n) return { ok: false, line: opened, message: 'a quoted field is never closed' };
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              value += text.slice(from, i + 1);
              i += 2;
              from = i;
              continue;
            }
            value += text.slice(from, i);
            i += 1;
            break;
          }
          if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line += 1;
          i += 1;
        }
        fields.push(value);
        const after = text.charCodeAt(i);
        if (i < n && after !== COMMA && after !== LF && after !== CR) {
          return { ok: false, line, message: 'a closing quote must be followed by a comma or a line break' };
        }
      } else {
        // unquoted field: up to the next comma or line break
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR) break;
          j += 1;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i += 1;
        continue;
      }
      // a line break ends the record
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line += 1;
      break;
    }
    records.push({ line: start, fields });
  }
  return { ok: true, records };
}

/** True for a record that is one empty field: a blank line. */
export function isBlankRecord(r: CsvRecord): boolean {
  return r.fields.length === 1 && r.fields[0]!.trim() === '';
}

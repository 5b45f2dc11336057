/**
 * fast-check arbitraries from the OpenAPI document's JSON schemas, for the fuzz of every
 * operation: values that follow a schema (valid-ish: they reach the use-cases) and values that
 * break it (wrong types, missing required, extra fields, huge numbers, unicode and bidi text).
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown>;

/** Text that has broken parsers and renderers: bidi overrides, zero-width, NUL, lone surrogates. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u202eevil\u202c',
  '\u200f\u200e\u2066x\u2069',
  '\u200b',
  '\u0000',
  '\ud800',
  '\udfff',
  '😀👩‍👩‍👧',
  'Ω≈ç√∫',
  '١٢٣',
  '１２',
  'a'.repeat(10_000),
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '%00',
  'null',
  '__proto__',
];

export const HUGE_NUMBERS = [
  -1,
  0,
  -0,
  0.5,
  1e-9,
  2 ** 31,
  2 ** 53,
  2 ** 63,
  -(2 ** 63),
  1e21,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
];

const nastyString = fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }));
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, [], {}, ...HUGE_NUMBERS, ...NASTY_STRINGS.slice(0, 8)),
  fc.jsonValue({ maxDepth: 2 }),
);

const isoDate = fc.date({
  min: new Date('2020-01-01T00:00:00Z'),
  max: new Date('2030-01-01T00:00:00Z'),
  noInvalidDate: true,
});

export class SchemaArbitraries {
  constructor(
    private readonly components: Record<string, Schema>,
    /** strings for fields named like an id (`id`, `*_id`): real ids of the database, and junk */
    private readonly ids: () => fc.Arbitrary<string>,
  ) {}

  private resolve(s: Schema): Schema {
    let out = s;
    for (let i = 0; i < 10 && typeof out.$ref === 'string'; i += 1) {
      const name = (out.$ref as string).split('/').pop() ?? '';
      out = this.components[name] ?? {};
    }
    return out;
  }

  /** A value that follows the schema (pattern, enum, bounds), mostly. */
  valid(schema: Schema, name = '', depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const alternatives = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
    if (alternatives?.length) return fc.oneof(...alternatives.map((a) => this.valid(a, name, depth)));
    if (Array.isArray(s.allOf) && s.allOf.length) {
      return this.valid(Object.assign({}, ...(s.allOf as Schema[]).map((a) => this.resolve(a))), name, depth);
    }
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    if ('const' in s) return fc.constant(s.const);
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string | undefined];
    const type = types.find((t) => t && t !== 'null') ?? (s.properties ? 'object' : undefined);
    const nullable = types.includes('null') || s.nullable === true;
    const value = this.typed(s, type, name, depth);
    return nullable ? fc.oneof(value, fc.constant(null)) : value;
  }

  private typed(s: Schema, type: string | undefined, name: string, depth: number): fc.Arbitrary<unknown> {
    switch (type) {
      case 'string':
        return this.string(s, name);
      case 'integer': {
        const min = typeof s.minimum === 'number' ? s.minimum : -1000;
        const max = typeof s.maximum === 'number' ? s.maximum : Math.max(min, 0) + 100_000;
        return fc.oneof(fc.integer({ min, max: Math.min(max, min + 1000) }), fc.constantFrom(min, max));
      }
      case 'number': {
        const min = typeof s.minimum === 'number' ? s.minimum : -1000;
        const max = typeof s.maximum === 'number' ? s.maximum : min + 100_000;
        return fc.oneof(
          fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, min + 1000)) }),
          fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => Math.round(n * 100) / 100),
        );
      }
      case 'boolean':
        return fc.boolean();
      case 'array': {
        if (depth > 3) return fc.constant([]);
        const items = (s.items as Schema | undefined) ?? {};
        const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
        const maxLength = Math.min(typeof s.maxItems === 'number' ? s.maxItems : 3, minLength + 3);
        return fc.array(this.valid(items, name, depth + 1), { minLength, maxLength });
      }
      case 'object': {
        if (depth > 3) return fc.constant({});
        const props = (s.properties ?? {}) as Record<string, Schema>;
        const required = (s.required ?? []) as string[];
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) record[k] = this.valid(v, k, depth + 1);
        return fc.record(record, { requiredKeys: required.filter((k) => k in record) });
      }
      default:
        return junk;
    }
  }

  private string(s: Schema, name: string): fc.Arbitrary<string> {
    if (name === 'id' || name.endsWith('_id') || name.endsWith('_ids')) return this.ids();
    const format = s.format as string | undefined;
    if (format === 'date-time') return isoDate.map((d) => d.toISOString());
    if (format === 'date') return isoDate.map((d) => d.toISOString().slice(0, 10));
    if (format === 'email' || name === 'email') return fc.emailAddress();
    if (format === 'uri' || name === 'url') return fc.webUrl();
    if (typeof s.pattern === 'string') {
      try {
        return fc.stringMatching(new RegExp(s.pattern), { maxLength: 64 }).filter((x) => x.length <= 200);
      } catch {
        // a pattern JavaScript cannot compile: fall through to plain strings
      }
    }
    const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
    const maxLength = Math.min(typeof s.maxLength === 'number' ? s.maxLength : 40, minLength + 40);
    return fc.string({ minLength, maxLength });
  }

  /** A value that breaks the schema somewhere (or is junk of another type). */
  broken(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = (s.required ?? []) as string[];
    const options: fc.Arbitrary<unknown>[] = [junk, nastyString, fc.constantFrom(...HUGE_NUMBERS)];
    if (Object.keys(props).length > 0 && depth < 3) {
      const base = this.valid(s, '', depth).filter(
        (v): v is Record<string, unknown> => typeof v === 'object' && v !== null,
      );
      // one required field missing
      if (required.length) {
        options.push(
          fc.tuple(base, fc.constantFrom(...required)).map(([v, k]) => {
            const out = { ...v };
            delete out[k];
            return out;
          }),
        );
      }
      // a field the schema does not know
      options.push(
        fc
          .tuple(base, fc.constantFrom('extra', '__proto__', 'constructor', 'Product', ''), junk)
          .map(([v, k, x]) => ({
            ...v,
            [k]: x,
          })),
      );
      // one field of the wrong type, a huge number or nasty text
      const keys = Object.keys(props);
      options.push(
        fc
          .tuple(
            base,
            fc.constantFrom(...keys),
            fc.oneof(junk, nastyString, fc.constantFrom(...HUGE_NUMBERS)),
          )
          .map(([v, k, x]) => ({ ...v, [k]: x })),
      );
      // a nested field broken
      options.push(
        fc
          .constantFrom(...keys)
          .chain((k) => fc.tuple(base, fc.constant(k), this.broken(props[k]!, depth + 1)))
          .map(([v, k, x]) => ({ ...v, [k]: x })),
      );
    }
    return fc.oneof(...options);
  }

  /** A path or query parameter value as text: valid-ish or broken. */
  param(schema: Schema, name: string): fc.Arbitrary<string> {
    return fc.oneof(
      {
        weight: 3,
        arbitrary: this.valid(schema, name).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
      },
      {
        weight: 1,
        arbitrary: fc.oneof(
          nastyString,
          fc.constantFrom(...HUGE_NUMBERS).map(String),
          fc.constantFrom('-1', '1e400', 'NaN', 'true', '[]', '%', '%zz', '..', ''),
        ),
      },
    );
  }
}

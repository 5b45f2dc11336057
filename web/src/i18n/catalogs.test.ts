/** Every string the console shows exists in both languages (SPEC §10), and every API error code has words. */
import { describe, expect, it } from 'vitest';
import { errorStatus } from '../../../src/domain/errors.ts';
import { en } from './en.ts';
import { zhCN } from './zh-CN.ts';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v as object, `${prefix}${k}.`),
  );
}

function placeholders(s: string): string[] {
  return [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!).sort();
}

describe('the console catalogs', () => {
  it('zh-CN has exactly the keys of English, none empty', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
    for (const k of keys(zhCN)) {
      const v = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], zhCN);
      expect(v, k).not.toBe('');
    }
  });

  it('a translation keeps the placeholders of the English text', () => {
    for (const k of keys(en)) {
      const get = (o: object) =>
        k.split('.').reduce<unknown>((x, p) => (x as Record<string, unknown>)[p], o) as string;
      expect(placeholders(get(zhCN)), k).toEqual(placeholders(get(en)));
    }
  });

  it('every error code of the API has a message in both languages', () => {
    for (const code of Object.keys(errorStatus)) {
      expect(en.errors, code).toHaveProperty(code);
      expect(zhCN.errors, code).toHaveProperty(code);
    }
  });
});

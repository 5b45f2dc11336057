/**
 * The command line, parsed without surprises: `--name value` or `--name=value`, boolean flags
 * declared per command, `--` ends the options, and a token such as `-5` or `-0.50` is a value
 * (a negative amount), not an option.
 */

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** long name without the dashes */
  name: string;
  /** a switch that takes no value */
  boolean?: boolean;
  required?: boolean;
  /** placeholder for help text, e.g. 'EMAIL' */
  value?: string;
  description: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

const NUMBER_LIKE = /^-(\d|\.\d)/;

/** Splits argv into positionals and flags; knows nothing of commands yet. */
export function splitArgs(argv: readonly string[], booleans: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h') {
      flags.set('help', true);
      continue;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (flags.has(name)) throw new UsageError(`--${name} given twice`);
      if (eq !== -1) {
        if (booleans.has(name)) throw new UsageError(`--${name} takes no value`);
        flags.set(name, a.slice(eq + 1));
      } else if (booleans.has(name)) {
        flags.set(name, true);
      } else {
        const v = argv[i + 1];
        if (v === undefined || (v.startsWith('-') && !NUMBER_LIKE.test(v))) {
          throw new UsageError(`--${name} needs a value`);
        }
        flags.set(name, v);
        i++;
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !NUMBER_LIKE.test(a)) {
      throw new UsageError(`unknown option ${a}`);
    }
    positionals.push(a);
  }
  return { positionals, flags };
}

/** Checks flags against a command's specs: unknown ones and missing required ones are errors. */
export function checkFlags(flags: Map<string, string | true>, specs: readonly FlagSpec[]): void {
  for (const name of flags.keys()) {
    if (!specs.some((s) => s.name === name)) throw new UsageError(`unknown option --${name}`);
  }
  for (const s of specs) {
    if (s.required && !flags.has(s.name)) throw new UsageError(`--${s.name} is required`);
  }
}

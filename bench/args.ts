import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Command-line options of a bench script: `--help` prints the usage and exits 0; an
 * unknown option or a missing value names itself, then the usage, and exits 2 — never a
 * stack trace.
 */
export function benchArgs<O extends Options>(options: O, usage: string, argv = process.argv.slice(2)) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, strict: true }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    process.exit(2);
  }
}

/** Refuses a value outside `allowed`, with the usage (exit 2). */
export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], usage: string): T {
  if (value !== undefined && (allowed as readonly string[]).includes(value)) return value as T;
  process.stderr.write(`--${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})\n\n${usage}`);
  process.exit(2);
}

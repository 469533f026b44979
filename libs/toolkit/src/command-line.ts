import { parseArgs } from 'node:util';

/**
 * Every edgefleet command (distill, dataset:fashion-mnist, the benches, the demo) reads its arguments the same
 * way: node:util parseArgs over a declared option table, `--help` printing a usage text made from that table,
 * and every problem (unknown flag, missing value, bad number, missing required option) listed in one line —
 * so a user fixes them all at once instead of one per run.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for --help. */
  help: string;
  /** Placeholder shown in the usage text for a string option (default `<value>`). */
  arg?: string;
}

export interface CommandSpec {
  /** Name in error messages, e.g. `distill`. */
  name: string;
  /** How it is run, e.g. `npm run -s distill --`. */
  invocation: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments, e.g. `<name>`; none allowed when absent. */
  positionals?: string;
  /** Extra lines printed after the options. */
  notes?: string[];
}

/** A command line that cannot be run; `message` is one line listing every problem. */
export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
  constructor(readonly problems: string[]) {
    super(`${problems.join('; ')} (see --help)`);
  }
}

export interface NumberRule {
  integer?: boolean;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive lower bound (e.g. a temperature > 0). */
  above?: number;
}

const ruleText = (r: NumberRule): string => {
  const parts = [r.integer ? 'an integer' : 'a number'];
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.min !== undefined && r.max !== undefined) parts.push(`in ${r.min}..${r.max}`);
  else if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  else if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  return parts.join(' ');
};

export function usageText(spec: CommandSpec): string {
  const flags = Object.entries({ ...spec.options, help: HELP_OPTION });
  const left = flags.map(([name, o]) => (o.type === 'string' ? `--${name} ${o.arg ?? '<value>'}` : `--${name}`));
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return [
    `usage: ${spec.invocation}${spec.positionals ? ` ${spec.positionals}` : ''} [options]`,
    spec.summary,
    '',
    'options:',
    ...flags.map(([, o], i) => `  ${left[i]!.padEnd(width)}${o.help}`),
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
  ].join('\n');
}

const HELP_OPTION: OptionSpec = { type: 'boolean', help: 'print this text and exit' };

/** A parsed command line: typed getters that record problems instead of throwing, then `done()`. */
export class CommandLine {
  readonly problems: string[] = [];

  private constructor(
    readonly spec: CommandSpec,
    readonly help: boolean,
    private readonly values: Record<string, string | boolean | undefined>,
    readonly positionals: string[],
  ) {}

  static parse(spec: CommandSpec, argv: readonly string[]): CommandLine {
    const options = { ...spec.options, help: HELP_OPTION };
    // strict: false so that every problem is collected from the tokens below instead of the first one thrown.
    const { values, positionals, tokens } = parseArgs({
      args: [...argv], options: Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type }])),
      strict: false, allowPositionals: true, tokens: true,
    });
    const problems: string[] = [];
    for (const t of tokens) {
      if (t.kind !== 'option') continue;
      const o = (options as Record<string, OptionSpec | undefined>)[t.name];
      if (!o) problems.push(`unknown option ${t.rawName}`);
      else if (o.type === 'string' && (t.value === undefined || (t.inlineValue !== true && t.value.startsWith('--')))) {
        // `--out --json`: parseArgs took the next flag as the value; refuse it as strict mode would.
        problems.push(`${t.rawName} needs a value`);
        values[t.name] = undefined;
      } else if (o.type === 'boolean' && t.value !== undefined) problems.push(`${t.rawName} takes no value`);
    }
    if (positionals.length && !spec.positionals) problems.push(`unexpected argument ${positionals[0]}`);
    const cl = new CommandLine(spec, values.help === true, values, positionals);
    cl.problems.push(...problems);
    return cl;
  }

  /** The raw value of a string option (undefined when absent or when its value was missing). */
  string(name: string): string | undefined {
    this.known(name);
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  flag(name: string): boolean {
    this.known(name);
    return this.values[name] === true;
  }

  /** A number option checked against `rule`; a bad value is recorded as a problem and gives undefined. */
  number(name: string, rule: NumberRule = {}): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const n = raw.trim() === '' ? NaN : Number(raw);
    const ok = Number.isFinite(n) && (!rule.integer || Number.isInteger(n)) && (rule.min === undefined || n >= rule.min)
      && (rule.max === undefined || n <= rule.max) && (rule.above === undefined || n > rule.above);
    if (!ok) {
      this.problems.push(`bad value for --${name}: ${raw} (${ruleText(rule)})`);
      return undefined;
    }
    return n;
  }

  /** A string option limited to `choices`. */
  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!(choices as readonly string[]).includes(raw)) {
      this.problems.push(`bad value for --${name}: ${raw} (one of ${choices.join(', ')})`);
      return undefined;
    }
    return raw as T;
  }

  /** A comma-separated list; each item is checked by `parse` (return undefined to refuse it). */
  list<T>(name: string, parse: (item: string) => T | undefined, what: string): T[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const items = raw.split(',').filter(Boolean).map(parse);
    if (items.length === 0 || items.some((x) => x === undefined)) {
      this.problems.push(`bad value for --${name}: ${raw} (${what})`);
      return undefined;
    }
    return items as T[];
  }

  /** Records a problem for every named option that is absent. */
  require(...names: string[]): void {
    const missing = names.filter((n) => this.string(n) === undefined && !this.problems.includes(`--${n} needs a value`));
    if (missing.length) this.problems.push(`${missing.map((n) => `--${n}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required`);
  }

  /** Records `problem` unless `ok`. */
  check(ok: boolean, problem: string): void {
    if (!ok) this.problems.push(problem);
  }

  /** Throws a CommandLineError listing every problem recorded so far. */
  done(): void {
    if (this.problems.length) throw new CommandLineError(this.problems);
  }

  private known(name: string): void {
    if (!(name in this.spec.options)) throw new Error(`${this.spec.name}: option --${name} is read but not declared`);
  }
}

/**
 * Runs a command's `main` the same way for every command: `--help` prints the usage on stdout (exit 0); a
 * CommandLineError, or an error `oneLine` recognises as the user's (bad data, bad config), is one line on stderr
 * prefixed by the command's name, exit 1; anything else is a bug and is printed with its stack, exit 1.
 */
export function runCommand(
  spec: CommandSpec,
  argv: readonly string[],
  main: (cl: CommandLine) => Promise<void>,
  oneLine: (err: unknown) => boolean = () => false,
): void {
  const cl = CommandLine.parse(spec, argv);
  if (cl.help) {
    process.stdout.write(`${usageText(spec)}\n`);
    return;
  }
  main(cl).catch((err: unknown) => {
    if (err instanceof CommandLineError || oneLine(err)) process.stderr.write(`${spec.name}: ${(err as Error).message}\n`);
    else process.stderr.write(`${spec.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

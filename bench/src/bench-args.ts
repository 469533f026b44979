/** Tiny `--flag value` / `--switch` parser shared by the distillation benches. */
export function benchArgs(args: string[], known: Record<string, 'number' | 'boolean' | 'string'>): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!.replace(/^--/, '');
    const kind = known[flag];
    if (!kind) throw new Error(`unknown option ${args[i]} (known: ${Object.keys(known).map((k) => `--${k}`).join(' ')})`);
    if (kind === 'boolean') { out[flag] = true; continue; }
    const v = args[++i];
    if (v === undefined) throw new Error(`${args[i - 1]} needs a value`);
    if (kind === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${args[i - 1]}: not a number: ${v}`);
      out[flag] = n;
    } else out[flag] = v;
  }
  return out;
}

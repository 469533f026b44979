import type { Env } from './app-config';

/** Reads typed values; a bad value is recorded and a harmless default returned so checking can go on. */
export class EnvReader {
  constructor(private readonly env: Env, private readonly problems: string[]) {}

  private raw(key: string): string | undefined {
    const v = this.env[key];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(key: string, def: string): string {
    return this.raw(key) ?? def;
  }

  optionalString(key: string, minLength: number): string | undefined {
    const v = this.raw(key);
    if (v !== undefined && v.length < minLength) this.problems.push(`${key} must be at least ${minLength} characters long`);
    return v;
  }

  int(key: string, def: number, min: number, max: number): number {
    const v = this.raw(key);
    if (v === undefined) return def;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) {
      this.problems.push(`${key}=${JSON.stringify(v)} must be an integer between ${min} and ${max}`);
      return def;
    }
    return n;
  }

  /** true/false/1/0; anything else is a problem. */
  flag(key: string, def: boolean): boolean {
    const v = this.raw(key)?.toLowerCase();
    if (v === undefined) return def;
    if (!['true', 'false', '1', '0'].includes(v)) {
      this.problems.push(`${key}=${JSON.stringify(v)} must be true or false`);
      return def;
    }
    return v === 'true' || v === '1';
  }

  port(key: string, def: number): number {
    return this.int(key, def, 0, 65535);
  }

  url(key: string, protocols: string[]): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      this.problems.push(`${key} is not a valid URL`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problems.push(`${key} must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${parsed.protocol}//)`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], def: T): T {
    const v = this.raw(key);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${key}=${JSON.stringify(v)} must be one of ${allowed.join(', ')}`);
      return def;
    }
    return v as T;
  }
}

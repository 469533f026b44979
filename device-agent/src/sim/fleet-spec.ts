import { PROFILE_PRESETS } from '../hardware/profiles';

/** How many simulated devices play one device class (a preset of hardware/profiles.ts). */
export interface ClassShare {
  name: string;
  count: number;
}

/** Faults the simulator injects into a class, each a probability per device in [0, 1]. */
export interface ClassFaults {
  /** The device's benchmark misses every gate (latency × 1000, accuracy 0, memory × 1000). */
  gate: number;
  /** The device is stopped after its first block arrived and restarted `restartMs` later on the same state dir. */
  crash: number;
  /** The device drops off the broker when the desired state arrives and comes back `offlineMs` later. */
  offline: number;
}

export const FAULT_KINDS = ['gate', 'crash', 'offline'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const NO_FAULTS: ClassFaults = { gate: 0, crash: 0, offline: 0 };

/**
 * `gateway:600,rpi4:300,tight:100` → class shares. Every name must be a profile preset; counts are integers ≥ 0.
 * Returns the problems instead of throwing, so a command line reports all of them at once.
 */
export function parseClasses(text: string): { classes: ClassShare[]; problems: string[] } {
  const classes: ClassShare[] = [];
  const problems: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9-]+):(\d{1,7})$/.exec(item);
    if (!m) {
      problems.push(`class "${item}": expected <preset>:<count>`);
      continue;
    }
    if (!PROFILE_PRESETS[m[1]!]) problems.push(`class "${m[1]}": not a profile preset (${Object.keys(PROFILE_PRESETS).join(', ')})`);
    else if (classes.some((c) => c.name === m[1])) problems.push(`class "${m[1]}" given twice`);
    else classes.push({ name: m[1]!, count: Number(m[2]) });
  }
  if (classes.length === 0 && problems.length === 0) problems.push('no class given');
  return { classes, problems };
}

/** Spreads `devices` over the classes in proportion to their counts (largest remainder; the total is exact). */
export function scaleClasses(classes: readonly ClassShare[], devices: number): ClassShare[] {
  const sum = classes.reduce((a, c) => a + c.count, 0);
  if (sum === 0) return classes.map((c) => ({ ...c, count: 0 }));
  const exact = classes.map((c) => (c.count * devices) / sum);
  const out = classes.map((c, i) => ({ name: c.name, count: Math.floor(exact[i]!) }));
  let left = devices - out.reduce((a, c) => a + c.count, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!.count++;
  }
  return out;
}

/**
 * `tight:gate=1,rpi4:crash=0.1,gateway:offline=0.05` (or `*:gate=0.1` for every class) → faults per class.
 */
export function parseFaults(text: string, classNames: readonly string[]): { faults: Map<string, ClassFaults>; problems: string[] } {
  const faults = new Map<string, ClassFaults>();
  const problems: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9*-]+):([a-z]+)=([0-9.]+)$/.exec(item);
    const rate = m ? Number(m[3]) : NaN;
    if (!m || !(FAULT_KINDS as readonly string[]).includes(m[2]!) || !(rate >= 0 && rate <= 1)) {
      problems.push(`fault "${item}": expected <class|*>:<${FAULT_KINDS.join('|')}>=<probability 0..1>`);
      continue;
    }
    const targets = m[1] === '*' ? classNames : [m[1]!];
    if (m[1] !== '*' && !classNames.includes(m[1]!)) problems.push(`fault "${item}": class ${m[1]} is not simulated`);
    for (const t of targets) faults.set(t, { ...(faults.get(t) ?? NO_FAULTS), [m[2] as FaultKind]: rate });
  }
  return { faults, problems };
}

import { createHash } from 'node:crypto';
import { backoffDelay } from '@edgefleet/toolkit';
import {
  DEFAULT_RETRY_BACKOFF_SEC, RETRYABLE, type AbortCriteria, type ClassHealth, type Decision, type DeviceHealth, type FailureOutcome, type RatePlan,
  type RetryPlan, type RolloutPlan, type SuccessCriteria, type WavePlan,
} from './rollout.types';

/*
 * The pure rules of a rollout, free of I/O so each is tested on its own (rollout-decision.spec.ts): which wave a
 * device belongs to, how many may be notified now, how a wave's health is summed up, and the one decision the
 * driver takes next.
 */

/** Cumulative device count at the end of each wave: percent or count, at least one device per class in wave 0, the last wave everything. */
export function waveSizes(total: number, waves: readonly WavePlan[], classes: number): number[] {
  const sizes = waves.map((w, i) => {
    if (i === waves.length - 1) return total;
    const n = w.count ?? Math.ceil((total * (w.percent ?? 100)) / 100);
    return Math.min(total, Math.max(n, i === 0 ? Math.min(classes, total) : 1));
  });
  for (let i = 1; i < sizes.length; i++) sizes[i] = Math.max(sizes[i]!, sizes[i - 1]!);
  return sizes;
}

/**
 * Assigns each device a wave. Devices are taken round-robin over the classes (each class in id order), so every
 * prefix — wave 0, the canary, first — covers every class of the segment and keeps the classes' proportions.
 */
export function assignWaves(devices: ReadonlyArray<{ id: string; profileClass: string }>, waves: readonly WavePlan[]): Map<string, number> {
  const byClass = new Map<string, string[]>();
  for (const d of [...devices].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    byClass.set(d.profileClass, [...(byClass.get(d.profileClass) ?? []), d.id]);
  }
  // The first device of each class leads (the canary covers every class); the rest interleave proportionally,
  // each class's i-th device at (i + 0.5) / size of the way through its class.
  const entries = [...byClass.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const order = [
    ...entries.map(([cls, ids]) => ({ id: ids[0]!, cls })),
    ...entries
      .flatMap(([cls, ids]) => ids.slice(1).map((id, i) => ({ id, cls, at: (i + 1.5) / ids.length })))
      .sort((a, b) => a.at - b.at || (a.cls < b.cls ? -1 : 1)),
  ];
  const sizes = waveSizes(order.length, waves, byClass.size);
  const out = new Map<string, number>();
  let wave = 0;
  order.forEach((d, i) => {
    while (i >= sizes[wave]!) wave += 1;
    out.set(d.id, wave);
  });
  return out;
}

/** The rate in force after `notified` devices (exponential ramp if planned). */
export function currentRate(rate: RatePlan, notified: number): number {
  if (!rate.ramp) return rate.perMinute;
  const steps = Math.floor(notified / rate.ramp.every);
  return Math.min(rate.ramp.maxPerMinute, rate.perMinute * rate.ramp.factor ** steps);
}

/**
 * Devices that may be notified now: a burst of one, then `perMinute` spread evenly — from `paceFrom` (the wave's
 * start, a resume or a ramp step) at most 1 + rate × elapsed minutes. Unlimited without a rate.
 */
export function allowance(rate: RatePlan | undefined, p: { paceFrom: Date; notifiedSince: number; notifiedTotal: number; now: Date }): number {
  if (!rate) return Number.POSITIVE_INFINITY;
  const perMinute = currentRate(rate, p.notifiedTotal);
  const elapsedMin = Math.max(0, p.now.getTime() - p.paceFrom.getTime()) / 60_000;
  return Math.max(0, Math.floor(1 + perMinute * elapsedMin) - p.notifiedSince);
}

/** Is `now` inside the daily UTC window "HH:MM"–"HH:MM" (which may span midnight)? No window: always. */
export function inWindow(window: { start: string; end: string } | undefined, now: Date): boolean {
  if (!window) return true;
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const t = now.getUTCHours() * 60 + now.getUTCMinutes();
  const [s, e] = [minutes(window.start), minutes(window.end)];
  return s <= e ? t >= s && t < e : t >= s || t < e;
}

/** Longest wait before a retry, however many attempts a device took. */
const MAX_RETRY_BACKOFF_MS = 3_600_000;

/**
 * When a device whose install ended with `failure` is notified again, or undefined when the plan allows no (more)
 * retries for that failure type. Exponential backoff from the failure, with a jitter that is a hash of the device
 * and attempt — the same at every driver step (nothing kept in memory) yet spread over the devices.
 */
export function retryAt(plan: RetryPlan | undefined, p: { deviceId: string; failure: FailureOutcome; retries: Partial<Record<FailureOutcome, number>>; attempts: number; failedAt: Date }): Date | undefined {
  if (!plan || (p.retries[p.failure] ?? 0) >= (plan[RETRYABLE[p.failure]] ?? 0)) return undefined;
  const random = () => createHash('sha256').update(`${p.deviceId}:${p.attempts}`).digest().readUInt32BE(0) / 2 ** 32;
  const delay = backoffDelay(Math.max(0, p.attempts - 1), { baseMs: (plan.backoffSec ?? DEFAULT_RETRY_BACKOFF_SEC) * 1000, maxMs: MAX_RETRY_BACKOFF_MS, random });
  return new Date(p.failedAt.getTime() + delay);
}

const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]): number | undefined => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
const round = (x: number | undefined, digits = 3): number | undefined => (x === undefined ? undefined : Number(x.toFixed(digits)));

const FINISHED = new Set(['active', 'rejected', 'failed', 'timed_out']);
const FAILURES = new Set(['rejected', 'failed', 'timed_out']);

/** Per class: how the devices fared and what they measured, against what they measured for their previous model. */
export function classHealth(devices: readonly DeviceHealth[]): Record<string, ClassHealth> {
  const groups = new Map<string, DeviceHealth[]>();
  for (const d of devices) {
    if (d.outcome === 'left') continue;
    groups.set(d.profileClass, [...(groups.get(d.profileClass) ?? []), d]);
  }
  const out: Record<string, ClassHealth> = {};
  for (const [cls, ds] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const finished = ds.filter((d) => FINISHED.has(d.outcome));
    const count = (o: string) => ds.filter((d) => d.outcome === o).length;
    const ratio = (k: 'p50Ms' | 'p95Ms') => median(finished.flatMap((d) => (d[k] !== undefined && d.baseline?.[k] ? [d[k] / d.baseline[k]] : [])));
    const measured = finished.filter((d) => d.accuracy !== undefined);
    out[cls] = {
      devices: ds.length, finished: finished.length, active: count('active'), rejected: count('rejected'), failed: count('failed'), timedOut: count('timed_out'),
      retrying: count('retrying'),
      passPercent: finished.length ? round((100 * count('active')) / finished.length, 1) : undefined,
      p50Ratio: round(ratio('p50Ms')), p95Ratio: round(ratio('p95Ms')),
      accuracy: round(mean(measured.map((d) => d.accuracy!)), 4),
      baselineAccuracy: round(mean(measured.flatMap((d) => (d.baseline?.accuracy !== undefined ? [d.baseline.accuracy] : []))), 4),
    };
  }
  return out;
}

/** The criteria a class's numbers miss, each as a sentence (empty: all met; a number nobody measured is not judged). */
export function missedCriteria(h: ClassHealth, c: SuccessCriteria | undefined): string[] {
  if (!c) return [];
  const out: string[] = [];
  if (c.minPassPercent !== undefined && h.passPercent !== undefined && h.passPercent < c.minPassPercent) out.push(`pass rate ${h.passPercent}% < ${c.minPassPercent}%`);
  if (c.maxP50Ratio !== undefined && h.p50Ratio !== undefined && h.p50Ratio > c.maxP50Ratio) out.push(`median p50 ${h.p50Ratio}× the previous model > ${c.maxP50Ratio}×`);
  if (c.maxP95Ratio !== undefined && h.p95Ratio !== undefined && h.p95Ratio > c.maxP95Ratio) out.push(`median p95 ${h.p95Ratio}× the previous model > ${c.maxP95Ratio}×`);
  if (c.minAccuracy !== undefined && h.accuracy !== undefined && h.accuracy < c.minAccuracy) out.push(`accuracy ${h.accuracy} < ${c.minAccuracy}`);
  if (c.maxAccuracyDrop !== undefined && h.accuracy !== undefined && h.baselineAccuracy !== undefined && h.baselineAccuracy - h.accuracy > c.maxAccuracyDrop) {
    out.push(`accuracy dropped ${round(h.baselineAccuracy - h.accuracy, 4)} from ${h.baselineAccuracy} > ${c.maxAccuracyDrop}`);
  }
  return out;
}

/** The failure rate the abort criteria judge: failed + rejected + timed-out devices as % of the finished ones. */
export interface FailureRate {
  finished: number;
  failures: number;
  rejected: number;
  failed: number;
  timedOut: number;
  /** undefined while no device has finished. */
  percent?: number;
}

export function failureRate(devices: readonly DeviceHealth[]): FailureRate {
  const finished = devices.filter((d) => FINISHED.has(d.outcome));
  const failures = finished.filter((d) => FAILURES.has(d.outcome));
  const by = (o: string) => failures.filter((d) => d.outcome === o).length;
  return {
    finished: finished.length, failures: failures.length, rejected: by('rejected'), failed: by('failed'), timedOut: by('timed_out'),
    percent: finished.length ? round((100 * failures.length) / finished.length, 1) : undefined,
  };
}

/** Abort criteria over the rollout so far: a sentence when they are met. */
export function abortReason(devices: readonly DeviceHealth[], abort: AbortCriteria | undefined): string | undefined {
  if (!abort) return undefined;
  const f = failureRate(devices);
  if (f.finished < abort.minDevices || f.finished === 0) return undefined;
  const pct = (100 * f.failures) / f.finished;
  if (pct < abort.failurePercent) return undefined;
  return `${f.failures} of ${f.finished} finished devices failed (${f.rejected} rejected, ${f.failed} failed, ${f.timedOut} timed out): ${round(pct, 1)}% ≥ ${abort.failurePercent}% after ≥ ${abort.minDevices} devices`;
}

/**
 * How many of the due retries may go now. Retries share the rollout's rate with new notifications (`shared`: the
 * allowance after both), and `retries.perMinute` caps them on their own — counted, like notifications, from paceFrom.
 */
export function retryAllowance(plan: RolloutPlan, shared: number, p: { paceFrom: Date; retriedSince: number; now: Date }): number {
  const own = plan.retries?.perMinute ? allowance({ perMinute: plan.retries.perMinute }, { paceFrom: p.paceFrom, notifiedSince: p.retriedSince, notifiedTotal: 0, now: p.now }) : Number.POSITIVE_INFINITY;
  return Math.min(shared, own);
}

export interface DecideInput {
  plan: RolloutPlan;
  wave: number;
  /** Every device of the rollout so far (all waves). */
  devices: readonly DeviceHealth[];
  /** Devices that may be notified now (allowance(), notifications and retries since paceFrom both counted). */
  allowance: number;
  /** Due retries that may go now (retryAllowance()); default: `allowance`. */
  retryAllowance?: number;
  inWindow: boolean;
  now: Date;
  /** Stage mode: the wave's devices were told to switch. */
  switched: boolean;
}

/**
 * The next step of a running rollout. In order: abort criteria (over the whole rollout) → notify the wave's planned
 * devices as the rate and window allow → wait for the notified ones → (stage mode) switch them together → judge
 * the wave per class against its success criteria → complete, wait for approval, or advance.
 */
export function decide(input: DecideInput): Decision {
  const { plan, wave, devices } = input;
  const abort = abortReason(devices, plan.abort);
  if (abort) return { action: plan.abort!.action, reason: `abort criteria met: ${abort}`, metrics: { classes: classHealth(devices) } };

  const inWave = devices.filter((d) => d.wave === wave && d.outcome !== 'left');
  const planned = inWave.filter((d) => d.outcome === 'planned').length;
  const due = inWave.filter((d) => d.outcome === 'retrying' && d.retryAt && d.retryAt <= input.now).length;
  const waveStart = plan.waves[wave]?.startAt;
  if (planned > 0 && waveStart && Date.parse(waveStart) > input.now.getTime()) return { action: 'wait', reason: `wave ${wave} starts at ${waveStart}` };
  if ((planned > 0 || due > 0) && !input.inWindow) return { action: 'wait', reason: `outside the maintenance window ${plan.window!.start}–${plan.window!.end} UTC` };
  // Retries are paced like notifications (a mass failure must not come back as a stampede), and go first: they
  // finish the wave that is running. The rest wait for the rate.
  if (due > 0) {
    const may = Math.min(due, input.retryAllowance ?? input.allowance);
    if (may <= 0) return { action: 'wait', reason: `rate limit: ${due} retry(ies) due` };
    return { action: 'retry', count: may, reason: `wave ${wave}: ${due} device(s) to retry${may < due ? `, ${may} now (rate)` : ''}` };
  }
  if (planned > 0) {
    if (input.allowance <= 0) return { action: 'wait', reason: 'rate limit' };
    return { action: 'notify', count: Math.min(planned, input.allowance), reason: `wave ${wave}: ${planned} device(s) to notify` };
  }
  const busy = inWave.filter((d) => d.outcome === 'in_progress' || d.outcome === 'retrying').length;
  if (plan.stage && !input.switched) {
    if (busy > 0) return { action: 'wait', reason: `wave ${wave}: ${busy} device(s) still staging` };
    const staged = inWave.filter((d) => d.outcome === 'staged').length;
    if (staged > 0) return { action: 'stage-switch', reason: `wave ${wave}: all ${staged} staged device(s) fetched, verified and benchmarked the model; switching them together` };
  }
  if (busy > 0 || inWave.some((d) => d.outcome === 'staged')) return { action: 'wait', reason: `wave ${wave}: ${busy} device(s) in progress` };

  const classes = classHealth(inWave);
  const criteria = plan.waves[wave]?.success;
  const misses = Object.entries(classes).flatMap(([cls, h]) => missedCriteria(h, criteria).map((m) => `class ${cls}: ${m}`));
  const metrics = { classes };
  if (misses.length > 0) {
    const action = plan.abort?.action ?? 'pause';
    return { action, reason: `wave ${wave} missed its success criteria: ${misses.join('; ')}`, metrics };
  }
  const summary = Object.entries(classes).map(([cls, h]) => `${cls} ${h.active}/${h.devices} active`).join(', ') || 'no devices';
  if (wave >= plan.waves.length - 1) return { action: 'complete', reason: `last wave ${wave} met its criteria (${summary})`, metrics };
  if (plan.waves[wave]?.requireApproval) return { action: 'await-approval', reason: `wave ${wave} met its criteria (${summary}); the next wave needs approval`, metrics };
  return { action: 'advance', reason: `wave ${wave} met its criteria (${summary})`, metrics };
}

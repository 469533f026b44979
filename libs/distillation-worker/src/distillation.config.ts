import { join, resolve } from 'node:path';
import { remoteTeacherUrl } from '@edgefleet/distill';
import { ConfigError, Env, EnvReader } from '@edgefleet/platform';

/** `http://a:1, https://b` → their URL origins; anything that is not an http(s) URL is a configuration problem. */
function originsOf(list: string, problems: string[]): string[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).flatMap((s) => {
    try {
      const u = new URL(s);
      if (u.protocol === 'http:' || u.protocol === 'https:') return [u.origin];
    } catch { /* reported below */ }
    problems.push(`TEXT_TEACHER_ORIGINS: ${JSON.stringify(s)} is not an http(s) origin`);
    return [];
  });
}

/**
 * Settings of the distillation queue and its workers, read once from the environment (a separate object so the
 * standalone distiller and the control plane share it without widening AppConfig).
 *
 * | env | default | meaning |
 * |---|---|---|
 * | EMBEDDED_WORKER | true | run a distillation worker inside the control plane |
 * | WORKER_LEASE_MS | 30000 | a claim expires this long after the last heartbeat; then the job is retried |
 * | WORKER_HEARTBEAT_MS | 1000 | heartbeat / progress-write interval (≤ lease / 2) |
 * | WORKER_POLL_MS | 1000 | idle poll interval |
 * | DISTILL_THREADS | 2 | onnxruntime threads per job |
 * | DISTILL_MAX_ATTEMPTS | 3 | attempts per job (lease expiries and crashes count) |
 * | CODE_VERSION | package version | recorded in every artifact's lineage (e.g. a git commit) |
 * | TEACHER_CACHE_DIR | DATA_DIR/teacher-cache | text teachers' content-addressed output cache (share it between workers) |
 * | TEXT_TEACHER_ORIGINS | (none) | comma-separated origins (`http://127.0.0.1:11434`) an `openai:` text teacher may be reached at; none = remote teachers refused |
 * | TEXT_TEACHER_API_KEY | (none) | bearer token sent to a remote text teacher |
 */
export class DistillationConfig {
  constructor(
    readonly embeddedWorker: boolean,
    readonly leaseMs: number,
    readonly heartbeatMs: number,
    readonly pollMs: number,
    readonly threads: number,
    readonly maxAttempts: number,
    readonly codeVersion?: string,
    readonly teacherCacheDir: string = join('data', 'teacher-cache'),
    readonly textTeacherOrigins: readonly string[] = [],
    readonly textTeacherApiKey?: string,
  ) {}

  /** Why a text teacher may not run here (an `openai:` URL whose origin TEXT_TEACHER_ORIGINS does not list), or undefined. */
  textTeacherProblem(spec: string): string | undefined {
    const url = remoteTeacherUrl(spec);
    if (!url || this.textTeacherOrigins.includes(url.origin)) return undefined;
    return `remote text teacher ${url.origin} is not allowed: list its origin in TEXT_TEACHER_ORIGINS (allowed: ${this.textTeacherOrigins.join(', ') || 'none'})`;
  }

  static fromEnv(env: Env): DistillationConfig {
    const problems: string[] = [];
    const r = new EnvReader(env, problems);
    const leaseMs = r.int('WORKER_LEASE_MS', 30_000, 200, 3_600_000);
    const heartbeatMs = r.int('WORKER_HEARTBEAT_MS', 1_000, 50, 600_000);
    if (heartbeatMs * 2 > leaseMs) problems.push(`WORKER_HEARTBEAT_MS (${heartbeatMs}) must be at most half of WORKER_LEASE_MS (${leaseMs})`);
    const cfg = new DistillationConfig(
      r.flag('EMBEDDED_WORKER', true), leaseMs, heartbeatMs, r.int('WORKER_POLL_MS', 1_000, 10, 600_000),
      r.int('DISTILL_THREADS', 2, 1, 64), r.int('DISTILL_MAX_ATTEMPTS', 3, 1, 100), env.CODE_VERSION?.trim() || undefined,
      resolve(r.string('TEACHER_CACHE_DIR', join(r.string('DATA_DIR', './data'), 'teacher-cache'))),
      originsOf(r.string('TEXT_TEACHER_ORIGINS', ''), problems), env.TEXT_TEACHER_API_KEY?.trim() || undefined,
    );
    if (problems.length > 0) throw new ConfigError(problems);
    return cfg;
  }
}

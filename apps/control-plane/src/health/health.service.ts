import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@edgefleet/db';
import { DATABASE } from '@edgefleet/platform';
import { HealthRepository } from './health.repository';

export type HealthResult =
  | { ok: true; database: Database['kind']; uptimeSeconds: number }
  | { ok: false; reason: string };

@Injectable()
export class HealthService {
  private readonly startedAt = Date.now();
  /** Set by startControlPlane once start-up is complete (the admin key stored): until then the API may refuse keys. */
  private started = false;

  constructor(private readonly repo: HealthRepository, @Inject(DATABASE) private readonly db: Database) {}

  markStarted(): void {
    this.started = true;
  }

  async check(): Promise<HealthResult> {
    // Listening comes before the admin key is stored (a start that fails must not create a key), so a probe that
    // saw 200 here could otherwise get 401 from its first authenticated request.
    if (!this.started) return { ok: false, reason: 'starting' };
    try {
      await this.repo.ping();
    } catch (err) {
      // Not swallowed: the failure is the answer (503 with the reason).
      return { ok: false, reason: `database unreachable: ${err instanceof Error ? err.message : String(err)}` };
    }
    return { ok: true, database: this.db.kind, uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) };
  }
}

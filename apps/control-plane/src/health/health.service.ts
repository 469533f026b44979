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

  constructor(private readonly repo: HealthRepository, @Inject(DATABASE) private readonly db: Database) {}

  async check(): Promise<HealthResult> {
    try {
      await this.repo.ping();
    } catch (err) {
      // Not swallowed: the failure is the answer (503 with the reason).
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    return { ok: true, database: this.db.kind, uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) };
  }
}

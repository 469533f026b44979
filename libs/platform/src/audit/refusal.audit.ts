import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AuditRepository } from './audit.repository';

/** One window's refusals of one source. */
interface Burst {
  count: number;
  firstAt: Date;
  lastAt: Date;
  reasons: Map<string, number>;
}

/** How long refusals of one source are summed before they become one audit row. */
export const REFUSAL_WINDOW_MS = 60_000;

/**
 * Refused logins (bad API keys; device credentials can use the same) become audit events in bursts: a source
 * refused 10,000 times in a minute is one `auth.refused` row with `count: 10000`, so an attack cannot flood the
 * audit table. The first refusal of a source opens a window; at its end the burst is written.
 */
@Injectable()
export class RefusalAudit implements OnModuleDestroy {
  private readonly log = new Logger('Audit');
  private readonly bursts = new Map<string, Burst>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly audit: AuditRepository) {}

  /** `source` names the client (e.g. `ip:10.0.0.7`); `reason` a short, non-secret phrase. */
  refused(source: string, reason: string): void {
    const now = new Date();
    const burst = this.bursts.get(source) ?? { count: 0, firstAt: now, lastAt: now, reasons: new Map() };
    burst.count++;
    burst.lastAt = now;
    burst.reasons.set(reason, (burst.reasons.get(reason) ?? 0) + 1);
    this.bursts.set(source, burst);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), REFUSAL_WINDOW_MS);
      this.timer.unref();
    }
  }

  /** Writes every open burst now (the timer does this each window; shutdown and tests call it directly). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const bursts = [...this.bursts];
    this.bursts.clear();
    for (const [source, b] of bursts) {
      try {
        await this.audit.record({
          actor: source,
          action: 'auth.refused',
          entityType: 'client',
          entityId: source,
          details: { count: b.count, firstAt: b.firstAt.toISOString(), lastAt: b.lastAt.toISOString(), reasons: Object.fromEntries(b.reasons) },
        });
      } catch (err) {
        this.log.warn(`${b.count} refused login(s) from ${source} could not be audited: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }
}

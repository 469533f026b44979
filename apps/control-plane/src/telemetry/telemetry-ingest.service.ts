import { BeforeApplicationShutdown, Injectable, Logger, Optional } from '@nestjs/common';
import type { TelemetryMessage } from '@edgefleet/contracts';
import { InvalidInputError } from '@edgefleet/platform';
import { DeviceRepository } from '../devices/device.repository';
import { ModelRepository } from '@edgefleet/catalog';
import { TelemetryConfig } from './telemetry.config';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { TelemetryRepository, type WindowRow } from './telemetry.repository';

const CACHE_MS = 60_000;
/**
 * Inserts in flight at once. Two: while one batch is in the database the next is built and sent, so PostgreSQL
 * (a process of its own) works while this process validates; with one, the ingest alternated between the two and
 * a backlog built up behind the database (docs/telemetry.md, "Ingest throughput"). Windows are independent rows
 * (a redelivery racing its original is skipped by the primary key), and lastSeenAt only moves forward.
 */
const MAX_INSERTS_IN_FLIGHT = 2;

/** Counters /metrics reads (fleet level: no device labels). */
export interface IngestCounters {
  messages: number;
  windowsReceived: number;
  windowsStored: number;
  windowsDuplicate: number;
  droppedOnDevices: number;
  flushFailures: number;
  /** Windows dropped from memory because inserts kept failing and more than 10 × TELEMETRY_FLUSH_ROWS waited. */
  windowsLost: number;
  /** Seconds between a stored window's end and its commit, last flush's maximum. */
  lastLagSeconds: number;
}

/**
 * One message's windows on their way to the database: `accept` settles with true once every one of them is in a
 * committed batch (inserted or already stored), with false when they were dropped from memory first.
 */
interface MessageWait {
  left: number;
  settle: (stored: boolean) => void;
}

/**
 * Telemetry ingest: windows from many messages wait in memory up to TELEMETRY_FLUSH_MS (or TELEMETRY_FLUSH_ROWS)
 * and go to the database in multi-row inserts of at most TELEMETRY_FLUSH_ROWS (MAX_INSERTS_IN_FLIGHT at once)
 * that skip windows already stored (a redelivery). `accept` resolves only when the message's windows are
 * committed, so the device's acknowledgement follows the commit; the batching stays (one insert for many
 * messages, then one ack per message). A failed insert keeps its rows for the next flush (bounded; the oldest go
 * first when the database stays away, and their messages are left unanswered: the devices resend them).
 * Heartbeats update the devices' lastSeenAt, one statement per flush.
 */
@Injectable()
export class TelemetryIngest implements BeforeApplicationShutdown {
  private readonly log = new Logger('TelemetryIngest');
  private rows: WindowRow[] = [];
  /** The message of each row of `rows` (same index). */
  private owners: MessageWait[] = [];
  private seen = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly inflight = new Set<Promise<void>>();
  /** After a failed insert no new one starts before this (ms since epoch) unless flush() asks. */
  private retryAt = 0;
  /** lastSeenAt updates run one after the other (two batches in flight may name the same devices). */
  private marking: Promise<void> = Promise.resolve();
  /** id undefined: the lookup is still running. */
  private readonly models = new Map<string, { id: string | null | undefined; at: number; lookup: Promise<string | null> }>();
  private readonly classes = new Map<string, { cls: string; at: number }>();
  readonly counters: IngestCounters = { messages: 0, windowsReceived: 0, windowsStored: 0, windowsDuplicate: 0, droppedOnDevices: 0, flushFailures: 0, windowsLost: 0, lastLagSeconds: 0 };

  constructor(
    private readonly repo: TelemetryRepository,
    private readonly devices: DeviceRepository,
    private readonly modelRepo: ModelRepository,
    private readonly config: TelemetryConfig,
    @Optional() private readonly metrics?: FleetMetrics,
  ) {}

  /** Windows waiting for the next insert. */
  get pending(): number {
    return this.rows.length;
  }

  /**
   * Takes a message's windows into the next batch; resolves true once they are committed (at once for a message
   * without windows), false when they were dropped from memory before (inserts kept failing, or the control plane
   * stops with them unwritten) — the message then stays unacknowledged and the device resends it.
   */
  async accept(deviceId: string, msg: TelemetryMessage): Promise<boolean> {
    this.counters.messages++;
    this.counters.windowsReceived += msg.windows.length;
    if (msg.dropped) {
      this.counters.droppedOnDevices += msg.dropped;
      this.log.warn(`${deviceId} dropped ${msg.dropped} telemetry windows (its queue was full: offline, or not acknowledged, for long)`);
    }
    // Stopping: nothing will be written any more; unanswered, the device resends it to the next control plane.
    if (this.stopped) return msg.windows.length === 0;
    if (msg.heartbeat || msg.windows.length > 0) this.seen.add(deviceId);
    if (msg.windows.length === 0) {
      this.schedule();
      return true;
    }
    // Every await happens before the first push: a row pushed after an await could land in the array a flush
    // already took (`this.rows.push(...)` reads `this.rows` before its arguments) and never be written.
    const modelIds = new Map<string, string | null>();
    for (const w of msg.windows) if (w.model && !modelIds.has(w.model)) modelIds.set(w.model, await this.modelOf(w.model));
    const profileClass = this.cachedClass(deviceId) ?? '';
    let settle!: (stored: boolean) => void;
    const stored = new Promise<boolean>((resolve) => (settle = resolve));
    const wait: MessageWait = { left: msg.windows.length, settle };
    for (const w of msg.windows) {
      this.owners.push(wait);
      this.rows.push({
        deviceId, windowId: w.id, start: new Date(w.start), end: new Date(w.end),
        modelSha256: w.model ?? null, modelId: w.model ? modelIds.get(w.model)! : null, profileClass,
        count: w.n, errors: w.err, latencySumMs: w.latSum, topProbSum: w.pSum,
        latencyHist: w.lat, classCounts: w.cls, confHist: w.conf, marginHist: w.margin, entropyHist: w.ent,
      });
    }
    this.schedule();
    return stored;
  }

  /** Writes what is waiting now and waits for every insert in flight (tests, shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (!this.startWrite(true) && this.inflight.size > 0) await Promise.race(this.inflight);
    await Promise.all(this.inflight);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
    // After the last flush nothing is retried: the database is about to close, and a retry timer would keep
    // logging against a closed database and keep the process alive. What could not be written is left
    // unacknowledged: the devices resend it from their disk queues (idempotent by window id).
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const o of this.owners) o.settle(false);
    this.rows = [];
    this.owners = [];
  }

  private stopped = false;

  private schedule(): void {
    if (this.stopped) return;
    if (this.rows.length >= this.config.flushRows) this.startWrite();
    if (this.rows.length > 0 || this.seen.size > 0) this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.startWrite();
      this.schedule();
    }, Math.max(this.config.flushMs, this.retryAt - Date.now()));
  }

  /**
   * Starts an insert of up to TELEMETRY_FLUSH_ROWS waiting windows (and the devices seen) unless
   * MAX_INSERTS_IN_FLIGHT are running or (unless `force`) a failed insert's pause lasts; false when it could not
   * start one. Its end schedules what waits.
   */
  private startWrite(force = false): boolean {
    if (this.rows.length === 0 && this.seen.size === 0) return true;
    if (this.inflight.size >= MAX_INSERTS_IN_FLIGHT || (!force && Date.now() < this.retryAt)) return false;
    const rows = this.rows.splice(0, this.config.flushRows);
    const owners = this.owners.splice(0, rows.length);
    const seen = [...this.seen];
    this.seen = new Set();
    const write = this.write(rows, owners, seen).finally(() => {
      this.inflight.delete(write);
      this.schedule();
    });
    this.inflight.add(write);
    return true;
  }

  private async write(rows: WindowRow[], owners: MessageWait[], seen: string[]): Promise<void> {
    try {
      await this.resolveClasses(rows);
      // Within one batch a window may come twice (a redelivery right behind the original): keep one. Across two
      // batches in flight the primary key keeps one (ON CONFLICT DO NOTHING waits for the other insert).
      const unique = [...new Map(rows.map((r) => [`${r.deviceId}\u0000${r.windowId}`, r])).values()];
      const stored = await this.repo.insertWindows(unique);
      const inserted = stored.reduce((n, s) => n + s.windows, 0);
      this.counters.windowsStored += inserted;
      this.counters.windowsDuplicate += rows.length - inserted;
      // Committed: a message whose last window was in this batch can be acknowledged (a duplicate within the batch
      // or of a batch in flight is stored too — ON CONFLICT waited for the other insert's commit).
      for (const o of owners) if (--o.left === 0) o.settle(true);
      if (seen.length > 0) await (this.marking = this.marking.catch(() => undefined).then(() => this.devices.markSeen(seen, new Date())));
      const now = Date.now();
      this.counters.lastLagSeconds = rows.reduce((m, r) => Math.max(m, (now - r.end.getTime()) / 1000), 0);
      for (const w of stored) {
        const labels = { model_id: w.modelId ?? 'none', profile_class: w.profileClass };
        this.metrics?.inferences.inc(labels, w.count);
        this.metrics?.inferenceErrors.inc(labels, w.errors);
        this.metrics?.inferenceLatency.inc(labels, w.latencySumMs / 1000);
      }
    } catch (err) {
      this.counters.flushFailures++;
      const kept = [...rows, ...this.rows];
      const keptOwners = [...owners, ...this.owners];
      const limit = this.config.flushRows * 10;
      const lost = Math.max(0, kept.length - limit);
      this.counters.windowsLost += lost;
      this.log.error(`telemetry insert failed, ${kept.length - lost} windows kept for the next flush` +
        `${lost ? `, the ${lost} oldest dropped (more than ${limit} waiting; their messages stay unacknowledged, the devices resend them)` : ''}: ${(err as Error).message}`);
      for (const o of keptOwners.slice(0, lost)) o.settle(false);
      this.rows = kept.slice(lost);
      this.owners = keptOwners.slice(lost);
      for (const s of seen) this.seen.add(s);
      this.retryAt = Date.now() + Math.max(1000, this.config.flushMs); // the write's end schedules the retry
    }
  }

  /**
   * The artifact id of a model sha256, cached (a miss for CACHE_MS). Single flight: the messages that arrive while
   * the lookup runs share its promise — one query per model, not one per message (under load, thousands of
   * identical lookups queued ahead of the inserts in the connection pool and nothing was stored).
   */
  private modelOf(sha256: string): Promise<string | null> {
    const hit = this.models.get(sha256);
    if (hit && (hit.id !== undefined ? hit.id || Date.now() - hit.at < CACHE_MS : true)) return hit.lookup;
    const lookup = this.modelRepo.findBySha256(sha256).then(
      (m) => {
        this.models.set(sha256, { id: m?.id ?? null, at: Date.now(), lookup });
        return m?.id ?? null;
      },
      (err: unknown) => {
        this.models.delete(sha256);
        throw err;
      },
    );
    this.models.set(sha256, { id: undefined, at: Date.now(), lookup });
    return lookup;
  }

  private cachedClass(deviceId: string): string | undefined {
    const hit = this.classes.get(deviceId);
    return hit && Date.now() - hit.at < CACHE_MS ? hit.cls : undefined;
  }

  /** Rows whose device's class was not cached get it from one query per flush (`unknown` for a device not on record). */
  private async resolveClasses(rows: WindowRow[]): Promise<void> {
    const missing = [...new Set(rows.filter((r) => !r.profileClass).map((r) => r.deviceId))];
    if (missing.length === 0) return;
    const found = await this.devices.profileClassesOf(missing);
    const at = Date.now();
    if (this.classes.size + missing.length > 100_000) this.classes.clear();
    for (const id of missing) this.classes.set(id, { cls: found.get(id) ?? 'unknown', at });
    for (const r of rows) if (!r.profileClass) r.profileClass = found.get(r.deviceId) ?? 'unknown';
  }
}

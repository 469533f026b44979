import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient, type TelemetryBaseline } from '@edgefleet/db';

export type Resolution = 'raw' | '1m' | '1h';
export const RESOLUTIONS: readonly Resolution[] = ['raw', '1m', '1h'];
export const BUCKET_MS: Record<Exclude<Resolution, 'raw'>, number> = { '1m': 60_000, '1h': 3_600_000 };

export interface WindowRow {
  deviceId: string;
  windowId: string;
  start: Date;
  end: Date;
  modelSha256: string | null;
  modelId: string | null;
  profileClass: string;
  count: number;
  errors: number;
  latencySumMs: number;
  topProbSum: number;
  latencyHist: number[];
  classCounts: number[];
  confHist: number[];
  marginHist: number[];
  entropyHist: number[];
}

/** What ingest learns of each window it inserted (metrics). */
export type StoredWindow = Pick<WindowRow, 'modelId' | 'profileClass' | 'count' | 'errors' | 'latencySumMs' | 'end'>;

/** What series and drift read of a window or a rollup: sums and histograms at a time. */
export interface TelemetryCell {
  t: Date;
  deviceId: string;
  modelId: string | null;
  profileClass: string;
  count: number;
  errors: number;
  latencySumMs: number;
  topProbSum: number;
  latencyHist: number[];
  classCounts: number[];
  confHist: number[];
}

export interface TelemetryFilter {
  deviceId?: string;
  profileClass?: string;
  modelId?: string;
  /** Only these devices (a rollout's: GET /rollouts/:id/telemetry). */
  deviceIds?: readonly string[];
}

/** The filter as a Prisma where clause (deviceIds → deviceId IN, with deviceId if both are given). */
const whereOf = ({ deviceIds, ...rest }: TelemetryFilter) => (deviceIds ? { ...rest, AND: [{ deviceId: { in: [...deviceIds] } }] } : rest);

/** Adds `b` into `a` element-wise (growing `a`). */
export function addInto(a: number[], b: readonly number[]): number[] {
  for (let i = 0; i < b.length; i++) a[i] = (a[i] ?? 0) + b[i]!;
  return a;
}

const WINDOW_COLUMNS = [
  ['deviceId', 'text'], ['windowId', 'text'], ['start', 'timestamp(3)'], ['end', 'timestamp(3)'], ['modelSha256', 'text'], ['modelId', 'text'],
  ['profileClass', 'text'], ['count', 'integer'], ['errors', 'integer'], ['latencySumMs', 'double precision'], ['topProbSum', 'double precision'],
  ['latencyHist', 'integer[]'], ['classCounts', 'integer[]'], ['confHist', 'integer[]'], ['marginHist', 'integer[]'], ['entropyHist', 'integer[]'],
] as const satisfies ReadonlyArray<readonly [keyof WindowRow, string]>;
const quoted = WINDOW_COLUMNS.map(([c]) => `"${c}"`).join(', ');
const INSERT_WINDOWS_SQL = `INSERT INTO "TelemetryWindow" (${quoted})
  SELECT ${quoted} FROM jsonb_to_recordset($1::jsonb) AS r(${WINDOW_COLUMNS.map(([c, t]) => `"${c}" ${t}`).join(', ')})
  ON CONFLICT ("deviceId", "windowId") DO NOTHING
  RETURNING "modelId", "profileClass", "count", "errors", "latencySumMs", "end"`;

/** The telemetry tables: raw windows and their rollups. */
@Injectable()
export class TelemetryRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /**
   * One statement per batch, COPY-like: the rows travel as ONE JSON parameter that `jsonb_to_recordset` expands
   * server-side (JSON arrays become integer[]), inserted with ON CONFLICT DO NOTHING RETURNING — a window already
   * stored (a redelivery) is skipped. Returns the rows inserted. Prisma's createManyAndReturn binds 16 parameters
   * per row and spent most of the ingest's time building and binding them (docs/telemetry.md, "Ingest throughput").
   */
  async insertWindows(rows: WindowRow[]): Promise<StoredWindow[]> {
    if (rows.length === 0) return [];
    const json = JSON.stringify(rows.map((r) => ({ ...r, start: r.start.toISOString(), end: r.end.toISOString() })));
    const stored = await this.prisma.$queryRawUnsafe<Array<Omit<StoredWindow, 'end'> & { end: Date | string }>>(INSERT_WINDOWS_SQL, json);
    return stored.map((s) => ({ ...s, end: s.end instanceof Date ? s.end : new Date(`${s.end}Z`) }));
  }

  async countWindows(filter: TelemetryFilter = {}): Promise<number> {
    return this.prisma.telemetryWindow.count({ where: whereOf(filter) });
  }

  /** Raw windows whose end is in [from, to). */
  async windows(from: Date, to: Date, filter: TelemetryFilter): Promise<TelemetryCell[]> {
    const rows = await this.prisma.telemetryWindow.findMany({
      where: { ...whereOf(filter), end: { gte: from, lt: to } },
      orderBy: { end: 'asc' },
      take: 200_000,
    });
    return rows.map((r) => ({ ...r, t: r.end }));
  }

  async rollups(resolution: Exclude<Resolution, 'raw'>, from: Date, to: Date, filter: TelemetryFilter): Promise<TelemetryCell[]> {
    const rows = await this.prisma.telemetryRollup.findMany({
      where: { resolution, bucket: { gte: from, lt: to }, ...whereOf(filter) },
      orderBy: { bucket: 'asc' },
      take: 200_000,
    });
    return rows.map((r) => ({ ...r, t: r.bucket, modelId: r.modelId || null }));
  }

  /**
   * Rebuilds the rollups of `resolution` for the buckets in [from, to) from the raw windows (by each window's end):
   * delete and insert in one transaction, so it can run again over the same range (a late window, a retried job).
   */
  async rebuildRollups(resolution: Exclude<Resolution, 'raw'>, from: Date, to: Date): Promise<number> {
    const size = BUCKET_MS[resolution];
    const windows = await this.prisma.telemetryWindow.findMany({ where: { end: { gte: from, lt: to } } });
    const cells = new Map<string, Prisma.TelemetryRollupCreateManyInput & { latencyHist: number[]; classCounts: number[]; confHist: number[] }>();
    for (const w of windows) {
      const bucket = new Date(Math.floor(w.end.getTime() / size) * size);
      const modelId = w.modelId ?? '';
      const key = `${bucket.getTime()}|${w.deviceId}|${modelId}|${w.profileClass}`;
      let c = cells.get(key);
      if (!c) {
        c = { resolution, bucket, deviceId: w.deviceId, modelId, profileClass: w.profileClass, count: 0, errors: 0, latencySumMs: 0, topProbSum: 0, latencyHist: [], classCounts: [], confHist: [] };
        cells.set(key, c);
      }
      c.count += w.count;
      c.errors += w.errors;
      c.latencySumMs += w.latencySumMs;
      c.topProbSum += w.topProbSum;
      addInto(c.latencyHist, w.latencyHist);
      addInto(c.classCounts, w.classCounts);
      addInto(c.confHist, w.confHist);
    }
    await this.prisma.$transaction([
      this.prisma.telemetryRollup.deleteMany({ where: { resolution, bucket: { gte: from, lt: to } } }),
      this.prisma.telemetryRollup.createMany({ data: [...cells.values()] }),
    ]);
    return cells.size;
  }

  /** Deletes raw windows that ended before `raw`, rollups older than their own cut-offs. */
  async prune(cutoffs: { raw: Date; minute: Date; hour: Date }): Promise<{ windows: number; rollups: number }> {
    const windows = await this.prisma.telemetryWindow.deleteMany({ where: { end: { lt: cutoffs.raw } } });
    const m = await this.prisma.telemetryRollup.deleteMany({ where: { resolution: '1m', bucket: { lt: cutoffs.minute } } });
    const h = await this.prisma.telemetryRollup.deleteMany({ where: { resolution: '1h', bucket: { lt: cutoffs.hour } } });
    return { windows: windows.count, rollups: m.count + h.count };
  }

  /** Per (model, class): the first and the latest window end (drift looks back from the latest; the baseline forward from the first). */
  async latestPerModelClass(filter: TelemetryFilter): Promise<Array<{ modelId: string; profileClass: string; first: Date; end: Date }>> {
    const groups = await this.prisma.telemetryWindow.groupBy({
      by: ['modelId', 'profileClass'],
      where: { ...whereOf(filter), modelId: filter.modelId ?? { not: null } },
      _max: { end: true },
      _min: { end: true },
      orderBy: [{ modelId: 'asc' }, { profileClass: 'asc' }],
    });
    return groups.filter((g) => g.modelId && g._max.end && g._min.end).map((g) => ({ modelId: g.modelId!, profileClass: g.profileClass, first: g._min.end!, end: g._max.end! }));
  }

  async baseline(modelId: string, profileClass: string): Promise<TelemetryBaseline | null> {
    return this.prisma.telemetryBaseline.findUnique({ where: { modelId_profileClass: { modelId, profileClass } } });
  }

  /** Stores a baseline unless one is already there (the first taken stays: two instances may race to take it). */
  async saveBaseline(b: Omit<TelemetryBaseline, 'takenAt'>): Promise<TelemetryBaseline> {
    await this.prisma.telemetryBaseline.createMany({ data: [b], skipDuplicates: true });
    return (await this.baseline(b.modelId, b.profileClass))!;
  }

  /** Class counts and confidence histogram of a model on a class over windows ending in (from, to]. */
  async distribution(modelId: string, profileClass: string, from: Date, to: Date): Promise<{ count: number; classCounts: number[]; confHist: number[] }> {
    const rows = await this.prisma.telemetryWindow.findMany({
      where: { modelId, profileClass, end: { gt: from, lte: to } },
      select: { count: true, classCounts: true, confHist: true },
    });
    const out = { count: 0, classCounts: [] as number[], confHist: [] as number[] };
    for (const r of rows) {
      out.count += r.count;
      addInto(out.classCounts, r.classCounts);
      addInto(out.confHist, r.confHist);
    }
    return out;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { copyText, PrismaClient, stagingTable, type Database, type TelemetryBaseline } from '@edgefleet/db';
import { DATABASE } from '@edgefleet/platform';

export type Resolution = 'raw' | '1m' | '1h';
export const RESOLUTIONS: readonly Resolution[] = ['raw', '1m', '1h'];
export const BUCKET_MS: Record<Exclude<Resolution, 'raw'>, number> = { '1m': 60_000, '1h': 3_600_000 };

/** The sums and histograms a raw window and a rollup both hold, per device, model and hardware class. */
interface TelemetrySums {
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

/** A raw window as stored (one TelemetryWindow row). */
export interface WindowRow extends TelemetrySums {
  windowId: string;
  start: Date;
  end: Date;
  modelSha256: string | null;
  marginHist: number[];
  entropyHist: number[];
}

/** What ingest learns of the windows it inserted, per model and class (metrics): how many, and their sums. */
export type StoredWindows = Pick<WindowRow, 'modelId' | 'profileClass' | 'count' | 'errors' | 'latencySumMs'> & { windows: number };

/** What series and drift read of a window (t = its end) or a rollup (t = its bucket). */
export interface TelemetryCell extends TelemetrySums {
  t: Date;
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

const HISTOGRAMS = ['latencyHist', 'classCounts', 'confHist', 'marginHist', 'entropyHist'] as const satisfies ReadonlyArray<keyof WindowRow>;
const WINDOW_COLUMNS = [
  ['deviceId', 'text'], ['windowId', 'text'], ['start', 'timestamp(3)'], ['end', 'timestamp(3)'], ['modelSha256', 'text'], ['modelId', 'text'],
  ['profileClass', 'text'], ['count', 'integer'], ['errors', 'integer'], ['latencySumMs', 'double precision'], ['topProbSum', 'double precision'],
  ['latencyHist', 'integer[]'], ['classCounts', 'integer[]'], ['confHist', 'integer[]'], ['marginHist', 'integer[]'], ['entropyHist', 'integer[]'],
] as const satisfies ReadonlyArray<readonly [keyof WindowRow, string]>;
const quoted = WINDOW_COLUMNS.map(([c]) => `"${c}"`).join(', ');
/** Inserts the rows `source` yields, skipping those stored already; answers the inserted ones summed per model and class. */
const insertWindowsSql = (source: string) => `WITH inserted AS (INSERT INTO "TelemetryWindow" (${quoted})
  SELECT ${quoted} FROM ${source}
  ON CONFLICT ("deviceId", "windowId") DO NOTHING
  RETURNING "modelId", "profileClass", "count", "errors", "latencySumMs")
SELECT "modelId", "profileClass", count(*)::integer AS "windows", sum("count")::float8 AS "count", sum("errors")::float8 AS "errors",
  sum("latencySumMs")::float8 AS "latencySumMs" FROM inserted GROUP BY "modelId", "profileClass"`;
const fromJson = (rowsLiteral: string) => `jsonb_to_recordset(${rowsLiteral}::jsonb) AS r(${WINDOW_COLUMNS.map(([c, t]) => `"${c}" ${t}`).join(', ')})`;
const INSERT_STAGED_SQL = insertWindowsSql(`"${stagingTable('TelemetryWindow')}"`);
const COPY_COLUMNS = WINDOW_COLUMNS.map(([c]) => c);

/** A value in COPY's text format (dates as ISO instants, arrays as array literals). */
const copyValue = (v: WindowRow[keyof WindowRow]): string =>
  v === null ? '\\N' : typeof v === 'string' ? copyText(v) : typeof v === 'number' ? String(v) : v instanceof Date ? v.toISOString() : `{${v.join(',')}}`;
const copyLine = (r: WindowRow): string => WINDOW_COLUMNS.map(([c]) => copyValue(r[c])).join('\t');

const CELL = '"bucket", "deviceId", "modelId", "profileClass"';
/** Element-wise sum of one histogram column per rollup cell, as an integer[] (indexes 1..longest, dense). */
const histogramSums = (column: string) => `SELECT ${CELL}, array_agg("v" ORDER BY "i") AS "sums" FROM (
    SELECT ${CELL}, u."i", sum(u."v")::integer AS "v" FROM w, unnest(w."${column}") WITH ORDINALITY AS u("v", "i") GROUP BY ${CELL}, u."i"
  ) x GROUP BY ${CELL}`;
/** $1 resolution, $2/$3 the range of window ends (ISO), $4 the bucket size as an interval. */
const REBUILD_ROLLUPS_SQL = `WITH w AS (
    SELECT date_bin($4::interval, "end", TIMESTAMP '1970-01-01') AS "bucket", "deviceId", coalesce("modelId", '') AS "modelId", "profileClass",
      "count", "errors", "latencySumMs", "topProbSum", "latencyHist", "classCounts", "confHist"
    FROM "TelemetryWindow" WHERE "end" >= $2::timestamp(3) AND "end" < $3::timestamp(3)),
  sums AS (SELECT ${CELL}, sum("count")::integer AS "count", sum("errors")::integer AS "errors", sum("latencySumMs") AS "latencySumMs",
    sum("topProbSum") AS "topProbSum" FROM w GROUP BY ${CELL}),
  lat AS (${histogramSums('latencyHist')}),
  cls AS (${histogramSums('classCounts')}),
  conf AS (${histogramSums('confHist')})
INSERT INTO "TelemetryRollup" ("resolution", ${CELL}, "count", "errors", "latencySumMs", "topProbSum", "latencyHist", "classCounts", "confHist")
SELECT $1, s."bucket", s."deviceId", s."modelId", s."profileClass", s."count", s."errors", s."latencySumMs", s."topProbSum",
  coalesce(lat."sums", '{}'), coalesce(cls."sums", '{}'), coalesce(conf."sums", '{}')
FROM sums s LEFT JOIN lat USING (${CELL}) LEFT JOIN cls USING (${CELL}) LEFT JOIN conf USING (${CELL})`;

/** The telemetry tables: raw windows and their rollups. */
@Injectable()
export class TelemetryRepository {
  constructor(
    @Inject(PrismaClient) private readonly prisma: PrismaClient,
    @Inject(DATABASE) private readonly db: Pick<Database, 'staged'>,
  ) {}

  /**
   * One batch, inserted with ON CONFLICT DO NOTHING — a window already stored (a redelivery) is skipped. Returns
   * what was inserted summed per model and class (a few rows, not one per window: reading 2000 rows per batch back
   * through Prisma was a tenth of the ingest's CPU). On PostgreSQL the rows are COPYed (text format) into a
   * staging table and inserted from there in the same transaction: of the ways in, COPY costs PostgreSQL the least
   * per row (~30 % less than the JSON statement below, docs/telemetry.md, "Ingest throughput") and this process a
   * line of text per row. PGlite (no COPY from a stream) gets ONE statement whose rows travel as one JSON text
   * that `jsonb_to_recordset` expands server-side, histograms as array literals (`"{1,2,3}"`, read by integer[]'s
   * own input function faster than JSON arrays).
   */
  async insertWindows(rows: WindowRow[]): Promise<StoredWindows[]> {
    if (rows.length === 0) return [];
    if (this.db.staged) {
      return this.db.staged.run<StoredWindows>({ like: 'TelemetryWindow', columns: COPY_COLUMNS, text: `${rows.map(copyLine).join('\n')}\n`, sql: INSERT_STAGED_SQL });
    }
    const json = JSON.stringify(rows.map((r) => {
      const out: Record<string, unknown> = { ...r, start: r.start.toISOString(), end: r.end.toISOString() };
      for (const h of HISTOGRAMS) out[h] = `{${r[h].join(',')}}`;
      return out;
    }));
    // The rows travel as a dollar-quoted literal (a tag the text does not contain, so nothing in it is SQL), not as
    // $1: Prisma's raw-query path JSON-encodes every parameter and decodes it again before the driver sends it —
    // two more passes over the ~1 MB batch, a tenth of the ingest's CPU (docs/telemetry.md, "Ingest throughput").
    let tag = '$rows$';
    for (let i = 0; json.includes(tag); i++) tag = `$rows${i}$`;
    return this.prisma.$queryRawUnsafe<StoredWindows[]>(insertWindowsSql(fromJson(`${tag}${json}${tag}`)));
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
   * Summed in the database (the histograms element by element, shorter ones counting as zeros): reading every window
   * of the range into this process stalled the ingest for ~50 s in a soak at ~400 windows/s, and grows with the rate.
   */
  async rebuildRollups(resolution: Exclude<Resolution, 'raw'>, from: Date, to: Date): Promise<number> {
    const [, inserted] = await this.prisma.$transaction([
      this.prisma.telemetryRollup.deleteMany({ where: { resolution, bucket: { gte: from, lt: to } } }),
      this.prisma.$executeRawUnsafe(REBUILD_ROLLUPS_SQL, resolution, from.toISOString(), to.toISOString(), `${BUCKET_MS[resolution] / 1000} seconds`),
    ]);
    return inserted;
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

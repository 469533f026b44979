import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';

/** A catalogue row with what selection reads from it. */
export interface ArtifactRow {
  id: string;
  name: string;
  version: string;
  precision: string;
  storageKey: string;
  sizeBytes: number;
  params: number | null;
  macs: bigint | null;
  metrics: unknown;
  family: string | null;
  inputs: unknown;
  outputs: unknown;
}

/** A benchmark report with its device's class. */
export interface ReportRow {
  profileClass: string;
  artifactId: string;
  latencyP95Ms: number;
  peakRssMb: number | null;
  accuracy: number | null;
  simulated: boolean;
}

/** Newest reports the latency model is fitted on; older ones add little once a fleet reports steadily. */
const MAX_REPORTS = 20_000;

@Injectable()
export class SelectionRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  listArtifacts(): Promise<ArtifactRow[]> {
    return this.prisma.modelArtifact.findMany({
      select: { id: true, name: true, version: true, precision: true, storageKey: true, sizeBytes: true, params: true, macs: true, metrics: true, family: true, inputs: true, outputs: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** Reports that measured a latency (a model that could not run has none), with the reporting device's class. */
  async listReports(): Promise<ReportRow[]> {
    const rows = await this.prisma.benchmarkReport.findMany({
      where: { latencyP95Ms: { not: null } },
      select: { artifactId: true, latencyP95Ms: true, peakRssMb: true, accuracy: true, simulated: true, device: { select: { profileClass: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: MAX_REPORTS,
    });
    return rows.map((r) => ({
      profileClass: r.device.profileClass, artifactId: r.artifactId, latencyP95Ms: r.latencyP95Ms!,
      peakRssMb: r.peakRssMb, accuracy: r.accuracy, simulated: r.simulated,
    }));
  }

  /**
   * What the fitted models depend on, in one cheap query: reports with a latency and catalogue rows, counted and
   * newest-dated. Reports and artifacts are only appended (or deleted with their device / model), so an equal
   * watermark means the same data — judged by the database, so it holds with several control planes.
   */
  async watermark(): Promise<string> {
    const [row] = await this.prisma.$queryRaw<Array<{ r: bigint; rt: Date | null; a: bigint; at: Date | null }>>`
      SELECT (SELECT count(*) FROM "BenchmarkReport" WHERE "latencyP95Ms" IS NOT NULL) AS r,
             (SELECT max("createdAt") FROM "BenchmarkReport") AS rt,
             (SELECT count(*) FROM "ModelArtifact") AS a,
             (SELECT max("createdAt") FROM "ModelArtifact") AS at`;
    return `${row?.r}:${row?.rt?.getTime()}:${row?.a}:${row?.at?.getTime()}`;
  }
}

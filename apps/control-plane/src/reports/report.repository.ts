import { Inject, Injectable } from '@nestjs/common';
import { BenchmarkReport, Prisma, PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';

export type ReportRecord = BenchmarkReport;

export interface NewReport {
  deviceId: string;
  artifactId: string;
  deploymentId: string;
  latencyP50Ms?: number;
  latencyP95Ms?: number;
  latencyP99Ms?: number;
  latencyMeanMs?: number;
  throughputPerSec?: number;
  peakRssMb?: number;
  modelMemoryMb?: number;
  accuracy?: number;
  evalSamples?: number;
  runs: number;
  passed: boolean;
  activated: boolean;
  simulated: boolean;
  failureReason?: string;
  details: Record<string, unknown>;
}

/** A benchmark report that measured a latency, with its device's class: what the latency model is fitted on. */
export interface LatencyObservationRow {
  profileClass: string;
  artifactId: string;
  latencyP95Ms: number;
  peakRssMb: number | null;
  modelMemoryMb: number | null;
  accuracy: number | null;
  simulated: boolean;
}

/** Newest reports the latency model is fitted on; older ones add little once a fleet reports steadily. */
const MAX_OBSERVATIONS = 20_000;

@Injectable()
export class ReportRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  create(report: NewReport, db: Db = this.prisma): Promise<ReportRecord> {
    return db.benchmarkReport.create({ data: { ...report, details: report.details as Prisma.InputJsonObject } });
  }

  /** Several reports (ids given) in one statement. */
  async createMany(reports: ReadonlyArray<NewReport & { id: string }>, db: Db = this.prisma): Promise<void> {
    if (reports.length === 0) return;
    await db.benchmarkReport.createMany({ data: reports.map((r) => ({ ...r, details: r.details as Prisma.InputJsonObject })) });
  }

  async listForDevice(deviceId: string, page: { limit: number; offset: number }): Promise<{ items: ReportRecord[]; total: number }> {
    const where = { deviceId };
    const [items, total] = await Promise.all([
      this.prisma.benchmarkReport.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      this.prisma.benchmarkReport.count({ where }),
    ]);
    return { items, total };
  }

  /** Reports that measured a latency (a model that could not run has none), newest first, with the device's class. */
  /** Count and newest time of the reports that measured a latency (reports are only added, or deleted with their device). */
  async latencyWatermark(): Promise<string> {
    const r = await this.prisma.benchmarkReport.aggregate({ where: { latencyP95Ms: { not: null } }, _count: { _all: true }, _max: { createdAt: true } });
    return `${r._count._all}:${r._max.createdAt?.getTime() ?? 0}`;
  }

  async listLatencyObservations(): Promise<LatencyObservationRow[]> {
    const rows = await this.prisma.benchmarkReport.findMany({
      where: { latencyP95Ms: { not: null } },
      select: { artifactId: true, latencyP95Ms: true, peakRssMb: true, modelMemoryMb: true, accuracy: true, simulated: true, device: { select: { profileClass: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: MAX_OBSERVATIONS,
    });
    return rows.map((r) => ({
      profileClass: r.device.profileClass, artifactId: r.artifactId, latencyP95Ms: r.latencyP95Ms!,
      peakRssMb: r.peakRssMb, modelMemoryMb: r.modelMemoryMb, accuracy: r.accuracy, simulated: r.simulated,
    }));
  }

  /** The newest report of each (device, artifact) pair asked for: what a device measured for the model it ran before a rollout. */
  async latestFor(pairs: ReadonlyArray<{ deviceId: string; artifactId: string }>): Promise<Map<string, { latencyP50Ms: number | null; latencyP95Ms: number | null; accuracy: number | null }>> {
    const out = new Map<string, { latencyP50Ms: number | null; latencyP95Ms: number | null; accuracy: number | null }>();
    if (pairs.length === 0) return out;
    const wanted = new Set(pairs.map((p) => `${p.deviceId}|${p.artifactId}`));
    const rows = await this.prisma.benchmarkReport.findMany({
      where: { deviceId: { in: [...new Set(pairs.map((p) => p.deviceId))] }, artifactId: { in: [...new Set(pairs.map((p) => p.artifactId))] } },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      select: { deviceId: true, artifactId: true, latencyP50Ms: true, latencyP95Ms: true, accuracy: true },
    });
    for (const r of rows) {
      const key = `${r.deviceId}|${r.artifactId}`;
      if (wanted.has(key) && !out.has(key)) out.set(key, { latencyP50Ms: r.latencyP50Ms, latencyP95Ms: r.latencyP95Ms, accuracy: r.accuracy });
    }
    return out;
  }
}

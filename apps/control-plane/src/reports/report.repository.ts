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
      select: { artifactId: true, latencyP95Ms: true, peakRssMb: true, accuracy: true, simulated: true, device: { select: { profileClass: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: MAX_OBSERVATIONS,
    });
    return rows.map((r) => ({
      profileClass: r.device.profileClass, artifactId: r.artifactId, latencyP95Ms: r.latencyP95Ms!,
      peakRssMb: r.peakRssMb, accuracy: r.accuracy, simulated: r.simulated,
    }));
  }
}

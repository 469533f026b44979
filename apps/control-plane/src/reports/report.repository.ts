import { Inject, Injectable } from '@nestjs/common';
import { BenchmarkReport, Prisma, PrismaClient } from '@edgefleet/db';
import type { Db } from '../db/prisma-types';

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
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ReportRecord } from './report.repository';

/** What a device measured when it benchmarked a model (BenchmarkReport). */
export class ReportView {
  @ApiProperty() id!: string;
  @ApiProperty() deviceId!: string;
  @ApiProperty() artifactId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) deploymentId!: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) latencyP50Ms!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) latencyP95Ms!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) latencyP99Ms!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) latencyMeanMs!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) throughputPerSec!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) peakRssMb!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) accuracy!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) evalSamples!: number | null;
  @ApiProperty() runs!: number;
  @ApiProperty() passed!: boolean;
  @ApiProperty() activated!: boolean;
  @ApiProperty({ description: 'Latencies stretched to emulate a slower device class' }) simulated!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) failureReason!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The report as the device sent it' })
  details!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export function toReportView(r: ReportRecord): ReportView {
  return {
    id: r.id,
    deviceId: r.deviceId,
    artifactId: r.artifactId,
    deploymentId: r.deploymentId,
    latencyP50Ms: r.latencyP50Ms,
    latencyP95Ms: r.latencyP95Ms,
    latencyP99Ms: r.latencyP99Ms,
    latencyMeanMs: r.latencyMeanMs,
    throughputPerSec: r.throughputPerSec,
    peakRssMb: r.peakRssMb,
    accuracy: r.accuracy,
    evalSamples: r.evalSamples,
    runs: r.runs,
    passed: r.passed,
    activated: r.activated,
    simulated: r.simulated,
    failureReason: r.failureReason,
    details: r.details as Record<string, unknown>,
    createdAt: r.createdAt.toISOString(),
  };
}

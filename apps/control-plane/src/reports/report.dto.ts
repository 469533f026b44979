import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVAL_TASKS, TASK_METRICS } from '@edgefleet/contracts';
import type { ReportRecord } from './report.repository';

export class TaskMetricView {
  @ApiProperty({ enum: EVAL_TASKS }) task!: string;
  @ApiProperty({ enum: TASK_METRICS }) name!: string;
  @ApiProperty() value!: number;
  @ApiPropertyOptional({ description: 'regression: RMSE beside the MAE' }) rmse?: number;
  @ApiPropertyOptional({ description: 'binary, multilabel: the probability threshold' }) threshold?: number;
}

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
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Peak RSS of the benchmark process (Node.js + runtime + model), MB' })
  peakRssMb!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'The model\'s own memory: that peak minus the same process\' RSS with the runtime loaded and no model, MB; the maxMemoryMb gate judges it (docs/models.md "Memory")' })
  modelMemoryMb!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) accuracy!: number | null;
  @ApiPropertyOptional({ type: TaskMetricView, nullable: true, description: 'The eval set\'s task metric, named (docs/models.md "Task types")' })
  metric!: TaskMetricView | null;
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
    modelMemoryMb: r.modelMemoryMb,
    accuracy: r.accuracy,
    metric: ((r.details as { metric?: TaskMetricView } | null)?.metric) ?? null,
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

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import { DEVICE_ID_PATTERN } from '@edgefleet/contracts';
import { PageQueryDto } from '@edgefleet/platform';
import { RESOLUTIONS, type Resolution } from './telemetry.repository';
import { DRIFT_METRICS, type DriftMetric } from './telemetry-query.service';
import { IsInstant } from '@edgefleet/contracts';

class TelemetryFilterDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this device' })
  @IsOptional() @Matches(DEVICE_ID_PATTERN)
  deviceId?: string;

  @ApiPropertyOptional({ description: 'Only devices of this hardware class' })
  @IsOptional() @Matches(/^[0-9a-f]{16}$/)
  profileClass?: string;

  @ApiPropertyOptional({ description: 'Only windows served by this model (artifact id)' })
  @IsOptional() @MaxLength(64)
  modelId?: string;
}

export class SeriesQueryDto extends TelemetryFilterDto {
  @ApiProperty({ example: '2026-12-01T00:00:00Z' }) @IsInstant()
  from!: string;

  @ApiProperty({ example: '2026-12-01T01:00:00Z' }) @IsInstant()
  to!: string;

  @ApiPropertyOptional({ enum: RESOLUTIONS, default: '1m' }) @IsOptional() @IsIn(RESOLUTIONS)
  resolution: Resolution = '1m';
}

export class DriftQueryDto extends TelemetryFilterDto {}

export class SeriesPointView {
  @ApiProperty({ description: 'Bucket start (1m/1h) or window end (raw)' }) t!: string;
  @ApiProperty() inferences!: number;
  @ApiProperty() errors!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'From the fixed latency buckets, interpolated' }) latencyP50Ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) latencyP95Ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) meanTopProbability!: number | null;
}

export class SeriesView {
  @ApiProperty({ enum: RESOLUTIONS }) resolution!: Resolution;
  @ApiProperty({ type: [SeriesPointView] }) points!: SeriesPointView[];
}

export class DriftItemView {
  @ApiProperty() modelId!: string;
  @ApiProperty() profileClass!: string;
  @ApiProperty({ enum: DRIFT_METRICS, description: 'psi: class distribution against the eval-set labels; confidence_psi: confidence histogram against the first TELEMETRY_BASELINE_S of telemetry' })
  metric!: DriftMetric;
  @ApiProperty({ description: 'the population stability index' }) value!: number;
  @ApiProperty({ description: 'value above TELEMETRY_DRIFT_PSI_MILLI / 1000' }) drifted!: boolean;
  @ApiProperty({ description: 'End of the latest window compared' }) windowEnd!: string;
  @ApiProperty({ description: 'Inferences in the compared windows' }) inferences!: number;
}

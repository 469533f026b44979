import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCELERATORS, ARCHES, Gates, HardwareProfile, TensorInfo } from '@edgefleet/contracts';

/*
 * The contract classes in @edgefleet/contracts carry the validation rules (shared with MQTT and jobs) but no
 * Nest. These subclasses only add OpenAPI documentation; validation metadata is inherited unchanged, so a REST
 * body and an MQTT hello are checked by the very same rules.
 */

export class HardwareProfileDto extends HardwareProfile {
  @ApiPropertyOptional({ example: 'rpi4', description: 'Preset or class name (letters, digits, . _ -)', pattern: '^[A-Za-z0-9._-]+$', maxLength: 64 })
  override name?: string;
  @ApiProperty({ enum: ARCHES, example: 'arm64' })
  override arch!: (typeof ARCHES)[number];
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1024, example: 4 })
  override cores!: number;
  @ApiPropertyOptional({ example: 1500, minimum: 0, exclusiveMinimum: true, maximum: 10_000 })
  override clockMhz?: number;
  @ApiPropertyOptional({ type: [String], example: ['neon'], maxItems: 32 })
  override simd?: string[];
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 16 * 1024 * 1024, example: 4096 })
  override ramMb!: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1024 * 1024 * 1024, example: 32000 })
  override storageMb?: number;
  @ApiPropertyOptional({ enum: ACCELERATORS })
  override accelerator?: (typeof ACCELERATORS)[number];
  @ApiPropertyOptional({ description: 'p95 latency the application can afford per inference', example: 20, minimum: 0, exclusiveMinimum: true, maximum: 600_000 })
  override latencyBudgetMs?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 10_000, description: 'Emulate a device this many times slower (reports marked simulated)' })
  override slowdown?: number;
}

export class GatesDto extends Gates {
  @ApiPropertyOptional({ example: 25, minimum: 0, exclusiveMinimum: true, maximum: 600_000, description: 'Reject the model when its p95 latency on the device exceeds this' })
  override maxLatencyP95Ms?: number;
  @ApiPropertyOptional({ example: 0.85, minimum: 0, maximum: 1, description: 'Reject below this accuracy on the eval set' })
  override minAccuracy?: number;
  @ApiPropertyOptional({ example: 256, minimum: 0, exclusiveMinimum: true, maximum: 16 * 1024 * 1024, description: 'Reject when peak memory exceeds this' })
  override maxMemoryMb?: number;
}

export class TensorInfoDto extends TensorInfo {
  @ApiProperty({ example: 'input' }) override name!: string;
  @ApiProperty({ example: 'float32' }) override type!: string;
  @ApiProperty({ example: ['batch', 784], type: 'array', items: { oneOf: [{ type: 'integer' }, { type: 'string' }] } })
  override dims!: Array<number | string>;
}


import {
  ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsOptional, IsPositive, IsString, Matches, Max, MaxLength, Min,
} from 'class-validator';

export const ARCHES = ['x64', 'arm64', 'arm', 'ia32', 'riscv64', 'other'] as const;
export const ACCELERATORS = ['none', 'gpu', 'npu', 'tpu', 'dsp'] as const;

/** What a device is: the facts selection and latency prediction use. Shared by REST, MQTT hello and jobs. */
export class HardwareProfile {
  /** Preset or class name, e.g. `gateway`, `rpi4`, `tight` (informative). */
  @IsOptional() @IsString() @MaxLength(64) @Matches(/^[A-Za-z0-9._-]+$/)
  name?: string;

  @IsIn(ARCHES)
  arch!: (typeof ARCHES)[number];

  @IsInt() @Min(1) @Max(1024)
  cores!: number;

  @IsOptional() @IsNumber() @IsPositive() @Max(10_000)
  clockMhz?: number;

  /** SIMD extensions, e.g. ['avx2', 'avx512', 'vnni'] or ['neon', 'dotprod']. */
  @IsOptional() @IsArray() @ArrayMaxSize(32) @IsString({ each: true }) @MaxLength(32, { each: true })
  simd?: string[];

  @IsInt() @Min(1) @Max(16 * 1024 * 1024)
  ramMb!: number;

  @IsOptional() @IsInt() @Min(1) @Max(1024 * 1024 * 1024)
  storageMb?: number;

  @IsOptional() @IsIn(ACCELERATORS)
  accelerator?: (typeof ACCELERATORS)[number];

  /** The latency the application on this device can afford per inference (p95). */
  @IsOptional() @IsNumber() @IsPositive() @Max(600_000)
  latencyBudgetMs?: number;

  /**
   * When this profile describes a slower device than the one the agent runs on, the agent stretches measured
   * latencies by this factor and marks its reports simulated (see docs/simulation.md). 1 = real hardware.
   */
  @IsOptional() @IsNumber() @Min(1) @Max(10_000)
  slowdown?: number;
}

/** Gates a model must pass on the device before it becomes active. */
export class Gates {
  @IsOptional() @IsNumber() @IsPositive() @Max(600_000)
  maxLatencyP95Ms?: number;

  @IsOptional() @IsNumber() @Min(0) @Max(1)
  minAccuracy?: number;

  @IsOptional() @IsNumber() @IsPositive() @Max(16 * 1024 * 1024)
  maxMemoryMb?: number;
}

/** Tensor metadata as onnxruntime reports it; dims may be symbolic (strings) or -1. */
export class TensorInfo {
  @IsString() @MaxLength(256)
  name!: string;

  @IsString() @MaxLength(32)
  type!: string;

  @IsArray() @ArrayMaxSize(16)
  dims!: Array<number | string>;
}

